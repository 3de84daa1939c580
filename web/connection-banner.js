// A slim banner that tells people when the live connection drops and comes back.

import { h } from "./dom.js";

/**
 * Binds `el` (an element with role="status") to a WarmlineSocket's `state` events.
 * Shows nothing while connected; "Reconnecting…" with a countdown and a "Retry now" button while
 * disconnected; "Connected again" for a moment after recovering.
 */
export function bindConnectionBanner(socket, el, { onStateChange } = {}) {
  let countdown = null;
  let hideTimer = null;
  let wasDown = false;

  const text = h("span", { class: "conn-banner__text" });
  const retry = h("button", { type: "button", class: "link-button conn-banner__retry", text: "Retry now" });
  retry.addEventListener("click", () => socket.reconnectNow());
  el.replaceChildren(h("span", { class: "conn-banner__icon", "aria-hidden": "true" }), text, retry);

  const show = (mode, message, withRetry) => {
    clearTimeout(hideTimer);
    el.hidden = false;
    el.dataset.mode = mode;
    text.textContent = message;
    retry.hidden = !withRetry;
  };

  const onState = (e) => {
    const { state, retryInMs } = e.detail;
    clearInterval(countdown);
    clearTimeout(hideTimer);
    onStateChange?.(state);
    if (state === "connected") {
      if (wasDown) {
        show("ok", "Connected again.", false);
        hideTimer = setTimeout(() => (el.hidden = true), 2500);
      } else {
        el.hidden = true;
      }
      wasDown = false;
    } else if (state === "reconnecting") {
      wasDown = true;
      const until = Date.now() + (retryInMs ?? 0);
      const tick = () => {
        const secs = Math.ceil((until - Date.now()) / 1000);
        show("down", secs > 0 ? `Connection lost. Reconnecting in ${secs}s…` : "Reconnecting…", secs > 1);
      };
      tick();
      countdown = setInterval(tick, 1000);
    } else if (state === "connecting") {
      // First connection: stay quiet unless it takes a while.
      hideTimer = setTimeout(() => show("pending", "Connecting…", false), 1500);
    } else {
      el.hidden = true;
    }
  };
  socket.addEventListener("state", onState);
  return () => {
    socket.removeEventListener("state", onState);
    clearInterval(countdown);
    clearTimeout(hideTimer);
    el.hidden = true;
  };
}

// Short-lived messages in a corner of the page: a handoff step that failed, an offer that moved on,
// an invite that was sent. Errors are announced at once (role="alert"), the rest politely.

import { announce, h } from "./dom.js";

const DEFAULT_MS = { error: 8000, info: 5000, success: 4000 };
const MAX_VISIBLE = 4;

let region = null;

function ensureRegion() {
  if (!region || !region.isConnected) {
    region = h("div", { class: "toasts", role: "region", "aria-label": "Notifications" });
    document.body.append(region);
  }
  return region;
}

/** Shows `message`; tone is "info", "success" or "error". Returns a function that dismisses it. */
export function toast(message, { tone = "info", timeout = DEFAULT_MS[tone] ?? 5000 } = {}) {
  const root = ensureRegion();
  let timer = null;
  const close = () => {
    clearTimeout(timer);
    item.remove();
  };
  const item = h(
    "div",
    { class: `toast toast--${tone}`, role: tone === "error" ? "alert" : null },
    h("span", { class: "toast__text", text: message }),
    h("button", { type: "button", class: "toast__close", "aria-label": "Dismiss notification", on: { click: close } }, h("span", { "aria-hidden": "true", text: "×" })),
  );
  // Hovering or focusing a toast keeps it until it is left again.
  const arm = () => {
    clearTimeout(timer);
    if (timeout > 0) timer = setTimeout(close, timeout);
  };
  item.addEventListener("mouseenter", () => clearTimeout(timer));
  item.addEventListener("mouseleave", arm);
  item.addEventListener("focusin", () => clearTimeout(timer));
  item.addEventListener("focusout", arm);
  root.append(item);
  while (root.childElementCount > MAX_VISIBLE) root.firstElementChild.remove();
  if (tone !== "error") announce(message);
  arm();
  return close;
}

// The customer's banner during a handoff. It draws exactly one status (customer-status.js folds it
// from the conversation's events): nobody online, their place in line, or the agent reading the
// conversation; no banner otherwise. It is a status region, so changes are announced.

import { h } from "./dom.js";
import { aboutMinutes } from "./format.js";

/** The banner's words for a status, or null for no banner. */
export function statusText(status) {
  switch (status?.kind) {
    case "reading":
      return `${status.agent || "A support specialist"} is reading your conversation`;
    case "followup":
      return `We'll reply by e-mail to ${status.email}. You can close this page: the e-mail links back to this conversation.`;
    case "nobody_online":
      // Honest: no time we can't keep. The gateway does continue by e-mail when given an address.
      return status.email
        ? `No one is online right now. We'll continue by e-mail at ${status.email}.`
        : "No one is online right now. Leave your e-mail address here and we'll reply by e-mail.";
    case "queued":
      if (!Number.isFinite(status.position) || status.position < 1) return "Waiting for a support specialist";
      return Number.isFinite(status.estimateSecs)
        ? `You're number ${status.position}, ${aboutMinutes(status.estimateSecs)}`
        : `You're number ${status.position} in line`;
    default:
      return null;
  }
}

export class WaitBanner {
  /** `onLeaveEmail`: the banner's "Leave your e-mail" button (shown when `show` offers it). */
  constructor(el, { onLeaveEmail } = {}) {
    this.el = el;
    this.text = h("span", { class: "wait-banner__text", "data-testid": "wait-banner-text" });
    this.action = h("button", { type: "button", class: "button button--small wait-banner__action", "data-testid": "followup-open", text: "Leave your e-mail", hidden: true, on: { click: () => onLeaveEmail?.() } });
    el.replaceChildren(h("span", { class: "wait-banner__icon", "aria-hidden": "true" }), this.text, this.action);
    el.hidden = true;
  }

  /** Shows `status` (from CustomerStatus.current()), or hides the banner when there is none.
   *  `offerEmail`: nobody is online and e-mail is on, so the banner offers the follow-up form. */
  show(status, { offerEmail = false } = {}) {
    this.action.hidden = !(offerEmail && status?.kind === "nobody_online" && !status.email);
    const text = statusText(status);
    if (!text) {
      this.reset();
      return;
    }
    this.el.dataset.mode = status.kind;
    // Unchanged text is not rewritten: screen readers would announce it again.
    if (this.text.textContent !== text) this.text.textContent = text;
    this.el.hidden = false;
  }

  reset() {
    this.el.hidden = true;
    delete this.el.dataset.mode;
  }
}

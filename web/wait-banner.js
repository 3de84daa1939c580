// The customer's banner during a handoff: their place in the queue and the wait while they are
// queued, then who joined, for a few seconds. It is a status region, so changes are announced.

import { h } from "./dom.js";
import { aboutMinutes } from "./format.js";

const JOINED_MS = 5000;

/** "Waiting for a person — you're number 2, about 3 minutes". */
export function waitText(wait) {
  if (!wait || !Number.isFinite(wait.position) || wait.position < 1) return "A person will be with you shortly";
  return `Waiting for a person — you're number ${wait.position}, ${aboutMinutes(wait.estimateSecs)}`;
}

export class WaitBanner {
  constructor(el) {
    this.el = el;
    this.timer = null;
    this.showingJoin = false;
    this.text = h("span", { class: "wait-banner__text" });
    el.replaceChildren(h("span", { class: "wait-banner__icon", "aria-hidden": "true" }), this.text);
    el.hidden = true;
  }

  /** Queued: where they stand (`wait` may be null when there is no estimate yet). */
  waiting(wait) {
    if (this.showingJoin) return;
    this.#show("waiting", waitText(wait));
  }

  /** Someone joined: say who, then go away. */
  joined(name) {
    clearTimeout(this.timer);
    this.showingJoin = true;
    this.#show("joined", `${name || "A support specialist"} joined`);
    this.timer = setTimeout(() => {
      this.showingJoin = false;
      this.el.hidden = true;
    }, JOINED_MS);
  }

  /** Not queued (unless a "joined" message is still showing). */
  hide() {
    if (!this.showingJoin) this.el.hidden = true;
  }

  reset() {
    clearTimeout(this.timer);
    this.showingJoin = false;
    this.el.hidden = true;
  }

  #show(mode, text) {
    this.el.dataset.mode = mode;
    if (this.text.textContent !== text) this.text.textContent = text;
    this.el.hidden = false;
  }
}

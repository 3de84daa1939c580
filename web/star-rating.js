// A 1–5 star input: five buttons in a group, each with its own label ("4 stars: Good"), one tab
// stop (arrow keys move from the focused star and choose, Home and End jump), hover previews the
// choice. Used by the customer's survey and the agent's briefing rating.

import { h } from "./dom.js";

export class StarRating {
  /**
   * @param opts { label, captions: [5 strings], small, testid, onChange(score) }
   */
  constructor({ label, captions = [], small = false, testid = "stars", onChange } = {}) {
    this.value = 0;
    this.captions = captions;
    this.onChange = onChange ?? (() => {});
    this.buttons = [1, 2, 3, 4, 5].map((n) =>
      h("button", {
        type: "button",
        class: "star-rating__star",
        "aria-label": `${n} star${n === 1 ? "" : "s"}${captions[n - 1] ? `: ${captions[n - 1]}` : ""}`,
        "aria-pressed": "false",
        tabindex: n === 1 ? "0" : "-1",
        "data-testid": `${testid}-${n}`,
        dataset: { score: String(n) },
        text: "★",
        on: {
          click: () => this.set(n, { focus: true, notify: true }),
          mouseenter: () => this.#paint(n),
          focus: () => this.#paint(this.value),
        },
      }),
    );
    this.group = h("div", { class: `star-rating${small ? " star-rating--small" : ""}`, role: "group", "aria-label": label, "data-testid": testid }, this.buttons);
    this.group.addEventListener("mouseleave", () => this.#paint(this.value));
    this.group.addEventListener("keydown", (e) => this.#key(e));
    this.caption = h("span", { class: "star-rating__caption", "aria-live": "polite" });
    this.el = h("div", { class: "star-rating-field" }, this.group, this.caption);
  }

  set(n, { focus = false, notify = false } = {}) {
    this.value = Math.max(0, Math.min(5, n | 0));
    this.buttons.forEach((b, i) => {
      b.setAttribute("aria-pressed", String(i + 1 === this.value));
      b.tabIndex = i + 1 === (this.value || 1) ? 0 : -1;
    });
    this.#paint(this.value);
    this.caption.textContent = this.value ? this.captions[this.value - 1] ?? `${this.value} of 5` : "";
    if (focus && this.value) this.buttons[this.value - 1].focus();
    if (notify) this.onChange(this.value);
  }

  setDisabled(disabled) {
    for (const b of this.buttons) b.disabled = disabled;
  }

  #paint(n) {
    this.buttons.forEach((b, i) => b.classList.toggle("is-on", i < n));
  }

  #key(e) {
    // Arrows move from the star that has focus (like a radio group), not from the value: with
    // nothing chosen yet, focus sits on star 1, and ArrowRight ×4 must end on 5, not 4.
    const focused = this.buttons.indexOf(e.target) + 1;
    const cur = focused || this.value || 1;
    const next = { ArrowRight: cur + 1, ArrowUp: cur + 1, ArrowLeft: cur - 1, ArrowDown: cur - 1, Home: 1, End: 5 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    this.set(Math.max(1, Math.min(5, next)), { focus: true, notify: true });
  }
}

// "How useful was this briefing?" at the foot of the briefing panel, once the agent has joined
// (or the conversation is resolved): 1–5 stars and an optional comment, sent to
// `POST /api/conversations/{id}/briefing/rating`. A rating already given (this session, or a
// `briefing_rated` event by this agent in the history) is shown as given, with a way to change it.

import { api } from "./api.js";
import { h } from "./dom.js";
import { StarRating } from "./star-rating.js";

const COMMENT_MAX = 1000;
const CAPTIONS = ["Useless", "Missed a lot", "Okay", "Useful", "Had everything I needed"];

export class BriefingRating {
  /** @param opts { conversationId, token, onUnauthorized() } */
  constructor({ conversationId, token, onUnauthorized }) {
    this.conversationId = conversationId;
    this.token = token;
    this.onUnauthorized = onUnauthorized ?? (() => {});
    this.given = null; // { score, comment }
    this.editing = false;
    this.el = h("section", { class: "brief-rate", "data-testid": "briefing-rating", "aria-label": "Rate this briefing" });
    this.#build();
    this.#render();
  }

  /** The latest rating the gateway knows of from this agent (or null). */
  update(rating) {
    if (!rating || this.sending) return;
    if (this.given && this.given.score === rating.score && (this.given.comment ?? null) === (rating.comment ?? null)) return;
    this.given = { score: rating.score, comment: rating.comment ?? null };
    if (!this.editing) this.#render();
  }

  #build() {
    const id = `brief-rate-${this.conversationId}`;
    this.stars = new StarRating({ label: "How useful was this briefing, from 1 to 5 stars", captions: CAPTIONS, small: true, testid: "briefing-star" });
    this.comment = h("textarea", { id: `${id}-comment`, class: "textarea", rows: "2", maxlength: String(COMMENT_MAX), placeholder: "What was missing or wrong? (optional)", "data-testid": "briefing-rating-comment" });
    this.error = h("p", { class: "callout callout--error", role: "alert", hidden: true });
    this.submit = h("button", { type: "submit", class: "button button--primary button--small", "data-testid": "briefing-rating-submit", text: "Send rating" });
    this.cancel = h("button", { type: "button", class: "button button--ghost button--small", text: "Cancel", on: { click: () => this.#stopEditing() } });
    this.form = h(
      "form",
      { class: "stack", novalidate: true, "data-testid": "briefing-rating-form" },
      h("p", { class: "brief-rate__title", id: `${id}-title`, text: "How useful was this briefing?" }),
      this.stars.el,
      h("label", { class: "visually-hidden", for: `${id}-comment`, text: "Comment on the briefing (optional)" }),
      this.comment,
      this.error,
      h("div", { class: "brief-rate__actions" }, this.cancel, this.submit),
    );
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#send();
    });
    this.givenView = h("div", { class: "brief-rate__given", "data-testid": "briefing-rating-given" });
  }

  #render() {
    const showForm = !this.given || this.editing;
    this.cancel.hidden = !this.given;
    if (showForm) {
      if (this.el.firstChild !== this.form) this.el.replaceChildren(this.form);
      return;
    }
    const g = this.given;
    this.givenView.replaceChildren(
      h("span", { class: "brief-label", text: "Your rating" }),
      h("span", { class: "stars", role: "img", "aria-label": `${g.score} of 5 stars` }, h("span", { class: "stars__on", "aria-hidden": "true", text: "★".repeat(g.score) }), h("span", { class: "stars__off", "aria-hidden": "true", text: "★".repeat(5 - g.score) })),
      h("strong", { "data-testid": "briefing-rating-score", text: `${g.score}/5` }),
      h("button", { type: "button", class: "link-button brief-rate__change", text: "Change", on: { click: () => this.#startEditing() } }),
      g.comment ? h("p", { class: "brief-rate__comment muted", text: `“${g.comment}”` }) : null,
    );
    this.el.replaceChildren(this.givenView);
  }

  #startEditing() {
    this.editing = true;
    this.stars.set(this.given?.score ?? 0);
    this.comment.value = this.given?.comment ?? "";
    this.#render();
    this.stars.buttons[(this.given?.score || 1) - 1].focus();
  }

  #stopEditing() {
    this.editing = false;
    this.error.hidden = true;
    this.#render();
  }

  async #send() {
    const score = this.stars.value;
    if (!score) {
      this.error.textContent = "Choose from 1 to 5 stars.";
      this.error.hidden = false;
      return;
    }
    const comment = this.comment.value.trim().slice(0, COMMENT_MAX);
    this.error.hidden = true;
    this.sending = true;
    this.submit.disabled = true;
    this.submit.textContent = "Sending…";
    try {
      await api(`/api/conversations/${encodeURIComponent(this.conversationId)}/briefing/rating`, {
        method: "POST",
        token: this.token,
        body: { score, ...(comment ? { comment } : {}) },
      });
      this.given = { score, comment: comment || null };
      this.editing = false;
      this.#render();
    } catch (err) {
      if (err.status === 401) this.onUnauthorized();
      this.error.textContent = err.message || "Couldn't send the rating. Try again.";
      this.error.hidden = false;
    } finally {
      this.sending = false;
      this.submit.disabled = false;
      this.submit.textContent = "Send rating";
    }
  }
}

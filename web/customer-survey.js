// The end-of-conversation survey in the customer's chat: shown once, when an agent resolves the
// conversation. "Did you have to repeat yourself?", 1–5 stars and an optional comment, sent to
// `POST /api/conversations/{id}/rating`; then a thank-you. A `handoff_rated` event in the history
// (a reload after answering) shows the thank-you straight away.

import { api } from "./api.js";
import { h } from "./dom.js";
import { StarRating } from "./star-rating.js";
import { TranscriptForm } from "./customer-followup.js";

const COMMENT_MAX = 1000;
const CAPTIONS = ["Poor", "Not great", "Okay", "Good", "Excellent"];

export class SurveyCard {
  /** @param opts { conversationId, token, transcript: { email }? (e-mail is on: offer the transcript) } */
  constructor({ conversationId, token, transcript = null }) {
    this.conversationId = conversationId;
    this.token = token;
    this.repeated = null;
    this.done = false;
    this.el = h("li", { class: "survey", "data-testid": "survey" });
    // The transcript by e-mail stays under the card, asked for before or after the survey.
    this.transcript = transcript ? new TranscriptForm({ conversationId, token, email: transcript.email }) : null;
    this.#renderForm();
  }

  /** The customer already answered (now or before a reload). */
  showThanks() {
    if (this.done) return;
    this.done = true;
    this.el.replaceChildren(
      h(
        "div",
        { class: "survey__card survey__thanks", role: "status", "data-testid": "survey-thanks" },
        h("span", { class: "survey__thanks-icon", "aria-hidden": "true", text: "✓" }),
        h("p", { class: "survey__title", text: "Thanks for your feedback" }),
        h("p", { class: "survey__lead", text: "It helps us hand conversations over better." }),
        this.transcript?.el,
      ),
    );
  }

  #renderForm() {
    const id = `survey-${this.conversationId}`;
    this.yes = this.#choice("Yes", true);
    this.no = this.#choice("No", false);
    this.stars = new StarRating({ label: "Rate the help you got, from 1 to 5 stars", captions: CAPTIONS, testid: "survey-star" });
    this.comment = h("textarea", { id: `${id}-comment`, class: "textarea", rows: "2", maxlength: String(COMMENT_MAX), "data-testid": "survey-comment", placeholder: "Tell us what went well or what didn't" });
    const counter = h("span", { class: "counter", "aria-live": "off", text: `0 / ${COMMENT_MAX}` });
    this.comment.addEventListener("input", () => (counter.textContent = `${this.comment.value.length} / ${COMMENT_MAX}`));
    this.error = h("p", { class: "callout callout--error survey__error", role: "alert", hidden: true });
    this.submit = h("button", { type: "submit", class: "button button--primary", "data-testid": "survey-submit", text: "Submit" });
    const form = h(
      "form",
      { class: "survey__card", "aria-labelledby": `${id}-title`, novalidate: true, "data-testid": "survey-form" },
      h("div", {}, h("h2", { class: "survey__title", id: `${id}-title`, text: "How did we do?" }), h("p", { class: "survey__lead", text: "Two quick questions about the help you got today." })),
      h("fieldset", { class: "survey__q" }, h("legend", { text: "Did you have to repeat yourself?" }), h("div", { class: "choice-group", "data-testid": "survey-repeated" }, this.yes, this.no)),
      h("div", { class: "survey__q" }, h("span", { class: "survey__label", id: `${id}-stars`, text: "How would you rate the help you got?" }), this.stars.el),
      h("div", { class: "survey__q" }, h("label", { class: "survey__label", for: `${id}-comment` }, "Anything else? ", h("span", { class: "field__optional", text: "optional" })), this.comment, counter),
      this.error,
      h("div", { class: "survey__actions" }, this.submit),
      this.transcript?.el,
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#send();
    });
    this.el.replaceChildren(form);
  }

  #choice(text, value) {
    return h("button", {
      type: "button",
      class: "choice",
      "aria-pressed": "false",
      "data-testid": `survey-repeated-${value ? "yes" : "no"}`,
      text,
      on: {
        click: () => {
          this.repeated = value;
          this.yes.setAttribute("aria-pressed", String(value === true));
          this.no.setAttribute("aria-pressed", String(value === false));
        },
      },
    });
  }

  async #send() {
    const score = this.stars.value;
    const missing = this.repeated === null ? "Let us know whether you had to repeat yourself." : !score ? "Choose from 1 to 5 stars." : null;
    if (missing) {
      this.error.textContent = missing;
      this.error.hidden = false;
      return;
    }
    const comment = this.comment.value.trim().slice(0, COMMENT_MAX);
    this.error.hidden = true;
    this.submit.disabled = true;
    this.submit.textContent = "Sending…";
    try {
      await api(`/api/conversations/${encodeURIComponent(this.conversationId)}/rating`, {
        method: "POST",
        token: this.token,
        body: { score, repeated: this.repeated, ...(comment ? { comment } : {}) },
      });
      this.showThanks();
    } catch (err) {
      this.error.textContent = err.message || "We couldn't send your feedback. Please try again.";
      this.error.hidden = false;
      this.submit.disabled = false;
      this.submit.textContent = "Submit";
    }
  }
}

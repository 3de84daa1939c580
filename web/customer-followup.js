// "Leave your e-mail and we'll reply": when nobody is online and the customer is waiting for a
// person, they can leave their address and a message instead of waiting on the page
// (`POST /api/conversations/{id}/followup`). The conversation stays in the queue as an e-mail
// follow-up; the agent's reply arrives by e-mail with a link back here. The address is checked
// here for its shape, and by the gateway for real (its 400 explains what is wrong).
//
// Also `TranscriptForm`: the transcript by e-mail, on the end-of-conversation card.

import { api } from "./api.js";
import { h } from "./dom.js";

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MESSAGE_MAX = 4000;

export class FollowupForm {
  /** @param el the (hidden) section that holds the form; opts { onSent(email) } */
  constructor(el, { onSent } = {}) {
    this.el = el;
    this.onSent = onSent;
    this.target = null;
    this.email = h("input", { id: "followup-email", type: "email", autocomplete: "email", maxlength: "254", required: true, "aria-describedby": "followup-email-error", "data-testid": "followup-email" });
    this.emailError = h("p", { id: "followup-email-error", class: "field__error", hidden: true });
    this.message = h("textarea", { id: "followup-message", class: "textarea", rows: "3", maxlength: String(MESSAGE_MAX), "data-testid": "followup-message", placeholder: "Anything the team should know? They'll see the whole conversation too." });
    this.error = h("p", { class: "callout callout--error", role: "alert", hidden: true });
    this.submit = h("button", { type: "submit", class: "button button--primary", "data-testid": "followup-send", text: "Send" });
    const cancel = h("button", { type: "button", class: "button button--ghost", text: "Not now", on: { click: () => this.close() } });
    this.email.addEventListener("input", () => {
      this.emailError.hidden = true;
      this.email.removeAttribute("aria-invalid");
    });
    const form = h(
      "form",
      { class: "followup__card", novalidate: true, "aria-labelledby": "followup-title", "data-testid": "followup-form" },
      h("div", {}, h("h2", { id: "followup-title", class: "followup__title", text: "Leave your e-mail and we'll reply" }), h("p", { class: "followup__lead", text: "Nobody from the team is online right now. Leave your address and we'll answer by e-mail, with a link back to this conversation, so you don't have to wait here." })),
      h("div", { class: "field" }, h("label", { for: "followup-email", text: "Email" }), this.email, this.emailError),
      h("div", { class: "field" }, h("label", { for: "followup-message" }, "Message ", h("span", { class: "field__optional", text: "optional" })), this.message),
      this.error,
      h("div", { class: "followup__actions" }, cancel, this.submit),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#send();
    });
    el.replaceChildren(form);
    el.hidden = true;
  }

  get open() {
    return !this.el.hidden;
  }

  /** Shows the form for a conversation; `email` prefills the address the customer gave before. */
  show({ conversationId, token, email }) {
    this.target = { conversationId, token };
    if (email && !this.email.value) this.email.value = email;
    this.error.hidden = true;
    this.el.hidden = false;
    (this.email.value ? this.message : this.email).focus();
  }

  close() {
    this.el.hidden = true;
    this.target = null;
  }

  async #send() {
    if (!this.target) return;
    const email = this.email.value.trim();
    if (!EMAIL_RE.test(email)) {
      this.emailError.textContent = "Enter an e-mail address like name@example.com.";
      this.emailError.hidden = false;
      this.email.setAttribute("aria-invalid", "true");
      this.email.focus();
      return;
    }
    const message = this.message.value.trim().slice(0, MESSAGE_MAX);
    this.submit.disabled = true;
    this.submit.textContent = "Sending…";
    this.error.hidden = true;
    try {
      const { conversationId, token } = this.target;
      await api(`/api/conversations/${encodeURIComponent(conversationId)}/followup`, {
        method: "POST",
        token,
        body: { email, ...(message ? { message } : {}) },
      });
      this.message.value = "";
      this.close();
      this.onSent?.(email);
    } catch (err) {
      this.error.textContent = err.message || "We couldn't save your address. Please try again.";
      this.error.hidden = false;
    } finally {
      this.submit.disabled = false;
      this.submit.textContent = "Send";
    }
  }
}

/** "E-mail me the transcript", on the end-of-conversation card. */
export class TranscriptForm {
  constructor({ conversationId, token, email }) {
    this.conversationId = conversationId;
    this.token = token;
    const id = `transcript-${conversationId}`;
    this.input = h("input", { id, type: "email", class: "mail-transcript__input", autocomplete: "email", maxlength: "254", value: email || "", placeholder: "name@example.com", "data-testid": "transcript-email" });
    this.status = h("p", { class: "mail-transcript__status", role: "status", hidden: true });
    this.submit = h("button", { type: "submit", class: "button button--secondary button--small", "data-testid": "transcript-send", text: "Send transcript" });
    this.form = h(
      "form",
      { class: "mail-transcript", novalidate: true },
      h("label", { for: id, class: "survey__label", text: "Get a copy of this conversation by e-mail" }),
      h("div", { class: "mail-transcript__row" }, this.input, this.submit),
      this.status,
    );
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#send();
    });
    this.el = this.form;
  }

  async #send() {
    const email = this.input.value.trim();
    if (!EMAIL_RE.test(email)) {
      this.#say("Enter an e-mail address like name@example.com.", true);
      this.input.focus();
      return;
    }
    this.submit.disabled = true;
    try {
      await api(`/api/conversations/${encodeURIComponent(this.conversationId)}/transcript-email`, { method: "POST", token: this.token, body: { email } });
      this.#say(`The transcript is on its way to ${email}.`, false);
    } catch (err) {
      this.#say(err.message || "We couldn't send the transcript. Please try again.", true);
    } finally {
      this.submit.disabled = false;
    }
  }

  #say(text, error) {
    this.status.textContent = text;
    this.status.classList.toggle("is-error", error);
    this.status.hidden = false;
  }
}

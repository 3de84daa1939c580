// Internal notes in the agent console: a note is written from the composer in "Internal note"
// mode (POST /api/conversations/{id}/notes) and shows in the thread where it was written, on a
// yellow card marked "Internal note · only your team sees this". The customer never receives
// notes (the gateway sends them as `redacted`); the review shows them among the messages.

import { api } from "./api.js";
import { h } from "./dom.js";
import { formatDateTime, formatTime } from "./format.js";

/** A note as a timeline item. */
export function noteItem(note, { meUserId } = {}) {
  const who = note.agentId && note.agentId === meUserId ? "You" : note.agentName || "An agent";
  return h(
    "div",
    { class: "note-card", role: "note", "data-testid": "thread-note", "aria-label": `Internal note from ${who}` },
    h(
      "div",
      { class: "note-card__head" },
      h("span", { class: "note-card__badge", text: "Internal note" }),
      h("span", { class: "note-card__who", text: who }),
      h("time", { class: "note-card__time", datetime: note.at ?? "", title: note.at ? formatDateTime(note.at) : "", text: note.at ? formatTime(note.at) : "" }),
    ),
    h("p", { class: "note-card__text", text: note.text }),
    h("p", { class: "note-card__foot", text: "Only your team sees this" }),
  );
}

/**
 * The composer's mode switch: "Reply" (to the customer) or "Internal note". In note mode the
 * composer is tinted, its placeholder and send label say so, and submitting posts a note.
 */
export class NoteMode {
  /**
   * The composer's switch; one per composer (a later sign-in reuses it with the new token, so
   * its listeners are never bound twice).
   * @param els { composer, input, send, hint } @param opts { token }
   */
  static for(els, { token }) {
    const existing = els.composer.warmlineNoteMode;
    if (existing) {
      existing.token = token;
      existing.set(false, { focus: false });
      return existing;
    }
    const mode = new NoteMode(els, { token });
    els.composer.warmlineNoteMode = mode;
    return mode;
  }

  constructor({ composer, input, send, hint }, { token }) {
    this.els = { composer, input, send };
    this.token = token;
    this.on = false;
    this.replyPlaceholder = input.placeholder;
    this.replyLabel = send.getAttribute("aria-label") ?? "Send reply";
    this.button = h("button", { type: "button", class: "note-toggle", "aria-pressed": "false", "data-testid": "note-toggle", title: "Write a note only your team sees (Ctrl+Shift+N)" }, "Internal note");
    this.button.addEventListener("click", () => this.set(!this.on));
    hint.prepend(this.button, " ");
    input.addEventListener("keydown", (e) => {
      if (e.key.toLowerCase() === "n" && e.ctrlKey && e.shiftKey) {
        e.preventDefault();
        this.set(!this.on);
      }
    });
  }

  set(on, { focus = true } = {}) {
    this.on = on;
    this.button.setAttribute("aria-pressed", String(on));
    this.els.composer.classList.toggle("is-note", on);
    this.els.input.placeholder = on ? "Write an internal note — only your team sees it" : this.replyPlaceholder;
    this.els.send.setAttribute("aria-label", on ? "Add internal note" : this.replyLabel);
    this.els.send.title = on ? "Add internal note" : "";
    if (focus) this.els.input.focus();
  }

  /** Posts `text` as a note on `conversationId`; throws the ApiError on failure. */
  async post(conversationId, text) {
    return api(`/api/conversations/${encodeURIComponent(conversationId)}/notes`, { method: "POST", token: this.token, body: { text } });
  }
}

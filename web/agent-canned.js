// Canned responses in the agent's composer: typing "/" at the start of a word opens a list of the
// team's responses, filtered by what follows the slash (shortcut and title). ArrowUp/ArrowDown
// choose, Enter or Tab insert, Esc closes; a click inserts too. Inserting replaces "/shortcut" with
// the response's body, its fields filled for the open conversation:
//   {customer}       the customer's first name, or "there" when unknown
//   {customer_full}  the customer's full name, or "there"
//   {agent}          the agent's first name
//   {skill}          the conversation's skill in words
// Anything else in braces stays as typed (the gateway's `domain::canned::fill` does the same).
// Responses are fetched once at sign-in, and again when the list opens if that was over 60 s ago.

import { api } from "./api.js";
import { h, announce } from "./dom.js";

const REFRESH_MS = 60_000;
/** Most suggestions rendered at once (the list scrolls). */
const MAX_SHOWN = 50;
/** "/" at the start of the text or after white space, then the shortcut typed so far. */
const TRIGGER = /(^|\s)\/([a-z0-9-]*)$/i;

let nextId = 0;

function firstName(name) {
  return String(name ?? "").trim().split(/\s+/)[0] ?? "";
}

/** Fills the fields of `body` (see the file comment). */
export function fillFields(body, { customerName, agentName, skill } = {}) {
  const known = (s) => {
    const t = String(s ?? "").trim();
    return t ? t : null;
  };
  const values = {
    customer: () => (known(customerName) ? firstName(customerName) : "there"),
    customer_full: () => (known(customerName) ? known(customerName).split(/\s+/).join(" ") : "there"),
    agent: () => (known(agentName) ? firstName(agentName) : ""),
    skill: () => (known(skill) ? known(skill).replace(/[_-]/g, " ") : "general"),
  };
  return String(body).replace(/\{([^{}]*)\}/g, (whole, name) => (Object.hasOwn(values, name) ? values[name]() : whole));
}

/** The responses matching `query` (shortcut first, then shortcut or title containing it). */
export function matchResponses(items, query) {
  const q = query.toLowerCase();
  const rank = (r) => {
    if (!q || r.shortcut.startsWith(q)) return 0;
    if (r.shortcut.includes(q) || r.title.toLowerCase().includes(q)) return 1;
    return -1;
  };
  return items
    .map((r) => [rank(r), r])
    .filter(([k]) => k >= 0)
    .sort((a, b) => a[0] - b[0] || a[1].shortcut.localeCompare(b[1].shortcut))
    .map(([, r]) => r);
}

export class CannedPicker {
  /**
   * @param els  { input: the composer's textarea, composer: its form }
   * @param opts { token, user, model: () => ConversationModel | null, onUnauthorized() }
   */
  constructor({ input, composer }, { token, user, model, onUnauthorized }) {
    this.input = input;
    this.composer = composer;
    this.token = token;
    this.user = user;
    this.model = model ?? (() => null);
    this.onUnauthorized = onUnauthorized ?? (() => {});
    this.items = [];
    this.loadedAt = 0;
    this.loading = null;
    this.shown = [];
    this.active = 0;
    this.range = null; // { start, end } of "/query" in the textarea while open
    this.dismissed = null; // the "/query" position Esc closed, so typing on does not reopen it at once
    this.listId = `canned-list-${++nextId}`;

    this.list = h("ul", { class: "canned-menu__list", id: this.listId, role: "listbox", "aria-label": "Canned responses" });
    this.empty = h("p", { class: "canned-menu__empty", hidden: true });
    this.menu = h(
      "div",
      { class: "canned-menu", "data-testid": "canned-menu", hidden: true },
      h("div", { class: "canned-menu__head" }, h("span", { class: "canned-menu__title", text: "Canned responses" }), h("span", { class: "canned-menu__keys", text: "↑↓ choose · Enter insert · Esc close" })),
      this.list,
      this.empty,
    );
    composer.classList.add("has-canned");
    composer.append(this.menu);
    // The composer's hint says how to get here.
    this.hint = h("span", { class: "canned-hint", text: " · / for canned responses" });
    document.getElementById(input.getAttribute("aria-describedby") ?? "")?.append(this.hint);
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-haspopup", "listbox");
    input.setAttribute("aria-expanded", "false");

    this.onInput = () => this.#update();
    this.onCaret = (e) => {
      if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(e.key)) this.#update();
    };
    // Capture on the form: runs before the thread's own Enter-to-send handler on the textarea.
    this.onKey = (e) => this.#key(e);
    this.onBlur = () => this.close();
    this.onClick = () => this.#update();
    input.addEventListener("input", this.onInput);
    input.addEventListener("keyup", this.onCaret);
    input.addEventListener("click", this.onClick);
    input.addEventListener("blur", this.onBlur);
    composer.addEventListener("keydown", this.onKey, true);
    // Keep the focus (and the caret) in the textarea while choosing with the mouse.
    this.menu.addEventListener("mousedown", (e) => e.preventDefault());

    if (user.role === "agent" || user.role === "manager") this.refresh();
  }

  get isOpen() {
    return !this.menu.hidden;
  }

  /** Fetches the responses (at most one request at a time). */
  refresh() {
    if (this.loading) return this.loading;
    this.loading = api("/api/canned-responses", { token: this.token })
      .then((res) => {
        this.items = (res?.items ?? []).filter((r) => r && typeof r.shortcut === "string");
        this.loadedAt = Date.now();
        if (this.isOpen) this.#update();
      })
      .catch((err) => {
        if (err.status === 401) this.onUnauthorized();
        // Otherwise keep what we had; the next opening tries again.
        this.loadedAt = Date.now() - REFRESH_MS + 10_000;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  close() {
    if (!this.isOpen) return;
    this.menu.hidden = true;
    this.range = null;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-controls");
    this.input.removeAttribute("aria-activedescendant");
  }

  dispose() {
    this.close();
    this.input.removeEventListener("input", this.onInput);
    this.input.removeEventListener("keyup", this.onCaret);
    this.input.removeEventListener("click", this.onClick);
    this.input.removeEventListener("blur", this.onBlur);
    this.composer.removeEventListener("keydown", this.onKey, true);
    this.composer.classList.remove("has-canned");
    this.menu.remove();
    this.hint.remove();
    for (const a of ["aria-autocomplete", "aria-haspopup", "aria-expanded"]) this.input.removeAttribute(a);
  }

  /** Opens, filters or closes the list for the text before the caret. */
  #update() {
    const { input } = this;
    if (input.disabled || input.selectionStart !== input.selectionEnd) return this.close();
    const caret = input.selectionStart;
    const m = TRIGGER.exec(input.value.slice(0, caret));
    if (!m) {
      this.dismissed = null;
      return this.close();
    }
    const start = caret - m[2].length - 1;
    if (this.dismissed === start) return this.close();
    this.dismissed = null;
    if (!this.items.length && !this.loadedAt) return this.close();
    const wasOpen = this.isOpen;
    if (!wasOpen && Date.now() - this.loadedAt > REFRESH_MS) this.refresh();
    const query = m[2];
    const previous = this.shown[this.active]?.id;
    this.range = { start, end: caret };
    this.shown = matchResponses(this.items, query).slice(0, MAX_SHOWN);
    const keep = this.shown.findIndex((r) => r.id === previous);
    this.active = wasOpen && keep >= 0 ? keep : 0;
    this.#render(query);
    if (!wasOpen) {
      this.menu.hidden = false;
      input.setAttribute("aria-expanded", "true");
      input.setAttribute("aria-controls", this.listId);
    }
    announce(this.shown.length ? `${this.shown.length} canned ${this.shown.length === 1 ? "response" : "responses"}` : "No canned response matches");
  }

  #render(query) {
    const fields = this.#fields();
    this.list.replaceChildren(
      ...this.shown.map((r, i) =>
        h(
          "li",
          {
            id: `${this.listId}-${i}`,
            class: "canned-option",
            role: "option",
            "aria-selected": String(i === this.active),
            dataset: { shortcut: r.shortcut },
            on: {
              click: () => this.#insert(i),
              mousemove: () => {
                if (this.active !== i) this.#setActive(i, { scroll: false });
              },
            },
          },
          h("span", { class: "canned-option__line" }, h("span", { class: "canned-option__shortcut", text: `/${r.shortcut}` }), h("span", { class: "canned-option__title", text: r.title })),
          h("span", { class: "canned-option__preview", text: fillFields(r.body, fields).replace(/\s+/g, " ") }),
        ),
      ),
    );
    this.list.hidden = !this.shown.length;
    this.empty.hidden = !!this.shown.length;
    this.empty.textContent = this.items.length
      ? `No canned response matches “/${query}”.`
      : "Your team has no canned responses yet. Managers add them in Handoff review.";
    this.#setActive(this.active);
  }

  #setActive(i, { scroll = true } = {}) {
    this.active = i;
    [...this.list.children].forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
    const li = this.list.children[i];
    if (li) {
      this.input.setAttribute("aria-activedescendant", li.id);
      if (scroll) li.scrollIntoView({ block: "nearest" });
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  }

  #key(e) {
    if (!this.isOpen || e.target !== this.input || e.isComposing) return;
    const n = this.shown.length;
    let handled = true;
    switch (e.key) {
      case "ArrowDown":
        if (n) this.#setActive((this.active + 1) % n);
        break;
      case "ArrowUp":
        if (n) this.#setActive((this.active - 1 + n) % n);
        break;
      case "Enter":
      case "Tab":
        if (n && !e.shiftKey) {
          this.#insert(this.active);
        } else {
          // Nothing to insert (or a new line, a step back): the key does what it always does.
          handled = false;
          this.close();
        }
        break;
      case "Escape":
        this.dismissed = this.range?.start ?? null;
        this.close();
        break;
      default:
        handled = false;
    }
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  }

  #fields() {
    const m = this.model();
    return {
      customerName: m?.customer?.name ?? null,
      agentName: this.user.name || this.user.username,
      skill: m?.skill ?? null,
    };
  }

  #insert(i) {
    const r = this.shown[i];
    const range = this.range;
    if (!r || !range) return;
    const { input } = this;
    const text = fillFields(r.body, this.#fields());
    const before = input.value.slice(0, range.start);
    const after = input.value.slice(range.end);
    // The max length of the textarea still holds: cut what would not fit.
    const room = input.maxLength > 0 ? Math.max(0, input.maxLength - before.length - after.length) : Infinity;
    const inserted = text.slice(0, room);
    this.close();
    input.focus();
    input.setRangeText(inserted, range.start, range.end, "end");
    // The thread updates the send button, the height and the typing signal on "input".
    input.dispatchEvent(new Event("input", { bubbles: true }));
    announce(`Inserted ${r.title}`);
  }
}

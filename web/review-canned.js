// Canned responses, kept by managers (`#/canned` in handoff review): the team's replies with their
// shortcuts, searchable, with a form to add or change one (shortcut, title, body; inline errors for
// a bad or taken shortcut) and an inline confirmation to delete. Agents insert them in the composer
// by typing "/" and the shortcut (agent-canned.js).

import { api } from "./api.js";
import { h } from "./dom.js";
import { formatDateTime, relativeTimeLong } from "./format.js";
import { toast } from "./toast.js";

const PATH = "/api/canned-responses";
const SHORTCUT_RE = /^[a-z0-9-]{1,32}$/;
const MAX_TITLE = 100;
const MAX_BODY_BYTES = 4096;
const FIELDS = [
  ["{customer}", "Customer's first name, or “there” when unknown"],
  ["{customer_full}", "Customer's full name"],
  ["{agent}", "Your agent's first name"],
  ["{skill}", "The conversation's skill"],
];

const bytes = (s) => new TextEncoder().encode(s).length;
const normalizeShortcut = (s) => s.trim().replace(/^\//, "").toLowerCase();

let nextId = 0;

export class CannedPanel {
  /** @param opts { token, onUnauthorized() } */
  constructor(root, { token, onUnauthorized }) {
    this.root = root;
    this.token = token;
    this.onUnauthorized = onUnauthorized ?? (() => {});
    this.items = [];
    this.editing = null; // null: form closed; {}: adding; an item: changing it
    this.confirming = null; // id of the item whose deletion is being confirmed
    this.query = "";
    const id = `canned-${++nextId}`;

    this.search = h("input", {
      class: "input canned-search",
      type: "search",
      id: `${id}-search`,
      placeholder: "Search shortcut, title or text",
      "aria-label": "Search canned responses",
      "data-testid": "canned-search",
      on: {
        input: () => {
          this.query = this.search.value;
          this.#renderList();
        },
      },
    });
    this.addButton = h("button", { type: "button", class: "button button--primary button--small", "data-testid": "canned-add", text: "New response", on: { click: () => this.edit({}) } });
    this.formSlot = h("div", { class: "canned-form-slot" });
    this.listBody = h("div", { class: "canned-list", "data-testid": "canned-list", "aria-live": "polite" });
    this.error = h("p", { class: "callout callout--error", role: "alert", hidden: true });

    root.replaceChildren(
      h(
        "div",
        { class: "review-head canned-head" },
        h(
          "div",
          {},
          h("h1", { id: `${id}-title`, class: "review-head__title", text: "Canned responses" }),
          h("p", { class: "review-head__sub" }, "Replies agents insert by typing ", h("kbd", { class: "canned-kbd", text: "/" }), " and the shortcut in the composer. Fields are filled for each conversation."),
        ),
        h("div", { class: "review-head__actions canned-head__actions" }, this.search, this.addButton),
      ),
      this.error,
      this.formSlot,
      h("div", { class: "card table-card" }, this.listBody),
    );
    root.setAttribute("aria-labelledby", `${id}-title`);
  }

  async #call(path, opts = {}) {
    try {
      return await api(path, { token: this.token, ...opts });
    } catch (err) {
      if (err.status === 401) this.onUnauthorized();
      throw err;
    }
  }

  async show() {
    this.listBody.replaceChildren(h("div", { class: "view-loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading canned responses…"));
    this.error.hidden = true;
    try {
      this.items = (await this.#call(PATH)).items ?? [];
    } catch (err) {
      this.listBody.replaceChildren();
      this.error.textContent = err.message || "Couldn't load the canned responses.";
      this.error.hidden = false;
      return;
    }
    this.#renderList();
  }

  // ---- the list -------------------------------------------------------------------------------

  #matching() {
    const q = normalizeShortcut(this.query);
    if (!q) return this.items;
    return this.items.filter((r) => r.shortcut.includes(q) || r.title.toLowerCase().includes(q) || r.body.toLowerCase().includes(q));
  }

  #renderList() {
    const items = this.#matching();
    if (!this.items.length) {
      this.listBody.replaceChildren(
        h("div", { class: "canned-empty" }, h("p", { text: "No canned responses yet." }), h("p", { class: "muted", text: "Add the replies your team writes again and again: a refund confirmation, a greeting, a wrap-up." })),
      );
      return;
    }
    if (!items.length) {
      this.listBody.replaceChildren(h("p", { class: "table-empty", text: `Nothing matches “${this.query.trim()}”.` }));
      return;
    }
    this.listBody.replaceChildren(h("ul", { class: "canned-items" }, items.map((r) => this.#row(r))));
  }

  #row(r) {
    const confirming = this.confirming === r.id;
    const when = r.updatedAt;
    const actions = confirming
      ? h(
          "div",
          { class: "canned-item__actions canned-item__confirm", role: "group", "aria-label": `Delete /${r.shortcut}?` },
          h("span", { class: "canned-item__ask", text: `Delete /${r.shortcut}?` }),
          h("button", { type: "button", class: "button button--small canned-danger", "data-testid": "canned-confirm-delete", text: "Delete", on: { click: () => this.#delete(r) } }),
          h("button", { type: "button", class: "button button--ghost button--small", text: "Keep", on: { click: () => this.#confirm(null) } }),
        )
      : h(
          "div",
          { class: "canned-item__actions" },
          h("button", { type: "button", class: "button button--secondary button--small", "data-testid": "canned-edit", "aria-label": `Edit /${r.shortcut}`, text: "Edit", on: { click: () => this.edit(r) } }),
          h("button", { type: "button", class: "button button--ghost button--small", "data-testid": "canned-delete", "aria-label": `Delete /${r.shortcut}`, text: "Delete", on: { click: () => this.#confirm(r.id) } }),
        );
    return h(
      "li",
      { class: `canned-item${this.editing?.id === r.id ? " is-editing" : ""}`, "data-testid": "canned-row", dataset: { id: r.id, shortcut: r.shortcut } },
      h(
        "div",
        { class: "canned-item__main" },
        h("div", { class: "canned-item__line" }, h("span", { class: "canned-item__shortcut", text: `/${r.shortcut}` }), h("span", { class: "canned-item__title", text: r.title })),
        h("p", { class: "canned-item__body", text: r.body }),
        h(
          "p",
          { class: "canned-item__meta" },
          "Updated ",
          h("time", { datetime: when, title: formatDateTime(when), text: relativeTimeLong(when) }),
          r.updatedByName ? ` by ${r.updatedByName}` : "",
        ),
      ),
      actions,
    );
  }

  #confirm(id) {
    this.confirming = id;
    this.#renderList();
    const row = id && this.listBody.querySelector(`[data-id="${CSS.escape(id)}"] [data-testid="canned-confirm-delete"]`);
    row?.focus();
  }

  async #delete(r) {
    try {
      await this.#call(`${PATH}/${encodeURIComponent(r.id)}`, { method: "DELETE" });
    } catch (err) {
      if (err.status !== 404) {
        toast(err.message || "Couldn't delete it.", { tone: "error" });
        return;
      }
    }
    this.items = this.items.filter((x) => x.id !== r.id);
    this.confirming = null;
    if (this.editing?.id === r.id) this.#closeForm();
    this.#renderList();
    toast(`Deleted /${r.shortcut}`, { tone: "success" });
    this.addButton.focus();
  }

  // ---- the form -------------------------------------------------------------------------------

  /** Opens the form for `item` (`{}` to add one). */
  edit(item) {
    this.editing = item;
    this.confirming = null;
    const adding = !item.id;
    const id = `canned-form-${++nextId}`;
    // `shown` is what goes in the form (the control, or a wrapper around it).
    const field = (name, label, control, help, shown = control) => {
      const error = h("p", { class: "field__error", id: `${id}-${name}-error`, hidden: true });
      control.id = `${id}-${name}`;
      control.name = name;
      control.setAttribute("aria-describedby", [help ? `${id}-${name}-help` : null, error.id].filter(Boolean).join(" "));
      control.addEventListener("input", () => this.#fieldError(name, null));
      const wrap = h("div", { class: `field canned-field canned-field--${name}` }, h("label", { for: control.id, text: label }), shown, help ? h("div", { class: "canned-field__help", id: `${id}-${name}-help` }, help) : null, error);
      this.fields[name] = { control, error, wrap };
      return wrap;
    };
    this.fields = {};
    const shortcut = h("input", { type: "text", class: "canned-shortcut__input", value: item.shortcut ?? "", autocomplete: "off", autocapitalize: "none", spellcheck: "false", maxLength: 40, "data-testid": "canned-shortcut" });
    shortcut.addEventListener("blur", () => {
      shortcut.value = normalizeShortcut(shortcut.value);
    });
    const title = h("input", { type: "text", value: item.title ?? "", maxLength: MAX_TITLE, autocomplete: "off", "data-testid": "canned-title" });
    const body = h("textarea", { class: "textarea canned-body", rows: 6, "data-testid": "canned-body" });
    body.value = item.body ?? "";
    const count = h("span", { class: "canned-count", "aria-live": "polite" });
    const updateCount = () => {
      const n = bytes(body.value.trim());
      count.textContent = `${n} / ${MAX_BODY_BYTES} bytes`;
      count.classList.toggle("is-over", n > MAX_BODY_BYTES);
    };
    body.addEventListener("input", updateCount);
    updateCount();
    const insertField = (f) => {
      body.focus();
      body.setRangeText(f, body.selectionStart, body.selectionEnd, "end");
      body.dispatchEvent(new Event("input", { bubbles: true }));
    };
    const chips = h(
      "span",
      { class: "canned-fields" },
      "Insert a field: ",
      FIELDS.map(([f, what]) => h("button", { type: "button", class: "canned-chip", title: what, "aria-label": `Insert ${f}: ${what}`, text: f, on: { click: () => insertField(f) } })),
    );
    this.formError = h("p", { class: "callout callout--error", role: "alert", hidden: true });
    const save = h("button", { type: "submit", class: "button button--primary button--small", "data-testid": "canned-save", text: adding ? "Add response" : "Save changes" });
    const form = h(
      "form",
      { class: "card canned-form", "data-testid": "canned-form", novalidate: true, "aria-labelledby": `${id}-title` },
      h("h2", { class: "card__title canned-form__title", id: `${id}-title`, text: adding ? "New canned response" : `Edit /${item.shortcut}` }),
      h(
        "div",
        { class: "canned-form__row" },
        field("shortcut", "Shortcut", shortcut, "Lowercase letters, digits and dashes; agents type it after /.", h("span", { class: "canned-shortcut" }, h("span", { class: "canned-shortcut__slash", "aria-hidden": "true", text: "/" }), shortcut)),
        field("title", "Title", title, "What the agent sees in the list."),
      ),
      field("body", "Text", body, h("span", { class: "canned-field__helprow" }, chips, count)),
      this.formError,
      h("div", { class: "canned-form__actions" }, h("button", { type: "button", class: "button button--ghost button--small", text: "Cancel", on: { click: () => this.#closeForm({ focusAdd: true }) } }), save),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#save(save);
    });
    form.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.#closeForm({ focusAdd: true });
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.#save(save);
      }
    });
    this.formSlot.replaceChildren(form);
    this.addButton.disabled = true;
    this.#renderList();
    shortcut.focus();
    form.scrollIntoView({ block: "nearest" });
  }

  #closeForm({ focusAdd = false } = {}) {
    this.editing = null;
    this.fields = {};
    this.formSlot.replaceChildren();
    this.addButton.disabled = false;
    this.#renderList();
    if (focusAdd) this.addButton.focus();
  }

  #fieldError(name, message) {
    const f = this.fields?.[name];
    if (!f) return;
    f.error.textContent = message ?? "";
    f.error.hidden = !message;
    if (message) f.control.setAttribute("aria-invalid", "true");
    else f.control.removeAttribute("aria-invalid");
    f.wrap.classList.toggle("is-invalid", !!message);
  }

  /** The checks the gateway makes, so most mistakes are shown before a request. */
  #check(draft) {
    const errors = {};
    if (!SHORTCUT_RE.test(draft.shortcut)) {
      errors.shortcut = draft.shortcut ? "Use 1 to 32 lowercase letters, digits or dashes (no spaces)." : "Give it a shortcut, like refund.";
    } else if (this.items.some((r) => r.shortcut === draft.shortcut && r.id !== this.editing?.id)) {
      errors.shortcut = `/${draft.shortcut} is already taken. Pick another shortcut.`;
    }
    if (!draft.title) errors.title = "Give it a title.";
    else if ([...draft.title].length > MAX_TITLE) errors.title = `Keep the title to ${MAX_TITLE} characters.`;
    if (!draft.body) errors.body = "Write the text agents will insert.";
    else if (bytes(draft.body) > MAX_BODY_BYTES) errors.body = `The text is over ${MAX_BODY_BYTES} bytes; shorten it.`;
    return errors;
  }

  async #save(button) {
    if (!this.editing || button.disabled) return;
    const f = this.fields;
    const draft = {
      shortcut: normalizeShortcut(f.shortcut.control.value),
      title: f.title.control.value.trim(),
      body: f.body.control.value.trim(),
    };
    f.shortcut.control.value = draft.shortcut;
    this.formError.hidden = true;
    const errors = this.#check(draft);
    for (const name of ["shortcut", "title", "body"]) this.#fieldError(name, errors[name] ?? null);
    const first = ["shortcut", "title", "body"].find((n) => errors[n]);
    if (first) {
      f[first].control.focus();
      return;
    }
    const editing = this.editing;
    button.disabled = true;
    let saved;
    try {
      saved = editing.id
        ? await this.#call(`${PATH}/${encodeURIComponent(editing.id)}`, { method: "PUT", body: draft })
        : await this.#call(PATH, { method: "POST", body: draft });
    } catch (err) {
      button.disabled = false;
      if (this.editing !== editing) return;
      const field = err.status === 409 ? "shortcut" : ["shortcut", "title", "body"].find((n) => (err.message ?? "").startsWith(n));
      if (err.status === 409) {
        this.#fieldError("shortcut", `/${draft.shortcut} is already taken. Pick another shortcut.`);
      } else if (field && (err.status === 400 || err.status === 413)) {
        this.#fieldError(field, capitalize(err.message));
      } else if (err.status === 404) {
        this.formError.textContent = "This response was deleted meanwhile. Add it again to keep it.";
        this.formError.hidden = false;
        this.editing = {};
        return;
      } else if (err.status !== 401) {
        this.formError.textContent = err.message || "Couldn't save it.";
        this.formError.hidden = false;
      }
      if (field) f[field].control.focus();
      return;
    }
    this.items = [...this.items.filter((r) => r.id !== saved.id), saved].sort((a, b) => a.shortcut.localeCompare(b.shortcut));
    this.#closeForm();
    toast(`${editing.id ? "Saved" : "Added"} /${saved.shortcut}`, { tone: "success" });
    this.listBody.querySelector(`[data-id="${CSS.escape(saved.id)}"] [data-testid="canned-edit"]`)?.focus();
  }
}

function capitalize(s) {
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
}

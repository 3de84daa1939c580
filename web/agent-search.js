// Search over the agent's conversations (GET /api/conversations?q=&tag=): words in the messages
// (chat or transcribed voice, as prefixes), the customer's name or e-mail, and `tag:name` for a
// tag. The gateway checks access first, so only conversations this agent may open come back.
// While a search is typed the results replace the inbox list; clearing it brings the inbox back.

import { api } from "./api.js";
import { h } from "./dom.js";
import { relativeTime, statusLabel } from "./format.js";
import { conversationHref } from "./agent-inbox.js";

const DEBOUNCE_MS = 300;

/** `"refund tag:vip late"` → { text: "refund late", tag: "vip" } (the last tag: wins). */
export function parseSearch(input) {
  let tag = null;
  const words = [];
  for (const part of String(input ?? "").trim().split(/\s+/)) {
    const m = part.match(/^tag:(.+)$/i);
    if (m) tag = m[1];
    else if (part) words.push(part);
  }
  return { text: words.join(" "), tag };
}

export class InboxSearch {
  /** @param panel the inbox panel; hides `hide` (list, filters, empty note) while searching */
  constructor(panel, { token, hide }) {
    this.token = token;
    this.hide = hide;
    this.timer = null;
    this.seq = 0;
    this.input = h("input", {
      type: "search",
      class: "inbox-search__input",
      placeholder: "Search: words, customer, tag:refund",
      "aria-label": "Search conversations",
      "data-testid": "inbox-search",
      maxlength: "200",
    });
    this.status = h("p", { class: "inbox-search__status", role: "status" });
    this.results = h("ul", { class: "inbox-list inbox-search__results", "aria-label": "Search results", hidden: true });
    this.el = h("div", { class: "inbox-search", role: "search" }, this.input);
    // A later sign-in builds a new search: the old one goes, with its listeners.
    for (const old of panel.querySelectorAll(":scope > .inbox-search, :scope > .inbox-search__status, :scope > .inbox-search__results")) old.remove();
    for (const el of hide) el.classList.remove("is-searching-hidden");
    panel.prepend(this.el);
    this.el.after(this.status);
    this.status.after(this.results);
    this.input.addEventListener("input", () => this.#schedule());
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.input.value) {
        e.preventDefault();
        this.input.value = "";
        this.#schedule(0);
      }
    });
  }

  get active() {
    return !!this.input.value.trim();
  }

  #schedule(delay = DEBOUNCE_MS) {
    clearTimeout(this.timer);
    if (this.active) this.status.textContent = "Searching…";
    this.timer = setTimeout(() => this.#run(), delay);
  }

  async #run() {
    const seq = ++this.seq;
    const { text, tag } = parseSearch(this.input.value);
    const searching = !!(text || tag);
    for (const el of this.hide) el.classList.toggle("is-searching-hidden", searching);
    this.results.hidden = !searching;
    if (!searching) {
      this.status.textContent = "";
      this.results.replaceChildren();
      return;
    }
    const params = new URLSearchParams({ limit: "50" });
    if (text) params.set("q", text);
    if (tag) params.set("tag", tag);
    this.status.textContent = "Searching…";
    try {
      const page = await api(`/api/conversations?${params}`, { token: this.token });
      if (seq !== this.seq) return;
      const found = page?.conversations ?? [];
      this.status.textContent = found.length ? `${found.length}${found.length === 50 ? "+" : ""} found` : "Nothing found";
      this.results.replaceChildren(...found.map((c) => this.#item(c)));
    } catch (err) {
      if (seq !== this.seq) return;
      this.status.textContent = err.message || "The search failed.";
      this.results.replaceChildren();
    }
  }

  #item(c) {
    return h(
      "li",
      { "data-testid": "search-result", dataset: { conversationId: c.conversationId } },
      h(
        "a",
        { class: "conv-item", href: conversationHref(c.conversationId) },
        h("span", { class: "conv-item__name" }, h("span", { class: "conv-item__name-text", text: c.customerName || "Visitor" })),
        h("span", { class: "conv-item__time", text: c.updatedAt ? relativeTime(c.updatedAt) : "" }),
        h("span", { class: "conv-item__preview", text: c.lastMessage?.replace(/\s+/g, " ") || "No messages yet" }),
        h(
          "span",
          { class: "conv-item__tags" },
          h("span", { class: `status-chip status--${c.status}`, text: statusLabel(c.status) }),
          ...(c.tags ?? []).map((t) => h("span", { class: "tag tag--label", title: "Tag", text: t })),
        ),
      ),
    );
  }
}

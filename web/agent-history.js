// The agent's "History" panel: a signed-in (verified) customer's earlier conversations with how
// each ended, who handled it, the rating and the briefing's summary; one click reads it. Fetched
// once per conversation opened; an anonymous customer has no panel (nothing links their visits).

import { h } from "./dom.js";
import { loadHistory, loadPast, pastList, showPast } from "./past-conversations.js";

export class CustomerHistoryPanels {
  /** @param opts { token, onUpdate(), onUnauthorized() } */
  constructor({ token, onUpdate, onUnauthorized }) {
    this.token = token;
    this.onUpdate = onUpdate;
    this.onUnauthorized = onUnauthorized;
    /** conversationId -> { state: "loading" | "ready" | "error", rows } */
    this.cache = new Map();
  }

  /** The panel for `model`, or null (anonymous customer). Starts the fetch the first time. */
  panel(model) {
    if (!model?.customer?.verified) return null;
    const id = model.conversationId;
    let entry = this.cache.get(id);
    if (!entry) {
      entry = { state: "loading", rows: [] };
      this.cache.set(id, entry);
      this.#fetch(id, entry);
    }
    const title = h("h3", { class: "panel__title", id: "panel-history", text: "History" });
    let body;
    if (entry.state === "loading") body = h("p", { class: "muted", text: "Loading earlier conversations…" });
    else if (entry.state === "error") body = h("p", { class: "muted", text: "Couldn't load earlier conversations." });
    else if (!entry.rows.length) body = h("p", { class: "muted", "data-testid": "history-empty", text: "First conversation with this customer." });
    else
      body = h(
        "div",
        {},
        h("p", { class: "history-count", "data-testid": "history-count", text: `${entry.rows.length} earlier conversation${entry.rows.length === 1 ? "" : "s"}` }),
        pastList(entry.rows, { staff: true, onOpen: (row) => this.#open(id, row) }),
      );
    return h("section", { class: "panel panel--history", "aria-labelledby": "panel-history", "data-testid": "history-panel" }, title, body);
  }

  async #fetch(id, entry) {
    try {
      const history = await loadHistory(id, this.token);
      entry.rows = history?.conversations ?? [];
      entry.state = "ready";
    } catch (err) {
      if (err?.status === 401) return this.onUnauthorized();
      entry.state = "error";
      // Try again next time the panel is drawn.
      setTimeout(() => this.cache.delete(id), 10_000);
    }
    this.onUpdate();
  }

  async #open(id, row) {
    const opener = document.activeElement;
    try {
      const past = await loadPast(id, row.conversationId, this.token);
      showPast(past, row, { viewer: "agent", returnFocus: opener });
    } catch (err) {
      if (err?.status === 401) this.onUnauthorized();
    }
  }
}

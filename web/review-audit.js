// The audit log: the latest manager accesses to review data (`GET /api/review/audit`).

import { h } from "./dom.js";
import { formatDateTime, humanize, relativeTimeLong } from "./format.js";

const ACTIONS = {
  "recording.read": "Played a recording",
  "review.view": "Opened a handoff",
  "review.list": "Listed handoffs",
  "review.aggregates": "Read the figures",
  "export.json": "Exported JSON",
  "export.vtt": "Exported WebVTT",
  "export.srt": "Exported SRT",
  "export.briefing": "Exported the briefing",
  "canned.created": "Added a canned response",
  "canned.updated": "Changed a canned response",
  "canned.deleted": "Deleted a canned response",
};

export class AuditPanel {
  /** @param opts { api, hrefFor(conversationId) } */
  constructor(root, { api, hrefFor }) {
    this.root = root;
    this.api = api;
    this.hrefFor = hrefFor;
  }

  async show() {
    this.root.replaceChildren(h("div", { class: "view-loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading the audit log…"));
    let items;
    try {
      items = (await this.api.audit(100)).items ?? [];
    } catch (err) {
      this.root.replaceChildren(h("p", { class: "callout callout--error card__empty", role: "alert", text: err.message || "Couldn't load the audit log." }));
      return;
    }
    if (!items.length) {
      this.root.replaceChildren(h("p", { class: "table-empty", text: "Nothing in the audit log yet." }));
      return;
    }
    const head = h("tr", {}, ["When", "Who", "What", "Handoff", "Detail", "Address"].map((t) => h("th", { scope: "col", text: t })));
    const rows = items.map((e) =>
      h(
        "tr",
        { "data-testid": "audit-row" },
        h("td", {}, h("time", { datetime: e.at, title: formatDateTime(e.at), text: relativeTimeLong(e.at) })),
        h("td", { text: e.username }),
        h("td", {}, h("span", { class: "audit-action", title: e.action, text: ACTIONS[e.action] ?? humanize(e.action) })),
        h("td", {}, e.conversationId ? h("a", { class: "mono", href: this.hrefFor(e.conversationId), text: short(e.conversationId) }) : h("span", { class: "muted", text: "—" })),
        h("td", { class: "mono audit-detail", text: e.detail || "" }),
        h("td", { class: "mono muted", text: e.ip || "" }),
      ),
    );
    this.root.replaceChildren(h("div", { class: "table-scroll" }, h("table", { class: "data-table data-table--audit" }, h("thead", {}, head), h("tbody", {}, rows))));
  }
}

function short(id) {
  const s = String(id);
  return s.length > 13 ? `${s.slice(0, 8)}…` : s;
}

// The handoff list: one page (50 rows) of `GET /api/review/handoffs`, sortable by any column on
// the page, with a pager. Only the current page is ever in the DOM. A row opens the handoff.

import { h } from "./dom.js";
import { formatDateTime, humanize } from "./format.js";

const rowDate = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
import { ms, scoreBadge, stars, triggerLabel } from "./review-format.js";

export const PAGE_SIZE = 50;

const dash = () => h("span", { class: "muted", text: "—" });

/** [key, header, value for sorting, cell, { num }] */
const COLUMNS = [
  ["escalatedAt", "Escalated", (m) => Date.parse(m.escalatedAt) || 0, (m) => h("time", { datetime: m.escalatedAt, title: formatDateTime(m.escalatedAt), text: Number.isFinite(Date.parse(m.escalatedAt)) ? rowDate.format(new Date(m.escalatedAt)) : "" })],
  ["customer", "Customer", (m) => (m.customerName || "").toLowerCase(), null],
  ["agent", "Agent", (m) => (m.agentName || "").toLowerCase(), (m) => (m.agentName ? [m.agentName, m.agentsInvolved > 1 ? h("span", { class: "cell-extra", title: `${m.agentsInvolved} agents joined`, text: ` +${m.agentsInvolved - 1}` }) : null] : dash())],
  ["skill", "Skill", (m) => m.skill || "", (m) => h("span", { class: "tag", text: humanize(m.skill) })],
  ["trigger", "Trigger", (m) => m.trigger || "", (m) => triggerLabel(m.trigger)],
  ["queueWait", "Queue wait", (m) => m.durations?.queueWaitMs ?? Infinity, (m) => ms(m.durations?.queueWaitMs), { num: true }],
  ["firstResponse", "1st reply", (m) => m.durations?.firstResponseMs ?? Infinity, (m) => ms(m.durations?.firstResponseMs), { num: true }],
  ["resolution", "Resolution", (m) => m.durations?.resolutionMs ?? Infinity, (m) => (m.resolvedAt ? ms(m.durations?.resolutionMs) : h("span", { class: "status-chip status--with_agent", text: "Open" })), { num: true }],
  ["contextScore", "Context", (m) => m.contextScore ?? -1, (m) => scoreBadge(m.contextScore, { testid: "row-score" }), { num: true }],
  ["repeatAsks", "Repeats", (m) => m.repeatAsks?.length ?? 0, (m) => repeatCell(m.repeatAsks?.length ?? 0), { num: true }],
  ["customerRating", "Rating", (m) => m.customerRating?.score ?? -1, (m) => customerCell(m.customerRating)],
  ["briefingRating", "Briefing", (m) => meanBriefing(m) ?? -1, (m) => (meanBriefing(m) != null ? stars(meanBriefing(m), { label: "Briefing rating" }) : dash())],
];

export class HandoffList {
  /**
   * @param els { summary, error, head, body, empty, range, prev, next, csv }
   * @param opts { api, hrefFor(id), onPage(offset), onDownload(path, name) }
   */
  constructor(els, { api, hrefFor, onPage, onDownload }) {
    this.els = els;
    this.api = api;
    this.hrefFor = hrefFor;
    this.onPage = onPage;
    this.sort = { key: "escalatedAt", dir: -1 };
    this.items = [];
    this.total = 0;
    this.offset = 0;
    this.load = 0;
    this.#renderHead();
    els.prev.addEventListener("click", () => this.onPage(Math.max(0, this.offset - PAGE_SIZE)));
    els.next.addEventListener("click", () => this.onPage(this.offset + PAGE_SIZE));
    els.csv.addEventListener("click", () => onDownload(this.api.handoffsCsvPath(this.filters), `handoffs-${this.filters.from}-${this.filters.to}.csv`));
    els.body.addEventListener("click", (e) => {
      if (e.target.closest("a")) return; // the link navigates itself
      const row = e.target.closest("tr[data-conversation-id]");
      if (row) location.hash = this.hrefFor(row.dataset.conversationId);
    });
  }

  async show(filters, offset = 0) {
    this.filters = filters;
    this.offset = offset;
    const load = ++this.load;
    this.els.error.hidden = true;
    this.els.body.classList.add("is-loading");
    if (!this.items.length) this.els.summary.textContent = "Loading…";
    try {
      const res = await this.api.handoffs(filters, { limit: PAGE_SIZE, offset });
      if (load !== this.load) return;
      this.items = res.items ?? [];
      this.total = res.total ?? this.items.length;
    } catch (err) {
      if (load !== this.load) return;
      this.items = [];
      this.total = 0;
      this.els.error.textContent = err.message || "Couldn't load the handoffs.";
      this.els.error.hidden = false;
    } finally {
      if (load === this.load) this.els.body.classList.remove("is-loading");
    }
    this.#render();
  }

  #renderHead() {
    const row = h("tr", {});
    for (const [key, label, , , opts] of COLUMNS) {
      const active = this.sort.key === key;
      row.append(
        h(
          "th",
          { scope: "col", class: opts?.num ? "is-num" : null, "aria-sort": active ? (this.sort.dir > 0 ? "ascending" : "descending") : null },
          h(
            "button",
            {
              type: "button",
              class: "th-sort",
              dataset: { sort: key },
              on: {
                click: () => {
                  this.sort = { key, dir: active ? -this.sort.dir : key === "customer" || key === "agent" || key === "skill" || key === "trigger" ? 1 : -1 };
                  this.#renderHead();
                  this.#renderRows();
                },
              },
            },
            label,
            h("span", { class: "th-sort__icon", "aria-hidden": "true", text: active ? (this.sort.dir > 0 ? "▲" : "▼") : "" }),
          ),
        ),
      );
    }
    this.els.head.replaceChildren(row);
  }

  #render() {
    const { total, offset, items } = this;
    const last = offset + items.length;
    this.els.summary.textContent = total ? `${total} handoff${total === 1 ? "" : "s"} · newest escalation first` : "No handoffs";
    this.els.range.textContent = items.length ? `${offset + 1}–${last} of ${total}` : "";
    this.els.prev.disabled = offset <= 0;
    this.els.next.disabled = last >= total;
    this.els.empty.hidden = items.length > 0 || !this.els.error.hidden;
    this.#renderRows();
  }

  #renderRows() {
    const col = COLUMNS.find((c) => c[0] === this.sort.key) ?? COLUMNS[0];
    const value = col[2];
    const dir = this.sort.dir;
    const rows = [...this.items].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    });
    const frag = document.createDocumentFragment();
    for (const m of rows) frag.append(this.#row(m));
    this.els.body.replaceChildren(frag);
  }

  #row(m) {
    const tr = h("tr", { dataset: { conversationId: m.conversationId }, "data-testid": "handoff-row", class: (m.repeatAsks?.length ?? 0) > 0 ? "has-repeat" : null });
    for (const [key, , , cell, opts] of COLUMNS) {
      const content =
        key === "customer"
          ? h("a", { class: "row-link", href: this.hrefFor(m.conversationId), text: m.customerName || "Visitor" }, m.hadCall ? h("span", { class: "tag tag--voice row-call", title: "A call was held", text: "Call" }) : null)
          : cell(m);
      tr.append(h("td", { class: opts?.num ? "is-num" : null, dataset: { col: key } }, content));
    }
    return tr;
  }
}

function repeatCell(n) {
  if (!n) return h("span", { class: "muted", text: "0" });
  return h("span", { class: "repeat-count", title: `${n} time${n === 1 ? "" : "s"} the agent asked for something already known`, text: `⚠ ${n}` });
}

function customerCell(r) {
  if (!r) return dash();
  return h(
    "span",
    { class: "rating-cell" },
    stars(r.score, { label: "Customer rating" }),
    r.repeated ? h("span", { class: "repeat-flag", title: "Said they had to repeat themselves", "aria-label": "Had to repeat themselves", text: "↻" }) : null,
  );
}

function meanBriefing(m) {
  const list = m.briefingRatings ?? [];
  if (!list.length) return null;
  return list.reduce((a, r) => a + r.score, 0) / list.length;
}

// The overview: headline figures for the filtered handoffs, then the charts a manager reads at a
// glance (handoffs per day with the mean context score, median queue wait per day, and a
// breakdown by agent, skill or trigger). Data: `GET /api/review/aggregates?by=…`.

import { h } from "./dom.js";
import { humanize } from "./format.js";
import { barLineChart, hbarChart, lineChart, mountChart } from "./review-charts.js";
import { dayLabel, formatScore, ms, scoreLevel, share, triggerLabel } from "./review-format.js";

/** Axis steps for durations: 5s … 1h. */
const DURATION_STEPS = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((s) => s * 1000);

export class Overview {
  /**
   * @param els { range, error, figures, daily, wait, breakdown, breakdownBy, csv, breakdownCsv }
   * @param opts { api, onDownload(path, name) }
   */
  constructor(els, { api, onDownload }) {
    this.els = els;
    this.api = api;
    this.onDownload = onDownload;
    this.filters = null;
    this.by = "agent";
    this.load = 0;
    this.unmount = [];
    for (const btn of els.breakdownBy.querySelectorAll("[data-by]")) {
      btn.addEventListener("click", () => {
        this.by = btn.dataset.by;
        this.#renderByButtons();
        this.#loadBreakdown();
      });
    }
    els.csv.addEventListener("click", () => this.onDownload(this.api.aggregatesCsvPath(this.filters, "day"), `handoffs-by-day-${this.filters.from}-${this.filters.to}.csv`));
    els.breakdownCsv.addEventListener("click", () => this.onDownload(this.api.aggregatesCsvPath(this.filters, this.by), `handoffs-by-${this.by}-${this.filters.from}-${this.filters.to}.csv`));
  }

  async show(filters) {
    this.filters = filters;
    const load = ++this.load;
    this.els.error.hidden = true;
    this.els.range.textContent = `${dayLabel(filters.from, { month: "short", day: "numeric", year: "numeric" })} – ${dayLabel(filters.to, { month: "short", day: "numeric", year: "numeric" })}`;
    this.#loading();
    try {
      const daily = await this.api.aggregates(filters, "day");
      if (load !== this.load) return;
      this.#figures(daily.overall);
      this.#daily(daily.groups ?? [], filters);
    } catch (err) {
      if (load !== this.load) return;
      this.els.error.textContent = err.message || "Couldn't load the figures.";
      this.els.error.hidden = false;
      this.els.figures.replaceChildren();
      this.els.daily.replaceChildren();
      this.els.wait.replaceChildren();
    }
    this.#renderByButtons();
    this.#loadBreakdown();
  }

  #loading() {
    const spin = () => h("div", { class: "chart-loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading…");
    if (!this.els.figures.childElementCount) this.els.figures.replaceChildren(spin());
    for (const el of [this.els.daily, this.els.wait]) if (!el.childElementCount) el.replaceChildren(spin());
  }

  // ---- headline figures ---------------------------------------------------------------------

  #figures(o) {
    const a = o ?? {};
    const n = a.handoffs ?? 0;
    const level = scoreLevel(a.meanContextScore);
    const figures = [
      ["handoffs", "Handoffs", String(n), `${a.resolved ?? 0} resolved`],
      ["queue-wait", "Median queue wait", ms(a.medianQueueWaitMs), a.p90QueueWaitMs != null ? `p90 ${ms(a.p90QueueWaitMs)}` : "No agent joined yet"],
      ["first-response", "Median first response", ms(a.medianFirstResponseMs), a.medianOfferReadMs != null || a.medianBriefingReadMs != null ? `Offer read ${ms(a.medianOfferReadMs)} · briefing read ${ms(a.medianBriefingReadMs)}` : "After the introduction"],
      ["context-score", "Mean context score", a.meanContextScore != null ? formatScore(a.meanContextScore) : "—", `${a.repeatAsks ?? 0} repeat asks in ${a.handoffsWithRepeatAsks ?? 0} handoffs`, `is-${level}`],
      ["customer-rating", "Customer rating", a.meanCustomerScore != null ? `${formatScore(a.meanCustomerScore)} / 5` : "—", plural(a.customerRatings ?? 0, "rating")],
      ["repeated", "Had to repeat themselves", share(a.repeatedShare), a.customerRatings ? `of ${plural(a.customerRatings, "rated handoff")}` : "No ratings yet", a.repeatedShare > 0.25 ? "is-poor" : ""],
      ["briefing-rating", "Briefing rating", a.meanBriefingScore != null ? `${formatScore(a.meanBriefingScore)} / 5` : "—", plural(a.briefingRatings ?? 0, "agent rating")],
      ["unnecessary", "Unnecessary escalations", String(a.unnecessary ?? 0), n ? `${share((a.unnecessary ?? 0) / n)} · the assistant had the answer` : "—", a.unnecessary ? "is-fair" : ""],
    ];
    this.els.figures.replaceChildren(
      ...figures.map(([key, label, value, sub, cls]) =>
        h(
          "div",
          { class: `figure ${cls ?? ""}`, "data-testid": `figure-${key}` },
          h("span", { class: "figure__label", text: label }),
          h("span", { class: "figure__value", "data-testid": `figure-${key}-value`, text: value }),
          h("span", { class: "figure__sub", text: sub }),
        ),
      ),
    );
  }

  // ---- per day ------------------------------------------------------------------------------

  #daily(groups, f) {
    const byKey = new Map(groups.map((g) => [g.key, g]));
    const days = eachDay(f.from, f.to);
    const items = days.map((d) => ({ key: d, g: byKey.get(d) }));
    const short = days.length <= 10 ? { weekday: "short", day: "numeric" } : { month: "short", day: "numeric" };
    for (const off of this.unmount.splice(0)) off();
    if (!groups.length) {
      const empty = () => h("p", { class: "chart-empty", text: "No handoffs in this range." });
      this.els.daily.replaceChildren(empty());
      this.els.wait.replaceChildren(empty());
      return;
    }
    this.unmount.push(
      mountChart(this.els.daily, (w) =>
        barLineChart(
          w,
          items.map(({ key, g }) => ({ label: dayLabel(key, short), title: dayLabel(key, { weekday: "short", month: "short", day: "numeric" }), bar: g?.handoffs ?? 0, line: g?.meanContextScore ?? null })),
          { label: "Handoffs per day, with the mean context score" },
        ),
      ),
      mountChart(this.els.wait, (w) =>
        lineChart(
          w,
          items.map(({ key, g }) => ({ label: dayLabel(key, short), title: dayLabel(key, { weekday: "short", month: "short", day: "numeric" }), value: g?.medianQueueWaitMs ?? null })),
          { format: (v) => ms(v), name: "Median queue wait", label: "Median queue wait per day", steps: DURATION_STEPS },
        ),
      ),
    );
  }

  // ---- breakdown ----------------------------------------------------------------------------

  #renderByButtons() {
    for (const btn of this.els.breakdownBy.querySelectorAll("[data-by]")) btn.setAttribute("aria-pressed", String(btn.dataset.by === this.by));
  }

  async #loadBreakdown() {
    const load = this.load;
    const by = this.by;
    this.breakdownOff?.();
    try {
      const res = await this.api.aggregates(this.filters, by);
      if (load !== this.load || by !== this.by) return;
      const groups = [...(res.groups ?? [])].sort((a, b) => (b.handoffs ?? 0) - (a.handoffs ?? 0));
      if (!groups.length) {
        this.els.breakdown.replaceChildren(h("p", { class: "chart-empty", text: "No handoffs in this range." }));
        return;
      }
      const name = (g) => (by === "trigger" ? triggerLabel(g.key) : by === "skill" ? humanize(g.label || g.key) : g.label || g.key);
      this.breakdownOff = mountChart(this.els.breakdown, (w) =>
        hbarChart(
          w,
          groups.map((g) => ({
            label: name(g),
            value: g.handoffs ?? 0,
            valueText: `${g.handoffs ?? 0}`,
            figures: [
              { text: g.meanContextScore != null ? String(Math.round(g.meanContextScore)) : "—", cls: `chart__figure--${scoreLevel(g.meanContextScore)}`, title: "Mean context score" },
              { text: ms(g.medianQueueWaitMs), title: "Median queue wait" },
              { text: g.meanCustomerScore != null ? `${formatScore(g.meanCustomerScore)} ★` : "—", title: "Mean customer rating" },
            ],
          })),
          { columns: ["Context", "Queue wait", "Rating"], figuresWidth: 270, labelWidth: 160, label: `Handoffs by ${by}` },
        ),
      );
    } catch (err) {
      if (load !== this.load) return;
      this.els.breakdown.replaceChildren(h("p", { class: "chart-empty", text: err.message || "Couldn't load the breakdown." }));
    }
  }
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Every day from `from` to `to` (inclusive) as YYYY-MM-DD, at most a year of them. */
export function eachDay(from, to) {
  const out = [];
  const [y, m, d] = from.split("-").map(Number);
  const cur = new Date(y, m - 1, d);
  for (let i = 0; i < 366; i++) {
    const key = `${cur.getFullYear()}-${String(cur.getMonth() + 1).padStart(2, "0")}-${String(cur.getDate()).padStart(2, "0")}`;
    if (key > to) break;
    out.push(key);
    cur.setDate(cur.getDate() + 1);
  }
  return out;
}

// The filter bar shared by the overview and the handoff list, and the filters' place in the URL
// (`#/overview?from=…&to=…&agent=…`), so a filtered view can be linked and "back" keeps it.

import { h } from "./dom.js";
import { humanize } from "./format.js";
import { isoDay, triggerLabel } from "./review-format.js";

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** The last 7 days, today included. */
export function defaultFilters(now = new Date()) {
  const from = new Date(now);
  from.setDate(from.getDate() - 6);
  return { from: isoDay(from), to: isoDay(now), agent: "", skill: "", trigger: "", repeatAsks: false, maxScore: "" };
}

export function filtersFromParams(params) {
  const f = defaultFilters();
  const day = (k) => (DAY_RE.test(params.get(k) ?? "") ? params.get(k) : null);
  f.from = day("from") ?? f.from;
  f.to = day("to") ?? f.to;
  f.agent = params.get("agent") ?? "";
  f.skill = params.get("skill") ?? "";
  f.trigger = params.get("trigger") ?? "";
  f.repeatAsks = params.get("repeatAsks") === "true";
  const max = Number(params.get("maxScore"));
  f.maxScore = params.has("maxScore") && Number.isFinite(max) ? String(max) : "";
  return f;
}

/** The filters (and extra keys such as the list's offset) as a query string for the hash. */
export function filtersToParams(f, extra = {}) {
  const q = new URLSearchParams();
  for (const k of ["from", "to", "agent", "skill", "trigger", "maxScore"]) if (f[k]) q.set(k, f[k]);
  if (f.repeatAsks) q.set("repeatAsks", "true");
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null && v !== "" && v !== 0) q.set(k, String(v));
  return q.toString();
}

export class FilterBar {
  /**
   * @param els { form, from, to, agent, skill, trigger, repeat, score, reset, summary }
   * @param opts { onChange(filters) }
   */
  constructor(els, { onChange }) {
    this.els = els;
    this.onChange = onChange;
    this.state = defaultFilters();
    const changed = () => this.#emit();
    for (const el of [els.from, els.to, els.agent, els.skill, els.trigger, els.repeat, els.score]) el.addEventListener("change", changed);
    els.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#emit();
    });
    els.reset.addEventListener("click", () => {
      this.set(defaultFilters());
      this.#emit();
    });
    for (const btn of els.form.querySelectorAll("[data-range]")) {
      btn.addEventListener("click", () => {
        const days = Number(btn.dataset.range);
        const to = new Date();
        const from = new Date();
        from.setDate(from.getDate() - (days - 1));
        els.from.value = isoDay(from);
        els.to.value = isoDay(to);
        this.#emit();
      });
    }
  }

  /** Fills the agent, skill and trigger choices from `GET /api/review/filters`. */
  setOptions({ agents = [], skills = [], triggers = [] } = {}) {
    fill(this.els.agent, "All agents", agents.map((a) => [a.id, a.name || a.id]));
    fill(this.els.skill, "All skills", skills.map((x) => [x, humanize(x)]));
    fill(this.els.trigger, "All triggers", triggers.map((x) => [x, triggerLabel(x)]));
    this.set(this.state);
  }

  set(f) {
    this.state = { ...f };
    const { els } = this;
    els.from.value = f.from;
    els.to.value = f.to;
    ensureOption(els.agent, f.agent);
    ensureOption(els.skill, f.skill);
    ensureOption(els.trigger, f.trigger);
    els.agent.value = f.agent;
    els.skill.value = f.skill;
    els.trigger.value = f.trigger;
    els.repeat.checked = !!f.repeatAsks;
    els.score.value = f.maxScore || "";
    for (const btn of els.form.querySelectorAll("[data-range]")) {
      btn.setAttribute("aria-pressed", String(rangeDays(f) === Number(btn.dataset.range) && f.to === isoDay(new Date())));
    }
  }

  #read() {
    const { els } = this;
    let from = DAY_RE.test(els.from.value) ? els.from.value : this.state.from;
    let to = DAY_RE.test(els.to.value) ? els.to.value : this.state.to;
    if (from > to) [from, to] = [to, from];
    return {
      from,
      to,
      agent: els.agent.value,
      skill: els.skill.value,
      trigger: els.trigger.value,
      repeatAsks: els.repeat.checked,
      maxScore: els.score.value,
    };
  }

  #emit() {
    const f = this.#read();
    this.set(f);
    this.onChange(f);
  }
}

function rangeDays(f) {
  const a = Date.parse(`${f.from}T00:00:00`);
  const b = Date.parse(`${f.to}T00:00:00`);
  return Number.isFinite(a) && Number.isFinite(b) ? Math.round((b - a) / 86_400_000) + 1 : 0;
}

function fill(select, allLabel, pairs) {
  const value = select.value;
  select.replaceChildren(h("option", { value: "", text: allLabel }), ...pairs.map(([v, t]) => h("option", { value: v, text: t })));
  select.value = value;
}

/** A filter from a link may name an option the list does not have (yet): keep it selectable. */
function ensureOption(select, value) {
  if (!value || [...select.options].some((o) => o.value === value)) return;
  select.append(h("option", { value, text: humanize(value) }));
}

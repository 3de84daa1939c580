// One agent briefing, laid out for progressive disclosure (used by offer cards and the details
// panel): the 5-second read (trigger, summary, mood now and at its worst, time pressure and time
// spent, what the customer expects) is always shown;
// the 30-second read ("Details": course, attempts, background, facts not to ask again, next
// actions) and the diagnostics ("Technical") sit behind disclosure toggles; then how complete the
// context is. All customer-derived text goes in as text nodes.

import { h } from "./dom.js";
import { humanize, percent, sentimentLabel, urgencyLabel } from "./format.js";

const OUTCOMES = {
  failed: { icon: "✕", label: "Failed" },
  partially_worked: { icon: "◐", label: "Partly worked" },
  worked: { icon: "✓", label: "Worked" },
  unknown: { icon: "?", label: "Outcome unknown" },
};

const TRENDS = { improving: "improving", steady: "steady", worsening: "getting worse" };

export function urgencyBadge(urgency, { short = false } = {}) {
  const u = urgency || "medium";
  return h("span", { class: `urgency urgency--${u}`, text: short ? urgencyLabel(u) : `${urgencyLabel(u)} urgency` });
}

/** The whole briefing. `state` ({ details, technical }) remembers which disclosures are open. */
export function renderBriefing(b, { state = {}, showTrigger = true } = {}) {
  return h("div", { class: "brief" }, briefingGlance(b, { showTrigger }), briefingDisclosures(b, state));
}

/** The 5-second read. */
export function briefingGlance(b, { showTrigger = true } = {}) {
  const e = b?.escalation ?? {};
  return h(
    "div",
    { class: "brief-glance" },
    handover(b?.transfer),
    showTrigger && e.trigger ? line("Trigger", humanize(e.trigger)) : null,
    b?.summary ? h("p", { class: "brief-summary", text: b.summary }) : null,
    b?.writtenBy ? h("p", { class: "brief-written muted", text: `Written by ${b.writtenBy} from the facts below` }) : null,
    emotion(b?.emotionalState),
    pressure(b?.timePressure, b?.timeSpent),
    e.customerExpectation ? line("Expects", humanize(e.customerExpectation)) : null,
  );
}

/** A colleague handing the conversation over: who, and their note, above everything else. */
function handover(t) {
  if (!t?.fromAgentName) return null;
  return h(
    "div",
    { class: "brief-handover" },
    h("span", { class: "brief-handover__from", text: `Handed over by ${t.fromAgentName}${t.skill ? ` · to ${humanize(t.skill).toLowerCase()}` : ""}` }),
    t.note ? h("p", { class: "brief-handover__note", text: t.note }) : h("p", { class: "brief-handover__note muted", text: "No note; the conversation with them is in the thread." }),
  );
}

const PRESSURE = { deadline: "Deadline", stakes: "At stake", recurrence: "Recurring" };

/** Deadlines, stakes and recurrence as chips (the customer's sentence on hover), and time spent. */
function pressure(facts, spent) {
  const items = (facts ?? []).filter((f) => f?.text);
  if (!items.length && !spent?.text) return null;
  return h(
    "div",
    { class: "brief-pressure" },
    items.map((f) =>
      h(
        "span",
        { class: `pressure pressure--${PRESSURE[f.kind] ? f.kind : "stakes"}`, title: f.quote || f.text },
        h("span", { class: "pressure__kind", text: PRESSURE[f.kind] ?? "Pressure" }),
        h("span", { text: f.text }),
      ),
    ),
    spent?.text
      ? h(
          "span",
          { class: "pressure pressure--spent", title: spent.stated ? "In the customer's words" : "Measured from this conversation" },
          h("span", { class: "pressure__kind", text: "At it for" }),
          h("span", { text: spent.stated ? `${spent.text} (their words)` : spent.text }),
        )
      : null,
  );
}

/** "Details", "Technical" and the completeness score. */
export function briefingDisclosures(b, state = {}) {
  const technical = technicalBody(b?.technical);
  return [
    disclosure("Details", "course, attempts, known facts, next steps", detailBody(b), state, "details"),
    technical ? disclosure("Technical", "errors, codes, links, ids", technical, state, "technical") : null,
    completeness(b?.completeness),
  ];
}

function line(label, value) {
  return h("p", { class: "brief-line" }, h("span", { class: "brief-label", text: label }), h("span", { text: value }));
}

function emotion(es) {
  if (!es?.label) return null;
  const peak = es.peak && es.peak !== es.label ? ` · was ${sentimentLabel(es.peak).toLowerCase()}` : "";
  const trend = es.trend ? ` · ${TRENDS[es.trend] ?? humanize(es.trend)}${peak}` : peak;
  return h(
    "div",
    { class: `brief-emotion sentiment--${es.label}` },
    h("span", { class: "dot", "aria-hidden": "true" }),
    h(
      "span",
      { class: "brief-emotion__text" },
      h("span", { class: "brief-emotion__label", text: `${sentimentLabel(es.label)}${trend}` }),
      es.note ? h("span", { class: "brief-emotion__note", text: es.note }) : null,
    ),
  );
}

function disclosure(title, hint, body, state, key) {
  const d = h(
    "details",
    { class: "brief-more", open: !!state[key] },
    h("summary", { class: "brief-more__summary" }, h("span", { class: "brief-more__title", text: title }), h("span", { class: "brief-more__hint", text: hint })),
    h("div", { class: "brief-more__body" }, body),
  );
  d.addEventListener("toggle", () => {
    state[key] = d.open;
  });
  return d;
}

function section(title, content) {
  if (!content) return null;
  return h("section", { class: "brief-section" }, h("h4", { class: "brief-section__title", text: title }), content);
}

function list(items, { ordered = false, cls = "brief-list" } = {}) {
  const clean = (items ?? []).filter((x) => x != null && String(x).trim());
  if (!clean.length) return null;
  return h(ordered ? "ol" : "ul", { class: cls }, clean.map((x) => h("li", { text: String(x) })));
}

function detailBody(b) {
  const d = b?.detail ?? {};
  const parts = [
    section("Don't ask again", facts(b?.knownFacts)),
    section("Next actions", list(b?.nextActions, { ordered: true, cls: "brief-list brief-list--next" })),
    section("What was tried", attempts(d.attempts)),
    section("How it went", list(d.course, { ordered: true })),
    section("Background", list(d.background)),
  ].filter(Boolean);
  return parts.length ? parts : h("p", { class: "muted", text: "No further detail yet." });
}

function facts(list) {
  const items = (list ?? []).filter((f) => f?.value);
  if (!items.length) return null;
  return h(
    "dl",
    { class: "brief-facts" },
    items.map((f) => [h("dt", { text: humanize(f.kind) }), h("dd", { text: f.value })]),
  );
}

function attempts(list) {
  const items = (list ?? []).filter((a) => a?.action);
  if (!items.length) return null;
  return h(
    "ul",
    { class: "brief-attempts" },
    items.map((a) => {
      const o = OUTCOMES[a.outcome] ?? OUTCOMES.unknown;
      const byCustomer = a.source === "customer";
      return h(
        "li",
        { class: `attempt attempt--${OUTCOMES[a.outcome] ? a.outcome : "unknown"}` },
        h("span", { class: "attempt__icon", "aria-hidden": "true", text: o.icon }),
        h("span", { class: `attempt__who attempt__who--${byCustomer ? "customer" : "ai"}`, text: byCustomer ? "Customer" : "AI" }),
        h(
          "span",
          { class: "attempt__action", title: byCustomer ? a.description || a.action : a.action },
          byCustomer ? a.action : humanize(a.action),
          a.result ? h("span", { class: "attempt__result", text: ` — “${a.result}”` }) : null,
        ),
        h("span", { class: "attempt__outcome", text: o.label }),
      );
    }),
  );
}

function technicalBody(t) {
  if (!t) return null;
  const codes = (items) => {
    const clean = (items ?? []).filter(Boolean);
    return clean.length ? h("ul", { class: "brief-codes" }, clean.map((x) => h("li", { class: "mono", text: x }))) : null;
  };
  const device = [
    t.browser ? ["Browser", t.browser] : null,
    t.device ? ["Device", t.device] : null,
  ].filter(Boolean);
  const parts = [
    section("Error messages", list(t.errorMessages, { cls: "brief-list brief-list--quote" })),
    section("Codes", codes(t.codes)),
    section("Links", codes(t.urls)),
    section("IDs", codes(t.ids)),
    device.length
      ? section("Environment", h("dl", { class: "brief-facts" }, device.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])))
      : null,
  ].filter(Boolean);
  return parts.length ? parts : null;
}

function completeness(c) {
  if (!c || typeof c.score !== "number") return null;
  const score = Math.max(0, Math.min(1, c.score));
  const level = score >= 0.8 ? "good" : score >= 0.5 ? "mid" : "low";
  const missing = (c.missing ?? []).filter(Boolean);
  return h(
    "div",
    { class: `brief-complete is-${level}` },
    h(
      "div",
      { class: "brief-complete__head" },
      h("span", { class: "brief-label", text: "Context" }),
      h("span", { class: "brief-complete__score", text: `${percent(score)} complete` }),
    ),
    h(
      "span",
      { class: "bar", role: "meter", "aria-label": "Briefing completeness", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(Math.round(score * 100)) },
      h("span", { class: "bar__fill", style: `width:${Math.round(score * 100)}%` }),
    ),
    missing.length ? h("p", { class: "brief-complete__missing" }, h("span", { class: "brief-label", text: "Missing" }), missing.join(" · ")) : null,
  );
}

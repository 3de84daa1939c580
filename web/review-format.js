// Formatting for the review page: durations in milliseconds, the call clock, context scores,
// star ratings and the labels of triggers, fact origins and necessity reasons.

import { h } from "./dom.js";
import { humanize } from "./format.js";

/** 850 → "0.9s", 42_000 → "42s", 185_000 → "3m 5s", 3_900_000 → "1h 5m"; "—" when unknown. */
export function ms(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  const v = Math.max(0, value);
  if (v < 10_000) return `${(v / 1000).toFixed(1)}s`;
  const s = Math.round(v / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const hours = Math.floor(m / 60);
  return m % 60 ? `${hours}h ${m % 60}m` : `${hours}h`;
}

/** A position on the call clock: 83_400 → "01:23" (h:mm:ss past an hour). */
export function clock(msValue) {
  const s = Math.max(0, Math.floor((Number(msValue) || 0) / 1000));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** The context score's band: good (≥ 85), fair (≥ 60), poor. */
export function scoreLevel(score) {
  if (typeof score !== "number" || !Number.isFinite(score)) return "none";
  return score >= 85 ? "good" : score >= 60 ? "fair" : "poor";
}

/** The context score (0–100) as a coloured badge. */
export function scoreBadge(score, { testid } = {}) {
  const level = scoreLevel(score);
  const text = level === "none" ? "—" : String(Math.round(score));
  return h("span", {
    class: `score score--${level}`,
    title: level === "none" ? "No context score" : `Context score ${text} of 100`,
    "data-testid": testid ?? null,
    text,
  });
}

/** Read-only stars: "★★★★☆" with an accessible label; "—" without a score. */
export function stars(score, { label = "Rating" } = {}) {
  if (typeof score !== "number" || !Number.isFinite(score)) return h("span", { class: "stars stars--none", text: "—" });
  const full = Math.round(Math.max(0, Math.min(5, score)));
  return h(
    "span",
    { class: "stars", role: "img", "aria-label": `${label}: ${formatScore(score)} of 5` },
    h("span", { class: "stars__on", "aria-hidden": "true", text: "★".repeat(full) }),
    h("span", { class: "stars__off", "aria-hidden": "true", text: "★".repeat(5 - full) }),
  );
}

/** 4 → "4", 4.25 → "4.3"; "—" when unknown. */
export function formatScore(x, digits = 1) {
  if (typeof x !== "number" || !Number.isFinite(x)) return "—";
  return Number.isInteger(x) ? String(x) : x.toFixed(digits);
}

/** A share in [0, 1] as "23%"; "—" when unknown. */
export function share(x) {
  if (typeof x !== "number" || !Number.isFinite(x)) return "—";
  return `${Math.round(x * 100)}%`;
}

export const TRIGGER_LABELS = {
  explicit_request: "Asked for a person",
  frustration: "Frustration",
  low_confidence: "Low confidence",
  repeated_failure: "Repeated failure",
  sensitive_topic: "Sensitive topic",
};

export function triggerLabel(t) {
  return TRIGGER_LABELS[t] ?? humanize(t);
}

export const ORIGIN_LABELS = {
  customer_message: "the customer's message",
  briefing: "the briefing",
  customer_record: "the customer record",
};

export function originLabel(o) {
  return ORIGIN_LABELS[o] ?? humanize(o).toLowerCase();
}

/** "2026-03-12" for a Date, in local time (the filter bar's day boundaries). */
export function isoDay(d) {
  const y = d.getFullYear();
  const m = String(d.getMonth() + 1).padStart(2, "0");
  const day = String(d.getDate()).padStart(2, "0");
  return `${y}-${m}-${day}`;
}

/** "Mar 12" for "2026-03-12" (no time zone shift). */
export function dayLabel(iso, opts = { month: "short", day: "numeric" }) {
  const [y, m, d] = String(iso).split("-").map(Number);
  if (!y || !m || !d) return String(iso);
  return new Intl.DateTimeFormat(undefined, opts).format(new Date(y, m - 1, d));
}

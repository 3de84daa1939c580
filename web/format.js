// Small formatting helpers shared by the customer page and the agent console.

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
});
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "short" });
const shortDateFmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

function toDate(ts) {
  if (ts instanceof Date) return ts;
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "14:32" */
export function formatTime(ts) {
  const d = toDate(ts);
  return d ? timeFmt.format(d) : "";
}

/** "Mar 12, 2026, 14:32" */
export function formatDateTime(ts) {
  const d = toDate(ts);
  return d ? dateTimeFmt.format(d) : "";
}

/** Compact age for lists: "now", "4m", "3h", "Mon", "Mar 2". */
export function relativeTime(ts, now = Date.now()) {
  const d = toDate(ts);
  if (!d) return "";
  const secs = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (secs < 45) return "now";
  const mins = Math.round(secs / 60);
  if (mins < 60) return `${mins}m`;
  const hours = Math.round(mins / 60);
  if (hours < 24) return `${hours}h`;
  const days = Math.round(hours / 24);
  if (days < 7) return dayFmt.format(d);
  return shortDateFmt.format(d);
}

/** Long form for tooltips and screen readers: "4 minutes ago". */
export function relativeTimeLong(ts, now = Date.now()) {
  const d = toDate(ts);
  if (!d) return "";
  const secs = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (secs < 45) return "just now";
  const mins = Math.round(secs / 60);
  if (mins < 60) return `${mins} minute${mins === 1 ? "" : "s"} ago`;
  const hours = Math.round(mins / 60);
  if (hours < 24) return `${hours} hour${hours === 1 ? "" : "s"} ago`;
  return formatDateTime(d);
}

export const STATUS_LABELS = {
  ai: "AI handling",
  queued: "Queued",
  with_agent: "With agent",
  resolved: "Resolved",
};

export function statusLabel(status) {
  return STATUS_LABELS[status] ?? humanize(status);
}

export const SENTIMENT_LABELS = {
  positive: "Positive",
  neutral: "Neutral",
  negative: "Negative",
  frustrated: "Frustrated",
};

export function sentimentLabel(s) {
  return SENTIMENT_LABELS[s] ?? humanize(s);
}

/** "cache_clear" → "Cache clear", "technicalIssue" → "Technical issue". */
export function humanize(id) {
  if (id == null) return "";
  const s = String(id)
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim()
    .toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "Maya Lin" → "ML"; falls back to "?". */
export function initials(name) {
  // Words that start with a letter: "morgan (test)" is "M", not "M(".
  const parts = String(name ?? "").trim().split(/\s+/).filter((w) => /^\p{L}/u.test(w));
  if (!parts.length) return "?";
  const first = [...parts[0]][0] ?? "";
  const last = parts.length > 1 ? [...parts[parts.length - 1]][0] ?? "" : "";
  return (first + last).toUpperCase();
}

/** 0.625 → "63%". */
export function percent(x) {
  if (typeof x !== "number" || !Number.isFinite(x)) return "";
  return `${Math.round(x * 100)}%`;
}

/** A signed score with two decimals: 0.4 → "+0.40". */
export function signed(x) {
  if (typeof x !== "number" || !Number.isFinite(x)) return "";
  return `${x > 0 ? "+" : x < 0 ? "−" : ""}${Math.abs(x).toFixed(2)}`;
}

export const URGENCY_LABELS = {
  low: "Low",
  medium: "Medium",
  high: "High",
  critical: "Critical",
};

export function urgencyLabel(u) {
  return URGENCY_LABELS[u] ?? humanize(u);
}

/** Compact duration: 42 → "42s", 185 → "3m", 3900 → "1h 5m". */
export function formatDuration(secs) {
  if (typeof secs !== "number" || !Number.isFinite(secs)) return "";
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const hours = Math.floor(m / 60);
  return m % 60 ? `${hours}h ${m % 60}m` : `${hours}h`;
}

/** Seconds since `ts` (0 when unknown or in the future). */
export function secondsSince(ts, now = Date.now()) {
  const t = Date.parse(ts ?? "");
  return Number.isFinite(t) ? Math.max(0, (now - t) / 1000) : 0;
}

/** A countdown: 24_300 ms → "0:24", 65_000 → "1:05". */
export function formatCountdown(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** A wait estimate for customers: 200 → "about 3 minutes" (never "0 minutes"). */
export function aboutMinutes(secs) {
  const m = Math.max(1, Math.round((Number(secs) || 0) / 60));
  return `about ${m} minute${m === 1 ? "" : "s"}`;
}

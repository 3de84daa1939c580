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
  const parts = String(name ?? "").trim().split(/\s+/).filter(Boolean);
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

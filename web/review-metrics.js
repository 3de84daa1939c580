// The figures of one handoff: context score, every duration, who was involved, whether a person
// was needed, and what the customer said about it. Each value carries `data-testid="metric-…"`.

import { h } from "./dom.js";
import { formatDateTime, percent } from "./format.js";
import { ms, scoreBadge, scoreLevel, stars } from "./review-format.js";

const DURATIONS = [
  ["aiPhaseMs", "ai-phase", "Assistant phase", "Conversation start to escalation"],
  ["timeToEscalateMs", "time-to-escalate", "Time to escalate", "First sign of trouble to escalation"],
  ["queueWaitMs", "queue-wait", "Queue wait", "Escalation to the first agent joining"],
  ["offerReadMs", "offer-read", "Offer read", "Offer shown to the agent until they accepted (the briefing is on the offer)"],
  ["briefingReadMs", "briefing-read", "Briefing read", "Briefing opened (on accepting) to joining"],
  ["firstResponseMs", "first-response", "First response", "Joined to the first message the agent wrote after the introduction"],
  ["resolutionMs", "resolution", "Resolution", "Joined to resolved"],
];

export function renderMetrics(m, { agentNames = [] } = {}) {
  const d = m.durations ?? {};
  const repeats = m.repeatAsks?.length ?? 0;
  const level = scoreLevel(m.contextScore);
  const value = (key, content) => h("dd", { "data-testid": `metric-${key}` }, content);

  const durations = h("dl", { class: "kv kv--metrics" });
  for (const [field, key, label, hint] of DURATIONS) {
    durations.append(h("dt", { title: hint, text: label }), value(key, ms(d[field])));
  }

  const rating = m.customerRating;
  return h(
    "div",
    { class: "metrics", "data-testid": "metrics" },
    h(
      "div",
      { class: `metrics__score is-${level}` },
      h("div", { class: "metrics__score-main" }, h("span", { class: "figure__label", text: "Context score" }), h("span", { class: "metrics__score-value", "data-testid": "metric-context-score" }, scoreBadge(m.contextScore))),
      h(
        "p",
        { class: "metrics__score-note", "data-testid": "metric-repeat-asks" },
        repeats ? `${repeats} repeat ask${repeats === 1 ? "" : "s"}: the agent asked for something already known` : "Nothing was asked again",
      ),
      typeof m.briefingCompleteness === "number"
        ? h("p", { class: "metrics__score-note" }, "Briefing ", h("strong", { "data-testid": "metric-briefing-completeness", text: percent(m.briefingCompleteness) }), " complete when delivered")
        : null,
    ),
    durations,
    h(
      "dl",
      { class: "kv kv--metrics" },
      h("dt", { text: "Agents involved" }),
      value("agents", `${m.agentsInvolved ?? 0}${agentNames.length ? ` · ${agentNames.join(", ")}` : ""}`),
      h("dt", { text: "Call" }),
      value("call", m.hadCall ? "Yes" : "No"),
      h("dt", { text: "Escalation" }),
      value("necessity", necessity(m.necessity)),
    ),
    h(
      "div",
      { class: "metrics__rating", "data-testid": "metric-customer-rating" },
      h("span", { class: "figure__label", text: "Customer rating" }),
      rating
        ? [
            h("div", { class: "metrics__rating-row" }, stars(rating.score, { label: "Customer rating" }), h("span", { class: "metrics__rating-score", text: `${rating.score}/5` })),
            h(
              "p",
              { class: `metrics__repeated${rating.repeated ? " is-bad" : ""}`, "data-testid": "metric-repeated" },
              rating.repeated ? "Had to repeat themselves" : "Didn't have to repeat themselves",
            ),
            rating.comment ? h("blockquote", { class: "metrics__comment", "data-testid": "metric-comment", text: rating.comment }) : null,
            rating.at ? h("p", { class: "metrics__when", text: formatDateTime(rating.at) }) : null,
          ]
        : h("p", { class: "muted", text: "The customer didn't answer the survey." }),
    ),
  );
}

function necessity(n) {
  if (!n) return h("span", { class: "muted", text: "Not judged yet" });
  return h(
    "span",
    { class: "necessity" },
    h("span", { class: `pill ${n.necessary ? "pill--good" : "pill--warn"}`, text: n.necessary ? "Necessary" : "Unnecessary" }),
    n.detail ? h("span", { class: "necessity__detail", text: n.detail }) : null,
  );
}

// Right-hand column of the agent console: who the customer is, what we know about them, why the
// conversation was escalated, who is in it, and where it stands.

import { h } from "./dom.js";
import { formatDateTime, humanize, initials, relativeTimeLong, statusLabel } from "./format.js";

const KNOWN_CONTEXT_KEYS = new Set(["previousInteractions", "satisfactionHistory", "productUsage", "accountStatus"]);

/**
 * Re-renders the whole panel from the conversation model. `extra` panels (the handoff briefing,
 * likelihood) go right after the customer; `hideEscalation` when they already show it.
 */
export function renderDetails(container, model, { presence = null, extra = [], hideEscalation = false } = {}) {
  if (!model) {
    container.replaceChildren(h("p", { class: "details-empty", text: "Customer details appear here." }));
    return;
  }
  const panels = [
    customerPanel(model, presence),
    ...extra,
    model.escalation && !hideEscalation ? escalationPanel(model.escalation) : null,
    contextPanel(model.customer?.context ?? {}),
    conversationPanel(model),
    participantsPanel(model),
  ];
  container.replaceChildren(...panels.filter(Boolean));
}

function panel(title, ...children) {
  const id = `panel-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return h("section", { class: "panel", "aria-labelledby": id }, h("h3", { class: "panel__title", id, text: title }), ...children);
}

function kv(rows) {
  const dl = h("dl", { class: "kv" });
  for (const [label, value] of rows) {
    const empty = value == null || value === "";
    dl.append(
      h("dt", { text: label }),
      h("dd", { class: empty ? "is-empty" : null }, empty ? "—" : value),
    );
  }
  return dl;
}

function customerPanel(model, presence) {
  const c = model.customer ?? {};
  const name = c.name?.trim() || "Visitor";
  const email = c.email?.trim();
  return panel(
    "Customer",
    h(
      "div",
      { class: "profile" },
      h("span", { class: "avatar avatar--customer avatar--lg", "aria-hidden": "true", text: initials(name) }),
      h(
        "div",
        { style: "min-width:0" },
        h("div", { class: "profile__name", text: name }),
        email
          ? h("a", { class: "profile__email", href: `mailto:${email}`, text: email })
          : h("div", { class: "profile__email muted", text: "No email given" }),
        presence == null
          ? null
          : h("div", { class: "presence", dataset: { online: String(presence) }, text: presence ? "Online now" : "Offline" }),
      ),
    ),
  );
}

function escalationPanel(e) {
  const urgency = e.urgency || "medium";
  const rows = [
    ["Trigger", e.trigger ? humanize(e.trigger) : null],
    ["Assistant's assessment", e.aiAssessment],
    ["Customer expects", e.customerExpectation ? humanize(e.customerExpectation) : e.customerExpectation],
    ["Recommended", e.recommendedAgent ? humanize(e.recommendedAgent) : null],
  ].filter(([, v]) => v);
  return panel(
    "Escalation",
    h(
      "div",
      { class: "escalation" },
      h("div", {}, h("span", { class: `urgency urgency--${urgency}`, text: `${humanize(urgency)} urgency` })),
      rows.map(([label, value]) =>
        h("div", { class: "escalation__row" }, h("span", { class: "escalation__label", text: label }), h("span", { text: value })),
      ),
    ),
  );
}

function contextPanel(ctx) {
  const rows = [
    ["Account status", ctx.accountStatus ? humanize(ctx.accountStatus) : null],
    ["Product usage", ctx.productUsage ? humanize(ctx.productUsage) : null],
    ["Previous interactions", Number.isFinite(ctx.previousInteractions) ? String(ctx.previousInteractions) : null],
    ["Satisfaction history", satisfaction(ctx.satisfactionHistory)],
  ];
  for (const [key, value] of Object.entries(ctx)) {
    if (KNOWN_CONTEXT_KEYS.has(key) || value == null) continue;
    rows.push([humanize(key), formatValue(value)]);
  }
  return panel("Context", kv(rows));
}

/** Bars for each past score, coloured by how it went, plus the average. */
function satisfaction(history) {
  if (!Array.isArray(history) || !history.length) return null;
  const nums = history.filter((x) => typeof x === "number" && Number.isFinite(x));
  if (!nums.length) return null;
  const scale = Math.max(...nums) <= 1 ? 1 : Math.max(...nums) <= 5 ? 5 : Math.max(10, ...nums);
  const fmt = (x) => (scale === 1 ? `${Math.round(x * 100)}%` : Number.isInteger(x) ? String(x) : x.toFixed(1));
  const avg = nums.reduce((a, b) => a + b, 0) / nums.length;
  const bars = h(
    "div",
    { class: "sat", role: "img", "aria-label": `Past satisfaction scores: ${nums.map(fmt).join(", ")} out of ${fmt(scale)}` },
    nums.slice(-10).map((x) => {
      const r = x / scale;
      const cls = r >= 0.7 ? "is-good" : r < 0.45 ? "is-bad" : "is-mid";
      return h("span", { class: `sat__bar ${cls}`, style: `height:${Math.max(10, Math.round(r * 100))}%`, title: `${fmt(x)} / ${fmt(scale)}` });
    }),
  );
  return h("div", {}, bars, h("div", { class: "sat-summary", text: `avg ${fmt(avg)} / ${fmt(scale)} · ${nums.length} rating${nums.length === 1 ? "" : "s"}` }));
}

function formatValue(value) {
  if (typeof value === "boolean") return value ? "Yes" : "No";
  if (typeof value === "number" || typeof value === "string") return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v !== "object")) return value.join(", ");
  return h("pre", { text: JSON.stringify(value, null, 2) });
}

function conversationPanel(model) {
  return panel(
    "Conversation",
    kv([
      ["Status", h("span", { class: `status-chip status--${model.status}`, text: statusLabel(model.status) })],
      ["Skill", model.skill ? humanize(model.skill) : null],
      ["Started", model.createdAt ? h("time", { datetime: model.createdAt, title: formatDateTime(model.createdAt), text: relativeTimeLong(model.createdAt) }) : null],
      ["Last activity", model.updatedAt ? h("time", { datetime: model.updatedAt, title: formatDateTime(model.updatedAt), text: relativeTimeLong(model.updatedAt) }) : null],
      ["Messages", String(model.messages.size)],
      ["ID", h("span", { class: "mono", text: model.conversationId })],
    ]),
  );
}

function participantsPanel(model) {
  const list = model.participants ?? [];
  if (!list.length) return panel("Participants", h("p", { class: "muted", text: "Nobody has joined yet." }));
  const kindLabel = { customer: "Customer", ai: "Assistant", agent: "Agent" };
  return panel(
    "Participants",
    h(
      "ul",
      { class: "participants" },
      list.map((p) => {
        // The gateway names an anonymous customer "Customer"; show what the rest of the console shows.
        const name = p.kind === "customer" ? model.customerName() : p.name || kindLabel[p.kind] || "Participant";
        const avatarCls = p.kind === "ai" ? "avatar avatar--ai" : p.kind === "agent" ? "avatar avatar--agent" : "avatar avatar--customer";
        const meta = p.leftAt
          ? `${kindLabel[p.kind] ?? humanize(p.kind)} · left ${relativeTimeLong(p.leftAt)}`
          : `${kindLabel[p.kind] ?? humanize(p.kind)} · joined ${relativeTimeLong(p.joinedAt)}`;
        return h(
          "li",
          { class: `participant${p.leftAt ? " has-left" : ""}` },
          h("span", { class: avatarCls, "aria-hidden": "true", text: p.kind === "ai" ? "AI" : initials(name) }),
          h("span", { class: "participant__text" }, h("span", { class: "participant__name", text: name }), h("span", { class: "participant__meta", text: meta })),
        );
      }),
    ),
  );
}

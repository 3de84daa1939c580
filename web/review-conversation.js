// The chat of a reviewed handoff, compact: the assistant phase (before the first agent joined)
// and the agent phase, one line per message. Voice lines live in the transcript and are only
// counted here. Repeat asks are flagged, and so are the customer messages that already held the
// answer. The team's internal notes sit among the messages where they were written, marked as
// notes; the conversation's tags head the list.

import { h } from "./dom.js";
import { formatDateTime, formatTime, humanize, sentimentLabel, signed } from "./format.js";
import { originLabel } from "./review-format.js";
import { attachmentView } from "./attachments.js";

/**
 * @param conversation  the unified conversation object (messages included)
 * @param events        the event log (for when the first agent joined)
 * @param repeatAsks    RepeatAsk[]
 * @param nameOf(userId)
 */
export function renderConversation(conversation, events, repeatAsks, nameOf) {
  const messages = [...(conversation?.messages ?? [])].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  const joinSeq = (events ?? []).find((e) => e.type === "agent_joined")?.seq ?? Infinity;
  const asks = new Map((repeatAsks ?? []).map((r) => [r.messageId, r]));
  const known = new Map((repeatAsks ?? []).filter((r) => r.knownMessageId).map((r) => [r.knownMessageId, r]));
  const customer = conversation?.customer?.name || "Customer";
  const chat = messages.filter((m) => m.channel !== "voice");
  const voice = messages.length - chat.length;
  const notes = (conversation?.notes ?? []).map((n) => ({ ...n, note: true }));
  const items = [...chat, ...notes].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  const ai = items.filter((m) => (m.seq ?? 0) < joinSeq);
  const agent = items.filter((m) => (m.seq ?? 0) >= joinSeq);
  const count = (list) => list.filter((m) => !m.note).length;
  const line = (m) => (m.note ? noteLine(m) : messageLine(m, { ask: asks.get(m.id), known: known.get(m.id), customer, nameOf }));
  const tags = conversation?.tags ?? [];
  return h(
    "div",
    { class: "phases" },
    tags.length ? h("p", { class: "review-tags", "data-testid": "review-tags" }, h("span", { class: "review-tags__label", text: "Tags" }), ...tags.map((t) => h("span", { class: "tag", text: t }))) : null,
    phase("Assistant phase", `${count(ai)} message${count(ai) === 1 ? "" : "s"}`, ai.map(line), "ai"),
    phase(
      "Agent phase",
      [`${count(agent)} message${count(agent) === 1 ? "" : "s"}`, notes.length ? `${notes.length} internal note${notes.length === 1 ? "" : "s"}` : null, voice ? `${voice} voice line${voice === 1 ? "" : "s"} in the transcript` : null].filter(Boolean).join(" · "),
      joinSeq === Infinity ? [h("li", { class: "cmsg cmsg--empty", text: "No agent joined." }), ...agent.filter((m) => m.note).map(line)] : agent.map(line),
      "agent",
    ),
  );
}

function noteLine(n) {
  return h(
    "li",
    { class: "cmsg cmsg--note", dataset: { seq: String(n.seq ?? "") }, "data-testid": "review-note" },
    h("time", { class: "cmsg__time", datetime: n.at, title: formatDateTime(n.at), text: formatTime(n.at) }),
    h("span", { class: "cmsg__who", text: n.agentName || "Agent" }),
    h("div", { class: "cmsg__body" }, h("p", { class: "cmsg__text" }, h("span", { class: "note-badge", text: "Internal note" }), ` ${n.text}`)),
  );
}

function phase(title, meta, items, kind) {
  return h(
    "section",
    { class: `phase phase--${kind}`, "data-testid": `phase-${kind}` },
    h("h3", { class: "phase__title" }, title, h("span", { class: "phase__meta", text: meta })),
    h("ol", { class: "cmsgs" }, items.length ? items : h("li", { class: "cmsg cmsg--empty", text: "No messages." })),
  );
}

function messageLine(m, { ask, known, customer, nameOf }) {
  const who = m.speaker === "customer" ? customer : m.speaker === "ai" ? "Assistant" : m.speaker === "agent" ? nameOf(m.agentId) || "Agent" : "System";
  const chips = [];
  if (m.speaker === "customer" && m.sentiment) {
    chips.push(h("span", { class: `chip chip--sentiment sentiment--${m.sentiment}`, title: "Sentiment of this message" }, h("span", { class: "dot", "aria-hidden": "true" }), `${sentimentLabel(m.sentiment)}${typeof m.sentimentScore === "number" ? ` ${signed(m.sentimentScore)}` : ""}`));
  }
  if (m.speaker === "ai" && typeof m.confidence === "number") {
    chips.push(h("span", { class: `chip${m.confidence < 0.5 ? " chip--confidence is-low" : ""}`, title: "Assistant's confidence" }, h("span", { class: "chip__key", text: "Confidence" }), `${Math.round(m.confidence * 100)}%`));
  }
  return h(
    "li",
    { class: `cmsg cmsg--${m.speaker}${ask ? " is-repeat" : ""}${known ? " is-known" : ""}`, dataset: { msgId: m.id ?? "", seq: String(m.seq ?? "") }, "data-testid": "review-message" },
    h("time", { class: "cmsg__time", datetime: m.timestamp, title: formatDateTime(m.timestamp), text: formatTime(m.timestamp) }),
    h("span", { class: "cmsg__who", text: who }),
    h(
      "div",
      { class: "cmsg__body" },
      m.attachment ? attachmentView(m.attachment) : h("p", { class: "cmsg__text", text: m.content }),
      ask ? h("p", { class: "cmsg__flag cmsg__flag--repeat" }, h("span", { class: "warn-badge", text: "Asked again" }), ` ${humanize(ask.factKind)} was already known from ${originLabel(ask.knownFrom)}: ${ask.knownValue}`) : null,
      known ? h("p", { class: "cmsg__flag cmsg__flag--known" }, h("span", { class: "known-badge", text: "Already said" }), ` ${humanize(known.factKind)} given here`) : null,
      chips.length ? h("div", { class: "cmsg__chips" }, chips) : null,
    ),
  );
}

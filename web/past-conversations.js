// A returning customer's earlier conversations (GET /api/conversations/{id}/history): the list
// the customer and the agent see, and a read-only transcript of one in a modal <dialog>. Only a
// customer the website vouched for (verified) has a history; the gateway says so.

import { api } from "./api.js";
import { h } from "./dom.js";
import { formatDateTime, formatTime, humanize } from "./format.js";

/** As a person reads it ("Resolved by Sam"). */
export function outcomeText(row) {
  switch (row.outcome) {
    case "resolved_by_agent":
      return row.agents?.length ? `Resolved by ${row.agents[0]}` : "Resolved by an agent";
    case "resolved_by_assistant":
      return "Answered by the assistant";
    case "closed_before_agent":
      return "Closed before an agent joined";
    default:
      return "Still open";
  }
}

/** A message as the read-only transcript shows it; a file is named (it is downloaded from the
 *  conversation it was sent in, not from here). */
function lineText(m) {
  const file = m.attachment ? `File: ${m.attachment.name}${m.attachment.size ? ` (${formatBytes(m.attachment.size)})` : ""}` : "";
  return [m.content, file].filter(Boolean).join("\n");
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The history of the customer of `conversationId`: { verified, conversations: [...] }. */
export function loadHistory(conversationId, token) {
  return api(`/api/conversations/${encodeURIComponent(conversationId)}/history`, { token });
}

/** One earlier conversation, read-only, redacted for whoever `token` is. */
export function loadPast(conversationId, pastId, token) {
  return api(`/api/conversations/${encodeURIComponent(conversationId)}/history/${encodeURIComponent(pastId)}`, { token });
}

/**
 * The list: one button per earlier conversation, newest first.
 * @param rows the history's conversations; opts { onOpen(row), staff }
 */
export function pastList(rows, { onOpen, staff = false }) {
  return h(
    "ul",
    { class: "past-list" },
    ...rows.map((row) => {
      const when = formatDateTime(row.startedAt) || "Earlier";
      const outcome = outcomeText(row);
      const what = (staff && row.summary) || row.firstMessage || row.lastMessage || "No messages";
      const meta = [outcome];
      if (staff && row.skill) meta.push(humanize(row.skill));
      if (row.hadCall) meta.push("Call");
      if (row.rating) meta.push(`Rated ${row.rating}/5`);
      return h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: `past-item past-item--${row.outcome}`,
            "data-testid": "past-conversation",
            dataset: { conversationId: row.conversationId },
            "aria-label": `Read the conversation from ${when}: ${outcome}`,
            on: { click: () => onOpen(row) },
          },
          h("span", { class: "past-item__head" }, h("time", { class: "past-item__when", datetime: row.startedAt || null, text: when }), h("span", { class: "past-item__outcome", text: meta.join(" · ") })),
          h("span", { class: "past-item__what", text: what }),
          staff && row.tags?.length ? h("span", { class: "past-item__tags" }, ...row.tags.map((t) => h("span", { class: "tag", text: t }))) : null,
        ),
      );
    }),
  );
}

/**
 * Shows `conversation` read-only in a modal. `viewer` is "customer" or "agent" (whose side is
 * "You" for the customer). Escape, Close or a click outside closes it; focus goes back.
 */
export function showPast(conversation, row, { viewer = "customer", returnFocus = null } = {}) {
  const names = new Map((conversation.participants ?? []).filter((p) => p.userId).map((p) => [p.userId, p.name]));
  const speakerName = (m) => {
    if (m.speaker === "customer") return viewer === "customer" ? "You" : conversation.customer?.name || "Customer";
    if (m.speaker === "ai") return "Assistant";
    if (m.speaker === "agent") return names.get(m.agentId) || "Support team";
    return null;
  };
  const items = (conversation.messages ?? []).map((m) => {
    const who = speakerName(m);
    if (!who) return h("li", { class: "past-line past-line--system", text: m.content });
    return h(
      "li",
      { class: `past-line past-line--${m.speaker}` },
      h("span", { class: "past-line__meta" }, h("strong", { text: who }), " ", h("time", { datetime: m.timestamp, text: formatTime(m.timestamp) }), m.channel === "voice" ? " · on the call" : ""),
      h("span", { class: "past-line__text", text: lineText(m) }),
    );
  });
  const close = h("button", { type: "button", class: "button button--secondary", "data-testid": "past-close", text: "Close" });
  const title = `Conversation from ${formatDateTime(row?.startedAt ?? conversation.createdAt) || "earlier"}`;
  const dialog = h(
    "dialog",
    { class: "past-dialog", "aria-labelledby": "past-dialog-title", "data-testid": "past-dialog" },
    h(
      "header",
      { class: "past-dialog__head" },
      h("div", {}, h("h2", { id: "past-dialog-title", class: "past-dialog__title", text: title }), h("p", { class: "past-dialog__sub", text: `${row ? outcomeText(row) : ""} · read-only` })),
      close,
    ),
    items.length ? h("ol", { class: "past-dialog__lines" }, ...items) : h("p", { class: "past-dialog__empty", text: "No messages." }),
  );
  document.body.append(dialog);
  const done = () => {
    if (!dialog.open) return;
    dialog.close();
    dialog.remove();
    returnFocus?.focus();
  };
  close.addEventListener("click", done);
  dialog.addEventListener("cancel", (e) => {
    e.preventDefault();
    done();
  });
  dialog.addEventListener("click", (e) => {
    if (e.target !== dialog) return;
    const r = dialog.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) done();
  });
  dialog.showModal();
  close.focus();
  return dialog;
}

// The handoff's steps, from its event log: conversation started → escalated → offered → accepted
// → briefing opened → joined → call → resolved (and ratings, hand-backs, deleted recordings), each
// with the time since the step before. Repeat asks are placed among them as warnings: what was
// asked, what was already known and where from.

import { h } from "./dom.js";
import { formatDateTime, formatTime, humanize } from "./format.js";
import { ms, originLabel, triggerLabel } from "./review-format.js";

const DECLINES = { declined: "declined", expired: "let the offer expire", withdrawn: "offer withdrawn", agent_offline: "went offline", agent_unavailable: "became unavailable", taken: "taken by another agent" };

const TRANSFER_ENDS = { declined: "declined", expired: "not answered in time", unavailable: "colleague became unavailable", nobody_available: "nobody could take it", cancelled: "called off", interrupted: "interrupted by a restart" };

/** The steps as [{ seq, at, kind, title, detail, tone }], oldest first. */
export function handoffSteps(events, repeatAsks, nameOf) {
  const steps = [];
  const add = (e, kind, title, detail = null, tone = "default") => steps.push({ seq: e.seq, at: e.timestamp, kind, title, detail, tone });
  let joined = false;
  for (const e of events ?? []) {
    switch (e.type) {
      case "conversation_created":
        add(e, "start", "Conversation started", "With the assistant", "ai");
        break;
      case "escalation_triggered": {
        const x = e.escalation ?? {};
        add(e, "escalated", "Escalated", [triggerLabel(x.trigger), x.urgency ? `${humanize(x.urgency)} urgency` : null, x.recommendedAgent ? `for ${humanize(x.recommendedAgent)}` : null].filter(Boolean).join(" · "), "escalation");
        break;
      }
      case "handoff_offered":
        add(e, "offered", `${e.specialist ? "Specialist invite" : "Offered"} to ${e.agentName || nameOf(e.agentId)}`, null, "handoff");
        break;
      case "handoff_declined":
        add(e, "declined", `${nameOf(e.agentId)} ${DECLINES[e.reason] ?? humanize(e.reason).toLowerCase()}`, null, "muted");
        break;
      case "handoff_accepted":
        add(e, "accepted", `Accepted by ${e.agentName || nameOf(e.agentId)}`, null, "handoff");
        break;
      case "briefing_opened":
        add(e, "briefing", `Briefing opened by ${nameOf(e.agentId)}`, null, "handoff");
        break;
      case "agent_joined": {
        const p = e.participant ?? {};
        add(e, "joined", `${p.name || nameOf(p.userId)} joined${e.specialist ? " as specialist" : ""}`, joined ? null : "The customer sees a person from here", "join");
        joined = true;
        break;
      }
      case "specialist_invited":
        add(e, "invited", `Specialist requested: ${humanize(e.skill)}`, `by ${nameOf(e.invitedBy)}`, "handoff");
        break;
      case "transfer_requested":
        add(e, "transfer", `Transfer asked by ${nameOf(e.fromAgentId)} to ${e.toAgentId ? nameOf(e.toAgentId) : `the ${humanize(e.skill).toLowerCase()} team`}`, e.note ? `“${e.note}”` : "No note", "handoff");
        break;
      case "transfer_ended":
        add(
          e,
          "transfer_end",
          e.outcome === "completed" ? `Taken over by ${nameOf(e.toAgentId)} from ${nameOf(e.fromAgentId)}` : `Transfer ended: ${TRANSFER_ENDS[e.outcome] ?? humanize(e.outcome).toLowerCase()}`,
          e.outcome === "completed" ? null : `${nameOf(e.fromAgentId)} kept the conversation`,
          e.outcome === "completed" ? "join" : "muted",
        );
        break;
      case "handed_back":
        add(e, "handed_back", "Handed back to the assistant", e.reason ? humanize(e.reason) : null, "muted");
        break;
      case "call_started":
        add(e, "call", "Call started", e.recorded ? "Recorded" : "Not recorded", "call");
        break;
      case "call_ended":
        add(e, "call_end", "Call ended", e.reason ? humanize(e.reason) : null, "call");
        break;
      case "conversation_resolved":
        add(e, "resolved", `Resolved${e.by ? ` by ${nameOf(e.by)}` : ""}`, e.note ? `“${e.note}”` : null, "resolved");
        break;
      case "handoff_rated":
        add(e, "rated", `Customer rated ${e.score}/5`, [e.repeated ? "Had to repeat themselves" : "Didn't have to repeat themselves", e.comment ? `“${e.comment}”` : null].filter(Boolean).join(" · "), e.repeated || e.score <= 2 ? "rated-low" : "rated");
        break;
      case "briefing_rated":
        add(e, "briefing_rated", `${nameOf(e.agentId)} rated the briefing ${e.score}/5`, e.comment ? `“${e.comment}”` : null);
        break;
      case "recordings_deleted":
        add(e, "deleted", "Recordings deleted", e.reason === "retention" ? "By the retention policy" : humanize(e.reason), "muted");
        break;
      case "attachments_deleted": {
        const n = e.attachmentIds?.length ?? 0;
        add(e, "deleted", `${n} file${n === 1 ? "" : "s"} deleted`, e.reason === "retention" ? "By the retention policy" : humanize(e.reason), "muted");
        break;
      }
      default:
        break;
    }
  }
  for (const r of repeatAsks ?? []) {
    steps.push({
      seq: r.seq,
      at: r.at,
      kind: "repeat",
      title: `${nameOf(r.agentId) || "The agent"} asked again for ${humanize(r.factKind).toLowerCase()}`,
      detail: r,
      tone: "warning",
    });
  }
  return steps.sort((a, b) => a.seq - b.seq);
}

/** The steps as a vertical list, with "+1m 5s" between main steps. */
export function renderSteps(steps) {
  let prevAt = null;
  const items = steps.map((st) => {
    const t = Date.parse(st.at);
    const since = st.kind !== "repeat" && prevAt != null && Number.isFinite(t) ? t - prevAt : null;
    if (st.kind !== "repeat" && Number.isFinite(t)) prevAt = t;
    return h(
      "li",
      { class: `step step--${st.tone} step--${st.kind}`, "data-testid": st.kind === "repeat" ? "timeline-repeat" : "timeline-step", dataset: { kind: st.kind } },
      h("span", { class: "step__dot", "aria-hidden": "true", text: st.kind === "repeat" ? "!" : "" }),
      h(
        "div",
        { class: "step__body" },
        h(
          "div",
          { class: "step__head" },
          h("span", { class: "step__title", text: st.title }),
          since != null ? h("span", { class: "step__since", title: "Since the step before", text: `+${ms(since)}` }) : null,
          h("time", { class: "step__time", datetime: st.at, title: formatDateTime(st.at), text: formatTime(st.at) }),
        ),
        st.kind === "repeat" ? repeatDetail(st.detail) : st.detail ? h("p", { class: "step__detail", text: st.detail }) : null,
      ),
    );
  });
  return h("ol", { class: "steps", "data-testid": "handoff-timeline" }, items);
}

function repeatDetail(r) {
  return h(
    "div",
    { class: "step__repeat" },
    h("p", { class: "step__quote" }, h("span", { class: "tag", text: r.channel === "voice" ? "Voice" : "Chat" }), ` “${r.text}”`),
    h("p", { class: "step__known" }, "Already known: ", h("strong", { text: r.knownValue }), ` — from ${originLabel(r.knownFrom)}`),
  );
}

// What the customer is told about the handoff, as ONE status folded from the conversation's
// events, so the banner can never contradict itself or the gateway's own messages, and a reload
// (which replays the same events) shows exactly the same thing.
//
// The customer's handoff events: `status_changed` (queued, when escalated), `wait_estimated`
// (place, estimate, and `nobodyOnline` when nobody who serves the topic is signed in),
// `handoff_accepted` (an agent, under their alias, has the conversation and is reading it),
// `agent_joined`, `handed_back`, `conversation_resolved`. The offer and the briefing being opened
// stay staff-only (`redacted`). Only the e-mail a customer left while nobody was online is read
// from the gateway's reply (default wording of `src/handoff/messages.rs`), to repeat it back.
//
// Precedence while queued: an agent reading the conversation > nobody online > place in line.
// Not queued (assistant only, with an agent, resolved): no status.

// "Thanks, I've noted dana@example.com. If you have to go, …"
const EMAIL_NOTED = /\bI've noted (\S+@\S+?)\.?(?:\s|$)/i;

/** @typedef {{kind: "none"} | {kind: "queued", position: number|null, estimateSecs: number|null}
 *   | {kind: "nobody_online", email: string|null} | {kind: "reading", agent: string}} Status */

export class CustomerStatus {
  constructor() {
    /** The events that matter here, by seq (arrival order can differ after a gap refill). */
    this.events = new Map();
  }

  /** Takes one committed event (any type; the ones that don't matter are skipped). */
  add(event) {
    if (!event || !Number.isFinite(event.seq) || !RELEVANT.has(event.type)) return;
    this.events.set(event.seq, event);
  }

  /** @returns {Status} */
  current() {
    let s = idle();
    const ordered = [...this.events.values()].sort((a, b) => a.seq - b.seq);
    for (const e of ordered) s = step(s, e);
    if (s.phase !== "queued") return { kind: "none" };
    if (s.agent) return { kind: "reading", agent: s.agent };
    if (s.followup) return { kind: "followup", email: s.followup };
    if (s.nobody) return { kind: "nobody_online", email: s.email };
    return { kind: "queued", position: s.wait?.position ?? null, estimateSecs: s.wait?.estimateSecs ?? null };
  }
}

const RELEVANT = new Set([
  "status_changed",
  "escalation_triggered",
  "wait_estimated",
  "handoff_accepted",
  "participant_joined",
  "agent_joined",
  "handed_back",
  "conversation_resolved",
  "message",
  "followup_requested",
]);

function idle() {
  return { phase: "assistant", wait: null, nobody: false, email: null, agent: null, followup: null };
}

function step(s, e) {
  switch (e.type) {
    case "status_changed":
      if (e.status === "queued") return s.phase === "queued" ? s : { ...idle(), phase: "queued" };
      return { ...idle(), phase: e.status };
    case "escalation_triggered": // staff view of the same moment; customers get status_changed
      return s.phase === "queued" ? s : { ...idle(), phase: "queued" };
    case "wait_estimated": {
      const nobody = e.nobodyOnline === true;
      return { ...s, wait: { position: e.position, estimateSecs: e.estimateSecs }, nobody, email: nobody ? s.email : null };
    }
    case "handoff_accepted":
      return s.phase === "queued" ? { ...s, agent: e.agentName || "A support specialist", nobody: false } : s;
    case "participant_joined":
    case "agent_joined":
      return e.participant?.kind === "agent" ? { ...idle(), phase: "with_agent" } : s;
    case "handed_back":
      return idle();
    case "conversation_resolved":
      return { ...idle(), phase: "resolved" };
    case "message":
      return s.phase === "queued" ? heard(s, e.message) : s;
    case "followup_requested": // they left an address: the reply comes by e-mail
      return s.phase === "queued" ? { ...s, followup: e.email || "your e-mail address" } : s;
    default:
      return s;
  }
}

/** The e-mail address the gateway noted while nobody was online, to repeat it back. */
function heard(s, message) {
  if (!s.nobody || (message?.speaker !== "system" && message?.speaker !== "ai")) return s;
  const email = String(message.content ?? "").match(EMAIL_NOTED);
  return email ? { ...s, email: email[1] } : s;
}

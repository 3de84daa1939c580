// What the customer is told about the handoff, as ONE status folded from the conversation's
// events, so the banner can never contradict itself or the gateway's own messages, and a reload
// (which replays the same events) shows exactly the same thing.
//
// Customers receive few structured handoff events: `status_changed` (queued, when escalated),
// `wait_estimated` (place and estimate), `agent_joined`, `handed_back`, `conversation_resolved`.
// The offer, its acceptance and the agent opening the briefing are staff-only (they arrive as
// `redacted`); the customer learns of them, and of nobody being online, only from the gateway's
// and the assistant's messages. Those are read here with the default wording of
// `src/handoff/messages.rs`; wording an operator changed is simply not recognised and the banner
// falls back to the place in line, never to something false.
//
// Precedence while queued: an agent reading the conversation > nobody online > place in line.
// Not queued (assistant only, with an agent, resolved): no status.

const NOBODY_ONLINE = /\b(?:nobody|no one)\b[^.]*\bis online\b/i;
// "Maria Lopez, a billing specialist, has picked up your conversation and is reading through it now."
const ACCEPTED = /^\s*(.+?),\s+an?\s+[^,]+,\s+has picked up your conversation\b/i;
// The assistant's answer while an agent reads: "Yes: Maria has your conversation open right now…"
const READING = /(?:^|:\s*)([^:.]+?) has your conversation open\b/i;
// A statement of the queue that does not say nobody is online: someone is (again).
const SOMEONE_COMING = /\bnumber \d+ in line\b|\basking them right now\b/i;
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
    if (s.nobody) return { kind: "nobody_online", email: s.email };
    return { kind: "queued", position: s.wait?.position ?? null, estimateSecs: s.wait?.estimateSecs ?? null };
  }
}

const RELEVANT = new Set([
  "status_changed",
  "escalation_triggered",
  "wait_estimated",
  "participant_joined",
  "agent_joined",
  "handed_back",
  "conversation_resolved",
  "message",
]);

function idle() {
  return { phase: "assistant", wait: null, nobody: false, email: null, agent: null };
}

function step(s, e) {
  switch (e.type) {
    case "status_changed":
      if (e.status === "queued") return s.phase === "queued" ? s : { ...idle(), phase: "queued" };
      return { ...idle(), phase: e.status };
    case "escalation_triggered": // staff view of the same moment; customers get status_changed
      return s.phase === "queued" ? s : { ...idle(), phase: "queued" };
    case "wait_estimated":
      return { ...s, wait: { position: e.position, estimateSecs: e.estimateSecs } };
    case "participant_joined":
    case "agent_joined":
      return e.participant?.kind === "agent" ? { ...idle(), phase: "with_agent" } : s;
    case "handed_back":
      return idle();
    case "conversation_resolved":
      return { ...idle(), phase: "resolved" };
    case "message":
      return s.phase === "queued" ? heard(s, e.message) : s;
    default:
      return s;
  }
}

/** What the gateway (system) or the assistant said about the wait, while queued. */
function heard(s, message) {
  if (message?.speaker !== "system" && message?.speaker !== "ai") return s;
  const text = String(message.content ?? "");
  const reading = text.match(ACCEPTED) ?? text.match(READING);
  if (reading) return { ...s, agent: s.agent ?? reading[1].trim(), nobody: false };
  if (s.agent) return s;
  if (NOBODY_ONLINE.test(text)) return { ...s, nobody: true };
  const email = text.match(EMAIL_NOTED);
  if (email && s.nobody) return { ...s, email: email[1] };
  if (SOMEONE_COMING.test(text)) return { ...s, nobody: false, email: null };
  return s;
}

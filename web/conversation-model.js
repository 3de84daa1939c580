// Client-side projection of one conversation: the header (status, customer, participants, …) folded
// from committed events exactly like the gateway does, plus its messages by id.
//
// A REST snapshot (`GET /api/conversations/{id}`) may seed the header; events up to its `lastSeq`
// then only feed the timeline and never roll the header back.

export class ConversationModel {
  constructor(conversationId) {
    this.conversationId = conversationId;
    this.status = "ai";
    this.skill = "general";
    this.customer = { id: "", context: {} };
    this.escalation = null;
    this.participants = [];
    this.calls = [];
    this.createdAt = null;
    this.updatedAt = null;
    this.lastSeq = 0;
    this.headerSeq = 0;
    this.messages = new Map();
  }

  /** Seeds the header from the unified conversation object. */
  loadSnapshot(snap) {
    this.status = snap.status ?? this.status;
    this.skill = snap.skill ?? this.skill;
    this.customer = snap.customer ?? this.customer;
    this.escalation = snap.escalation ?? null;
    this.participants = Array.isArray(snap.participants) ? [...snap.participants] : [];
    this.calls = Array.isArray(snap.calls) ? snap.calls : [];
    this.createdAt = snap.createdAt ?? null;
    this.updatedAt = snap.updatedAt ?? null;
    this.headerSeq = snap.lastSeq ?? 0;
    this.lastSeq = Math.max(this.lastSeq, this.headerSeq);
    this.extra = snap;
  }

  /**
   * Folds one committed event (in seq order). Returns what the UI may want to show:
   * { kind, event, message?, participant?, status?, reason? }.
   */
  apply(event) {
    const fresh = event.seq > this.headerSeq;
    this.lastSeq = Math.max(this.lastSeq, event.seq);
    if (fresh) {
      this.headerSeq = event.seq;
      this.updatedAt = event.timestamp ?? this.updatedAt;
    }
    switch (event.type) {
      case "conversation_created":
        if (fresh) {
          this.customer = event.customer ?? this.customer;
          this.createdAt = this.createdAt ?? event.timestamp;
        }
        return { kind: "created", event };
      case "message": {
        const message = event.message;
        if (!message) return { kind: "ignored", event };
        if (!message.seq) message.seq = event.seq;
        this.messages.set(message.id, message);
        if (fresh && message.speaker === "customer" && event.routingSkill) this.skill = event.routingSkill;
        return { kind: "message", event, message };
      }
      case "participant_joined": {
        const p = event.participant;
        if (fresh && p) {
          if (p.kind === "agent") this.status = "with_agent";
          this.participants = this.participants.filter((x) => x.id !== p.id).concat(p);
        }
        return { kind: "joined", event, participant: p };
      }
      case "participant_left": {
        const p = this.participants.find((x) => x.id === event.participantId);
        if (fresh && p) p.leftAt = event.timestamp;
        return { kind: "left", event, participant: p ?? null };
      }
      case "status_changed":
        if (fresh) this.status = event.status;
        return { kind: "status", event, status: event.status, reason: event.reason ?? null };
      case "escalation_updated":
        if (fresh) this.escalation = event.escalation ?? null;
        return { kind: "escalation", event, escalation: event.escalation };
      default:
        return { kind: "unknown", event };
    }
  }

  /** Agents in the conversation now. */
  activeAgents() {
    return this.participants.filter((p) => p.kind === "agent" && !p.leftAt);
  }

  /** Display name of an agent by user id (from the participants), or null. */
  agentName(userId) {
    if (!userId) return null;
    const p = [...this.participants].reverse().find((x) => x.userId === userId);
    return p?.name || null;
  }

  customerName() {
    return this.customer?.name?.trim() || "Visitor";
  }
}

// Client-side projection of one conversation: the header (status, customer, participants, …) folded
// from committed events exactly like the gateway does, plus its messages by id.
//
// A REST snapshot (`GET /api/conversations/{id}`) may seed the header; events up to its `lastSeq`
// then only feed the timeline and never roll the header back.
//
// The warm handoff lives in `handoff` (offeredTo, offerExpiresAt, accepted, briefingOpened,
// invited, wait), `briefing` and `handoffLikelihood`; customers only ever get `handoff.wait`.
//
// Calls live in `calls` ({ callId, startedAt, endedAt?, origin, recorded, members: [{ participantId,
// name, joinedAt, leftAt?, media: [[source, muted]] }] }), folded from the call_* events.

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
    this.briefing = null;
    this.handoff = null;
    this.handoffLikelihood = null;
    /** agentId → the briefing offered to that agent (from `handoff_offered`). */
    this.offerBriefings = new Map();
    /** userId → display name, learned from handoff events (participants are asked first). */
    this.agentNames = new Map();
    /** The customer's survey answer ({ score, repeated, comment, at }), the latest one. */
    this.customerRating = null;
    /** agentId → that agent's latest rating of the briefing ({ score, comment, at }). */
    this.briefingRatings = new Map();
    /** Staff only: internal notes by seq ({ seq, at, agentId, agentName, text }), and the tags. */
    this.notes = new Map();
    this.tags = [];
    /** The e-mail address the customer left to be answered by e-mail ({ email, requestedAt }). */
    this.followup = null;
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
    this.briefing = snap.briefing ?? null;
    this.handoff = snap.handoff ? { ...snap.handoff } : null;
    this.handoffLikelihood = typeof snap.handoffLikelihood === "number" ? snap.handoffLikelihood : null;
    this.tags = Array.isArray(snap.tags) ? [...snap.tags] : [];
    this.followup = snap.followup ?? null;
    for (const n of snap.notes ?? []) this.notes.set(n.seq, n);
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
        if (fresh && typeof message.handoffLikelihood === "number") this.handoffLikelihood = message.handoffLikelihood;
        return { kind: "message", event, message };
      }
      case "participant_joined":
      case "agent_joined": {
        const p = event.participant;
        if (fresh && p) {
          if (p.kind === "agent") {
            this.status = "with_agent";
            if (this.handoff) this.handoff.wait = null;
          }
          this.participants = this.participants.filter((x) => x.id !== p.id).concat(p);
        }
        if (p?.userId && p.name) this.agentNames.set(p.userId, p.name);
        return { kind: "joined", event, participant: p, specialist: !!event.specialist };
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
      case "escalation_triggered":
        if (fresh) {
          this.escalation = event.escalation ?? null;
          this.status = "queued";
          this.briefing = null;
          if (typeof event.likelihood === "number") this.handoffLikelihood = event.likelihood;
          this.handoff = { escalatedAt: event.timestamp, evidence: event.evidence ?? [] };
        }
        return { kind: "escalated", event, escalation: event.escalation ?? {}, likelihood: event.likelihood ?? null };
      case "agent_briefing_ready":
        if (fresh) this.briefing = event.briefing ?? null;
        return { kind: "briefing", event, briefing: event.briefing };
      case "handoff_offered": {
        this.#learnName(event.agentId, event.agentName);
        if (event.briefing) this.offerBriefings.set(event.agentId, event.briefing);
        if (fresh) {
          const h = this.#handoff();
          h.offeredTo = event.agentId;
          h.offerExpiresAt = event.expiresAt;
        }
        return { kind: "offered", event, agentId: event.agentId, specialist: !!event.specialist };
      }
      case "handoff_accepted": {
        this.#learnName(event.agentId, event.agentName);
        if (fresh) {
          const h = this.#handoff();
          if (h.offeredTo === event.agentId) {
            h.offeredTo = null;
            h.offerExpiresAt = null;
          }
          h.invited = (h.invited ?? []).filter((a) => a !== event.agentId);
          if (!(h.accepted ?? []).includes(event.agentId)) h.accepted = [...(h.accepted ?? []), event.agentId];
        }
        return { kind: "accepted", event, agentId: event.agentId };
      }
      case "handoff_declined":
        if (fresh) {
          const h = this.#handoff();
          if (h.offeredTo === event.agentId) {
            h.offeredTo = null;
            h.offerExpiresAt = null;
          }
          h.invited = (h.invited ?? []).filter((a) => a !== event.agentId);
        }
        return { kind: "declined", event, agentId: event.agentId, reason: event.reason ?? "" };
      case "briefing_opened":
        if (fresh) {
          const h = this.#handoff();
          if (!(h.briefingOpened ?? []).includes(event.agentId)) h.briefingOpened = [...(h.briefingOpened ?? []), event.agentId];
        }
        return { kind: "briefing_opened", event, agentId: event.agentId };
      case "specialist_invited":
        if (fresh) {
          const h = this.#handoff();
          if (!(h.invited ?? []).includes(event.agentId)) h.invited = [...(h.invited ?? []), event.agentId];
        }
        return { kind: "invited", event, agentId: event.agentId, skill: event.skill, invitedBy: event.invitedBy };
      case "transfer_requested":
        this.#learnName(event.toAgentId, event.toAgentName);
        if (fresh) {
          this.#handoff().transfer = { fromAgentId: event.fromAgentId, toAgentId: event.toAgentId ?? null, skill: event.skill, requestedAt: event.timestamp };
        }
        return { kind: "transfer_requested", event, fromAgentId: event.fromAgentId, toAgentId: event.toAgentId ?? null, skill: event.skill, note: event.note ?? "" };
      case "transfer_ended":
        if (fresh) {
          const h = this.#handoff();
          const pending = h.transfer;
          h.transfer = null;
          // Handed over: the one who handed it is no longer part of the handoff (as on the server).
          if (event.outcome === "completed") {
            h.accepted = (h.accepted ?? []).filter((a) => a !== event.fromAgentId);
            h.briefingOpened = (h.briefingOpened ?? []).filter((a) => a !== event.fromAgentId);
            if (pending?.skill) this.skill = pending.skill;
          }
        }
        return { kind: "transfer_ended", event, fromAgentId: event.fromAgentId, toAgentId: event.toAgentId ?? null, outcome: event.outcome };
      case "wait_estimated":
        if (fresh) this.#handoff().wait = { position: event.position, estimateSecs: event.estimateSecs };
        return { kind: "wait", event, position: event.position, estimateSecs: event.estimateSecs };
      case "handed_back":
        if (fresh) {
          this.status = "ai";
          this.handoff = null;
        }
        return { kind: "handed_back", event, reason: event.reason ?? "" };
      case "conversation_resolved":
        if (fresh) {
          this.status = "resolved";
          if (this.handoff) Object.assign(this.handoff, { offeredTo: null, offerExpiresAt: null, invited: [], wait: null, transfer: null });
        }
        return { kind: "resolved", event, by: event.by ?? null, note: event.note ?? null };
      case "call_started":
      case "call_joined":
      case "call_left":
      case "call_media":
      case "call_ended":
        if (fresh) this.#foldCall(event);
        return { kind: "call", event, call: this.call(event.callId) };
      case "handoff_rated":
        this.customerRating = { score: event.score, repeated: !!event.repeated, comment: event.comment ?? null, at: event.timestamp };
        return { kind: "customer_rated", event, rating: this.customerRating };
      case "briefing_rated": {
        const rating = { score: event.score, comment: event.comment ?? null, at: event.timestamp };
        this.briefingRatings.set(event.agentId, rating);
        return { kind: "briefing_rated", event, agentId: event.agentId, rating };
      }
      case "note_added": {
        const note = { seq: event.seq, at: event.timestamp, agentId: event.agentId, agentName: event.agentName, text: event.text };
        this.notes.set(event.seq, note);
        return { kind: "note", event, note };
      }
      case "tags_changed":
        if (fresh) this.tags = [...(event.tags ?? [])];
        return { kind: "tags", event, tags: this.tags };
      case "followup_requested":
        if (fresh) this.followup = { email: event.email, requestedAt: event.timestamp };
        return { kind: "followup", event, email: event.email };
      case "transcript_email_requested":
        return { kind: "transcript_email", event, email: event.email };
      case "redacted":
        // A staff-only event, as the customer receives it.
        return { kind: "ignored", event };
      default:
        return { kind: "unknown", event };
    }
  }

  #handoff() {
    if (!this.handoff) this.handoff = {};
    return this.handoff;
  }

  /** The call events, folded exactly like the gateway folds them into the header. */
  #foldCall(event) {
    if (event.type === "call_started") {
      this.calls = this.calls.concat({
        callId: event.callId,
        startedAt: event.timestamp,
        origin: event.origin ?? null,
        recorded: !!event.recorded,
        members: [],
      });
      return;
    }
    const call = this.call(event.callId);
    if (!call) return;
    const member = () => this.callMember(call, event.participantId);
    switch (event.type) {
      case "call_joined":
        call.members = (call.members ?? []).concat({
          participantId: event.participantId,
          name: event.name ?? "",
          joinedAt: event.timestamp,
          media: [],
        });
        break;
      case "call_left": {
        const m = member();
        if (m) {
          m.leftAt = event.timestamp;
          m.media = [];
        }
        break;
      }
      case "call_media": {
        const m = member();
        if (!m) break;
        m.media = (m.media ?? []).filter(([source]) => source !== event.source);
        if (event.change === "started" || event.change === "unmuted") m.media.push([event.source, false]);
        else if (event.change === "muted") m.media.push([event.source, true]);
        break;
      }
      case "call_ended":
        call.endedAt = event.timestamp;
        for (const m of call.members ?? []) {
          if (!m.leftAt) {
            m.leftAt = event.timestamp;
            m.media = [];
          }
        }
        break;
      default:
        break;
    }
  }

  /** A call by id (the latest with that id). */
  call(callId) {
    return [...this.calls].reverse().find((c) => c.callId === callId) ?? null;
  }

  /** The call in progress, if any. */
  liveCall() {
    return [...this.calls].reverse().find((c) => !c.endedAt) ?? null;
  }

  /** Someone in a call now (or their latest membership when `present` is false). */
  callMember(call, participantId, { present = true } = {}) {
    const members = [...(call?.members ?? [])].reverse();
    return members.find((m) => m.participantId === participantId && !(present && m.leftAt)) ?? null;
  }

  /** The conversation participant by id. */
  participant(participantId) {
    return [...this.participants].reverse().find((p) => p.id === participantId) ?? null;
  }

  /** Display name of a call member or participant, or null. */
  participantName(participantId, callId = null) {
    const calls = callId ? [this.call(callId)] : [...this.calls].reverse();
    for (const call of calls) {
      const m = this.callMember(call, participantId, { present: false });
      if (m?.name) return m.name;
    }
    const p = this.participant(participantId);
    if (p?.kind === "customer") return this.customerName();
    return p?.name || null;
  }

  #learnName(userId, name) {
    if (userId && name) this.agentNames.set(userId, name);
  }

  /** The handoff lists, never undefined: accepted, briefingOpened, invited. */
  handoffList(key) {
    return this.handoff?.[key] ?? [];
  }

  /** Agents in the conversation now. */
  activeAgents() {
    return this.participants.filter((p) => p.kind === "agent" && !p.leftAt);
  }

  /** Display name of an agent by user id (from the participants), or null. */
  agentName(userId) {
    if (!userId) return null;
    const p = [...this.participants].reverse().find((x) => x.userId === userId);
    return p?.name || this.agentNames.get(userId) || null;
  }

  customerName() {
    return this.customer?.name?.trim() || "Visitor";
  }
}

// Centre column of the agent console: one live conversation with its header, timeline, typing
// indicator and reply composer. The header data comes from the REST snapshot; the timeline is the
// event log replayed over the socket (so joins and status changes show in context too).

import { NoteMode, noteItem } from "./agent-notes.js";
import { TagEditor } from "./agent-tags.js";
import { api } from "./api.js";
import { autoGrow } from "./dom.js";
import { ConversationModel } from "./conversation-model.js";
import { Timeline } from "./timeline.js";
import { TypingIndicator, TypingNotifier } from "./typing.js";
import { formatDuration, humanize, initials, percent, statusLabel, urgencyLabel } from "./format.js";
import { callNotice } from "./call-events.js";
import { ReceiptReporter } from "./read-receipts.js";
import { toast } from "./toast.js";
import { AttachComposer, useFileToken } from "./attachments.js";

/** Why an offer ended, as a timeline line (given the agent as subject and as object). */
const DECLINE_TEXT = {
  declined: (subject) => `${subject} declined`,
  expired: (_, object) => `Offer to ${object} expired`,
  withdrawn: (_, object) => `Offer to ${object} withdrawn`,
  agent_unavailable: (_, object) => `Offer to ${object} withdrawn · status changed`,
  agent_offline: (_, object) => `Offer to ${object} withdrawn · went offline`,
  taken: (_, object) => `Offer to ${object} withdrawn · taken by another agent`,
};

function capitalize(s) {
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
}

/**
 * The timeline, kept at the newest item while the agent is at (or near) the bottom, also when the
 * column around it changes height: the call area opening (or being resized) above it, the composer
 * growing or a note appearing below it. Timeline only asks "near the bottom?" when an item
 * arrives, and by then a scroller that shrank has left an agent who was following above the fold,
 * so new messages stopped following and the "New messages" pill showed instead.
 */
class PinnedTimeline extends Timeline {
  constructor(list, opts) {
    super(list, opts);
    this.pinned = true; // the agent was at the bottom when they last scrolled (or nothing scrolls yet)
    this.scroller.addEventListener("scroll", () => {
      this.pinned = super.isNearBottom();
    }, { passive: true });
    // Scrolling to where we already are changes nothing and fires no scroll event.
    this.resizes = new ResizeObserver(() => {
      if (this.pinned) this.scrollToBottom();
    });
    this.resizes.observe(this.scroller);
    this.resizes.observe(list);
  }

  isNearBottom() {
    return this.pinned || super.isNearBottom();
  }

  clear() {
    super.clear();
    this.pinned = true;
  }
}

export class ThreadView {
  /**
   * @param els  DOM elements (see agent.js)
   * @param opts { socket, user, token, onChange(model), onSeen(id, seq), onUnauthorized(),
   *               composerOverride(model) → { enabled, note } | null }
   */
  constructor(els, opts) {
    this.els = els;
    this.socket = opts.socket;
    this.user = opts.user;
    this.token = opts.token;
    this.onChange = opts.onChange ?? (() => {});
    this.onSeen = opts.onSeen ?? (() => {});
    this.onUnauthorized = opts.onUnauthorized ?? (() => {});
    this.onGone = opts.onGone ?? (() => {});
    this.composerOverride = opts.composerOverride ?? (() => null);
    this.model = null;
    this.conversationId = null;
    this.synced = false;
    this.presence = new Map(); // conversationId → boolean (customer online)
    this.drafts = new Map(); // conversationId → unsent text
    this.loadToken = 0;
    this.loadingNodes = [...els.loading.childNodes];

    this.timeline = new PinnedTimeline(els.messages, {
      view: "agent",
      model: null,
      meUserId: this.user.id,
      meName: this.user.name,
      scroller: els.scroller,
      jumpButton: els.jump,
      onRetry: (id) => this.socket.retry(id),
    });
    this.typing = new TypingIndicator(els.typing, { nameFor: (from) => this.#typingName(from) });
    this.notifier = new TypingNotifier(this.socket, () => this.conversationId);
    this.#bindComposer();
    useFileToken(() => this.token);
    this.attach = new AttachComposer({
      form: els.composer,
      input: els.input,
      dropZone: els.view,
      conversationId: () => (this.els.input.disabled ? null : this.conversationId),
      // A file always goes to the customer: never from the internal-note mode.
      blocked: () => (this.noteMode?.on ? "Files can't be added to internal notes. Switch back to replying to send one to the customer." : null),
      onSent: (message, conversationId) => {
        if (conversationId !== this.conversationId) return;
        this.els.error.hidden = true;
        this.timeline.addMessage(message);
        this.timeline.scrollToBottom(true);
      },
      onError: (text) => this.#showError(text),
    });
    this.noteMode = NoteMode.for(els, { token: this.token });
    this.tagEditor = new TagEditor(els.view.querySelector(".thread-head__who") ?? els.view, { token: this.token });
    // Read receipts: what this page received and showed goes to the gateway (it counts it only
    // once we take part); the customer's positions show under our last message.
    this.receipts = new ReceiptReporter(this.socket, { conversationId: () => this.conversationId, scroller: els.scroller, list: els.messages });
    this.socket.addEventListener("receipt", (e) => {
      if (e.detail.conversationId === this.conversationId && e.detail.side === "customer") this.timeline.setPeerReceipt(e.detail);
    });
  }

  get isOpen() {
    return !!this.conversationId;
  }

  // ---- opening and closing ------------------------------------------------------------------

  async open(conversationId) {
    if (conversationId === this.conversationId) return;
    this.close();
    const load = ++this.loadToken;
    this.conversationId = conversationId;
    this.synced = false;
    this.model = new ConversationModel(conversationId);
    this.timeline.model = this.model;
    this.timeline.clear();
    this.timeline.setLive(false);
    this.els.empty.hidden = true;
    this.els.view.hidden = false;
    this.els.loading.hidden = false;
    this.els.loading.replaceChildren(...this.loadingNodes);
    this.els.error.hidden = true;
    this.els.input.value = this.drafts.get(conversationId) ?? "";
    this.fitInput();
    this.#renderHeader();
    this.#updateComposer();

    try {
      const snap = await api(`/api/conversations/${encodeURIComponent(conversationId)}`, { token: this.token });
      if (load !== this.loadToken) return; // another conversation was opened meanwhile
      this.model.loadSnapshot(snap);
    } catch (err) {
      if (load !== this.loadToken) return;
      if (err.status === 401) {
        this.onUnauthorized();
        return;
      }
      if (err.status === 403 || err.status === 404) this.onGone(conversationId);
      this.#showLoadError(
        err.status === 403 || err.status === 404
          ? "This conversation isn't available to you. Another agent may have taken it."
          : err.message || "Couldn't load this conversation.",
      );
      return;
    }
    this.#renderHeader();
    this.#updateComposer();
    this.onChange(this.model);
    this.socket.subscribe(conversationId, 0);
  }

  close() {
    if (!this.conversationId) return;
    this.drafts.set(this.conversationId, this.els.input.value);
    this.notifier.stop();
    this.socket.unsubscribe(this.conversationId);
    this.typing.clearAll();
    this.loadToken += 1;
    this.conversationId = null;
    this.model = null;
    this.timeline.clear();
    this.els.view.hidden = true;
    this.els.empty.hidden = false;
    this.onChange(null);
  }

  #showLoadError(text) {
    this.els.loading.hidden = false;
    this.els.loading.replaceChildren(text);
    this.els.composer.hidden = true;
    this.els.hint.hidden = true;
    this.els.note.hidden = true;
  }

  // ---- socket input (routed here by agent.js) ---------------------------------------------

  handleEvent(event) {
    if (!this.model || event.conversationId !== this.conversationId) return;
    const change = this.model.apply(event);
    const at = { seq: event.seq, timestamp: event.timestamp };
    switch (change.kind) {
      case "created":
        this.timeline.addNotice("Conversation started", at);
        break;
      case "message":
        this.timeline.addMessage(change.message);
        this.typing.clearKind(change.message.speaker === "ai" ? ["bot", "ai"] : [change.message.speaker]);
        break;
      case "joined": {
        const p = change.participant;
        if (p?.kind === "agent") {
          const who = p.userId === this.user.id ? "You" : p.name || "An agent";
          this.timeline.addNotice(`${who} joined${change.specialist ? " as specialist" : " the conversation"}`, { ...at, tone: "join" });
        }
        break;
      }
      case "left": {
        const p = change.participant;
        if (p?.kind === "agent") {
          const who = p.userId === this.user.id ? "You" : p.name || "An agent";
          this.timeline.addNotice(`${who} left the conversation`, at);
        }
        break;
      }
      case "status": {
        const reason = change.reason ? ` · ${humanize(change.reason)}` : "";
        this.timeline.addNotice(`Status: ${statusLabel(change.status)}${reason}`, { ...at, tone: change.status });
        break;
      }
      case "call": {
        const me = this.user.id;
        const line = callNotice(change, { view: "agent", model: this.model, isSelf: (pid) => this.model.participant(pid)?.userId === me });
        if (line) this.timeline.addNotice(line.text, { ...at, tone: line.tone });
        break;
      }
      case "note":
        this.timeline.addItem(noteItem(change.note, { meUserId: this.user.id }), { seq: event.seq });
        break;
      case "tags":
        break;
      case "escalation": {
        const e = change.escalation ?? {};
        const urgency = e.urgency ? ` · ${humanize(e.urgency)} urgency` : "";
        this.timeline.addNotice(`Escalated: ${humanize(e.trigger || "needs a person")}${urgency}`, { ...at, tone: "escalation" });
        break;
      }
      default:
        this.#handoffLine(change, at);
        break;
    }
    this.onSeen(this.conversationId, event.seq);
    this.receipts.rendered(event.seq);
    if (this.synced) this.#refresh();
  }

  /** The warm handoff's events, as compact timeline lines. */
  #handoffLine(change, at) {
    const me = this.user.id;
    const name = (id, given) => given || this.model.agentName(id) || "an agent";
    // "You accepted" at the start of a line, "Offered to you" elsewhere.
    const subject = (id, given) => (id && id === me ? "You" : capitalize(name(id, given)));
    const object = (id, given) => (id && id === me ? "you" : name(id, given));
    const e = change.event;
    switch (change.kind) {
      case "escalated": {
        const x = change.escalation;
        const details = [
          x.urgency ? urgencyLabel(x.urgency).toLowerCase() : null,
          typeof change.likelihood === "number" ? `likelihood ${percent(change.likelihood)}` : null,
        ].filter(Boolean);
        const why = humanize(x.trigger || "needs a person").toLowerCase();
        this.timeline.addNotice(`Escalated: ${why}${details.length ? ` (${details.join(", ")})` : ""}`, { ...at, tone: "escalation" });
        break;
      }
      case "briefing": {
        const score = change.briefing?.completeness?.score;
        this.timeline.addNotice(`Briefing ready${typeof score === "number" ? ` · ${percent(score)} complete` : ""}`, at);
        break;
      }
      case "offered":
        this.timeline.addNotice(`${change.specialist ? "Specialist request offered" : "Offered"} to ${object(change.agentId, e.agentName)}`, { ...at, tone: "handoff" });
        break;
      case "accepted":
        this.timeline.addNotice(`${subject(change.agentId, e.agentName)} accepted`, { ...at, tone: "handoff" });
        break;
      case "declined": {
        const text = DECLINE_TEXT[change.reason];
        this.timeline.addNotice(
          text ? text(subject(change.agentId), object(change.agentId)) : `${subject(change.agentId)} declined · ${humanize(change.reason).toLowerCase()}`,
          at,
        );
        break;
      }
      case "briefing_opened":
        this.timeline.addNotice(`Briefing opened by ${object(change.agentId)}`, at);
        break;
      case "invited": {
        const by = change.invitedBy ? ` (asked by ${object(change.invitedBy)})` : "";
        this.timeline.addNotice(`Specialist invited: ${humanize(change.skill)} · ${object(change.agentId)}${by}`, { ...at, tone: "handoff" });
        break;
      }
      case "transfer_requested": {
        const to = change.toAgentId ? object(change.toAgentId) : `the ${humanize(change.skill).toLowerCase()} team`;
        const note = change.note ? ` · “${change.note}”` : "";
        this.timeline.addNotice(`${subject(change.fromAgentId)} asked ${to} to take over${note}`, { ...at, tone: "handoff" });
        break;
      }
      case "transfer_ended": {
        const to = change.toAgentId ? object(change.toAgentId) : "the team";
        const keeps = change.fromAgentId === me ? "it stays with you" : `it stays with ${object(change.fromAgentId)}`;
        const text = {
          completed: `${capitalize(to)} took over from ${object(change.fromAgentId)}`,
          declined: `Transfer declined by ${to} · ${keeps}`,
          expired: `Transfer not answered in time · ${keeps}`,
          unavailable: `Transfer: ${to} became unavailable · ${keeps}`,
          nobody_available: `Nobody could take the transfer · ${keeps}`,
          cancelled: "Transfer called off",
          interrupted: `Transfer interrupted by a gateway restart · ${keeps}`,
        }[change.outcome] ?? `Transfer ended · ${humanize(change.outcome ?? "").toLowerCase()}`;
        this.timeline.addNotice(text, { ...at, tone: "handoff" });
        if (this.synced && change.fromAgentId === me && !["completed", "cancelled"].includes(change.outcome)) {
          toast(`${text}.`, { tone: "error" });
        }
        break;
      }
      case "wait":
        this.timeline.addNotice(`Queue position ${change.position} · about ${formatDuration(change.estimateSecs)}`, { ...at, tone: "queued" });
        break;
      case "followup":
        this.timeline.addNotice(`Nobody was online: the customer left ${change.email} · your replies are e-mailed while they are away`, { ...at, tone: "queued" });
        break;
      case "transcript_email":
        this.timeline.addNotice(`The customer asked for the transcript by e-mail (${change.email})`, at);
        break;
      case "handed_back":
        this.timeline.addNotice(`Handed back to the assistant${change.reason ? ` · ${humanize(change.reason).toLowerCase()}` : ""}`, at);
        break;
      case "customer_rated": {
        const r = change.rating;
        this.timeline.addNotice(`Customer rated the help ${r.score}/5${r.repeated ? " · had to repeat themselves" : ""}${r.comment ? ` · “${r.comment}”` : ""}`, at);
        break;
      }
      case "briefing_rated":
        this.timeline.addNotice(`${subject(change.agentId)} rated the briefing ${change.rating.score}/5`, at);
        break;
      case "resolved": {
        const by = change.by ? ` by ${object(change.by)}` : "";
        this.timeline.addNotice(`Resolved${by}${change.note ? ` · “${change.note}”` : ""}`, { ...at, tone: "resolved" });
        break;
      }
      default:
        break;
    }
  }

  handleSubscribed(detail) {
    if (detail.conversationId !== this.conversationId) return;
    this.els.loading.hidden = true;
    if (!this.synced) {
      this.synced = true;
      this.timeline.scrollToBottom();
      this.timeline.setLive(true);
      for (const r of this.socket.pendingFor(this.conversationId)) this.timeline.upsertPending(r);
    }
    this.receipts.check();
    this.#refresh();
  }

  handlePending(record) {
    if (record.conversationId !== this.conversationId) return;
    this.timeline.upsertPending(record);
    if (record.status === "failed") this.#showError(record.error?.message || "The reply could not be sent.");
  }

  handleTyping(frame) {
    if (frame.conversationId !== this.conversationId) return;
    this.typing.set(frame.from, frame.isTyping);
  }

  handlePresence(frame) {
    if (frame.from?.kind !== "customer") return;
    this.presence.set(frame.conversationId, !!frame.online);
    if (frame.conversationId === this.conversationId) {
      if (!frame.online) this.typing.set(frame.from, false);
      this.#refresh();
    }
  }

  handleServerError(err) {
    if (!this.conversationId) return;
    const serious = ["not_found", "forbidden", "unauthorized", "unavailable", "internal"];
    if (err.ref === this.conversationId && serious.includes(err.code)) {
      this.#showError(
        err.code === "not_found" || err.code === "forbidden"
          ? "You no longer have access to this conversation. Another agent may have taken it."
          : err.message || "Something went wrong with this conversation.",
      );
    }
  }

  // ---- rendering ----------------------------------------------------------------------------

  #refresh() {
    this.#renderHeader();
    this.#updateComposer();
    this.onChange(this.model);
  }

  #renderHeader() {
    const m = this.model;
    this.tagEditor.show(m, { editable: this.user.role === "agent" });
    if (!m) return;
    const name = m.customerName();
    this.els.name.textContent = name;
    this.els.avatar.textContent = initials(name);
    this.els.status.className = `status-chip status--${m.status}`;
    this.els.status.textContent = statusLabel(m.status);
    this.els.skill.textContent = humanize(m.skill || "general");
    this.els.skill.title = "Routing skill";
    if (this.els.urgency) {
      const u = m.escalation?.urgency;
      const show = !!u && !!m.handoff && m.status !== "resolved" && m.status !== "ai";
      this.els.urgency.hidden = !show;
      if (show) {
        this.els.urgency.className = `urgency urgency--${u}`;
        this.els.urgency.textContent = `${urgencyLabel(u)} urgency`;
      }
    }
    const online = this.presence.get(m.conversationId);
    this.els.presence.hidden = online === undefined;
    this.els.presence.dataset.online = String(!!online);
    this.els.presence.textContent = online ? "Online" : "Offline";
    document.title = `${name} · Warmline`;
  }

  /** Re-renders header, composer and details (after something outside the model changed). */
  refresh() {
    if (this.model) this.#refresh();
  }

  presenceOf(conversationId) {
    return this.presence.get(conversationId) ?? null;
  }

  #typingName(from) {
    if (!from) return null;
    if (from.kind === "customer") return this.model?.customerName() ?? "Customer";
    if (from.kind === "bot" || from.kind === "ai") return "Assistant";
    if (from.userId && from.userId === this.user.id) return null;
    return from.name || "An agent";
  }

  /** Who may write here, and what happens when they do. */
  #composerState() {
    const m = this.model;
    if (this.user.role === "manager") return { enabled: false, note: "Managers can read conversations but not reply." };
    if (!m) return { enabled: false, note: "" };
    const override = this.composerOverride(m);
    if (override) return override;
    const agents = m.activeAgents();
    const mine = agents.some((p) => p.userId === this.user.id);
    if (mine) return { enabled: true, note: "" };
    if (agents.length) {
      return { enabled: false, note: `${agents.map((p) => p.name || "Another agent").join(", ")} is handling this conversation.` };
    }
    if (m.status === "resolved") return { enabled: true, note: "This conversation is resolved. Replying takes it over and reopens it for the customer." };
    if (m.status === "queued") return { enabled: true, note: "This customer is waiting for an agent. Replying takes the conversation over directly, without the offer and briefing." };
    return { enabled: true, note: "Replying assigns this conversation to you and pauses the assistant." };
  }

  #updateComposer() {
    const { enabled, note } = this.#composerState();
    // Nobody types into a box they can't send from: read-only views show only the note.
    this.els.composer.hidden = !enabled;
    this.els.hint.hidden = !enabled;
    this.els.note.hidden = !note;
    this.els.note.textContent = note;
    this.els.input.disabled = !enabled;
    this.els.composer.classList.toggle("is-disabled", !enabled);
    this.els.send.disabled = !enabled || !this.els.input.value.trim();
    this.attach?.setEnabled(enabled);
  }

  #showError(text) {
    this.els.error.textContent = text;
    this.els.error.hidden = false;
  }

  // ---- composer -------------------------------------------------------------------------------

  #bindComposer() {
    const { input, composer } = this.els;
    this.fitInput = autoGrow(input);
    composer.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#submit();
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.#submit();
      }
    });
    input.addEventListener("input", () => {
      this.els.send.disabled = input.disabled || !input.value.trim();
      this.notifier.input(!!input.value.trim());
    });
  }

  #submit() {
    const content = this.els.input.value.trim();
    if (!content || !this.conversationId || this.els.input.disabled) return;
    if (this.noteMode.on) {
      this.#submitNote(content);
      return;
    }
    this.notifier.stop();
    this.socket.sendMessage(this.conversationId, content);
    this.drafts.delete(this.conversationId);
    this.els.input.value = "";
    this.fitInput();
    this.els.send.disabled = true;
    this.els.error.hidden = true;
    this.timeline.scrollToBottom(true);
  }

  /** Posts an internal note; the input keeps the text until the gateway has it. */
  async #submitNote(text) {
    const id = this.conversationId;
    this.els.send.disabled = true;
    try {
      await this.noteMode.post(id, text);
      if (this.conversationId !== id) return;
      this.drafts.delete(id);
      this.els.input.value = "";
      this.fitInput();
      this.els.error.hidden = true;
      this.timeline.scrollToBottom(true);
    } catch (err) {
      if (this.conversationId !== id) return;
      this.els.error.textContent = err.message || "The note couldn't be saved.";
      this.els.error.hidden = false;
      this.els.send.disabled = false;
    }
  }

  focusComposer() {
    if (!this.els.input.disabled) this.els.input.focus();
  }
}

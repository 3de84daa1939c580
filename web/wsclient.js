// Warmline WebSocket client: one connection to /api/ws that authenticates, keeps subscriptions
// alive across reconnects, replays what was missed (by `seq`) without showing anything twice,
// and delivers outgoing messages at least once (the server dedupes by `clientMsgId`).
//
// Usage:
//   const ws = new WarmlineSocket({ token });
//   ws.addEventListener("event", (e) => render(e.detail.event));
//   ws.connect();
//   ws.subscribe(conversationId);            // replays everything, then streams live
//   const rec = ws.sendMessage(conversationId, "hello");  // rec.status: queued → sending → sent
//
// Events (CustomEvent, payload in `detail`):
//   state        { state, attempt, retryInMs }   state ∈ idle|connecting|connected|reconnecting|closed|auth_failed
//   ready        { me, conversationId }
//   event        { event, conversationId }      committed conversation event, each seq exactly once, in order
//   subscribed   { conversationId, lastSeq }    a replay is complete
//   pending      { record }                     an outgoing message changed status
//   ack          { record, ack }
//   typing       frame;  presence  frame;  inbox  frame;  inbox_update  frame
//   queue        frame (after subscribeQueue);  agent_status  frame;  offer  frame;  offer_withdrawn  frame
//   done         frame                         a command sent with `command()` is committed
//   call_ready   frame  { conversationId, callId, iceServers, recorded }   answer to `call_start`
//   call_answer  frame  { callId, sdp };  call_offer  frame  { callId, sdp };  call_ice  frame  { callId, candidate }
//   servererror  { code, message, ref }
//   authfailed   { code, message }

const PING_INTERVAL_MS = 25_000;
const PONG_TIMEOUT_MS = 10_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;

export function defaultSocketUrl(loc = window.location) {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${loc.host}/api/ws`;
}

export function newClientMsgId() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // Fallback for non-secure contexts (plain http on a LAN address), where randomUUID is absent.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Exponential backoff with jitter: half fixed, half random, capped. */
export function backoffDelay(attempt, base = BACKOFF_BASE_MS, cap = BACKOFF_CAP_MS) {
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/**
 * Tracks which sequence numbers of one conversation were delivered. `contiguous` is the highest seq
 * up to which nothing is missing: that is what we resubscribe from, so a gap is always refilled and
 * whatever arrives twice is dropped.
 */
export class SeqTracker {
  constructor(afterSeq = 0) {
    this.contiguous = afterSeq;
    this.ahead = new Set();
  }
  /** True if `seq` is new (and records it). */
  accept(seq) {
    if (!Number.isFinite(seq) || seq <= this.contiguous || this.ahead.has(seq)) return false;
    this.ahead.add(seq);
    while (this.ahead.has(this.contiguous + 1)) {
      this.contiguous += 1;
      this.ahead.delete(this.contiguous);
    }
    return true;
  }
  get hasGap() {
    return this.ahead.size > 0;
  }
  get highest() {
    return this.ahead.size ? Math.max(this.contiguous, ...this.ahead) : this.contiguous;
  }
}

export class WarmlineSocket extends EventTarget {
  #url;
  #token;
  #ws = null;
  #state = "idle";
  #attempt = 0;
  #reconnectTimer = null;
  #pingTimer = null;
  #pongTimer = null;
  #ready = false;
  #stopped = false;
  #inbox = false;
  #queue = false;
  /** conversationId → { tracker, replaying } */
  #subs = new Map();
  /** clientMsgId → record { clientMsgId, conversationId, content, status, createdAt, error? } */
  #pending = new Map();
  me = null;

  constructor({ token, url = defaultSocketUrl() } = {}) {
    super();
    this.#url = url;
    this.#token = token;
    this.onBrowserOnline = () => {
      if (this.#state === "reconnecting") this.#reconnectNow();
    };
  }

  get state() {
    return this.#state;
  }
  get isReady() {
    return this.#ready;
  }

  connect() {
    this.#stopped = false;
    window.addEventListener("online", this.onBrowserOnline);
    if (!this.#ws) this.#open();
  }

  /** Closes for good (logout, leaving the page). Pending messages are kept in memory only. */
  close() {
    this.#stopped = true;
    window.removeEventListener("online", this.onBrowserOnline);
    clearTimeout(this.#reconnectTimer);
    this.#teardown(1000, "client closed");
    this.#setState("closed");
  }

  /** Subscribes to a conversation; replays every event after `afterSeq` (default: everything). */
  subscribe(conversationId, afterSeq = 0) {
    const sub = { tracker: new SeqTracker(afterSeq), replaying: true };
    this.#subs.set(conversationId, sub);
    this.#send({ type: "subscribe", conversationId, afterSeq });
  }

  unsubscribe(conversationId) {
    if (!this.#subs.delete(conversationId)) return;
    this.#send({ type: "unsubscribe", conversationId });
  }

  /** Last seq seen without gaps for a subscribed conversation. */
  lastSeq(conversationId) {
    return this.#subs.get(conversationId)?.tracker.contiguous ?? 0;
  }

  subscribeInbox() {
    this.#inbox = true;
    this.#send({ type: "subscribe_inbox" });
  }

  /** Staff: the routing queues and agents now, then whenever they change (kept across reconnects). */
  subscribeQueue() {
    this.#queue = true;
    this.#send({ type: "subscribe_queue" });
  }

  /**
   * Sends a command frame (`set_status`, `accept_offer`, …) once, now. Commands are not queued or
   * repeated: the gateway answers each with `done` or `error`. False when not connected.
   */
  command(frame) {
    return this.#send(frame);
  }

  /**
   * Sends any frame once, now (call signalling: `call_start`, `call_offer`, `call_ice`, …). Like
   * `command()`, nothing is queued: false when not connected, and the caller decides what to redo
   * after the next `ready`.
   */
  send(frame) {
    return this.#send(frame);
  }

  /** Queues a message; it is (re)sent until the server acknowledges it. Returns its record. */
  sendMessage(conversationId, content, clientMsgId = newClientMsgId(), createdAt = new Date().toISOString()) {
    const existing = this.#pending.get(clientMsgId);
    if (existing) return existing;
    const record = { clientMsgId, conversationId, content, status: "queued", createdAt };
    this.#pending.set(clientMsgId, record);
    this.#transmit(record);
    return record;
  }

  /** Sends a failed message again, with the same clientMsgId. */
  retry(clientMsgId) {
    const record = this.#pending.get(clientMsgId);
    if (!record || record.status === "sent") return;
    delete record.error;
    record.status = "queued";
    this.#transmit(record);
  }

  /** Gives up on a failed message. */
  discard(clientMsgId) {
    this.#pending.delete(clientMsgId);
  }

  pendingFor(conversationId) {
    return [...this.#pending.values()].filter((r) => r.conversationId === conversationId);
  }

  setTyping(conversationId, isTyping) {
    if (this.#ready) this.#send({ type: "typing", conversationId, isTyping });
  }

  // ---- connection lifecycle -------------------------------------------------------------

  #open() {
    this.#ready = false;
    this.#setState(this.#attempt === 0 ? "connecting" : "reconnecting");
    let ws;
    try {
      ws = new WebSocket(this.#url);
    } catch (err) {
      this.#scheduleReconnect();
      return;
    }
    this.#ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: this.#token }));
    ws.onmessage = (e) => this.#onFrame(e.data);
    ws.onclose = () => this.#onClosed(ws);
    ws.onerror = () => {}; // a close event always follows
  }

  #onClosed(ws) {
    if (ws !== this.#ws) return;
    this.#ws = null;
    this.#ready = false;
    this.#stopTimers();
    if (this.#stopped || this.#state === "auth_failed") return;
    this.#scheduleReconnect();
  }

  #scheduleReconnect() {
    clearTimeout(this.#reconnectTimer);
    const delay = backoffDelay(this.#attempt);
    this.#attempt += 1;
    this.#setState("reconnecting", delay);
    this.#reconnectTimer = setTimeout(() => this.#open(), delay);
  }

  #reconnectNow() {
    clearTimeout(this.#reconnectTimer);
    if (!this.#ws && !this.#stopped) this.#open();
  }

  /** Skips the rest of the backoff wait ("Retry now"). */
  reconnectNow() {
    if (this.#state === "reconnecting") this.#reconnectNow();
  }

  /** Drops the socket without waiting for the browser to notice it is dead. */
  #teardown(code = 1000, reason = "") {
    const ws = this.#ws;
    this.#ws = null;
    this.#ready = false;
    this.#stopTimers();
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(code, reason);
      } catch {
        /* already closed */
      }
    }
  }

  #stopTimers() {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pongTimer);
    this.#pingTimer = this.#pongTimer = null;
  }

  #startKeepalive() {
    this.#stopTimers();
    this.#pingTimer = setInterval(() => {
      this.#send({ type: "ping" });
      clearTimeout(this.#pongTimer);
      this.#pongTimer = setTimeout(() => {
        // No answer at all: the connection is dead even if the browser has not noticed yet.
        this.#teardown(4000, "keepalive timeout");
        if (!this.#stopped) this.#scheduleReconnect();
      }, PONG_TIMEOUT_MS);
    }, PING_INTERVAL_MS);
  }

  #setState(state, retryInMs) {
    this.#state = state;
    this.#emit("state", { state, attempt: this.#attempt, retryInMs });
  }

  // ---- frames -----------------------------------------------------------------------------

  #send(frame) {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    // Everything but auth waits for `ready`; it is all re-sent from state on (re)connect.
    if (!this.#ready && frame.type !== "auth") return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  #transmit(record) {
    const sent = this.#send({
      type: "send_message",
      conversationId: record.conversationId,
      content: record.content,
      clientMsgId: record.clientMsgId,
    });
    const status = sent ? "sending" : "queued";
    if (record.status !== status) {
      record.status = status;
      this.#emit("pending", { record });
    } else if (!sent) {
      this.#emit("pending", { record });
    }
  }

  #onReady(frame) {
    this.#ready = true;
    this.#attempt = 0;
    this.me = frame.me;
    this.#setState("connected");
    this.#startKeepalive();
    this.#emit("ready", { me: frame.me, conversationId: frame.conversationId ?? null });
    // Restore everything this client had asked for, from where it left off.
    for (const [conversationId, sub] of this.#subs) {
      sub.replaying = true;
      this.#send({ type: "subscribe", conversationId, afterSeq: sub.tracker.contiguous });
    }
    if (this.#inbox) this.#send({ type: "subscribe_inbox" });
    if (this.#queue) this.#send({ type: "subscribe_queue" });
    for (const record of this.#pending.values()) {
      if (record.status === "queued" || record.status === "sending") this.#transmit(record);
    }
  }

  #onFrame(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    clearTimeout(this.#pongTimer); // any frame proves the connection is alive
    switch (frame.type) {
      case "ready":
        this.#onReady(frame);
        break;
      case "event":
        this.#onEvent(frame.event);
        break;
      case "subscribed":
        this.#onSubscribed(frame);
        break;
      case "ack":
        this.#onAck(frame);
        break;
      case "error":
        this.#onError(frame);
        break;
      case "pong":
      case "unsubscribed":
        break;
      default:
        // typing, presence, inbox, inbox_update, queue, offer, offer_withdrawn, agent_status, done,
        // call_ready, call_answer, call_offer, call_ice, and anything added later.
        this.#emit(frame.type, frame);
    }
  }

  #onEvent(event) {
    if (!event) return;
    const sub = this.#subs.get(event.conversationId);
    if (!sub) return; // unsubscribed meanwhile
    if (!sub.tracker.accept(event.seq)) return; // seen already
    // Our own message committed while its ack went missing: it is delivered, stop resending it.
    const own = event.type === "message" ? this.#pending.get(event.message?.clientMsgId) : null;
    this.#emit("event", { event, conversationId: event.conversationId, replay: sub.replaying });
    if (own && own.conversationId === event.conversationId) {
      own.status = "sent";
      own.messageId = event.message.id;
      own.seq = event.seq;
      this.#pending.delete(own.clientMsgId);
      this.#emit("pending", { record: own });
    }
    if (!sub.replaying && sub.tracker.hasGap) {
      // A live event skipped ahead: ask again from the last seq we have without holes.
      sub.replaying = true;
      this.#send({ type: "subscribe", conversationId: event.conversationId, afterSeq: sub.tracker.contiguous });
    }
  }

  #onSubscribed(frame) {
    const sub = this.#subs.get(frame.conversationId);
    if (!sub) return;
    sub.replaying = false;
    this.#emit("subscribed", { conversationId: frame.conversationId, lastSeq: frame.lastSeq });
  }

  #onAck(frame) {
    const record = this.#pending.get(frame.clientMsgId);
    if (record) {
      record.status = "sent";
      record.messageId = frame.messageId;
      record.seq = frame.seq;
      this.#pending.delete(frame.clientMsgId);
      this.#emit("pending", { record });
    }
    this.#emit("ack", { record: record ?? null, ack: frame });
  }

  #onError(frame) {
    const detail = { code: frame.code, message: frame.message, ref: frame.ref ?? null };
    if (!this.#ready) {
      // Before `ready` only authentication can fail, and the server closes right after. A rejected
      // token is final; anything else (storage briefly unavailable, rate limit) is worth a retry.
      this.#teardown(1000, "auth failed");
      if (detail.code === "unauthorized") {
        clearTimeout(this.#reconnectTimer);
        this.#setState("auth_failed");
        this.#emit("authfailed", detail);
      } else if (!this.#stopped) {
        this.#scheduleReconnect();
      }
      return;
    }
    const record = detail.ref ? this.#pending.get(detail.ref) : null;
    if (record) {
      record.status = "failed";
      record.error = detail;
      this.#emit("pending", { record });
    }
    this.#emit("servererror", detail);
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

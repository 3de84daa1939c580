// The agent's handoff commands over the socket (status, accept, decline, open briefing, join,
// invite a specialist, resolve), each as a promise settled by the gateway's `done` or `error`.
//
// The gateway answers the frames of one socket in order, so an answer is about the oldest command
// still waiting for that conversation (`ref` / `conversationId`; `set_status` has none). Commands
// are never re-sent: if the connection drops before the answer, the promise fails with
// `connection_lost` and the page shows what actually happened once the events arrive.

const TIMEOUT_MS = 15_000;

export class HandoffError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = "HandoffError";
    this.code = code;
  }
}

const MESSAGES = {
  not_offered: "This conversation isn't offered to you any more.",
  offer_expired: "The offer expired and moved on to another agent.",
  not_accepted: "Accept the conversation before joining it.",
  briefing_not_opened: "Open the briefing before joining, so the customer never has to repeat themselves.",
  already_joined: "You're already in this conversation.",
  not_in_conversation: "Only an agent in the conversation can do that.",
  not_escalated: "This conversation isn't waiting for an agent.",
  invite_pending: "A transfer or specialist invite for this conversation is already pending.",
  no_agent_available: "Nobody with that skill can take the conversation right now.",
  no_transfer: "There's no transfer to call off; it may have been accepted already.",
  offline: "You're offline. Try again once the connection is back.",
  connection_lost: "The connection dropped before the gateway answered. Check the conversation before trying again.",
  timeout: "The gateway didn't answer in time. Check the conversation before trying again.",
  forbidden: "You can't do that with this conversation.",
  not_found: "This conversation isn't available to you any more.",
};

/** Words for the agent about a failed command. */
export function describeError(err, { skill } = {}) {
  if (err?.code === "transfer_target_unavailable") return err.message;
  if (err?.code === "no_specialist") {
    return skill ? `Nobody with the ${skill} skill can join right now.` : "No specialist with that skill can join right now.";
  }
  return MESSAGES[err?.code] ?? err?.message ?? "Something went wrong. Try again.";
}

export class HandoffActions {
  /**
   * @param socket  WarmlineSocket
   * @param opts { onStray(err) }: an error about a conversation with no command waiting (the
   *   gateway reports a failed specialist search later, as `no_specialist`)
   */
  constructor(socket, { onStray } = {}) {
    this.socket = socket;
    this.onStray = onStray ?? (() => {});
    this.waiting = new Map(); // conversationId or "" → [{ action, resolve, reject, timer }]
    this.listeners = {
      done: (e) => this.#settle(e.detail.conversationId ?? "", e.detail.action, null),
      servererror: (e) => {
        const err = e.detail;
        if (!this.#settle(err.ref ?? "", null, err) && HANDOFF_CODES.has(err.code)) this.onStray(err);
      },
      state: (e) => {
        if (e.detail.state !== "connected") this.#failAll("connection_lost");
      },
    };
    for (const [type, fn] of Object.entries(this.listeners)) socket.addEventListener(type, fn);
  }

  dispose() {
    for (const [type, fn] of Object.entries(this.listeners)) this.socket.removeEventListener(type, fn);
    this.#failAll("connection_lost");
  }

  setStatus(status) {
    return this.#run("set_status", null, { status });
  }
  accept(conversationId) {
    return this.#run("accept_offer", conversationId);
  }
  decline(conversationId, reason) {
    return this.#run("decline_offer", conversationId, reason ? { reason } : {});
  }
  openBriefing(conversationId) {
    return this.#run("open_briefing", conversationId);
  }
  join(conversationId, introduction) {
    return this.#run("join_conversation", conversationId, introduction ? { introduction } : {});
  }
  invite(conversationId, skill) {
    return this.#run("invite_specialist", conversationId, { skill });
  }
  /** `target`: { toAgent } or { toSkill }. */
  transfer(conversationId, target, note) {
    return this.#run("transfer_conversation", conversationId, { ...target, ...(note ? { note } : {}) });
  }
  cancelTransfer(conversationId) {
    return this.#run("cancel_transfer", conversationId);
  }
  resolve(conversationId, note) {
    return this.#run("resolve_conversation", conversationId, note ? { note } : {});
  }

  /** Is a command of this kind waiting for an answer? */
  isWaiting(conversationId, action) {
    return (this.waiting.get(conversationId ?? "") ?? []).some((x) => x.action === action);
  }

  #run(action, conversationId, fields = {}) {
    const key = conversationId ?? "";
    const frame = { type: action, ...(conversationId ? { conversationId } : {}), ...fields };
    return new Promise((resolve, reject) => {
      if (!this.socket.command(frame)) {
        reject(new HandoffError("offline", MESSAGES.offline));
        return;
      }
      const entry = { action, resolve, reject, timer: null };
      entry.timer = setTimeout(() => this.#drop(key, entry, "timeout"), TIMEOUT_MS);
      const list = this.waiting.get(key) ?? [];
      list.push(entry);
      this.waiting.set(key, list);
    });
  }

  /** Settles the command an answer is about; false if none was waiting. */
  #settle(key, action, error) {
    const list = this.waiting.get(key);
    if (!list?.length) return false;
    const i = error ? 0 : list.findIndex((x) => x.action === action);
    if (i < 0) return false;
    const [entry] = list.splice(i, 1);
    if (!list.length) this.waiting.delete(key);
    clearTimeout(entry.timer);
    if (error) entry.reject(new HandoffError(error.code, error.message));
    else entry.resolve();
    return true;
  }

  #drop(key, entry, code) {
    const list = this.waiting.get(key) ?? [];
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
    if (!list.length) this.waiting.delete(key);
    entry.reject(new HandoffError(code, MESSAGES[code]));
  }

  #failAll(code) {
    const all = [...this.waiting.values()].flat();
    this.waiting.clear();
    for (const entry of all) {
      clearTimeout(entry.timer);
      entry.reject(new HandoffError(code, MESSAGES[code]));
    }
  }
}

const HANDOFF_CODES = new Set([
  "not_offered",
  "offer_expired",
  "not_accepted",
  "briefing_not_opened",
  "already_joined",
  "not_in_conversation",
  "not_escalated",
  "invite_pending",
  "no_specialist",
]);

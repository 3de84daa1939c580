// The message list of one conversation, shared by the customer page and the agent console.
//
// Items are kept in `seq` order; messages still being sent (no seq yet) stay at the end. A message
// that the customer or agent sent shows "Sending…" until the gateway acknowledges it, and is then
// matched with its committed copy by `clientMsgId`, so it is never shown twice. Once sent, the
// newest one shows how far the other side got (read receipts): "Delivered" when their page has it,
// "Seen" when they had it on screen (`setPeerReceipt`, from the gateway's `receipt` frames).
//
// The two views differ in who is "us" (right-hand side) and in what is shown: customers never see
// the assistant's confidence, its action ids, or sentiment/intent readings.
//
// Transcribed speech (`voice` messages) is not a chat bubble in either view: it shows as captions
// and in the live transcript during the call (captions.js), and in the review afterwards.

import { h, setRichText } from "./dom.js";
import { formatDateTime, formatTime, humanize, initials, percent, sentimentLabel, signed } from "./format.js";
import { mergeReceipt } from "./read-receipts.js";
import { attachmentView } from "./attachments.js";

const GROUP_WINDOW_MS = 5 * 60 * 1000;
const NEAR_BOTTOM_PX = 96;
export const ASSISTANT_NAME = "Brightboard Assistant";

export class Timeline {
  /**
   * @param {HTMLElement} list   the <ol> holding the items (role="log")
   * @param {object} opts
   *   view: "customer" | "agent"
   *   model: ConversationModel (for agent names)
   *   meUserId: the agent's own user id (agent view)
   *   scroller: the scrolling element (defaults to list.parentElement)
   *   jumpButton: optional button shown when new items arrive while scrolled up
   *   onRetry(clientMsgId): called from a failed message's "Retry"
   */
  constructor(list, opts) {
    this.list = list;
    this.view = opts.view;
    this.model = opts.model;
    this.meUserId = opts.meUserId ?? null;
    this.meName = opts.meName ?? null;
    this.scroller = opts.scroller ?? list.parentElement;
    this.jumpButton = opts.jumpButton ?? null;
    this.onRetry = opts.onRetry ?? (() => {});
    this.lastOwn = null;
    /** How far the other side has received and seen this conversation. */
    this.peerReceipt = mergeReceipt(null, null);
    if (this.jumpButton) {
      this.jumpButton.hidden = true;
      this.jumpButton.addEventListener("click", () => this.scrollToBottom(true));
      this.scroller.addEventListener("scroll", () => {
        if (this.isNearBottom()) this.jumpButton.hidden = true;
      }, { passive: true });
    }
  }

  clear() {
    this.list.replaceChildren();
    this.lastOwn = null;
    this.peerReceipt = mergeReceipt(null, null);
    if (this.jumpButton) this.jumpButton.hidden = true;
  }

  /** While replaying history, additions are not announced by screen readers. */
  setLive(live) {
    this.list.setAttribute("aria-live", live ? "polite" : "off");
  }

  // ---- public: messages --------------------------------------------------------------

  /** Adds or updates a committed message. */
  addMessage(message) {
    if (message.channel === "voice") return;
    const follow = this.isNearBottom();
    let el = this.#find(`[data-msg-id="${cssEscape(message.id)}"]`);
    if (!el && message.clientMsgId) el = this.#find(`[data-client-id="${cssEscape(message.clientMsgId)}"]`);
    if (el) {
      this.#fill(el, message, { status: "sent" });
    } else {
      el = this.#build(message, { status: "sent" });
    }
    this.#place(el, message.seq);
    if (this.#isOwn(message)) this.#markLastOwn(el);
    this.#afterInsert(follow, el);
    return el;
  }

  /** Shows (or updates) an outgoing message from the socket's pending record. */
  upsertPending(record) {
    const follow = this.isNearBottom();
    let el = this.#find(`[data-client-id="${cssEscape(record.clientMsgId)}"]`);
    if (el && el.dataset.msgId && !el.classList.contains("is-pending")) {
      return el; // the committed copy already arrived
    }
    const message = {
      id: record.messageId ?? "",
      seq: record.seq ?? 0,
      timestamp: record.createdAt,
      speaker: this.view === "customer" ? "customer" : "agent",
      agentId: this.meUserId ?? undefined,
      content: record.content,
      clientMsgId: record.clientMsgId,
    };
    if (el) this.#fill(el, message, { status: record.status, error: record.error });
    else el = this.#build(message, { status: record.status, error: record.error });
    this.#place(el, record.seq || Infinity);
    this.#markLastOwn(el);
    this.#afterInsert(follow || record.status === "queued", el);
    return el;
  }

  /**
   * The other side's positions (a `receipt` frame of the customer's side in the agent view, of
   * the support side in the customer view): own messages up to them read "Delivered" / "Seen".
   */
  setPeerReceipt(frame) {
    this.peerReceipt = mergeReceipt(this.peerReceipt, frame);
    for (const el of this.list.querySelectorAll(".msg--own .msg__status [data-receipt]")) {
      const item = el.closest(".msg");
      this.#showReceipt(el, Number(item?.dataset.seq) || 0);
    }
  }

  /** A centred line in the timeline: "Maya joined the conversation". */
  addNotice(text, { seq = 0, timestamp = null, tone = "default", key = null } = {}) {
    if (key && this.#find(`[data-key="${cssEscape(key)}"]`)) return null;
    const follow = this.isNearBottom();
    const el = h(
      "li",
      { class: `notice notice--${tone}`, dataset: { seq: String(seq), ...(key ? { key } : {}) } },
      h("span", { class: "notice__text", text }),
      timestamp ? h("time", { class: "notice__time", datetime: timestamp, title: formatDateTime(timestamp), text: formatTime(timestamp) }) : null,
    );
    this.#place(el, seq || Infinity);
    this.#afterInsert(follow, el);
    return el;
  }

  /** Puts a ready-made item (a card) in `seq` order, e.g. the survey after the resolution. */
  addItem(el, { seq = 0 } = {}) {
    const follow = this.isNearBottom();
    el.dataset.seq = String(seq || "");
    this.#place(el, seq || Infinity);
    this.#afterInsert(follow, el);
    return el;
  }

  isNearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom(smooth = false) {
    const s = this.scroller;
    s.scrollTo({ top: s.scrollHeight, behavior: smooth ? "smooth" : "auto" });
    if (this.jumpButton) this.jumpButton.hidden = true;
  }

  // ---- building ---------------------------------------------------------------------

  #isOwn(message) {
    if (this.view === "customer") return message.speaker === "customer";
    return message.speaker === "agent" && !!this.meUserId && message.agentId === this.meUserId;
  }

  #side(message) {
    if (message.speaker === "system") return "center";
    const customerSide = message.speaker === "customer";
    if (this.view === "customer") return customerSide ? "end" : "start";
    return customerSide ? "start" : "end";
  }

  #build(message, state) {
    const el = h("li", { class: "msg" });
    this.#fill(el, message, state);
    return el;
  }

  /** (Re)renders an item from a message and its delivery state. */
  #fill(el, message, { status, error } = {}) {
    const own = this.#isOwn(message);
    const side = this.#side(message);
    el.className = `msg msg--${message.speaker} msg--${side}${own ? " msg--own" : ""}`;
    el.classList.toggle("is-pending", status !== "sent");
    el.classList.toggle("is-failed", status === "failed");
    if (message.id) el.dataset.msgId = message.id;
    if (message.clientMsgId) el.dataset.clientId = message.clientMsgId;
    if (message.seq) el.dataset.seq = String(message.seq);
    el.dataset.author = `${message.speaker}:${message.agentId ?? ""}`;
    el.dataset.ts = message.timestamp ?? "";

    if (message.speaker === "system") {
      el.replaceChildren(this.#systemBody(message));
      return;
    }

    const author = this.#authorName(message, own);
    // A file sent as a message shows as its thumbnail or file chip instead of a text bubble.
    const bubble = message.attachment ? attachmentView(message.attachment) : h("div", { class: "msg__bubble" });
    if (!message.attachment) setRichText(bubble, message.content);

    const time = h("time", {
      class: "msg__time",
      datetime: message.timestamp ?? "",
      title: formatDateTime(message.timestamp),
      text: formatTime(message.timestamp),
    });

    const meta = h(
      "div",
      { class: "msg__meta" },
      h("span", { class: "msg__author", text: author }),
      this.#authorBadge(message),
      message.channel === "voice" ? h("span", { class: "tag tag--voice", text: "Voice" }) : null,
      time,
    );

    el.replaceChildren(
      h("div", { class: "msg__avatar", "aria-hidden": "true" }, this.#avatar(message, own ? this.#ownName(message) : author)),
      h(
        "div",
        { class: "msg__body" },
        meta,
        bubble,
        this.view === "agent" ? this.#insights(message) : null,
        own ? this.#statusLine(message, status, error) : null,
      ),
    );
  }

  /** The gateway's notices to the customer (escalation, pick-up, hand-back, resolution). */
  #systemBody(message) {
    const body = h("div", { class: "notice__text" });
    setRichText(body, message.content);
    return h(
      "div",
      { class: "notice notice--system" },
      this.view === "agent" ? h("span", { class: "notice__label", text: "Told the customer" }) : null,
      body,
      h("time", { class: "notice__time", datetime: message.timestamp, title: formatDateTime(message.timestamp), text: formatTime(message.timestamp) }),
    );
  }

  #authorName(message, own) {
    switch (message.speaker) {
      case "customer":
        return this.view === "customer" ? "You" : this.model.customerName();
      case "ai":
        return this.view === "customer" ? ASSISTANT_NAME : "Assistant";
      case "agent":
        if (own) return "You";
        return this.model.agentName(message.agentId) || (this.view === "customer" ? "Support team" : "Agent");
      default:
        return "System";
    }
  }

  #authorBadge(message) {
    if (message.speaker === "ai") return h("span", { class: "badge badge--ai", title: "Automated assistant", text: "AI" });
    if (message.speaker === "agent" && this.view === "customer") {
      return h("span", { class: "badge badge--team", text: "Support" });
    }
    return null;
  }

  #avatar(message, author) {
    if (message.speaker === "ai") {
      return h("span", { class: "avatar avatar--ai", text: this.view === "customer" ? "B" : "AI" });
    }
    const cls = message.speaker === "agent" ? "avatar avatar--agent" : "avatar avatar--customer";
    return h("span", { class: cls, text: initials(author) });
  }

  #ownName(message) {
    if (this.view === "customer") return this.model.customer?.name || "You";
    return this.model.agentName(message.agentId) || this.meName || "You";
  }

  /** Agent-only analysis: sentiment and intent on customer messages; confidence and tried actions on AI ones. */
  #insights(message) {
    const chips = [];
    if (message.speaker === "customer") {
      if (message.sentiment) {
        const score = typeof message.sentimentScore === "number" ? ` ${signed(message.sentimentScore)}` : "";
        chips.push(
          h(
            "span",
            { class: `chip chip--sentiment sentiment--${message.sentiment}`, title: "Sentiment of this message" },
            h("span", { class: "dot", "aria-hidden": "true" }),
            `${sentimentLabel(message.sentiment)}${score}`,
          ),
        );
      }
      if (message.intent) {
        chips.push(h("span", { class: "chip chip--intent", title: `Detected intent: ${message.intent}` }, h("span", { class: "chip__key", text: "Intent" }), humanize(message.intent)));
      }
    }
    if (message.speaker === "ai") {
      if (typeof message.confidence === "number") {
        const low = message.confidence < 0.5;
        chips.push(
          h(
            "span",
            { class: `chip chip--confidence${low ? " is-low" : ""}`, title: "Assistant's confidence in this reply" },
            h("span", { class: "chip__key", text: "Confidence" }),
            percent(message.confidence),
            h("span", { class: "meter", "aria-hidden": "true" }, h("span", { class: "meter__fill", style: `width:${Math.round(Math.max(0, Math.min(1, message.confidence)) * 100)}%` })),
          ),
        );
      }
      if (typeof message.handoffLikelihood === "number") {
        const high = message.handoffLikelihood >= 0.6;
        chips.push(
          h(
            "span",
            { class: `chip chip--likelihood${high ? " is-high" : ""}`, title: "How likely a handoff to a person is becoming, after this reply" },
            h("span", { class: "chip__key", text: "Handoff" }),
            percent(message.handoffLikelihood),
          ),
        );
      }
      const actions = message.actionsAttempted ?? [];
      if (actions.length) {
        chips.push(
          h(
            "span",
            { class: "chip chip--actions" },
            h("span", { class: "chip__key", text: "Tried" }),
            h("span", { class: "action-list" }, actions.map((a) => h("span", { class: "action", title: a, text: humanize(a) }))),
          ),
        );
      }
    }
    return chips.length ? h("div", { class: "msg__insights" }, chips) : null;
  }

  #statusLine(message, status, error) {
    const line = h("div", { class: "msg__status", role: status === "failed" ? "alert" : null });
    if (this.view === "customer" && status === "sent") {
      line.append(h("span", { class: "msg__status-time", text: `${formatTime(message.timestamp)} · ` }));
    }
    if (status === "failed") {
      line.append(
        h("span", { class: "status-failed", text: error?.message ? `Not sent: ${error.message}` : "Not sent" }),
        " ",
        h("button", {
          type: "button",
          class: "link-button",
          text: "Retry",
          on: { click: () => this.onRetry(message.clientMsgId) },
        }),
      );
    } else if (status === "sent") {
      const receipt = h("span", { class: "status-sent", dataset: { receipt: "sent" }, text: "Sent" });
      this.#showReceipt(receipt, message.seq || 0);
      line.append(receipt);
    } else {
      line.append(h("span", { class: "status-sending", text: "Sending…" }));
    }
    return line;
  }

  /** "Sent", "Delivered" or "Seen" for an own message committed under `seq`. */
  #showReceipt(el, seq) {
    const { deliveredSeq, readSeq } = this.peerReceipt;
    const state = seq && readSeq >= seq ? "seen" : seq && deliveredSeq >= seq ? "delivered" : "sent";
    if (el.dataset.receipt === state && el.textContent) return;
    const other = this.view === "customer" ? "the support team" : "the customer";
    el.dataset.receipt = state;
    el.className = `status-sent status-receipt status-receipt--${state}`;
    el.textContent = state === "seen" ? "Seen" : state === "delivered" ? "Delivered" : "Sent";
    el.title = state === "seen" ? `Seen by ${other}` : state === "delivered" ? `Delivered to ${other}` : "Sent";
  }

  // ---- placement & grouping -----------------------------------------------------------

  #find(selector) {
    return this.list.querySelector(selector);
  }

  /** Puts `el` before the first item with a higher seq (items without seq count as last). */
  #place(el, seq) {
    const key = seq || Infinity;
    let before = null;
    for (let node = this.list.lastElementChild; node; node = node.previousElementSibling) {
      if (node === el) continue;
      const s = Number(node.dataset.seq) || Infinity;
      if (s > key || (s === Infinity && key !== Infinity)) before = node;
      else break;
    }
    if (el.parentNode === this.list && el.nextElementSibling === before) {
      // already in place: moving it would make screen readers announce it again
    } else {
      const prevNext = el.parentNode === this.list ? el.nextElementSibling : null;
      this.list.insertBefore(el, before);
      if (prevNext) this.#regroup(prevNext);
    }
    this.#regroup(el);
    if (el.nextElementSibling) this.#regroup(el.nextElementSibling);
  }

  #regroup(el) {
    if (!el?.classList.contains("msg")) return;
    const prev = el.previousElementSibling;
    let continued = false;
    if (prev?.classList.contains("msg") && prev.dataset.author === el.dataset.author && !el.classList.contains("msg--system")) {
      const a = Date.parse(prev.dataset.ts);
      const b = Date.parse(el.dataset.ts);
      continued = Number.isFinite(a) && Number.isFinite(b) ? b - a < GROUP_WINDOW_MS : true;
    }
    el.classList.toggle("is-continued", continued);
  }

  #markLastOwn(el) {
    if (this.lastOwn && this.lastOwn !== el) {
      // Only the newest own message keeps its "Sent" line; older ones only show problems.
      const later = this.lastOwn.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING;
      if (!later) return;
      this.lastOwn.classList.remove("is-latest-own");
    }
    this.lastOwn = el;
    el.classList.add("is-latest-own");
  }

  #afterInsert(follow, el) {
    if (follow) {
      this.scrollToBottom(false);
    } else if (this.jumpButton && !el.classList.contains("msg--own")) {
      this.jumpButton.hidden = false;
    }
  }
}

function cssEscape(s) {
  return window.CSS?.escape ? CSS.escape(s) : String(s).replace(/["\\]/g, "\\$&");
}

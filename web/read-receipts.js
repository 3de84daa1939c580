// Read receipts, the page's half: telling the gateway how far this page has received and shown one
// conversation, so the other side sees "Delivered" and "Seen" under their last message.
//
//   delivered { conversationId, seq }  the highest seq this page rendered (visible or not)
//   read      { conversationId, seq }  the highest seq the person had on screen: the tab is
//                                      visible and the item is scrolled into view
//
// Both only grow and are sent when they do, at most every FLUSH_MS (a replay of hundreds of events
// is one frame). `read` implies `delivered`, so only one of them is sent when they agree. After a
// reconnect both are sent again (the gateway keeps them in memory only). What the other side has
// done arrives as `receipt` frames; `Timeline.setPeerReceipt` shows them.

const FLUSH_MS = 400;
const NEAR_BOTTOM_PX = 96;

export class ReceiptReporter {
  /**
   * @param socket  WarmlineSocket
   * @param opts
   *   conversationId: the conversation's id, or a function returning the open one (null: none)
   *   scroller: the element the timeline scrolls in
   *   list: the timeline's list (its items carry `data-seq`)
   */
  constructor(socket, { conversationId, scroller, list }) {
    this.socket = socket;
    this.conversationIdOf = typeof conversationId === "function" ? conversationId : () => conversationId;
    this.scroller = scroller;
    this.list = list;
    this.#reset(null);
    this.timer = null;
    this.lastFlush = 0;
    this.onChange = () => this.check();
    this.onReady = () => {
      // A new connection (maybe a restarted gateway): say it all again.
      this.sent = { delivered: 0, read: 0 };
      this.check();
    };
    socket.addEventListener("ready", this.onReady);
    scroller.addEventListener("scroll", this.onChange, { passive: true });
    document.addEventListener("visibilitychange", this.onChange);
    window.addEventListener("focus", this.onChange);
  }

  /** An event of the open conversation was rendered (or deliberately not shown, like a redaction). */
  rendered(seq) {
    this.#sync();
    if (Number.isFinite(seq) && seq > this.delivered) this.delivered = seq;
    this.check();
  }

  /** Something on screen may have changed (scrolled, replay done, tab shown): report soon. */
  check() {
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlush + FLUSH_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.#flush();
    }, wait);
  }

  dispose() {
    clearTimeout(this.timer);
    this.timer = null;
    this.socket.removeEventListener("ready", this.onReady);
    this.scroller.removeEventListener("scroll", this.onChange);
    document.removeEventListener("visibilitychange", this.onChange);
    window.removeEventListener("focus", this.onChange);
  }

  #reset(id) {
    this.id = id;
    this.delivered = 0;
    this.sent = { delivered: 0, read: 0 };
  }

  /** A different conversation is open (agent console): start over for it. */
  #sync() {
    const id = this.conversationIdOf() ?? null;
    if (id !== this.id) this.#reset(id);
    return id;
  }

  #flush() {
    const id = this.#sync();
    if (!id) return;
    this.lastFlush = Date.now();
    const read = Math.min(this.#readSeq(), this.delivered);
    if (read > this.sent.read) {
      if (this.socket.send({ type: "read", conversationId: id, seq: read })) {
        this.sent.read = read;
        this.sent.delivered = Math.max(this.sent.delivered, read);
      }
    }
    if (this.delivered > this.sent.delivered) {
      if (this.socket.send({ type: "delivered", conversationId: id, seq: this.delivered })) {
        this.sent.delivered = this.delivered;
      }
    }
  }

  /** The highest seq the person can see now: 0 while the tab or the timeline is hidden. */
  #readSeq() {
    if (document.visibilityState !== "visible") return 0;
    const s = this.scroller;
    if (!s.isConnected || s.clientHeight === 0 || s.getClientRects().length === 0) return 0;
    // At the bottom: everything rendered, also events that show nothing.
    if (s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX) return this.delivered;
    // Scrolled up: up to the last item whose top is inside the visible part.
    const bottom = s.getBoundingClientRect().bottom;
    for (let node = this.list.lastElementChild; node; node = node.previousElementSibling) {
      const seq = Math.floor(Number(node.dataset.seq));
      if (!seq || !Number.isFinite(seq)) continue;
      if (node.getBoundingClientRect().top < bottom) return seq;
    }
    return 0;
  }
}

/** Folds `receipt` frames of one side into the highest positions seen (frames may repeat). */
export function mergeReceipt(current, frame) {
  return {
    deliveredSeq: Math.max(current?.deliveredSeq ?? 0, frame?.deliveredSeq ?? 0, frame?.readSeq ?? 0),
    readSeq: Math.max(current?.readSeq ?? 0, frame?.readSeq ?? 0),
  };
}

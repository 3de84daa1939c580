// Typing indicators: showing who else is typing, and telling others when we are.

import { h } from "./dom.js";

const REMOTE_TIMEOUT_MS = 8_000; // a peer that stops sending updates stops "typing"
const LOCAL_IDLE_MS = 3_000; // we say "stopped typing" after this long without a keystroke
const LOCAL_REFRESH_MS = 5_000; // while typing, we repeat "typing" this often

/** Shows "Maya is typing…" under the timeline. */
export class TypingIndicator {
  /** @param nameFor(from) → display name, or null to ignore this peer */
  constructor(el, { nameFor }) {
    this.el = el;
    this.nameFor = nameFor;
    this.peers = new Map(); // key → { name, timer }
    this.label = h("span", { class: "typing__label" });
    el.replaceChildren(
      h("span", { class: "typing__dots", "aria-hidden": "true" }, h("span"), h("span"), h("span")),
      this.label,
    );
    this.#render();
  }

  /** Applies a `typing` frame's sender and state. */
  set(from, isTyping, timeoutMs = REMOTE_TIMEOUT_MS) {
    const name = this.nameFor(from);
    if (!name) return;
    const key = `${from.kind}:${from.userId ?? from.name}`;
    const old = this.peers.get(key);
    if (old) clearTimeout(old.timer);
    if (isTyping) {
      const timer = setTimeout(() => this.set(from, false), timeoutMs);
      this.peers.set(key, { name, timer });
    } else {
      this.peers.delete(key);
    }
    this.#render();
  }

  /** Stops showing everyone of these kinds (e.g. when their message arrives). */
  clearKind(kinds) {
    for (const [key, p] of this.peers) {
      if (kinds.includes(key.split(":")[0])) {
        clearTimeout(p.timer);
        this.peers.delete(key);
      }
    }
    this.#render();
  }

  clearAll() {
    for (const p of this.peers.values()) clearTimeout(p.timer);
    this.peers.clear();
    this.#render();
  }

  #render() {
    const names = [...new Set([...this.peers.values()].map((p) => p.name))];
    this.el.hidden = names.length === 0;
    let text = "";
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = "Several people are typing…";
    if (this.label.textContent !== text) this.label.textContent = text;
  }
}

/** Sends `typing` frames for our own composer, without flooding the socket. */
export class TypingNotifier {
  constructor(socket, getConversationId) {
    this.socket = socket;
    this.getConversationId = getConversationId;
    this.typing = false;
    this.lastSent = 0;
    this.idleTimer = null;
  }

  /** Call on every input event with whether the composer has text. */
  input(hasText) {
    clearTimeout(this.idleTimer);
    if (!hasText) {
      this.stop();
      return;
    }
    const now = Date.now();
    if (!this.typing || now - this.lastSent > LOCAL_REFRESH_MS) {
      this.#send(true);
      this.lastSent = now;
    }
    this.idleTimer = setTimeout(() => this.stop(), LOCAL_IDLE_MS);
  }

  stop() {
    clearTimeout(this.idleTimer);
    if (this.typing) this.#send(false);
  }

  #send(isTyping) {
    const id = this.getConversationId();
    this.typing = isTyping;
    if (id) this.socket.setTyping(id, isTyping);
  }
}

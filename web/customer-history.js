// The customer's earlier conversations on this device: starting a new conversation keeps the
// previous one (id and customer token, like the current one in localStorage), and the intro
// screen lists them, newest first, so one click reopens any of them.

import { h } from "./dom.js";
import { formatDateTime } from "./format.js";

let historyKey = "warmline.brightboard.previous";
const MAX_KEPT = 10;
const SNIPPET_CHARS = 90;

/** Keeps the list under another key (the widget keeps one list per site). */
export function useHistoryKey(key) {
  historyKey = key;
}

/** The kept conversations, newest first: [{ conversationId, customerToken, name, startedAt, snippet }]. */
export function loadPrevious() {
  try {
    const list = JSON.parse(localStorage.getItem(historyKey) || "[]");
    return Array.isArray(list) ? list.filter((c) => c?.conversationId && c?.customerToken).sort(newestFirst) : [];
  } catch {
    return [];
  }
}

/** Keeps `saved` (the conversation being left) at the top of the list. */
export function rememberPrevious(saved) {
  if (!saved?.conversationId || !saved?.customerToken) return;
  const { conversationId, customerToken, name = null, startedAt = null, snippet = null } = saved;
  const rest = loadPrevious().filter((c) => c.conversationId !== conversationId);
  store([{ conversationId, customerToken, name, startedAt, snippet }, ...rest].sort(newestFirst).slice(0, MAX_KEPT));
}

/** Drops one (it is being reopened, or its token no longer works). */
export function forgetPrevious(conversationId) {
  store(loadPrevious().filter((c) => c.conversationId !== conversationId));
}

/** The first words of the customer's first message, for the list. */
export function snippetOf(text) {
  const s = String(text ?? "").replace(/\s+/g, " ").trim();
  return s.length > SNIPPET_CHARS ? `${s.slice(0, SNIPPET_CHARS - 1).trimEnd()}…` : s;
}

function store(list) {
  try {
    if (list.length) localStorage.setItem(historyKey, JSON.stringify(list));
    else localStorage.removeItem(historyKey);
  } catch {
    /* private mode: nothing is kept, as with the current conversation */
  }
}

function newestFirst(a, b) {
  return (Date.parse(b.startedAt) || 0) - (Date.parse(a.startedAt) || 0);
}

/** The "Previous conversations" list on the intro screen. */
export class PreviousList {
  /** @param section the list's <section> (hidden when empty); list its <ul>; onOpen(entry) */
  constructor(section, list, { onOpen }) {
    this.section = section;
    this.list = list;
    this.onOpen = onOpen;
  }

  render() {
    const items = loadPrevious();
    this.section.hidden = !items.length;
    this.list.replaceChildren(
      ...items.map((c) => {
        const when = formatDateTime(c.startedAt) || "Earlier conversation";
        const what = c.snippet || "No messages yet";
        return h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "previous-conv",
              "data-testid": "previous-conversation",
              dataset: { conversationId: c.conversationId },
              "aria-label": `Reopen the conversation from ${when}: ${what}`,
              on: { click: () => this.onOpen(c) },
            },
            h("time", { class: "previous-conv__when", datetime: c.startedAt || null, text: when }),
            h("span", { class: `previous-conv__what${c.snippet ? "" : " is-empty"}`, text: what }),
          ),
        );
      }),
    );
  }
}

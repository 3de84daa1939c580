// The agent's inbox: live list of conversation summaries (from `subscribe_inbox`), filterable by
// status, newest activity first. Rows are links to `#/c/<id>` so the browser's back button and
// keyboard navigation work as usual.

import { h } from "./dom.js";
import { formatDateTime, humanize, percent, relativeTime, sentimentLabel, statusLabel, urgencyLabel } from "./format.js";

/** Below this, the assistant's handoff likelihood is not worth a tag in the list. */
const LIKELIHOOD_TAG_MIN = 0.3;

const FILTERS = [
  { id: "all", label: "All", test: () => true },
  { id: "mine", label: "Mine", test: (c, me) => (c.agents ?? []).includes(me) },
  { id: "queued", label: "Queued", test: (c) => c.status === "queued" },
  { id: "ai", label: "AI", test: (c) => c.status === "ai" },
  { id: "with_agent", label: "With agent", test: (c) => c.status === "with_agent" },
  { id: "resolved", label: "Resolved", test: (c) => c.status === "resolved" },
];

const EMPTY_TEXT = {
  all: "No conversations yet. New chats appear here as soon as customers write in.",
  mine: "You're not in any conversation right now.",
  queued: "Nobody is waiting for an agent.",
  ai: "The assistant isn't handling any conversation right now.",
  with_agent: "No conversation is with an agent right now.",
  resolved: "No resolved conversations.",
};

export function conversationHref(id) {
  return `#/c/${encodeURIComponent(id)}`;
}

export class Inbox {
  /**
   * @param els { list, filters, empty, count }
   * @param opts { meUserId, onChange(): after the list or what was seen changed (the title count) }
   */
  constructor(els, { meUserId, onChange }) {
    this.els = els;
    this.me = meUserId;
    this.onChange = onChange ?? (() => {});
    this.items = new Map(); // id → summary
    this.nodes = new Map(); // id → <li>
    this.seen = new Map(); // id → lastSeq the agent has looked at
    this.selected = null;
    this.filter = "all";
    this.loaded = false;
    this.filterButtons = new Map();
    this.#buildFilters();
    this.#renderEmpty();
    els.list.addEventListener("keydown", (e) => this.#onKey(e));
  }

  /** Up/Down arrows (and Home/End) move between rows; Tab still leaves the list. */
  #onKey(e) {
    const rows = [...this.els.list.querySelectorAll(".conv-item")];
    const i = rows.indexOf(document.activeElement);
    if (i < 0) return;
    const next = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: rows.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    rows[Math.max(0, Math.min(rows.length - 1, next))].focus();
  }

  /** Full list (first `inbox` frame, and again after each reconnect). */
  setAll(summaries) {
    const first = !this.loaded;
    this.items.clear();
    for (const s of summaries ?? []) {
      this.items.set(s.conversationId, s);
      // What was there when the console opened counts as read; later activity shows as unread.
      if (first && !this.seen.has(s.conversationId)) this.seen.set(s.conversationId, s.lastSeq);
    }
    this.loaded = true;
    this.render();
  }

  /** One changed conversation (`inbox_update`). Older snapshots than what we hold are ignored. */
  update(summary) {
    const old = this.items.get(summary.conversationId);
    if (old && (old.lastSeq ?? 0) > (summary.lastSeq ?? 0)) return;
    // The summary's sentiment is the last message's; replies from the assistant or an agent carry
    // none, so keep showing the customer's last known mood instead of blanking the dot.
    if (!summary.lastSentiment && old?.lastSentiment) summary = { ...summary, lastSentiment: old.lastSentiment };
    this.items.set(summary.conversationId, summary);
    this.render();
  }

  /** Drops a conversation this agent can no longer see (taken by someone else). */
  remove(id) {
    if (this.items.delete(id)) this.render();
  }

  get(id) {
    return this.items.get(id) ?? null;
  }

  select(id) {
    this.selected = id;
    if (id) this.markSeen(id, this.items.get(id)?.lastSeq ?? 0);
    this.render();
  }

  markSeen(id, seq) {
    if ((this.seen.get(id) ?? -1) < seq) this.seen.set(id, seq);
    const node = this.nodes.get(id);
    if (node) node.firstChild.classList.toggle("is-unread", this.#isUnread(this.items.get(id)));
    this.onChange();
  }

  /** How many of this agent's own conversations have activity they have not seen. */
  unreadMine() {
    let n = 0;
    for (const c of this.items.values()) if ((c.agents ?? []).includes(this.me) && this.#isUnread(c)) n += 1;
    return n;
  }

  /** Calls in this agent's own conversations where the customer waits, no one from support is in
   *  the call and this agent has not been in it (leaving was their choice):
   *  [{ conversationId, callId, customerName }]. */
  waitingCalls() {
    const out = [];
    for (const c of this.items.values()) {
      const call = c.liveCall;
      if (!call?.customerInCall || (call.staffInCall ?? []).length || !(c.agents ?? []).includes(this.me)) continue;
      if ((call.staffJoined ?? []).includes(this.me)) continue;
      out.push({ conversationId: c.conversationId, callId: call.callId, customerName: c.customerName ?? null });
    }
    return out;
  }

  /** Refreshes relative times ("3m"). */
  tick() {
    for (const [id, node] of this.nodes) {
      const t = node.querySelector(".conv-item__time");
      const s = this.items.get(id);
      if (t && s) t.textContent = relativeTime(s.updatedAt);
    }
  }

  setFilter(id) {
    this.filter = id;
    for (const [fid, btn] of this.filterButtons) btn.setAttribute("aria-pressed", String(fid === id));
    this.render();
  }

  // ---- rendering --------------------------------------------------------------------------

  #buildFilters() {
    const group = this.els.filters;
    group.replaceChildren();
    for (const f of FILTERS) {
      const count = h("span", { class: "filter__count" });
      const btn = h(
        "button",
        { type: "button", class: "filter", "aria-pressed": String(f.id === this.filter), on: { click: () => this.setFilter(f.id) } },
        f.label,
        count,
      );
      btn._count = count;
      this.filterButtons.set(f.id, btn);
      group.append(btn);
    }
  }

  #isUnread(s) {
    if (!s || s.conversationId === this.selected) return false;
    return (s.lastSeq ?? 0) > (this.seen.get(s.conversationId) ?? 0);
  }

  render() {
    const all = [...this.items.values()].sort(byUpdatedDesc);
    const filter = FILTERS.find((f) => f.id === this.filter) ?? FILTERS[0];
    const visible = all.filter((c) => filter.test(c, this.me));

    for (const f of FILTERS) {
      const n = all.filter((c) => f.test(c, this.me)).length;
      const btn = this.filterButtons.get(f.id);
      btn._count.textContent = n ? String(n) : "";
      btn.setAttribute("aria-label", `${f.label}, ${n} conversation${n === 1 ? "" : "s"}`);
    }
    const open = all.filter((c) => c.status !== "resolved").length;
    this.els.count.textContent = this.loaded ? `${open} open` : "";

    // Keyed update: reuse rows so focus and scroll position survive live updates.
    const keep = new Set(visible.map((c) => c.conversationId));
    for (const [id, node] of this.nodes) {
      if (!keep.has(id)) {
        node.remove();
        this.nodes.delete(id);
      }
    }
    let cursor = this.els.list.firstElementChild;
    for (const c of visible) {
      let node = this.nodes.get(c.conversationId);
      if (!node) {
        node = h("li", {}, h("a", { class: "conv-item", href: conversationHref(c.conversationId) }));
        this.nodes.set(c.conversationId, node);
      }
      this.#fillRow(node.firstChild, c);
      if (node !== cursor) this.els.list.insertBefore(node, cursor);
      else cursor = cursor.nextElementSibling;
    }
    this.#renderEmpty(visible.length);
    this.onChange();
  }

  #renderEmpty(visibleCount = 0) {
    const empty = this.els.empty;
    if (!this.loaded) {
      empty.textContent = "Loading conversations…";
      empty.hidden = false;
    } else {
      empty.textContent = EMPTY_TEXT[this.filter] ?? "Nothing here.";
      empty.hidden = visibleCount > 0;
    }
  }

  #fillRow(a, c) {
    const name = c.customerName?.trim() || "Visitor";
    const agents = c.agents ?? [];
    const mine = agents.includes(this.me);
    a.classList.toggle("is-unread", this.#isUnread(c));
    if (c.conversationId === this.selected) a.setAttribute("aria-current", "true");
    else a.removeAttribute("aria-current");

    const sentiment = c.lastSentiment
      ? h("span", { class: `dot sentiment--${c.lastSentiment}`, title: `Last sentiment: ${sentimentLabel(c.lastSentiment)}` })
      : h("span", { class: "dot is-unknown", title: "No sentiment yet" });

    a.replaceChildren(
      h(
        "span",
        { class: "conv-item__name" },
        sentiment,
        c.lastSentiment ? h("span", { class: "visually-hidden", text: `${sentimentLabel(c.lastSentiment)} sentiment, ` }) : null,
        h("span", { class: "conv-item__name-text", text: name }),
      ),
      h("time", {
        class: "conv-item__time",
        datetime: c.updatedAt ?? "",
        title: formatDateTime(c.updatedAt),
        text: relativeTime(c.updatedAt),
      }),
      h("span", { class: "conv-item__preview", text: c.lastMessage?.replace(/\s+/g, " ") || "No messages yet" }),
      h(
        "span",
        { class: "conv-item__tags" },
        h("span", { class: `status-chip status--${c.status}`, text: statusLabel(c.status) }),
        c.urgency && (c.status === "queued" || c.status === "with_agent")
          ? h("span", { class: `urgency urgency--${c.urgency}`, title: "Urgency", text: urgencyLabel(c.urgency) })
          : null,
        c.liveCall
          ? h("span", {
              class: `tag tag--call${c.liveCall.customerInCall && !(c.liveCall.staffInCall ?? []).length ? " is-waiting" : ""}`,
              title: "A video call is going on",
              text: c.liveCall.customerInCall && !(c.liveCall.staffInCall ?? []).length ? "Call waiting" : "In call",
            })
          : null,
        c.emailFollowup
          ? h("span", { class: "tag tag--email", title: "Nobody was online: the customer left an e-mail address, and replies reach them by e-mail while they are away", "data-testid": "email-followup", text: "E-mail follow-up" })
          : null,
        c.status === "ai" && typeof c.handoffLikelihood === "number" && c.handoffLikelihood >= LIKELIHOOD_TAG_MIN
          ? h("span", { class: `tag tag--likelihood${c.handoffLikelihood >= 0.6 ? " is-high" : ""}`, title: "How likely a handoff to a person is becoming", text: `Handoff ${percent(c.handoffLikelihood)}` })
          : null,
        c.skill ? h("span", { class: "tag", title: "Skill", text: humanize(c.skill) }) : null,
        ...(c.tags ?? []).map((t) => h("span", { class: "tag tag--label", title: "Tag", text: t })),
        mine ? h("span", { class: "conv-item__owner", text: "· You" }) : agents.length ? h("span", { class: "conv-item__owner", text: "· Assigned" }) : null,
      ),
    );
  }
}

function byUpdatedDesc(a, b) {
  const ta = Date.parse(a.updatedAt ?? "") || 0;
  const tb = Date.parse(b.updatedAt ?? "") || 0;
  return tb - ta || (b.lastSeq ?? 0) - (a.lastSeq ?? 0);
}

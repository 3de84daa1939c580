// The queue tab of the agent console (from `subscribe_queue`): per skill, the conversations waiting
// for a person in queue order, with urgency, customer, trigger and how long they have waited; then
// the team, with each agent's status and load.

import { h } from "./dom.js";
import { formatDuration, humanize, initials, secondsSince } from "./format.js";
import { urgencyBadge } from "./briefing-view.js";
import { conversationHref } from "./agent-inbox.js";

const STATUS_LABELS = { available: "Available", busy: "Busy", away: "Away", offline: "Offline" };
const STATUS_ORDER = { available: 0, busy: 1, away: 2, offline: 3 };

export class QueuePanel {
  /**
   * @param els  { root, count }
   * @param opts { user }: the signed-in staff member (links only what they may open)
   */
  constructor(els, { user }) {
    this.els = els;
    this.user = user;
    this.queue = null;
    this.render();
  }

  set(queue) {
    this.queue = queue ?? { queues: [], agents: [] };
    this.render();
  }

  /** Refreshes the "waiting 3m" times. */
  tick() {
    for (const el of this.els.root.querySelectorAll("[data-since]")) {
      const text = `waiting ${formatDuration(secondsSince(el.dataset.since))}`;
      if (el.textContent !== text) el.textContent = text;
    }
  }

  render() {
    const root = this.els.root;
    if (!this.queue) {
      root.replaceChildren(h("p", { class: "inbox-empty", text: "Loading the queue…" }));
      this.els.count.textContent = "";
      return;
    }
    // Keep keyboard focus on the same row across live updates.
    const focusKey = document.activeElement?.closest?.("[data-key]")?.dataset.key;
    const queues = (this.queue.queues ?? []).filter((q) => (q.conversations ?? []).length);
    const waiting = queues.reduce((n, q) => n + q.conversations.length, 0);
    this.els.count.textContent = waiting ? `${waiting} waiting` : "";
    const names = new Map((this.queue.agents ?? []).map((a) => [a.agentId, a.name || a.agentId]));

    root.replaceChildren(
      h(
        "section",
        { class: "queue-section", "aria-labelledby": "queue-waiting-title" },
        h("h3", { class: "queue-section__title", id: "queue-waiting-title", text: "Waiting for a person" }),
        queues.length
          ? queues.map((q) => this.#skillBlock(q, names))
          : h("p", { class: "queue-empty", text: "Nobody is waiting for a person." }),
      ),
      h(
        "section",
        { class: "queue-section", "aria-labelledby": "queue-team-title" },
        h("h3", { class: "queue-section__title", id: "queue-team-title", text: "Team" }),
        this.#team(),
      ),
    );
    if (focusKey) root.querySelector(`[data-key="${CSS.escape(focusKey)}"]`)?.focus();
  }

  #skillBlock(q, names) {
    const n = q.conversations.length;
    const meta = [
      `${n} waiting`,
      `${q.agentsServing ?? 0} agent${q.agentsServing === 1 ? "" : "s"}`,
      q.meanHandleSecs ? `~${formatDuration(q.meanHandleSecs)} per chat` : null,
    ].filter(Boolean);
    return h(
      "div",
      { class: "queue-skill" },
      h("div", { class: "queue-skill__head" }, h("span", { class: "tag", text: humanize(q.skill) }), h("span", { class: "queue-skill__meta", text: meta.join(" · ") })),
      h("ol", { class: "queue-list", "aria-label": `${humanize(q.skill)} queue` }, q.conversations.map((c) => h("li", {}, this.#item(q, c, names)))),
    );
  }

  #item(q, c, names) {
    const name = c.customerName?.trim() || "Visitor";
    const offeredTo = c.offeredTo ? (c.offeredTo === this.user.id ? "you" : names.get(c.offeredTo) || "an agent") : null;
    const canOpen = this.user.role === "manager" || (this.user.skills ?? []).includes(q.skill) || c.offeredTo === this.user.id;
    const body = [
      h("span", { class: "queue-item__pos", "aria-label": `Position ${c.position}`, text: String(c.position) }),
      h(
        "span",
        { class: "queue-item__main" },
        h("span", { class: "queue-item__name", text: name }),
        h(
          "span",
          { class: "queue-item__meta" },
          c.trigger ? h("span", { text: humanize(c.trigger) }) : null,
          c.emailFollowup ? h("span", { class: "tag tag--email", title: "The customer left an e-mail address: replies reach them by e-mail", text: "E-mail follow-up" }) : null,
          h("span", { dataset: { since: c.enqueuedAt ?? "" }, text: `waiting ${formatDuration(secondsSince(c.enqueuedAt))}` }),
          Number.isFinite(c.estimateSecs) ? h("span", { text: `est. ${formatDuration(c.estimateSecs)}` }) : null,
        ),
        offeredTo ? h("span", { class: "queue-item__offer", text: `Offered to ${offeredTo}` }) : null,
      ),
      urgencyBadge(c.urgency, { short: true }),
    ];
    return canOpen
      ? h("a", { class: "queue-item", href: conversationHref(c.conversationId), dataset: { key: `c:${c.conversationId}` } }, body)
      : h("div", { class: "queue-item", dataset: { key: `c:${c.conversationId}` } }, body);
  }

  #team() {
    const agents = [...(this.queue.agents ?? [])].sort((a, b) => {
      const me = (x) => (x.agentId === this.user.id ? 0 : 1);
      return me(a) - me(b) || STATUS_ORDER[stateOf(a)] - STATUS_ORDER[stateOf(b)] || String(a.name).localeCompare(String(b.name));
    });
    if (!agents.length) return h("p", { class: "queue-empty", text: "No agents are signed in." });
    return h(
      "ul",
      { class: "team-list" },
      agents.map((a) => {
        const state = stateOf(a);
        const max = Math.max(0, a.maxConcurrent ?? 0);
        const load = a.load ?? 0;
        const full = max > 0 && load >= max;
        const me = a.agentId === this.user.id;
        return h(
          "li",
          { class: `team-member team-member--${state}` },
          h("span", { class: "avatar avatar--agent", "aria-hidden": "true", text: initials(a.name || a.agentId) }),
          h(
            "span",
            { class: "team-member__text" },
            h("span", { class: "team-member__name" }, a.name || a.agentId, me ? h("span", { class: "team-member__you", text: " (you)" }) : null),
            h(
              "span",
              { class: "team-member__meta" },
              h("span", { class: `agent-state agent-state--${state}`, text: STATUS_LABELS[state] ?? humanize(state) }),
              a.offer ? h("span", { class: "team-member__offer", text: "· offer pending" }) : null,
            ),
            (a.skills ?? []).length ? h("span", { class: "team-member__skills", text: a.skills.map(humanize).join(" · ") }) : null,
          ),
          h(
            "span",
            { class: `team-member__load${full ? " is-full" : ""}`, title: `${load} of ${max} conversations` },
            h("span", { class: "visually-hidden", text: "Load " }),
            `${load}/${max}`,
            h("span", { class: "bar bar--small", "aria-hidden": "true" }, h("span", { class: "bar__fill", style: `width:${max ? Math.min(100, Math.round((load / max) * 100)) : 0}%` })),
          ),
        );
      }),
    );
  }
}

function stateOf(a) {
  return a.online === false ? "offline" : a.status || "available";
}

// Offers of escalated conversations to this agent, one card each: the briefing's 5-second read up
// front (customer, urgency, trigger, summary, mood, countdown), the rest behind "Details" and
// "Technical", then Accept / Decline. Accepting hands the conversation to `onAccepted`, which
// opens it with the briefing beside the thread.

import { announce, h } from "./dom.js";
import { formatCountdown, humanize, initials, urgencyLabel } from "./format.js";
import { briefingDisclosures, briefingGlance, urgencyBadge } from "./briefing-view.js";
import { describeError } from "./agent-handoff-actions.js";
import { toast } from "./toast.js";

/** A card past its expiry with no word from the gateway (connection trouble) goes anyway. */
const GRACE_MS = 10_000;
/** An offer we are done with is not brought back by a stale queue snapshot for this long. */
const FORGET_MS = 15_000;

const WITHDRAWN_TEXT = {
  expired: "An offer expired and moved on to another agent.",
  withdrawn: "An offer was withdrawn.",
  agent_unavailable: "An offer was withdrawn because your status changed.",
  agent_offline: "An offer was withdrawn because you were offline.",
  taken: "Another agent took a conversation you were offered.",
};

export class OfferDock {
  /**
   * @param el    the dock (a <section>, hidden while there are no offers)
   * @param opts  { actions: HandoffActions, onAccepted(conversationId, offer),
   *                onChange(offers): the offers on screen, after one came or went (it rings) }
   */
  constructor(el, { actions, onAccepted, onChange }) {
    this.el = el;
    this.actions = actions;
    this.onAccepted = onAccepted ?? (() => {});
    this.onChange = onChange ?? (() => {});
    this.cards = new Map(); // conversationId → card
    this.done = new Map(); // conversationId → when we stopped showing it
    this.timer = null;
    this.list = h("div", { class: "offer-dock__list" });
    el.replaceChildren(h("h2", { class: "visually-hidden", text: "Conversation offers" }), this.list);
    el.hidden = true;
  }

  has(id) {
    return this.cards.has(id);
  }

  /** Brings a card into view with focus on Accept (its notification was clicked). */
  focus(id) {
    const card = this.cards.get(id);
    if (!card) return false;
    card.node.scrollIntoView({ block: "nearest" });
    if (!card.accept.disabled) card.accept.focus();
    return true;
  }

  /** Recently accepted, declined or withdrawn: not to be shown again from a stale snapshot. */
  recentlyDone(id) {
    const t = this.done.get(id);
    return t != null && Date.now() - t < FORGET_MS;
  }

  /** An `offer` frame (or one rebuilt after a reload). */
  add(offer) {
    const id = offer?.conversationId;
    if (!id) return;
    const old = this.cards.get(id);
    if (old && old.offer.expiresAt === offer.expiresAt) return;
    if (old) old.node.remove();
    this.done.delete(id);
    const card = this.#build(offer);
    this.cards.set(id, card);
    // Most urgent first, then whichever expires first.
    const later = new Set([...this.cards.values()].filter((c) => c !== card && compare(c.offer, offer) > 0).map((c) => c.node));
    this.list.insertBefore(card.node, [...this.list.children].find((n) => later.has(n)) ?? null);
    this.el.hidden = false;
    this.#tick();
    if (!this.timer) this.timer = setInterval(() => this.#tick(), 500);
    this.onChange(this.offers());
    const name = offer.customerName?.trim() || "a visitor";
    announce(`New ${offer.briefing?.transfer ? "transfer" : offer.specialist ? "specialist request" : "conversation offer"}: ${name}, ${urgencyLabel(offer.urgency || "medium").toLowerCase()} urgency.`);
  }

  /** An `offer_withdrawn` frame. */
  withdraw(id, reason) {
    if (!this.cards.has(id)) return;
    const card = this.cards.get(id);
    this.#remove(id);
    // Our own decline or accept needs no words; anything else does.
    if (!card.busy && WITHDRAWN_TEXT[reason]) toast(WITHDRAWN_TEXT[reason], { tone: "info" });
  }

  /** The offers on screen. */
  offers() {
    return [...this.cards.values()].map((c) => c.offer);
  }

  clear() {
    for (const id of [...this.cards.keys()]) this.#remove(id);
    clearInterval(this.timer);
    this.timer = null;
  }

  // ---- actions --------------------------------------------------------------------------------

  async #accept(card) {
    const id = card.offer.conversationId;
    this.#setBusy(card, "accept");
    try {
      await this.actions.accept(id);
    } catch (err) {
      this.#failed(card, err);
      return;
    }
    this.#remove(id);
    this.onAccepted(id, card.offer);
  }

  async #decline(card) {
    const id = card.offer.conversationId;
    this.#setBusy(card, "decline");
    try {
      await this.actions.decline(id);
    } catch (err) {
      this.#failed(card, err);
      return;
    }
    this.#remove(id);
  }

  #failed(card, err) {
    const id = card.offer.conversationId;
    if (!this.cards.has(id)) {
      // Withdrawn meanwhile (expired, taken): say why the click did nothing.
      toast(describeError(err), { tone: "error" });
      return;
    }
    this.#setBusy(card, null);
    card.error.textContent = describeError(err);
    card.error.hidden = false;
    if (err.code === "offer_expired" || err.code === "not_offered" || err.code === "not_found") {
      card.accept.disabled = card.decline.disabled = true;
      setTimeout(() => this.#remove(id), 4000);
    }
  }

  #setBusy(card, what) {
    card.busy = what;
    card.accept.disabled = card.decline.disabled = !!what;
    card.accept.textContent = what === "accept" ? "Accepting…" : "Accept";
    card.decline.textContent = what === "decline" ? "Declining…" : "Decline";
    card.error.hidden = true;
  }

  #remove(id) {
    const card = this.cards.get(id);
    if (!card) return;
    const hadFocus = card.node.contains(document.activeElement);
    card.node.remove();
    this.cards.delete(id);
    this.done.set(id, Date.now());
    this.onChange(this.offers());
    if (!this.cards.size) {
      this.el.hidden = true;
      clearInterval(this.timer);
      this.timer = null;
    } else if (hadFocus) {
      this.list.querySelector(".offer-card__accept:not(:disabled)")?.focus();
    }
  }

  // ---- countdown ------------------------------------------------------------------------------

  #tick() {
    const now = Date.now();
    for (const [id, card] of this.cards) {
      const left = card.expires - now;
      if (left < -GRACE_MS && !card.busy) {
        this.#remove(id);
        continue;
      }
      const text = left > 0 ? formatCountdown(left) : "Expiring…";
      if (card.timer.textContent !== text) card.timer.textContent = text;
      const share = card.total > 0 ? Math.max(0, Math.min(1, left / card.total)) : 0;
      card.bar.style.width = `${(share * 100).toFixed(1)}%`;
      card.node.classList.toggle("is-ending", left <= 10_000);
    }
  }

  // ---- building -------------------------------------------------------------------------------

  #build(offer) {
    const id = offer.conversationId;
    const b = offer.briefing ?? {};
    const name = offer.customerName?.trim() || "Visitor";
    const urgency = offer.urgency || b.escalation?.urgency || "medium";
    const trigger = b.escalation?.trigger;
    const skill = offer.skill || b.escalation?.recommendedAgent;
    const titleId = `offer-title-${cssId(id)}`;
    const expires = Date.parse(offer.expiresAt ?? "") || Date.now();

    const timer = h("span", { class: "offer-card__timer", role: "timer", "aria-label": "Time left to accept" });
    const bar = h("span", { class: "offer-card__bar-fill" });
    const accept = h("button", { type: "button", class: "button button--primary offer-card__accept", text: "Accept" });
    const decline = h("button", { type: "button", class: "button button--secondary", text: "Decline" });
    const error = h("p", { class: "offer-card__error", role: "alert", hidden: true });

    const node = h(
      "article",
      { class: `offer-card offer-card--${urgency}`, "aria-labelledby": titleId, dataset: { conversationId: id } },
      h(
        "div",
        { class: "offer-card__top" },
        h("span", { class: "offer-card__kicker", text: [b.transfer?.fromAgentName ? `Transfer from ${b.transfer.fromAgentName}` : offer.specialist ? "Specialist request" : "Incoming conversation", skill ? humanize(skill) : null].filter(Boolean).join(" · ") }),
        timer,
      ),
      h("span", { class: "offer-card__bar", "aria-hidden": "true" }, bar),
      h(
        "div",
        { class: "offer-card__who" },
        h("span", { class: "avatar avatar--customer avatar--lg", "aria-hidden": "true", text: initials(name) }),
        h(
          "div",
          { class: "offer-card__id" },
          h("h3", { class: "offer-card__name", id: titleId, text: name }),
          h("div", { class: "offer-card__tags" }, urgencyBadge(urgency), trigger ? h("span", { class: "tag", title: "Why it was escalated", text: humanize(trigger) }) : null),
        ),
      ),
      briefingGlance(b, { showTrigger: false }),
      h("div", { class: "offer-card__more" }, briefingDisclosures(b, {})),
      error,
      h("div", { class: "offer-card__actions" }, decline, accept),
    );
    const card = { offer, node, timer, bar, accept, decline, error, expires, total: Math.max(1, expires - Date.now()), busy: null };
    accept.addEventListener("click", () => this.#accept(card));
    decline.addEventListener("click", () => this.#decline(card));
    return card;
  }
}

const URGENCY_RANK = { critical: 0, high: 1, medium: 2, low: 3 };

function compare(a, b) {
  const ua = URGENCY_RANK[a.urgency] ?? 2;
  const ub = URGENCY_RANK[b.urgency] ?? 2;
  return ua - ub || (Date.parse(a.expiresAt) || 0) - (Date.parse(b.expiresAt) || 0);
}

function cssId(s) {
  return String(s).replace(/[^A-Za-z0-9_-]/g, "_");
}

// Handoff panels for the details column:
//   - escalated conversations: the briefing (same progressive disclosure as the offer card) and
//     where the handoff stands (offered to, accepted, briefing opened, invited, queue position);
//   - conversations the assistant is still handling: the handoff likelihood as a meter, and a
//     "Draft briefing" toggle that shows the briefing the gateway is preparing in advance.
// Briefings are fetched from `GET /api/conversations/{id}/briefing` when the conversation's own
// data does not carry one. Panels are cached per conversation so open disclosures survive the
// re-renders that every live event causes.

import { api } from "./api.js";
import { h } from "./dom.js";
import { formatCountdown, formatDateTime, formatDuration, humanize, percent, relativeTimeLong } from "./format.js";
import { renderBriefing, urgencyBadge } from "./briefing-view.js";
import { BriefingRating } from "./agent-briefing-rating.js";

export class BriefingPanels {
  /**
   * @param opts { token, user, briefingFor(model), onUpdate(), onUnauthorized() }
   */
  constructor({ token, user, briefingFor, onUpdate, onUnauthorized }) {
    this.token = token;
    this.user = user;
    this.briefingFor = briefingFor;
    this.onUpdate = onUpdate ?? (() => {});
    this.onUnauthorized = onUnauthorized ?? (() => {});
    this.fetched = new Map(); // conversationId → { loading, data, error, seq }
    this.draftOpen = new Set(); // conversationIds whose draft is shown
    this.disclosure = new Map(); // conversationId → { details, technical }
    this.cache = new Map(); // conversationId → { key, node }
    this.ratings = new Map(); // conversationId → BriefingRating (keeps a half-written rating across re-renders)
  }

  /** The panels for this conversation, in order (may be empty). */
  panels(model) {
    if (!model) return [];
    const escalated = model.status !== "ai" && (model.handoff || model.briefing || model.status === "queued");
    if (escalated) return [this.#briefingPanel(model), this.#progressPanel(model)].filter(Boolean);
    if (model.status === "ai") return [this.#likelihoodPanel(model)];
    return [];
  }

  /** Does the details column show a briefing for this conversation (the escalation panel is then redundant)? */
  showsBriefing(model) {
    return !!model && model.status !== "ai" && !!this.#briefingOf(model);
  }

  #briefingOf(model) {
    const own = this.briefingFor(model);
    if (own) return { briefing: own, draft: false };
    const f = this.fetched.get(model.conversationId);
    return f?.data?.briefing ? { briefing: f.data.briefing, draft: !!f.data.draft } : null;
  }

  // ---- escalated: briefing + progress -------------------------------------------------------

  #briefingPanel(model) {
    const id = model.conversationId;
    const found = this.#briefingOf(model);
    if (!found) {
      const f = this.fetched.get(id);
      if (!f) this.#fetch(id, model.lastSeq);
      const text = f?.error ? f.error : "Preparing the briefing…";
      return panel("Briefing", h("p", { class: "muted", text }));
    }
    const b = found.briefing;
    const key = `brief|${b.generatedAt}|${b.sourceSeq}|${found.draft}`;
    const node = this.#cached(id, key, () => {
      const state = this.#disclosureState(id);
      const e = b.escalation ?? {};
      return panel(
        "Briefing",
        h(
          "div",
          { class: "brief-head" },
          urgencyBadge(e.urgency),
          e.recommendedAgent ? h("span", { class: "tag", title: "Recommended specialist", text: humanize(e.recommendedAgent) }) : null,
          found.draft ? h("span", { class: "badge badge--role", text: "Draft" }) : null,
        ),
        renderBriefing(b, { state }),
        e.aiAssessment ? h("p", { class: "brief-assessment" }, h("span", { class: "brief-label", text: "Assistant's assessment" }), e.aiAssessment) : null,
        b.generatedAt ? h("p", { class: "brief-generated", text: `Prepared ${relativeTimeLong(b.generatedAt)}` , title: formatDateTime(b.generatedAt) }) : null,
      );
    });
    if (!found.draft) this.#attachRating(node, model);
    return node;
  }

  /** "How useful was this briefing?" once this agent has joined, or the conversation is resolved. */
  #attachRating(node, model) {
    const id = model.conversationId;
    const joined = model.participants.some((p) => p.kind === "agent" && p.userId === this.user.id);
    let rating = this.ratings.get(id);
    if (!joined && model.status !== "resolved") {
      rating?.el.remove();
      return;
    }
    if (!rating) {
      rating = new BriefingRating({ conversationId: id, token: this.token, onUnauthorized: this.onUnauthorized });
      this.ratings.set(id, rating);
    }
    rating.update(model.briefingRatings?.get(this.user.id) ?? null);
    if (rating.el.parentNode !== node) node.append(rating.el);
  }

  #progressPanel(model) {
    const hs = model.handoff ?? {};
    const name = (uid) => (uid === this.user.id ? "You" : model.agentName(uid) || "An agent");
    const names = (list) => (list?.length ? list.map(name).join(", ") : null);
    const expires = Date.parse(hs.offerExpiresAt ?? "");
    const rows = [
      ["Escalated", hs.escalatedAt ? h("time", { datetime: hs.escalatedAt, title: formatDateTime(hs.escalatedAt), text: relativeTimeLong(hs.escalatedAt) }) : null],
      ["Likelihood", typeof model.handoffLikelihood === "number" ? percent(model.handoffLikelihood) : null],
      ["Offered to", hs.offeredTo ? `${name(hs.offeredTo)}${Number.isFinite(expires) && expires > Date.now() ? ` · ${formatCountdown(expires - Date.now())} left` : ""}` : null],
      ["Accepted", names(hs.accepted)],
      ["Briefing read", names(hs.briefingOpened)],
      ["Invited", names(hs.invited)],
      ["Queue", hs.wait ? `#${hs.wait.position} · about ${formatDuration(hs.wait.estimateSecs)}` : null],
    ].filter(([, v]) => v);
    if (!rows.length) return null;
    const dl = h("dl", { class: "kv" });
    for (const [label, value] of rows) dl.append(h("dt", { text: label }), h("dd", {}, value));
    return panel("Handoff", dl);
  }

  // ---- assistant phase: likelihood + draft --------------------------------------------------

  #likelihoodPanel(model) {
    const id = model.conversationId;
    const value = model.handoffLikelihood;
    const open = this.draftOpen.has(id);
    const toggle = h("button", {
      type: "button",
      class: "button button--secondary button--small",
      "aria-expanded": String(open),
      text: open ? "Hide draft briefing" : "Draft briefing",
      on: { click: () => this.#toggleDraft(model) },
    });
    let draft = null;
    if (open) {
      const f = this.fetched.get(id);
      // A newer assistant turn means a newer draft.
      if (f && !f.loading && (f.seq ?? 0) < latestAiSeq(model)) this.#fetch(id, model.lastSeq);
      if (!f || (f.loading && !f.data)) draft = h("p", { class: "muted", text: "Loading the draft…" });
      else if (f.data?.briefing) {
        const b = f.data.briefing;
        draft = this.#cached(id, `draft|${b.generatedAt}|${b.sourceSeq}`, () =>
          h("div", { class: "brief-draft" }, h("p", { class: "brief-draft__note", text: "What the agent would get if this conversation were handed over now." }), renderBriefing(b, { state: this.#disclosureState(id) })),
        );
      } else draft = h("p", { class: "muted", text: f.error || "No draft yet." });
    }
    return panel(
      "Handoff likelihood",
      typeof value === "number"
        ? meter(value)
        : h("p", { class: "muted", text: "Not scored yet. The assistant scores it after each reply." }),
      h("div", { class: "panel__actions" }, toggle),
      draft,
    );
  }

  #toggleDraft(model) {
    const id = model.conversationId;
    if (this.draftOpen.has(id)) this.draftOpen.delete(id);
    else {
      this.draftOpen.add(id);
      this.#fetch(id, model.lastSeq);
    }
    this.onUpdate();
  }

  // ---- data ---------------------------------------------------------------------------------

  async #fetch(id, seq) {
    const prev = this.fetched.get(id);
    if (prev?.loading) return;
    this.fetched.set(id, { ...prev, loading: true, seq });
    let next;
    try {
      const data = await api(`/api/conversations/${encodeURIComponent(id)}/briefing`, { token: this.token });
      next = { loading: false, data, error: null, seq };
    } catch (err) {
      if (err.status === 401) {
        this.onUnauthorized();
        return;
      }
      const error = err.status === 404 ? "No briefing yet. The assistant prepares it after its first reply." : err.message || "Couldn't load the briefing.";
      next = { loading: false, data: null, error, seq };
    }
    this.fetched.set(id, next);
    this.onUpdate();
  }

  #disclosureState(id) {
    let s = this.disclosure.get(id);
    if (!s) this.disclosure.set(id, (s = {}));
    return s;
  }

  #cached(id, key, build) {
    const hit = this.cache.get(`${id}|${key.split("|")[0]}`);
    if (hit?.key === key) return hit.node;
    const node = build();
    this.cache.set(`${id}|${key.split("|")[0]}`, { key, node });
    return node;
  }
}

function panel(title, ...children) {
  const id = `panel-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return h("section", { class: "panel", "aria-labelledby": id }, h("h3", { class: "panel__title", id, text: title }), ...children);
}

function meter(value) {
  const v = Math.max(0, Math.min(1, value));
  const level = v >= 0.7 ? "high" : v >= 0.4 ? "mid" : "low";
  return h(
    "div",
    { class: `likelihood is-${level}` },
    h("span", { class: "likelihood__value", text: percent(v) }),
    h(
      "span",
      { class: "bar", role: "meter", "aria-label": "Handoff likelihood", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(Math.round(v * 100)) },
      h("span", { class: "bar__fill", style: `width:${Math.round(v * 100)}%` }),
    ),
    h("span", { class: "likelihood__hint", text: level === "high" ? "A handoff is likely soon." : level === "mid" ? "Worth keeping an eye on." : "The assistant is coping." }),
  );
}

function latestAiSeq(model) {
  let seq = 0;
  for (const m of model.messages.values()) if (m.speaker === "ai" && m.seq > seq) seq = m.seq;
  return seq;
}

// One handoff, from `GET /api/review/handoffs/{id}`: the recording with the transcript in sync,
// the customer's sentiment over time, the chat (assistant phase, agent phase), and beside them the
// metrics, the handoff's timeline with its repeat asks, and the briefing exactly as delivered with
// the agents' ratings of it. Export links fetch with the token and download.

import { h } from "./dom.js";
import { formatDateTime, formatDuration, formatTime, humanize, urgencyLabel } from "./format.js";
import { renderBriefing } from "./briefing-view.js";
import { mountChart, sentimentChart } from "./review-charts.js";
import { renderConversation } from "./review-conversation.js";
import { scoreBadge, stars, triggerLabel } from "./review-format.js";
import { renderMetrics } from "./review-metrics.js";
import { RecordingPlayer } from "./review-player.js";
import { handoffSteps, renderSteps } from "./review-timeline.js";
import { TranscriptView, repeatLines } from "./review-transcript.js";

const enc = encodeURIComponent;

const EXPORTS = [
  ["json", "Conversation JSON", "export.json", "json"],
  ["vtt", "Transcript WebVTT", "transcript.vtt", "vtt"],
  ["srt", "Transcript SRT", "transcript.srt", "srt"],
  ["briefing", "Briefing Markdown", "briefing.md", "md"],
];

export class HandoffView {
  /**
   * @param root  the view's section
   * @param opts { api, backHref(), agentNames: Map<userId, name>, onDownload(path, name) }
   */
  constructor(root, { api, backHref, agentNames, onDownload }) {
    this.root = root;
    this.api = api;
    this.backHref = backHref;
    this.agentNames = agentNames;
    this.onDownload = onDownload;
    this.id = null;
    this.load = 0;
    this.player = null;
    this.offs = [];
  }

  async show(id) {
    if (id === this.id && this.data) {
      this.#renderBack();
      return;
    }
    this.dispose();
    this.id = id;
    const load = ++this.load;
    this.root.replaceChildren(this.#head(null), h("div", { class: "view-loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading the handoff…"));
    let data;
    try {
      data = await this.api.handoff(id);
    } catch (err) {
      if (load !== this.load) return;
      const text = err.status === 404 ? "There is no handoff with this id. It may not have been escalated yet." : err.message || "Couldn't load this handoff.";
      this.root.replaceChildren(this.#head(null), h("p", { class: "callout callout--error", role: "alert", text }));
      return;
    }
    if (load !== this.load) return;
    this.data = data;
    this.#render();
  }

  dispose() {
    this.player?.dispose();
    this.player = null;
    for (const off of this.offs.splice(0)) off();
    this.data = null;
    this.id = null;
    this.load += 1;
  }

  // ---- names --------------------------------------------------------------------------------

  #learnNames() {
    const { metrics, conversation, events, calls } = this.data;
    this.names = new Map(this.agentNames);
    this.people = new Map(); // participantId → name
    if (metrics?.agentId && metrics.agentName) this.names.set(metrics.agentId, metrics.agentName);
    for (const p of conversation?.participants ?? []) {
      if (p.userId && p.name) this.names.set(p.userId, p.name);
      if (p.name) this.people.set(p.id, p.name);
    }
    for (const e of events ?? []) {
      if ((e.type === "handoff_offered" || e.type === "handoff_accepted") && e.agentName) this.names.set(e.agentId, e.agentName);
      if (e.type === "agent_joined" && e.participant?.userId && e.participant.name) this.names.set(e.participant.userId, e.participant.name);
      if (e.type === "call_joined" && e.name) this.people.set(e.participantId, e.name);
    }
    for (const c of calls ?? []) for (const s of c.transcript ?? []) if (s.name && !this.people.has(s.participantId)) this.people.set(s.participantId, s.name);
  }

  nameOf = (userId) => (userId ? this.names?.get(userId) || "An agent" : "");

  // ---- layout -------------------------------------------------------------------------------

  #render() {
    this.#learnNames();
    const { metrics: m, conversation } = this.data;
    const customer = m?.customerName || conversation?.customer?.name || "Visitor";
    document.title = `${customer} · Handoff review · Warmline`;
    this.recordingCard = h("section", { class: "card", "aria-labelledby": "rec-title", "data-testid": "recording" });
    const sentimentBox = h("div", { class: "chart-box chart-box--sentiment", "data-testid": "sentiment-chart" });
    this.root.replaceChildren(
      this.#head(customer),
      h(
        "div",
        { class: "handoff-grid" },
        h(
          "div",
          { class: "handoff-main" },
          this.recordingCard,
          card("Customer sentiment", "sentiment", sentimentBox, h("div", { class: "legend legend--sentiment", "aria-hidden": "true" }, ["positive", "neutral", "negative", "frustrated"].map((l) => h("span", { class: "legend__item" }, h("span", { class: `dot sentiment--${l}` }), humanize(l))))),
          card("Conversation", "conversation", renderConversation(conversation, this.data.events, m?.repeatAsks, this.nameOf)),
        ),
        h(
          "aside",
          { class: "handoff-side", "aria-label": "Handoff quality" },
          card("Metrics", "metrics", m ? renderMetrics(m, { agentNames: this.#agentsInvolved() }) : h("p", { class: "muted", text: "No metrics yet." })),
          card("Timeline", "timeline", renderSteps(handoffSteps(this.data.events, m?.repeatAsks, this.nameOf))),
          card("Briefing as delivered", "briefing", this.#briefing()),
        ),
      ),
    );
    this.#renderRecording(this.#defaultCall());
    this.#sentiment(sentimentBox);
  }

  #head(customer) {
    const m = this.data?.metrics;
    this.back = h("a", { class: "back-link", href: this.backHref(), "data-testid": "back-to-list" }, h("span", { "aria-hidden": "true", text: "←" }), " Handoffs");
    const meta = m
      ? h(
          "div",
          { class: "handoff-head__meta" },
          h("span", { text: `Escalated ${formatDateTime(m.escalatedAt)}` }),
          h("span", { class: "tag", title: "Skill", text: humanize(m.skill) }),
          h("span", { class: "tag", title: "Trigger", text: triggerLabel(m.trigger) }),
          m.urgency ? h("span", { class: `urgency urgency--${m.urgency}`, text: `${urgencyLabel(m.urgency)} urgency` }) : null,
          h("span", { class: `status-chip status--${m.resolvedAt ? "resolved" : "with_agent"}`, text: m.resolvedAt ? "Resolved" : "Open" }),
          h("span", { class: "handoff-head__score" }, "Context ", scoreBadge(m.contextScore, { testid: "head-score" })),
        )
      : null;
    const exports = this.data
      ? h(
          "div",
          { class: "exports", role: "group", "aria-label": "Export" },
          h("span", { class: "exports__label", text: "Export" }),
          EXPORTS.map(([key, label, file, ext]) =>
            h("button", {
              type: "button",
              class: "button button--secondary button--small",
              "data-testid": `export-${key}`,
              text: label.split(" ").at(-1) === "Markdown" ? "Briefing .md" : key === "json" ? "JSON" : key.toUpperCase(),
              title: `Download ${label}`,
              on: { click: () => this.onDownload(`/api/conversations/${enc(this.id)}/${file}`, `${this.id}-${file.replace(/\.[^.]+$/, "")}.${ext}`) },
            }),
          ),
        )
      : null;
    return h(
      "header",
      { class: "handoff-head" },
      h("div", { class: "handoff-head__main" }, this.back, h("h1", { class: "handoff-head__title", "data-testid": "handoff-title", text: customer ?? "Handoff" }), meta),
      exports,
    );
  }

  #renderBack() {
    if (this.back) this.back.href = this.backHref();
  }

  #agentsInvolved() {
    const ids = [];
    for (const e of this.data.events ?? []) if (e.type === "agent_joined" && e.participant?.userId && !ids.includes(e.participant.userId)) ids.push(e.participant.userId);
    return ids.map(this.nameOf);
  }

  // ---- recording + transcript ---------------------------------------------------------------

  #defaultCall() {
    const calls = this.data.calls ?? [];
    return calls.find((c) => (c.recordings ?? []).length) ?? calls[0] ?? null;
  }

  #renderRecording(call) {
    this.player?.dispose();
    this.player = null;
    const calls = this.data.calls ?? [];
    const title = h("h2", { class: "card__title", id: "rec-title", text: "Recording and transcript" });
    if (!call) {
      this.recordingCard.replaceChildren(h("header", { class: "card__head" }, title), h("p", { class: "muted card__empty", text: "No call was held in this handoff: the conversation below is the whole of it." }));
      return;
    }
    const picker = calls.length > 1
      ? h(
          "div",
          { class: "segmented", role: "group", "aria-label": "Calls" },
          calls.map((c, i) =>
            h("button", {
              type: "button",
              class: "segmented__item",
              "aria-pressed": String(c === call),
              text: `Call ${i + 1} · ${formatTime(c.startedAt)}`,
              on: { click: () => this.#renderRecording(c) },
            }),
          ),
        )
      : null;
    const length = c2len(call);
    const head = h(
      "header",
      { class: "card__head" },
      title,
      picker,
      h("span", { class: "card__meta", text: [formatDateTime(call.startedAt), length ? formatDuration(length / 1000) : null, call.transcriptSource === "live" ? "live transcript" : null].filter(Boolean).join(" · ") }),
    );
    const body = [];
    let seekable = () => false;
    if (call.recordingsDeletedAt) {
      body.push(h("p", { class: "callout callout--info", "data-testid": "recording-deleted", text: `Recording deleted on ${formatDateTime(call.recordingsDeletedAt)} by the retention policy; the transcript and metrics are kept.` }));
    } else if ((call.recordings ?? []).length) {
      this.player = new RecordingPlayer(call, {
        api: this.api,
        nameOf: (pid) => this.people.get(pid) ?? "",
        onTime: (t) => this.transcript?.setTime(t),
      });
      body.push(this.player.el);
      seekable = () => !!this.player?.canSeek;
    } else {
      body.push(h("p", { class: "callout", text: call.recorded ? "The recording is not ready yet." : "This call was not recorded." }));
    }
    const segments = call.transcript ?? [];
    this.transcript = new TranscriptView(segments, {
      source: call.transcriptSource,
      repeats: repeatLines(segments, call, this.data.metrics?.repeatAsks, this.data.conversation?.messages),
      canSeek: seekable,
      onSeek: (startMs) => this.player?.seekToCallMs(startMs, { play: true }),
    });
    body.push(h("div", { class: "transcript-wrap" }, h("h3", { class: "subhead", text: `Transcript${segments.length ? ` · ${segments.length} line${segments.length === 1 ? "" : "s"}` : ""}` }), this.transcript.el));
    this.recordingCard.replaceChildren(head, ...body);
  }

  // ---- sentiment ----------------------------------------------------------------------------

  #sentiment(box) {
    const texts = new Map((this.data.conversation?.messages ?? []).map((m) => [m.seq, m.content]));
    const points = (this.data.sentiment ?? [])
      .filter((p) => p.speaker === "customer" && typeof p.score === "number")
      .map((p) => ({ t: Date.parse(p.at), score: p.score, label: p.label, text: texts.get(p.seq) }))
      .filter((p) => Number.isFinite(p.t));
    if (!points.length) {
      box.replaceChildren(h("p", { class: "chart-empty", text: "No sentiment readings for the customer's messages." }));
      return;
    }
    const markers = [];
    const mark = (type, label, cls, first = true) => {
      const list = (this.data.events ?? []).filter((e) => e.type === type);
      for (const e of first ? list.slice(0, 1) : list) markers.push({ t: Date.parse(e.timestamp), label, cls });
    };
    mark("escalation_triggered", "Escalated", "is-escalation", false);
    mark("agent_joined", "Agent joined", "is-join");
    mark("call_started", "Call", "is-call", false);
    mark("conversation_resolved", "Resolved", "is-resolved");
    const valid = markers.filter((x) => Number.isFinite(x.t));
    const all = [...points.map((p) => p.t), ...valid.map((x) => x.t)];
    const t0 = Math.min(...all);
    const t1 = Math.max(...all);
    const span = Math.max(1, t1 - t0);
    this.offs.push(
      mountChart(box, (w) =>
        sentimentChart(w, points, valid, {
          t0: t0 - span * 0.02,
          t1: t1 + span * 0.02,
          timeFormat: (t) => formatTime(new Date(t)),
        }),
      ),
    );
  }

  // ---- briefing -----------------------------------------------------------------------------

  #briefing() {
    const b = this.data.briefing;
    const ratings = this.data.metrics?.briefingRatings ?? [];
    const rated = h(
      "div",
      { class: "brief-ratings", "data-testid": "briefing-ratings" },
      h("h3", { class: "subhead", text: "Agents' rating" }),
      ratings.length
        ? h(
            "ul",
            { class: "brief-ratings__list" },
            ratings.map((r) =>
              h(
                "li",
                { class: "brief-rating" },
                h("div", { class: "brief-rating__row" }, h("span", { class: "brief-rating__who", text: this.nameOf(r.agentId) }), stars(r.score, { label: "Briefing rating" }), h("span", { class: "brief-rating__score", text: `${r.score}/5` })),
                r.comment ? h("blockquote", { class: "metrics__comment", text: r.comment }) : null,
              ),
            ),
          )
        : h("p", { class: "muted", text: "No agent rated this briefing." }),
    );
    if (!b) return [h("p", { class: "muted", text: "No briefing was delivered with this handoff." }), rated];
    return [
      h("p", { class: "brief-generated brief-generated--top", text: `Prepared ${formatDateTime(b.generatedAt)}` }),
      renderBriefing(b, { state: { details: true } }),
      b.escalation?.aiAssessment ? h("p", { class: "brief-assessment" }, h("span", { class: "brief-label", text: "Assistant's assessment" }), b.escalation.aiAssessment) : null,
      rated,
    ];
  }
}

function card(title, key, ...children) {
  const id = `card-${key}`;
  return h("section", { class: `card card--${key}`, "aria-labelledby": id, "data-testid": `card-${key}` }, h("header", { class: "card__head" }, h("h2", { class: "card__title", id, text: title })), ...children);
}

function c2len(call) {
  const a = Date.parse(call.startedAt);
  const b = Date.parse(call.endedAt ?? "");
  return Number.isFinite(a) && Number.isFinite(b) ? b - a : null;
}

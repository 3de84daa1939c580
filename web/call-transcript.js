// The live transcript beside the agent's call: every `voice` message of the call (what the
// customer and the agents said, transcribed on the gateway) as a line with the speaker, the time
// on the call clock and the sentiment of the line. A drop in the customer's sentiment over their
// last lines raises a visible warning, so the agent can change course while the call runs. Lines
// too short or without words are left out (captions.js); the panel can be collapsed to a tab
// beside the stage, and never takes the stage's room.

import { h } from "./dom.js";
import { sentimentLabel } from "./format.js";
import { captionWorthy } from "./captions.js";

/** How far the customer's sentiment score must fall across recent lines to warn. */
const DROP = 0.45;
/** Customer lines compared for a drop. */
const WINDOW = 4;
const COLLAPSED_KEY = "warmline.transcript.collapsed";

function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

export class CallTranscript {
  constructor() {
    this.callId = null;
    this.lines = new Map(); // message id -> { message, el }
    this.list = h("ol", { class: "transcript__lines", "aria-live": "polite", "aria-relevant": "additions" });
    this.empty = h("p", { class: "transcript__empty", text: "What is said on the call appears here as it is transcribed." });
    this.alert = h("p", { class: "transcript__alert", role: "alert", hidden: true });
    this.toggle = h("button", { type: "button", class: "transcript__toggle", "aria-expanded": "true", dataset: { testid: "transcript-toggle" } });
    this.toggle.addEventListener("click", () => this.#setCollapsed(!this.collapsed));
    this.el = h(
      "section",
      { class: "transcript", "aria-label": "Live transcript", hidden: true },
      h("h3", { class: "transcript__title" }, h("span", { class: "transcript__live", "aria-hidden": "true" }), h("span", { class: "transcript__label", text: "Live transcript" }), this.toggle),
      this.alert,
      this.empty,
      this.list,
    );
    let collapsed = false;
    try {
      collapsed = localStorage.getItem(COLLAPSED_KEY) === "yes";
    } catch {
      // Private mode: open by default.
    }
    this.#setCollapsed(collapsed, { remember: false });
  }

  /** Collapsed to a narrow tab beside the stage (remembered per browser). */
  #setCollapsed(collapsed, { remember = true } = {}) {
    this.collapsed = collapsed;
    this.el.classList.toggle("is-collapsed", collapsed);
    this.el.closest(".call-area")?.classList.toggle("transcript-collapsed", collapsed);
    this.toggle.setAttribute("aria-expanded", String(!collapsed));
    this.toggle.textContent = collapsed ? "Show" : "Hide";
    this.toggle.title = collapsed ? "Show the live transcript" : "Hide the live transcript (the stage gets the room)";
    if (remember) {
      try {
        localStorage.setItem(COLLAPSED_KEY, collapsed ? "yes" : "no");
      } catch {
        // Private mode: for this page only.
      }
    }
  }

  /** Shows the transcript of `callId` (null hides it). `model` supplies names and earlier lines. */
  show(callId, model) {
    if (callId !== this.callId) {
      this.callId = callId;
      this.lines.clear();
      this.list.replaceChildren();
      for (const m of model?.messages?.values?.() ?? []) this.add(m, model);
    }
    this.el.hidden = !callId;
    this.el.closest(".call-area")?.classList.toggle("transcript-collapsed", this.collapsed);
    this.#update();
  }

  /** A message of the conversation; voice lines of this call are added (once). */
  add(message, model) {
    const v = message?.voice;
    if (!this.callId || !v || v.callId !== this.callId || !captionWorthy(message)) return;
    if (this.lines.has(message.id)) return;
    const name = model?.participantName?.(v.participantId, this.callId) || (message.speaker === "customer" ? model?.customerName?.() : null) || message.speaker;
    const sentiment = message.sentiment
      ? h("span", { class: `chip chip--sentiment sentiment--${message.sentiment}`, title: "Sentiment of this line" }, h("span", { class: "dot", "aria-hidden": "true" }), sentimentLabel(message.sentiment))
      : null;
    const el = h(
      "li",
      { class: `transcript__line transcript__line--${message.speaker}`, dataset: { startMs: String(v.startMs) } },
      h("span", { class: "transcript__time", text: clock(v.startMs) }),
      h("span", { class: "transcript__speaker", text: name }),
      h("span", { class: "transcript__text", text: message.content }),
      sentiment,
    );
    if (v.confidence < 0.5) el.classList.add("is-uncertain");
    // Lines arrive in order per speaker; two speakers' lines are placed by their start time.
    const after = [...this.list.children].find((li) => Number(li.dataset.startMs) > v.startMs) ?? null;
    this.list.insertBefore(el, after);
    this.lines.set(message.id, { message, el });
    this.#update();
    if (!after) this.list.scrollTop = this.list.scrollHeight;
  }

  #update() {
    this.empty.hidden = this.lines.size > 0;
    const customer = [...this.lines.values()]
      .map((l) => l.message)
      .filter((m) => m.speaker === "customer" && typeof m.sentimentScore === "number")
      .sort((a, b) => a.voice.startMs - b.voice.startMs)
      .slice(-WINDOW);
    let drop = false;
    if (customer.length >= 2) {
      const last = customer[customer.length - 1];
      const best = Math.max(...customer.slice(0, -1).map((m) => m.sentimentScore));
      drop = best - last.sentimentScore >= DROP || last.sentiment === "frustrated";
      if (drop) {
        this.alert.textContent = `Customer sentiment is dropping (${sentimentLabel(last.sentiment)} at ${clock(last.voice.startMs)}). Acknowledge it and check what they need.`;
      }
    }
    this.alert.hidden = !drop;
  }
}

// A call's transcript beside its recording: one line per utterance with the speaker, the time on
// the call clock and the text. The line being spoken is highlighted and kept in view (unless the
// reader scrolled the list themselves a moment ago); clicking a line seeks the audio there.
// Lines where the agent asked for something already known are marked.

import { h } from "./dom.js";
import { humanize } from "./format.js";
import { clock, originLabel } from "./review-format.js";

const USER_SCROLL_GRACE_MS = 4000;

export class TranscriptView {
  /**
   * @param segments  TranscriptSegment[] (call clock)
   * @param opts { source: "after_call"|"live", repeats: Map<index, RepeatAsk>, canSeek(), onSeek(startMs) }
   */
  constructor(segments, { source, repeats = new Map(), canSeek = () => false, onSeek = () => {} }) {
    this.segments = [...segments].sort((a, b) => a.startMs - b.startMs);
    this.repeats = repeats;
    this.canSeek = canSeek;
    this.onSeek = onSeek;
    this.current = -1;
    this.userScrollAt = 0;
    this.lines = [];
    this.list = h("ol", { class: "tlines", "data-testid": "transcript", "aria-label": "Transcript" });
    this.scroller = h("div", { class: "tscroll", tabindex: "0", role: "region", "aria-label": "Transcript lines" }, this.list);
    this.scroller.addEventListener("wheel", () => (this.userScrollAt = Date.now()), { passive: true });
    this.scroller.addEventListener("touchmove", () => (this.userScrollAt = Date.now()), { passive: true });
    this.segments.forEach((seg, i) => {
      const li = this.#line(seg, i);
      this.lines.push(li);
      this.list.append(li);
    });
    const note = source === "live" ? h("p", { class: "tnote", text: "Live transcript: the complete one from the recording is not ready." }) : null;
    this.el = this.segments.length
      ? h("div", { class: "transcript-view" }, note, this.scroller)
      : h("p", { class: "muted", text: "No transcript for this call." });
  }

  #line(seg, i) {
    const repeat = this.repeats.get(i);
    const speaker = seg.speaker || "customer";
    const button = h(
      "button",
      {
        type: "button",
        class: "tline__main",
        title: "Play from here",
        on: {
          click: () => {
            if (this.canSeek()) this.onSeek(seg.startMs);
          },
        },
      },
      h("time", { class: "tline__time", text: clock(seg.startMs) }),
      h("span", { class: "tline__who" }, h("span", { class: "tline__name", text: seg.name || humanize(speaker) }), h("span", { class: "tline__role", text: humanize(speaker) })),
      h(
        "span",
        { class: "tline__text" },
        seg.text,
        repeat
          ? h("span", { class: "tline__repeat", "data-testid": "transcript-repeat" }, h("span", { class: "warn-badge", text: "Asked again" }), ` ${humanize(repeat.factKind)} was known from ${originLabel(repeat.knownFrom)}: ${repeat.knownValue}`)
          : null,
      ),
    );
    return h(
      "li",
      {
        class: `tline tline--${speaker}${repeat ? " is-repeat" : ""}${typeof seg.confidence === "number" && seg.confidence < 0.5 ? " is-uncertain" : ""}`,
        "data-testid": "transcript-line",
        dataset: { startMs: String(seg.startMs), endMs: String(seg.endMs), index: String(i) },
      },
      button,
    );
  }

  /** Highlights the line spoken at `callMs` (none between lines) and keeps it in view. */
  setTime(callMs) {
    const i = this.#indexAt(callMs);
    if (i === this.current) return;
    const prev = this.lines[this.current];
    if (prev) {
      prev.classList.remove("is-current");
      prev.removeAttribute("aria-current");
    }
    this.current = i;
    const line = this.lines[i];
    if (!line) return;
    line.classList.add("is-current");
    line.setAttribute("aria-current", "true");
    if (Date.now() - this.userScrollAt > USER_SCROLL_GRACE_MS) this.#reveal(line);
  }

  #indexAt(t) {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.segments[mid].startMs <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Overlapping utterances: the latest one that started and has not ended yet.
    for (let i = found; i >= 0 && i > found - 4; i--) if (t < this.segments[i].endMs) return i;
    return -1;
  }

  /** Scrolls the transcript box (never the page) so the line sits in its upper third. */
  #reveal(line) {
    const box = this.scroller.getBoundingClientRect();
    const r = line.getBoundingClientRect();
    if (r.top >= box.top + 8 && r.bottom <= box.bottom - 8) return;
    this.scroller.scrollTo({ top: this.scroller.scrollTop + (r.top - box.top) - box.height / 3, behavior: "smooth" });
  }
}

/**
 * Which transcript lines are repeat asks: the voice message of each repeat ask, matched to the
 * segment of the same call and speaker that starts closest to it (within 1.5 s), or by text.
 */
export function repeatLines(segments, call, repeatAsks, messages) {
  const out = new Map();
  const sorted = [...segments].sort((a, b) => a.startMs - b.startMs);
  const byId = new Map((messages ?? []).map((m) => [m.id, m]));
  for (const r of repeatAsks ?? []) {
    if (r.channel !== "voice") continue;
    const v = byId.get(r.messageId)?.voice;
    let best = -1;
    if (v && v.callId === call.callId) {
      let gap = 1500;
      sorted.forEach((s, i) => {
        const d = Math.abs(s.startMs - v.startMs);
        if (d <= gap && (!v.participantId || s.participantId === v.participantId)) {
          gap = d;
          best = i;
        }
      });
    }
    if (best < 0) best = sorted.findIndex((s) => s.text.trim() === r.text.trim());
    if (best >= 0) out.set(best, r);
  }
  return out;
}

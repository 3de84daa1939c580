// The recording player of one call: the mixed audio in an <audio controls>, and beside it the
// camera and screen videos, kept in step with the audio. Every file sits on the call clock
// (`offsetMs` after the call started), so a video's own time is
//   audio.currentTime − (video.offsetMs − mixed.offsetMs) / 1000
// and a video is shown only while that time falls inside it. Recordings need the bearer token,
// so each file is fetched into a Blob URL first.

import { h } from "./dom.js";
import { humanize } from "./format.js";
import { clock } from "./review-format.js";

const DRIFT_S = 0.3;

export class RecordingPlayer {
  /**
   * @param call   one entry of the review's `calls`
   * @param opts { api, nameOf(participantId) → string, onTime(callMs), onError(message) }
   */
  constructor(call, { api, nameOf, onTime }) {
    this.call = call;
    this.api = api;
    this.nameOf = nameOf ?? (() => "");
    this.onTime = onTime ?? (() => {});
    this.urls = [];
    this.tiles = [];
    this.abort = new AbortController();
    const files = call.recordings ?? [];
    this.mixed = files.find((f) => f.source === "mixed") ?? files.find((f) => f.source === "microphone") ?? null;
    this.videoFiles = files.filter((f) => f.source === "camera" || f.source === "screen").sort((a, b) => (a.source === "screen") - (b.source === "screen") || a.offsetMs - b.offsetMs);
    this.el = this.#build();
  }

  /** The audio's position on the call clock, in milliseconds. */
  get callMs() {
    return this.audio ? this.audio.currentTime * 1000 + (this.mixed?.offsetMs ?? 0) : 0;
  }

  /** Moves the audio (and so the videos) to a point on the call clock. */
  seekToCallMs(callMs, { play = false } = {}) {
    if (!this.audio || !this.mixed) return;
    this.audio.currentTime = Math.max(0, (callMs - this.mixed.offsetMs) / 1000);
    if (play) this.audio.play().catch(() => {});
    this.#sync(true);
  }

  get canSeek() {
    return !!this.audio && !!this.mixed;
  }

  dispose() {
    this.abort.abort();
    this.audio?.pause();
    for (const t of this.tiles) t.video.pause();
    for (const u of this.urls) URL.revokeObjectURL(u);
    this.urls = [];
  }

  // ---- building -----------------------------------------------------------------------------

  #build() {
    if (!this.mixed) {
      return h("div", { class: "player player--none" }, h("p", { class: "muted", text: "This call has no recording." }));
    }
    this.audio = h("audio", { id: "review-audio", class: "player__audio", controls: true, preload: "auto", "data-testid": "review-audio" });
    this.status = h("p", { class: "player__status", role: "status", "data-testid": "recording-loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading the recording…");
    this.tiles = this.videoFiles.map((f) => this.#tile(f));
    const el = h(
      "div",
      { class: "player" },
      this.tiles.length ? h("div", { class: `player__videos player__videos--${Math.min(this.tiles.length, 3)}` }, this.tiles.map((t) => t.el)) : null,
      h("div", { class: "player__bar" }, this.audio, this.status),
    );
    for (const ev of ["play", "pause", "seeking", "seeked", "ratechange"]) this.audio.addEventListener(ev, () => this.#sync(ev !== "ratechange"));
    this.audio.addEventListener("timeupdate", () => this.#sync(false));
    this.#load();
    return el;
  }

  #tile(file) {
    const who = this.nameOf(file.participantId);
    const label = `${file.source === "screen" ? "Screen" : "Camera"}${who ? ` · ${who}` : ""}`;
    const video = h("video", { class: "player-tile__video", muted: true, playsInline: true, preload: "auto", "data-testid": `review-video-${file.source}`, hidden: true });
    video.muted = true;
    const idle = h("div", { class: "player-tile__idle" }, h("span", { text: `${humanize(file.source)} ${clock(file.offsetMs)}–${clock(file.offsetMs + file.durationMs)}` }));
    const el = h("figure", { class: `player-tile player-tile--${file.source} is-idle`, dataset: { source: file.source } }, video, idle, h("figcaption", { class: "player-tile__label", text: label }));
    return { file, video, idle, el, ready: false };
  }

  async #load() {
    const signal = this.abort.signal;
    try {
      const url = await this.api.blobUrl(this.mixed.url, { signal });
      this.urls.push(url);
      this.audio.src = url;
      this.status.hidden = true;
    } catch (err) {
      if (err?.name === "AbortError") return;
      this.status.replaceChildren(err.status === 404 || err.status === 410 ? "The recording file is no longer there." : `Couldn't load the recording: ${err.message}`);
      this.status.classList.add("is-error");
      return;
    }
    // The videos follow; the audio is playable without them.
    await Promise.all(
      this.tiles.map(async (t) => {
        try {
          const url = await this.api.blobUrl(t.file.url, { signal });
          this.urls.push(url);
          t.video.src = url;
          t.video.addEventListener("loadedmetadata", () => {
            t.ready = true;
            this.#sync(true);
          }, { once: true });
        } catch (err) {
          if (err?.name !== "AbortError") t.idle.replaceChildren(`Couldn't load the ${t.file.source} video.`);
        }
      }),
    );
  }

  // ---- keeping in step ----------------------------------------------------------------------

  #sync(force) {
    const a = this.audio;
    if (!a) return;
    const t = a.currentTime;
    for (const tile of this.tiles) {
      const v = tile.video;
      const local = t - (tile.file.offsetMs - this.mixed.offsetMs) / 1000;
      const has = tile.ready && local >= 0 && local <= tile.file.durationMs / 1000 + 0.05;
      tile.el.classList.toggle("is-idle", !has);
      v.hidden = !has;
      if (!has) {
        if (!v.paused) v.pause();
        continue;
      }
      if (v.playbackRate !== a.playbackRate) v.playbackRate = a.playbackRate;
      if (force || Math.abs(v.currentTime - local) > DRIFT_S) v.currentTime = local;
      if (!a.paused && v.paused) v.play().catch(() => {});
      else if (a.paused && !v.paused) v.pause();
    }
    this.onTime(this.callMs);
  }
}

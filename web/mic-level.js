// A live microphone level for the pre-join check: the person sees the bar move when they speak,
// so a wrong or muted microphone is caught before the call. Web Audio reads the track (nothing is
// played or sent); the meter's `aria-valuenow` carries the level, 0-100.

import { h } from "./dom.js";

/** Decibels (RMS, full scale) mapped to 0 at -60 dB and 100 at -10 dB. */
function percentOf(rms) {
  if (rms <= 0) return 0;
  const db = 20 * Math.log10(rms);
  return Math.round(Math.min(100, Math.max(0, ((db + 60) / 50) * 100)));
}

export class MicLevel {
  constructor() {
    this.fill = h("span", { class: "mic-level__fill" });
    this.el = h("div", { class: "mic-level", role: "meter", "aria-label": "Microphone level", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0", "data-testid": "mic-level" }, this.fill);
    this.ctx = null;
    this.frame = 0;
    this.track = null;
  }

  /** Follows `track` (an audio MediaStreamTrack), or shows nothing for null. */
  attach(track) {
    if (track === this.track) return;
    this.stop();
    this.track = track;
    this.el.classList.toggle("is-idle", !track);
    if (!track) return;
    const Ctx = window.AudioContext ?? window.webkitAudioContext;
    if (!Ctx) return;
    this.ctx = new Ctx();
    const source = this.ctx.createMediaStreamSource(new MediaStream([track]));
    const analyser = this.ctx.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    let shown = 0;
    const tick = () => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      const level = percentOf(Math.sqrt(sum / samples.length));
      // Rise at once, fall gently, like a VU meter.
      shown = level > shown ? level : Math.max(level, shown - 4);
      this.fill.style.transform = `scaleX(${shown / 100})`;
      this.el.setAttribute("aria-valuenow", String(shown));
      this.frame = requestAnimationFrame(tick);
    };
    // The context may start suspended until a gesture; the setup opens on a click, so resume.
    this.ctx.resume?.().catch(() => {});
    tick();
  }

  stop() {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.ctx?.close?.().catch(() => {});
    this.ctx = null;
    this.track = null;
    this.fill.style.transform = "scaleX(0)";
    this.el.setAttribute("aria-valuenow", "0");
  }
}

// What a call looks like: a tile per person (their camera, or their initials when it is off), a
// tile for each screen share ("Dana's screen"), a small self-view, the controls (microphone,
// camera, screen share, captions, leave), whether the call is recorded, and a waiting message
// while nobody else is there. Remote sound plays through one <audio autoplay> per person.
//
// The stage: a screen share is the main tile and cameras sit small beside it; clicking (or Enter
// on) any tile makes it the main one until clicked again; "Full screen" puts the stage on the
// whole screen. Captions (transcribed speech, the last two lines) overlay the stage's foot when
// turned on; the choice is remembered per browser.
//
// It renders what it is given; CallPanel wires it to a CallSession and the conversation.

import { announce, h } from "./dom.js";
import { initials } from "./format.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const ICONS = {
  mic: ["M10 2.8a2.4 2.4 0 0 0-2.4 2.4v4.6a2.4 2.4 0 0 0 4.8 0V5.2A2.4 2.4 0 0 0 10 2.8z", "M5 9.6a5 5 0 0 0 10 0", "M10 14.6v2.6"],
  micOff: ["M12.4 8.6V5.2a2.4 2.4 0 0 0-4.6-1", "M7.6 7.6v2.2a2.4 2.4 0 0 0 4 1.8", "M5 9.6a5 5 0 0 0 8.2 3.8M15 9.6a5 5 0 0 1-.5 2.2", "M10 14.6v2.6", "M3.5 3.5l13 13"],
  camera: ["M2.8 6.4A1.4 1.4 0 0 1 4.2 5h7.2a1.4 1.4 0 0 1 1.4 1.4v7.2a1.4 1.4 0 0 1-1.4 1.4H4.2a1.4 1.4 0 0 1-1.4-1.4z", "M12.8 8.6l4.4-2.6v8l-4.4-2.6"],
  cameraOff: ["M7 5h4.4a1.4 1.4 0 0 1 1.4 1.4v3.8", "M12.8 13.6a1.4 1.4 0 0 1-1.4 1.4H4.2a1.4 1.4 0 0 1-1.4-1.4V6.4A1.4 1.4 0 0 1 4.2 5", "M12.8 8.6l4.4-2.6v8l-2-1.2", "M3 3l14 14"],
  screen: ["M2.8 4.2h14.4v9.6H2.8z", "M7 16.8h6", "M10 13.8v3", "M10 11V7M8.2 8.6 10 6.8l1.8 1.8"],
  hangup: ["M2.6 11.4c4.2-3.9 10.6-3.9 14.8 0l-1.7 2.5-3.1-1.1-.3-2.1a9.4 9.4 0 0 0-4.6 0l-.3 2.1-3.1 1.1z"],
  captions: ["M2.8 4.6h14.4v10.8H2.8z", "M8.6 8.4a2 2 0 1 0 0 3.2", "M14 8.4a2 2 0 1 0 0 3.2"],
  expand: ["M3.4 7.6V3.4h4.2", "M12.4 3.4h4.2v4.2", "M16.6 12.4v4.2h-4.2", "M7.6 16.6H3.4v-4.2"],
  collapse: ["M7.6 3.4v4.2H3.4", "M16.6 7.6h-4.2V3.4", "M12.4 16.6v-4.2h4.2", "M3.4 12.4h4.2v4.2"],
};

const CAPTIONS_KEY = "warmline.captions";

function storedCaptions(view) {
  try {
    return localStorage.getItem(`${CAPTIONS_KEY}.${view}`) === "on";
  } catch {
    return false;
  }
}

/** A small stroked icon (SVG nodes cannot come from `h`). */
export function icon(name, size = 20) {
  const svg = document.createElementNS(SVG_NS, "svg");
  const filled = name === "hangup";
  for (const [k, v] of Object.entries({ viewBox: "0 0 20 20", width: size, height: size, "aria-hidden": "true", fill: filled ? "currentColor" : "none", stroke: "currentColor", "stroke-width": filled ? 1 : 1.7, "stroke-linecap": "round", "stroke-linejoin": "round" })) {
    svg.setAttribute(k, String(v));
  }
  for (const d of ICONS[name] ?? []) {
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

const STATUS_TEXT = {
  starting: "Starting the call…",
  connecting: "Connecting…",
  reconnecting: "Connection unstable, reconnecting…",
};

export class CallView {
  /**
   * @param opts view: "customer" | "agent"; compact: smaller controls
   *             onMicrophone(), onCamera(), onScreen(), onHangup()
   */
  constructor({ view = "customer", compact = false, onMicrophone, onCamera, onScreen, onHangup }) {
    this.view = view;
    this.tiles = new Map(); // key → { el, video, placeholder, name, micOff, track, unbind }
    this.audios = new Map(); // participantId → { el, track }
    this.feeds = [];
    this.info = { nameOf: () => null, mediaOf: () => ({}), waiting: "" };
    this.startedAt = null;
    this.timer = null;
    this.lastStatus = null;
    this.pinned = null; // the tile key the person made the main one
    this.captionsOn = storedCaptions(view);
    this.captionLines = [];

    // head: live dot, title, duration, connection status
    this.time = h("span", { class: "call-head__time" });
    this.status = h("span", { class: "call-head__status", role: "status" });
    const head = h(
      "div",
      { class: "call-head" },
      h("span", { class: "call-head__live", "aria-hidden": "true" }),
      h("span", { class: "call-head__title", text: "Video call" }),
      this.time,
      this.status,
    );
    this.fullButton = h("button", { type: "button", class: "button button--ghost button--small call-head__full", title: "Show the call on the whole screen" }, icon("expand", 16), h("span", { class: "call-head__full-text", text: "Full screen" }));
    this.fullButton.addEventListener("click", () => this.#toggleFullscreen());
    this.fullButton.hidden = !document.fullscreenEnabled;
    head.append(this.fullButton);
    this.onFullscreen = () => this.#syncFullscreen();
    document.addEventListener("fullscreenchange", this.onFullscreen);
    this.recorded = h(
      "p",
      { class: "call-recorded call-recorded--live", role: "note", hidden: true },
      h("span", { class: "call-recorded__dot", "aria-hidden": "true" }),
      view === "customer" ? "This call is recorded" : "This call is recorded · the customer has been told",
    );

    // stage: remote tiles, waiting message, self-view
    this.tilesEl = h("div", { class: "call-tiles" });
    this.waiting = h("div", { class: "call-waiting", role: "status", hidden: true }, h("span", { class: "spinner", "aria-hidden": "true" }), h("span", { class: "call-waiting__text" }));
    this.soundButton = h("button", { type: "button", class: "button button--primary button--small call-sound", text: "Turn on call sound", hidden: true });
    this.soundButton.addEventListener("click", () => this.#playAll(true));
    this.selfVideo = h("video", { class: "call-self__video", autoplay: true, playsinline: true, muted: true });
    this.selfVideo.muted = true;
    this.selfPlaceholder = h("div", { class: "call-self__placeholder" }, h("span", { class: "avatar", text: "You" }));
    this.selfMicOff = h("span", { class: "call-tile__mic-off", title: "Your microphone is muted", hidden: true }, icon("micOff", 14), h("span", { class: "visually-hidden", text: ", microphone muted" }));
    this.sharing = h("span", { class: "call-self__sharing", hidden: true }, icon("screen", 14), "Sharing your screen");
    this.self = h(
      "figure",
      { class: "call-self" },
      this.selfVideo,
      this.selfPlaceholder,
      h("figcaption", { class: "call-tile__label" }, h("span", { class: "call-tile__name", text: "You" }), this.selfMicOff),
    );
    this.captionsEl = h("div", { class: "call-captions", "aria-live": "polite", hidden: true });
    this.stage = h("div", { class: "call-stage", dataset: { layout: "empty", count: "0" } }, this.tilesEl, this.waiting, this.soundButton, this.sharing, this.self, this.captionsEl);

    // controls
    this.micButton = this.#control("microphone", "Mute microphone", () => onMicrophone?.());
    this.cameraButton = this.#control("camera", "Turn off camera", () => onCamera?.());
    this.screenButton = this.#control("screen", "Share screen", () => onScreen?.());
    this.captionsButton = this.#control("captions", "Captions", () => this.#toggleCaptions());
    this.#renderCaptionsButton();
    this.hangupButton = h("button", { type: "button", class: "call-control call-control--hangup", "aria-label": "Leave call", title: "Leave call" }, icon("hangup", compact ? 20 : 22), h("span", { class: "call-control__text", text: "Leave" }));
    this.hangupButton.addEventListener("click", () => onHangup?.());
    const controls = h("div", { class: "call-controls", role: "group", "aria-label": "Call controls" }, this.micButton, this.cameraButton, this.screenButton, this.captionsButton, this.hangupButton);

    this.audioBox = h("div", { class: "call-audio", hidden: true });
    this.el = h(
      "section",
      { class: `call call--${view}${compact ? " call--compact" : ""}`, "aria-label": "Video call" },
      head,
      this.recorded,
      this.stage,
      controls,
      this.audioBox,
    );
  }

  #control(source, label, onClick) {
    const button = h(
      "button",
      { type: "button", class: "call-control", "aria-label": label, "aria-pressed": "false", title: label, dataset: { source } },
      h("span", { class: "call-control__icon" }),
      h("span", { class: "call-control__text" }),
    );
    button.addEventListener("click", onClick);
    return button;
  }

  #setControl(button, { pressed, iconName, title, text, hidden = false }) {
    button.hidden = hidden;
    button.setAttribute("aria-pressed", String(pressed));
    button.title = title;
    button.classList.toggle("is-off", pressed && button.dataset.source !== "screen");
    button.classList.toggle("is-on", pressed && button.dataset.source === "screen");
    const slot = button.querySelector(".call-control__icon");
    if (slot.dataset.icon !== iconName) {
      slot.dataset.icon = iconName;
      slot.replaceChildren(icon(iconName, 20));
    }
    button.querySelector(".call-control__text").textContent = text;
  }

  // ---- state from the session -------------------------------------------------------------

  setStatus(state) {
    if (state === "connected" && !this.startedAt) {
      this.startedAt = Date.now();
      this.#tick();
      this.timer = setInterval(() => this.#tick(), 1000);
    }
    const text = STATUS_TEXT[state] ?? "";
    this.status.textContent = text;
    this.el.dataset.state = state;
    if (state === "reconnecting" && this.lastStatus === "connected") announce("The call connection is unstable. Reconnecting…");
    if (state === "connected" && this.lastStatus === "reconnecting") announce("Call reconnected.");
    this.lastStatus = state;
  }

  setRecorded(recorded) {
    this.recorded.hidden = !recorded;
  }

  /** Our own side: preview, and the state of the buttons. */
  renderLocal({ preview, microphone, camera, screen, canShare }) {
    const hasVideo = !!camera.track && !camera.muted;
    if (preview && this.selfVideo.srcObject !== preview) this.selfVideo.srcObject = preview;
    this.selfVideo.hidden = !hasVideo;
    this.selfPlaceholder.hidden = hasVideo;
    this.selfMicOff.hidden = !!microphone.track && !microphone.muted;
    this.sharing.hidden = !screen.track;

    const micOff = !microphone.track || microphone.muted;
    this.#setControl(this.micButton, {
      pressed: micOff,
      iconName: micOff ? "micOff" : "mic",
      title: !microphone.track ? "Turn on microphone" : micOff ? "Unmute microphone" : "Mute microphone",
      text: micOff ? "Unmute" : "Mute",
    });
    this.micButton.setAttribute("aria-label", "Mute microphone");
    const camOff = !camera.track || camera.muted;
    this.#setControl(this.cameraButton, {
      pressed: camOff,
      iconName: camOff ? "cameraOff" : "camera",
      title: camOff ? "Turn on camera" : "Turn off camera",
      text: camOff ? "Start video" : "Stop video",
    });
    this.cameraButton.setAttribute("aria-label", "Turn off camera");
    this.#setControl(this.screenButton, {
      pressed: !!screen.track,
      iconName: "screen",
      title: screen.track ? "Stop sharing your screen" : "Share your screen",
      text: screen.track ? "Stop sharing" : "Share screen",
      hidden: !canShare,
    });
    this.screenButton.setAttribute("aria-label", "Share screen");
  }

  /** The others' media: [{ key, participantId, source, kind, track }]. */
  renderFeeds(feeds) {
    this.feeds = feeds;
    this.#render();
  }

  /**
   * What the conversation knows: names, who muted what, and the waiting line.
   *   nameOf(participantId) → string | null
   *   mediaOf(participantId) → { microphone?: muted, camera?: muted, screen?: muted } (absent = not sending)
   *   waiting: shown while nobody else's media is here
   */
  setInfo(info) {
    this.info = { ...this.info, ...info };
    this.#render();
  }

  // ---- rendering --------------------------------------------------------------------------

  #render() {
    const byPerson = new Map();
    for (const f of this.feeds) {
      if (!byPerson.has(f.participantId)) byPerson.set(f.participantId, {});
      byPerson.get(f.participantId)[f.source] = f;
    }
    let wanted = [];
    for (const [pid, media] of byPerson) {
      if (media.screen) wanted.push({ key: `${pid}:screen`, pid, source: "screen", feed: media.screen });
    }
    for (const [pid, media] of byPerson) {
      wanted.push({ key: `${pid}:camera`, pid, source: "camera", feed: media.camera ?? null });
    }
    // The main tile: the one the person picked, else the first screen share. It goes first.
    if (this.pinned && !wanted.some((w) => w.key === this.pinned)) this.pinned = null;
    const main = this.pinned ?? wanted.find((w) => w.source === "screen")?.key ?? null;
    if (main) wanted = [...wanted.filter((w) => w.key === main), ...wanted.filter((w) => w.key !== main)];

    const keep = new Set(wanted.map((w) => w.key));
    for (const [key, tile] of this.tiles) {
      if (!keep.has(key)) this.#removeTile(key, tile);
    }
    let previous = null;
    for (const w of wanted) {
      const tile = this.tiles.get(w.key) ?? this.#makeTile(w);
      this.#fillTile(tile, w, byPerson.get(w.pid));
      // keep DOM order = wanted order, without moving tiles that are already in place
      const expected = previous ? previous.nextElementSibling : this.tilesEl.firstElementChild;
      if (expected !== tile.el) this.tilesEl.insertBefore(tile.el, expected);
      previous = tile.el;
    }

    this.#renderAudio(byPerson);

    for (const w of wanted) {
      const tile = this.tiles.get(w.key);
      const isMain = w.key === main && wanted.length > 1;
      tile.el.classList.toggle("is-main", isMain);
      tile.el.setAttribute("aria-pressed", String(w.key === this.pinned));
    }
    this.stage.dataset.layout = !wanted.length ? "empty" : main && wanted.length > 1 ? "focus" : "grid";
    this.stage.dataset.count = String(wanted.length);
    const waitingText = !wanted.length ? this.info.waiting || "Waiting for others to join…" : "";
    this.waiting.hidden = !waitingText;
    const text = this.waiting.querySelector(".call-waiting__text");
    if (text.textContent !== waitingText) text.textContent = waitingText;
  }

  #makeTile({ key, pid, source }) {
    const video = h("video", { class: "call-tile__video", autoplay: true, playsinline: true, muted: true });
    video.muted = true; // sound comes from the <audio> elements
    const avatar = h("span", { class: "avatar call-tile__avatar" });
    const placeholder = h("div", { class: "call-tile__placeholder" }, avatar, h("span", { class: "call-tile__note" }));
    const name = h("span", { class: "call-tile__name" });
    const micOff = h("span", { class: "call-tile__mic-off", title: "Microphone muted", hidden: true }, icon("micOff", 14), h("span", { class: "visually-hidden", text: ", microphone muted" }));
    const el = h(
      "figure",
      { class: `call-tile call-tile--${source}`, dataset: { participantId: pid, source } },
      video,
      placeholder,
      h("figcaption", { class: "call-tile__label" }, name, micOff),
    );
    const tile = { el, video, placeholder, avatar, name, micOff, track: null, unbind: null };
    el.tabIndex = 0;
    el.setAttribute("role", "button");
    const pick = () => {
      this.pinned = this.pinned === key ? null : key;
      this.#render();
    };
    el.addEventListener("click", pick);
    el.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        pick();
      }
    });
    this.tiles.set(key, tile);
    return tile;
  }

  #fillTile(tile, { pid, source, feed }, media) {
    const person = this.info.nameOf(pid) || "Participant";
    const state = this.info.mediaOf(pid) ?? {};
    const track = feed?.track ?? null;
    if (tile.track !== track) {
      tile.unbind?.();
      tile.unbind = null;
      tile.track = track;
      tile.video.srcObject = track ? new MediaStream([track]) : null;
      if (track) {
        // A remote track is "muted" while no frames arrive: show the initials meanwhile.
        const again = () => this.#render();
        track.addEventListener("mute", again);
        track.addEventListener("unmute", again);
        track.addEventListener("ended", again);
        tile.unbind = () => {
          track.removeEventListener("mute", again);
          track.removeEventListener("unmute", again);
          track.removeEventListener("ended", again);
        };
        tile.video.play?.().catch(() => {});
      }
    }
    const label = source === "screen" ? `${person}'s screen` : person;
    if (tile.name.textContent !== label) tile.name.textContent = label;
    tile.el.title = this.pinned === `${pid}:${source}` ? `Click to stop enlarging ${label}` : `Click to enlarge ${label}`;
    tile.el.setAttribute("aria-label", label);
    tile.avatar.textContent = initials(person);
    const noVideo = !track || track.readyState === "ended";
    const cameraOff = source === "camera" && (noVideo || state.camera === true);
    const showPlaceholder = cameraOff || noVideo || track.muted;
    tile.placeholder.hidden = !showPlaceholder;
    tile.video.hidden = showPlaceholder;
    const note = source === "screen" ? "Starting screen share…" : cameraOff ? "Camera off" : "Connecting video…";
    const noteEl = tile.placeholder.querySelector(".call-tile__note");
    if (noteEl.textContent !== note) noteEl.textContent = note;
    // The microphone is shown muted when they muted it, or send no sound at all.
    const micMuted = source === "camera" && (state.microphone === true || !media?.microphone);
    tile.micOff.hidden = !micMuted;
    tile.el.classList.toggle("is-camera-off", showPlaceholder);
  }

  #removeTile(key, tile) {
    tile.unbind?.();
    tile.video.srcObject = null;
    tile.el.remove();
    this.tiles.delete(key);
  }

  #renderAudio(byPerson) {
    for (const [pid, a] of this.audios) {
      const mic = byPerson.get(pid)?.microphone;
      if (!mic || mic.track !== a.track) {
        a.el.srcObject = null;
        a.el.remove();
        this.audios.delete(pid);
      }
    }
    for (const [pid, media] of byPerson) {
      if (!media.microphone || this.audios.has(pid)) continue;
      const el = h("audio", { autoplay: true, dataset: { participantId: pid } });
      el.srcObject = new MediaStream([media.microphone.track]);
      this.audioBox.append(el);
      this.audios.set(pid, { el, track: media.microphone.track });
      this.#play(el);
    }
  }

  #play(el) {
    const p = el.play?.();
    if (p?.catch) {
      p.catch((err) => {
        // The browser wants a click before playing sound.
        if (err?.name === "NotAllowedError") this.soundButton.hidden = false;
      });
    }
  }

  #playAll(fromClick) {
    for (const { el } of this.audios.values()) this.#play(el);
    if (fromClick) this.soundButton.hidden = true;
  }

  #tick() {
    const secs = Math.max(0, Math.floor((Date.now() - this.startedAt) / 1000));
    const m = Math.floor(secs / 60);
    const text = m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}:${String(secs % 60).padStart(2, "0")}` : `${m}:${String(secs % 60).padStart(2, "0")}`;
    this.time.textContent = text;
  }

  /** The latest transcribed lines of the call: [{ id, speaker, name, text }], oldest first. */
  setCaptions(lines) {
    this.captionLines = lines ?? [];
    this.#renderCaptions();
  }

  #toggleCaptions() {
    this.captionsOn = !this.captionsOn;
    try {
      localStorage.setItem(`${CAPTIONS_KEY}.${this.view}`, this.captionsOn ? "on" : "off");
    } catch {
      // Private mode: the choice lasts for this call.
    }
    this.#renderCaptionsButton();
    this.#renderCaptions();
    announce(this.captionsOn ? "Captions on." : "Captions off.");
  }

  #renderCaptionsButton() {
    this.#setControl(this.captionsButton, {
      pressed: this.captionsOn,
      iconName: "captions",
      title: this.captionsOn ? "Turn captions off" : "Turn captions on (what is said, transcribed)",
      text: "Captions",
    });
    this.captionsButton.classList.toggle("is-on", this.captionsOn);
    this.captionsButton.classList.remove("is-off");
  }

  #renderCaptions() {
    const lines = this.captionsOn ? this.captionLines : [];
    this.captionsEl.hidden = !lines.length;
    const key = lines.map((l) => l.id).join(",");
    if (this.captionsEl.dataset.lines === key) return;
    this.captionsEl.dataset.lines = key;
    this.captionsEl.replaceChildren(
      ...lines.map((l) =>
        h("p", { class: `call-caption call-caption--${l.speaker}`, dataset: { testid: "caption" } }, h("span", { class: "call-caption__name", text: `${l.name}: ` }), h("span", { class: "call-caption__text", text: l.text })),
      ),
    );
  }

  #toggleFullscreen() {
    if (document.fullscreenElement) document.exitFullscreen?.().catch(() => {});
    else this.stage.requestFullscreen?.().catch(() => {});
  }

  #syncFullscreen() {
    const full = document.fullscreenElement === this.stage;
    this.fullButton.querySelector(".call-head__full-text").textContent = full ? "Exit full screen" : "Full screen";
    this.fullButton.replaceChild(icon(full ? "collapse" : "expand", 16), this.fullButton.firstChild);
  }

  focus() {
    this.micButton.focus();
  }

  destroy() {
    clearInterval(this.timer);
    document.removeEventListener("fullscreenchange", this.onFullscreen);
    if (document.fullscreenElement === this.stage) document.exitFullscreen?.().catch(() => {});
    for (const [key, tile] of this.tiles) this.#removeTile(key, tile);
    for (const { el } of this.audios.values()) el.srcObject = null;
    this.audios.clear();
    this.selfVideo.srcObject = null;
    this.el.remove();
  }
}

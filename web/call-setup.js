// The pre-call panel: the browser asks for the camera and microphone, then the person picks which
// ones, sees themselves and their microphone's level move, and presses "Join call" (or "Cancel"). The stream it made is handed to the
// call as it is, so joining asks for nothing again. The choice is remembered on this device.

import { h } from "./dom.js";
import { MicLevel } from "./mic-level.js";

const DEVICES_KEY = "warmline.call.devices";
const NONE = "none";
let seq = 0;

export function rememberedDevices() {
  try {
    const d = JSON.parse(localStorage.getItem(DEVICES_KEY) || "null");
    return { microphoneId: d?.microphoneId ?? null, cameraId: d?.cameraId ?? null };
  } catch {
    return { microphoneId: null, cameraId: null };
  }
}

function remember(devices) {
  try {
    localStorage.setItem(DEVICES_KEY, JSON.stringify(devices));
  } catch {
    /* private mode */
  }
}

/** A device id constraint: `ideal` for a remembered one (it may be gone), `exact` for a chosen one. */
function constraint(id, exact = false) {
  if (!id || id === NONE) return true;
  return { deviceId: exact ? { exact: id } : { ideal: id } };
}

function permissionMessage(err) {
  switch (err?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "Your browser blocked the camera and microphone. Allow them (usually from the icon in the address bar) and press Try again, or join without them.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "We couldn't find a camera or microphone. You can still join to see and hear the others.";
    case "NotReadableError":
    case "AbortError":
      return "Your camera or microphone is in use by another app. Close it and press Try again.";
    default:
      return "We couldn't start your camera or microphone. You can still join to see and hear the others.";
  }
}

export class CallSetup {
  /**
   * @param opts title, lead: the panel's heading and line under it
   *             recorded: say that the call is recorded
   *             compact: side-by-side layout for the agent console
   *             onJoin({ stream, devices: { microphoneId, cameraId } }), onCancel()
   */
  constructor({ title = "Join the video call", lead = "Check your camera and microphone before you join.", recorded = false, compact = false, onJoin, onCancel }) {
    this.onJoin = onJoin;
    this.onCancel = onCancel;
    this.stream = new MediaStream();
    this.closed = false;
    this.busy = false;
    const id = `call-setup-${++seq}`;

    this.video = h("video", { class: "call-setup__video", autoplay: true, playsinline: true, muted: true });
    this.video.muted = true;
    this.placeholder = h("div", { class: "call-setup__placeholder" }, h("span", { class: "call-setup__placeholder-text", text: "Camera off" }));
    this.status = h("p", { class: "call-setup__status", role: "status" });
    this.mic = h("select", { class: "select", id: `${id}-mic` });
    this.level = new MicLevel();
    this.camera = h("select", { class: "select", id: `${id}-camera` });
    this.error = h("p", { class: "callout callout--error call-setup__error", role: "alert", hidden: true });
    this.retry = h("button", { type: "button", class: "button button--secondary button--small", text: "Try again", hidden: true });
    this.recordedNote = h("p", { class: "call-recorded", hidden: !recorded }, h("span", { class: "call-recorded__dot", "aria-hidden": "true" }), "This call is recorded");
    this.cancel = h("button", { type: "button", class: "button button--ghost button--small", text: "Cancel" });
    this.join = h("button", { type: "submit", class: "button button--primary button--small", text: "Join call", disabled: true });

    this.el = h(
      "form",
      { class: `call-setup${compact ? " call-setup--compact" : ""}`, "aria-labelledby": `${id}-title`, novalidate: true },
      h("div", { class: "call-setup__head" }, h("h2", { class: "call-setup__title", id: `${id}-title`, text: title }), h("p", { class: "call-setup__lead", text: lead })),
      h("div", { class: "call-setup__body" },
        h("div", { class: "call-setup__preview" }, this.video, this.placeholder, this.status),
        h("div", { class: "call-setup__fields" },
          h("div", { class: "call-setup__field" }, h("label", { for: this.mic.id, text: "Microphone" }), this.mic, this.level.el),
          h("div", { class: "call-setup__field" }, h("label", { for: this.camera.id, text: "Camera" }), this.camera),
          this.recordedNote,
        ),
      ),
      this.error,
      h("div", { class: "call-setup__actions" }, this.retry, h("span", { class: "call-setup__spacer" }), this.cancel, this.join),
    );

    this.el.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#submit();
    });
    this.el.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        this.#cancel();
      }
    });
    this.cancel.addEventListener("click", () => this.#cancel());
    this.retry.addEventListener("click", () => this.open());
    this.mic.addEventListener("change", () => this.#switch("audio", this.mic.value));
    this.camera.addEventListener("change", () => this.#switch("video", this.camera.value));
  }

  setRecorded(recorded) {
    this.recordedNote.hidden = !recorded;
  }

  /** Asks for the devices (the browser's permission prompt), then lists them. */
  async open() {
    if (this.closed) return;
    this.error.hidden = true;
    this.retry.hidden = true;
    this.join.disabled = true;
    if (!navigator.mediaDevices?.getUserMedia) {
      this.#showError("Video calls need a secure (https) connection and a recent browser.", false);
      this.#renderPreview();
      return;
    }
    this.#setStatus("Waiting for your camera and microphone…");
    this.#stopAll();
    const saved = rememberedDevices();
    let stream = null;
    let failure = null;
    // Both, then each on its own: a missing camera should not cost the microphone.
    const attempts = [
      { audio: constraint(saved.microphoneId), video: constraint(saved.cameraId) },
      { audio: constraint(saved.microphoneId) },
      { video: constraint(saved.cameraId) },
    ];
    for (const c of attempts) {
      try {
        stream = await navigator.mediaDevices.getUserMedia(c);
        break;
      } catch (err) {
        failure = failure ?? err;
        if (err?.name === "NotAllowedError" || err?.name === "SecurityError") break;
      }
    }
    if (this.closed) {
      stream?.getTracks().forEach((t) => t.stop());
      return;
    }
    if (stream) for (const t of stream.getTracks()) this.stream.addTrack(t);
    await this.#listDevices();
    this.#setStatus("");
    this.#renderPreview();
    if (!stream) this.#showError(permissionMessage(failure), failure?.name === "NotAllowedError" || failure?.name === "NotReadableError");
    this.join.disabled = false;
    if (matchMedia("(pointer: fine)").matches) this.join.focus();
  }

  /** Closes the panel; the stream is stopped unless it was handed to the call. */
  destroy({ keepStream = false } = {}) {
    this.closed = true;
    this.level.stop();
    if (!keepStream) this.#stopAll();
    this.video.srcObject = null;
    this.el.remove();
  }

  async #listDevices() {
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      /* keep the lists empty */
    }
    this.#fill(this.mic, devices.filter((d) => d.kind === "audioinput"), "Microphone", "No microphone", this.#current("audio"));
    this.#fill(this.camera, devices.filter((d) => d.kind === "videoinput"), "Camera", "No camera", this.#current("video"));
  }

  #fill(select, devices, noun, none, currentId) {
    const options = devices
      .filter((d) => d.deviceId)
      .map((d, i) => h("option", { value: d.deviceId, text: d.label || `${noun} ${i + 1}` }));
    options.push(h("option", { value: NONE, text: none }));
    select.replaceChildren(...options);
    select.value = currentId && options.some((o) => o.value === currentId) ? currentId : currentId ? options[0].value : NONE;
  }

  /** The device id of the track of a kind we have now, or null. */
  #current(kind) {
    const track = this.stream.getTracks().find((t) => t.kind === kind && t.readyState === "live");
    return track ? track.getSettings?.().deviceId || "default" : null;
  }

  async #switch(kind, deviceId) {
    for (const t of this.stream.getTracks().filter((x) => x.kind === kind)) {
      t.stop();
      this.stream.removeTrack(t);
    }
    this.#renderPreview();
    if (deviceId === NONE) return;
    this.busy = true;
    this.join.disabled = true;
    try {
      const got = await navigator.mediaDevices.getUserMedia({ [kind]: constraint(deviceId, true) });
      if (this.closed) {
        got.getTracks().forEach((t) => t.stop());
        return;
      }
      for (const t of got.getTracks()) this.stream.addTrack(t);
      this.error.hidden = true;
      // Labels appear once a device was allowed: list them again.
      await this.#listDevices();
    } catch (err) {
      this.#showError(permissionMessage(err), false);
      (kind === "audio" ? this.mic : this.camera).value = NONE;
    } finally {
      this.busy = false;
      this.join.disabled = false;
      this.#renderPreview();
    }
  }

  #renderPreview() {
    this.level.attach(this.stream.getAudioTracks().find((t) => t.readyState === "live") ?? null);
    const hasVideo = this.stream.getVideoTracks().some((t) => t.readyState === "live");
    this.placeholder.hidden = hasVideo;
    this.video.hidden = !hasVideo;
    if (hasVideo && this.video.srcObject !== this.stream) this.video.srcObject = this.stream;
    if (!hasVideo) this.video.srcObject = null;
  }

  #setStatus(text) {
    this.status.textContent = text;
    this.status.hidden = !text;
  }

  #showError(text, retry) {
    this.error.textContent = text;
    this.error.hidden = false;
    this.retry.hidden = !retry;
  }

  #stopAll() {
    for (const t of this.stream.getTracks()) {
      t.stop();
      this.stream.removeTrack(t);
    }
  }

  #submit() {
    if (this.closed || this.busy) return;
    const chosen = (select, kind) => (this.stream.getTracks().some((t) => t.kind === kind) && select.value !== NONE ? select.value : null);
    const devices = { microphoneId: chosen(this.mic, "audio"), cameraId: chosen(this.camera, "video") };
    // Only real choices are remembered: "none" today should not stop the browser asking next time.
    const saved = rememberedDevices();
    remember({ microphoneId: devices.microphoneId ?? saved.microphoneId, cameraId: devices.cameraId ?? saved.cameraId });
    const stream = this.stream;
    this.stream = new MediaStream(); // handed over: destroy() must not stop it
    this.onJoin?.({ stream, devices });
  }

  #cancel() {
    if (this.closed) return;
    this.onCancel?.();
  }
}

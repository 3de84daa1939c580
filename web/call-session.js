// One joined call: the browser's single RTCPeerConnection to the gateway (an SFU), its signalling
// over the Warmline WebSocket, the local tracks (microphone, camera, screen share) and the media the
// other members send.
//
//   const call = new CallSession({ socket, conversationId, stream, devices });
//   call.addEventListener("feeds", …);   call.start();   …   call.hangup();
//
// Signalling: call_start → call_ready (ICE servers) → our call_offer (the first one joins) →
// call_answer. Whenever someone else's tracks come or go, the gateway sends its own call_offer and we
// answer. Negotiation follows the "perfect negotiation" pattern with the browser as the POLITE peer:
// when the gateway's offer meets one of ours, ours is rolled back and theirs accepted; the gateway
// refuses our colliding offer with an `error` {code: "glare"}; we offer again once we are stable.
//
// Remote media arrives with stream id `wl-<participantId>` and track id
// `wl-<participantId>-<microphone|camera|screen>`. Track ids are not guaranteed to survive on the
// receiving side (and m-lines get reused), so who sends what is read from the remote description's
// `a=msid` line of each m-line rather than from MediaStreamTrack.id.
//
// Events (CustomEvent, payload in `detail`):
//   ready   { callId, recorded }               the gateway gave us the call; connecting
//   state   { state }                          starting | connecting | connected | reconnecting | ended
//   feeds   { feeds }                          what the others send changed: [{ key, participantId, source, kind, track }]
//   local   {}                                 our own tracks or their mute state changed
//   ended   { reason, message }                reason ∈ hangup | ended | failed | left

export const SOURCES = ["microphone", "camera", "screen"];

const READY_TIMEOUT_MS = 15_000;
const REOFFER_FALLBACK_MS = 3_000;
const RESTART_TIMEOUT_MS = 12_000;
/** Errors about a call we are still starting (ref = conversation id); others concern the conversation. */
const START_ERRORS = new Set(["forbidden", "not_found", "call_not_found", "call_full", "bad_request", "conflict", "unavailable", "internal"]);
/** Errors (ref = call id) that end our part in the call. Others (a rate limit, one bad candidate) do not. */
const FATAL_ERRORS = new Set(["call_not_found", "not_found", "forbidden", "call_full", "unauthorized", "call_ended"]);

const ERROR_TEXT = {
  call_full: "This call is full. Try again later.",
  forbidden: "You can't join this call.",
  call_not_found: "This call has ended.",
  not_found: "This call has ended.",
  bad_sdp: "Your browser and our server couldn't agree on how to send audio and video.",
  unavailable: "Video calls are not available right now. Please try again later.",
};

/** The session whose connection `window.__warmlineCall` shows. */
let current = null;

export class CallSession extends EventTarget {
  #socket;
  #listeners = [];
  #pc = null;
  #callId = null;
  #recorded = false;
  #state = "idle";
  #ended = false;
  #initial;
  /** local track id → source */
  #sources = new Map();
  /** source → RTCRtpSender */
  #senders = new Map();
  /** source → local MediaStreamTrack */
  #local = new Map();
  #sendStream = new MediaStream(); // microphone and camera go out as one stream
  #preview = new MediaStream(); // our camera, for the self-view
  // negotiation
  #offering = null; // the running #negotiate(), while an offer is being made
  #generation = 0; // bumped when a remote offer or a glare makes an offer being made obsolete
  #offerSent = false; // the first offer (the one that joins) went out
  #offerOutstanding = false; // an offer of ours is waiting for its answer
  #expectGlare = 0; // offers of ours the gateway will refuse, because its own offer crossed them
  #reoffer = false; // we have changes the gateway has not seen (our offer yielded or was lost)
  #reofferTimer = null;
  #refusals = 0; // offers refused with bad_sdp since the last answer
  #chain = Promise.resolve(); // remote descriptions and candidates, applied in order
  #remoteIce = []; // candidates that arrived before a remote description
  #localIce = []; // candidates not sent yet (before our first offer, or while the socket was down)
  #feeds = new Map(); // `${participantId}:${source}` → feed
  #readyTimer = null;
  #restartTimer = null;
  #restarted = false;

  /**
   * @param opts socket: WarmlineSocket; conversationId
   *             stream: MediaStream from the device picker (its audio track is the microphone, its
   *                     video track the camera); may be empty
   *             devices: { microphoneId, cameraId } chosen, to turn a source on later
   */
  constructor({ socket, conversationId, stream = null, devices = {} }) {
    super();
    this.#socket = socket;
    this.conversationId = conversationId;
    this.devices = { ...devices };
    this.#initial = stream;
  }

  get callId() {
    return this.#callId;
  }
  get pc() {
    return this.#pc;
  }
  get state() {
    return this.#state;
  }
  get recorded() {
    return this.#recorded;
  }
  get isEnded() {
    return this.#ended;
  }

  /** Our own track for a source, or null. */
  localTrack(source) {
    return this.#local.get(source) ?? null;
  }

  /** Whether a source we send is muted (camera "off" is a muted camera). */
  isMuted(source) {
    const t = this.#local.get(source);
    return !!t && !t.enabled;
  }

  /** A stream with our camera, for the self-preview. */
  get previewStream() {
    return this.#preview;
  }

  /** What the others send now. */
  feeds() {
    return [...this.#feeds.values()];
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Asks the gateway for the conversation's call (starting it if there is none). */
  start() {
    if (this.#state !== "idle") return;
    this.#listen();
    this.#setState("starting");
    this.#send({ type: "call_start", conversationId: this.conversationId });
    this.#readyTimer = setTimeout(() => this.#end("failed", "The call could not be started. Please try again."), READY_TIMEOUT_MS);
  }

  /** Leaves the call. */
  hangup() {
    if (this.#ended) return;
    if (this.#callId) this.#send({ type: "call_hangup", callId: this.#callId });
    this.#end("hangup");
  }

  /** The call ended for everyone (a `call_ended` event), or the gateway dropped us from it. */
  endedElsewhere(reason = "ended", message = "The call has ended.") {
    if (!this.#ended) this.#end(reason, message);
  }

  // ---- local media ----------------------------------------------------------------------------

  /** Mutes or unmutes the microphone, or turns the camera off/on (a muted camera sends black). */
  setMuted(source, muted) {
    const track = this.#local.get(source);
    if (!track || source === "screen" || track.enabled === !muted) return;
    track.enabled = !muted;
    this.#media(source, muted ? "muted" : "unmuted");
    this.#emit("local");
  }

  /** Starts sending a microphone or camera we joined without. */
  async addSource(source) {
    if (this.#ended || !this.#pc || this.#local.has(source) || (source !== "microphone" && source !== "camera")) return;
    const kind = source === "microphone" ? "audio" : "video";
    const id = source === "microphone" ? this.devices.microphoneId : this.devices.cameraId;
    const constraints = { [kind]: id ? { deviceId: { exact: id } } : true };
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(constraints);
    } catch {
      // The remembered device is gone: any will do.
      stream = await navigator.mediaDevices.getUserMedia({ [kind]: true });
    }
    const track = stream.getTracks().find((t) => t.kind === kind);
    if (!track) return;
    if (this.#ended || this.#local.has(source)) {
      track.stop();
      return;
    }
    this.#addTrack(source, track, this.#sendStream);
    this.#emit("local");
  }

  get canShareScreen() {
    return !!navigator.mediaDevices?.getDisplayMedia;
  }

  /** Shares a screen or window as its own video track (the browser asks which). */
  async startScreenShare() {
    if (this.#ended || !this.#pc || this.#local.has("screen") || !this.canShareScreen) return;
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = stream.getVideoTracks()[0];
    if (!track) return;
    if (this.#ended || this.#local.has("screen")) {
      track.stop();
      return;
    }
    if ("contentHint" in track) track.contentHint = "detail";
    // The browser's own "Stop sharing" button ends the track.
    track.addEventListener("ended", () => this.stopScreenShare(), { once: true });
    this.#addTrack("screen", track, stream);
    this.#emit("local");
  }

  stopScreenShare() {
    const track = this.#local.get("screen");
    if (!track) return;
    this.#local.delete("screen");
    this.#sources.delete(track.id);
    const sender = this.#senders.get("screen");
    this.#senders.delete("screen");
    track.stop();
    if (this.#pc && this.#pc.signalingState !== "closed" && sender) {
      this.#media("screen", "stopped");
      this.#pc.removeTrack(sender); // negotiationneeded → an offer without it
    }
    this.#emit("local");
  }

  #addTrack(source, track, stream) {
    this.#local.set(source, track);
    this.#sources.set(track.id, source);
    if (source !== "screen") stream.addTrack(track);
    if (source === "camera") this.#preview.addTrack(track);
    // A new m-line of its own: with addTrack, Chromium may reuse an m-line the gateway sends
    // someone else's video on, and the gateway would never see this track.
    const transceiver = this.#pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    this.#senders.set(source, transceiver.sender);
  }

  /** { "<track id>": source } for every track we send now (goes with every offer). */
  #trackMap() {
    const map = {};
    for (const sender of this.#pc.getSenders()) {
      const source = sender.track && this.#sources.get(sender.track.id);
      if (source) map[sender.track.id] = source;
    }
    return map;
  }

  /** Tells the gateway; before our first offer (the join) there is nobody to tell: see #sendOffer. */
  #media(source, change) {
    if (this.#callId && this.#offerSent) this.#send({ type: "call_media", callId: this.#callId, source, change });
  }

  // ---- socket ---------------------------------------------------------------------------------

  #listen() {
    const on = (type, fn) => {
      const handler = (e) => fn(e.detail);
      this.#socket.addEventListener(type, handler);
      this.#listeners.push([type, handler]);
    };
    on("call_ready", (f) => this.#onReady(f));
    on("call_answer", (f) => f.callId === this.#callId && this.#enqueue(() => this.#onRemoteAnswer(f.sdp)));
    on("call_offer", (f) => {
      if (f.callId !== this.#callId || !this.#pc) return;
      this.#generation += 1; // an offer of ours being made right now must not go out
      this.#enqueue(() => this.#onRemoteOffer(f.sdp));
    });
    on("call_ice", (f) => f.callId === this.#callId && f.candidate && this.#enqueue(() => this.#onRemoteIce(f.candidate)));
    on("servererror", (err) => this.#onServerError(err));
    on("ready", () => this.#onReconnected());
  }

  #send(frame) {
    return this.#socket.send(frame);
  }

  #onReady(frame) {
    if (this.#ended || this.#pc || frame.conversationId !== this.conversationId) return;
    clearTimeout(this.#readyTimer);
    this.#callId = frame.callId;
    this.#recorded = !!frame.recorded;
    const iceServers = Array.isArray(frame.iceServers) ? frame.iceServers : [];
    let pc;
    try {
      pc = new RTCPeerConnection({ iceServers });
    } catch (err) {
      this.#end("failed", "Your browser couldn't set up the call.");
      return;
    }
    this.#pc = pc;
    current = this;
    pc.addEventListener("negotiationneeded", () => this.#negotiate());
    pc.addEventListener("icecandidate", (e) => this.#onLocalIce(e.candidate));
    pc.addEventListener("connectionstatechange", () => this.#onConnectionState());

    for (const track of this.#initial?.getTracks() ?? []) {
      if (track.readyState !== "live") continue;
      const source = track.kind === "audio" ? "microphone" : "camera";
      if (!this.#local.has(source)) this.#addTrack(source, track, this.#sendStream);
      else track.stop();
    }
    if (!this.#local.size) {
      // Nothing to send: still offer to receive, so the first offer joins the call.
      pc.addTransceiver("audio", { direction: "recvonly" });
      pc.addTransceiver("video", { direction: "recvonly" });
    }
    this.#setState("connecting");
    this.#emit("ready", { callId: this.#callId, recorded: this.#recorded });
    this.#emit("local");
  }

  #onServerError(err) {
    if (this.#ended) return;
    if (this.#callId && err.ref === this.#callId) {
      if (err.code === "glare") {
        this.#enqueue(() => this.#onGlare());
      } else if (err.code === "bad_sdp") {
        this.#enqueue(() => this.#onRefused());
      } else if (FATAL_ERRORS.has(err.code)) {
        this.#end("failed", ERROR_TEXT[err.code] || err.message || "The call failed.");
      } else {
        console.warn("[call] the gateway reported", err.code, err.message);
      }
    } else if (!this.#callId && err.ref === this.conversationId && START_ERRORS.has(err.code)) {
      this.#end("failed", ERROR_TEXT[err.code] || err.message || "The call could not be started.");
    }
  }

  /** The WebSocket is back: whatever was in flight may be lost. */
  #onReconnected() {
    if (this.#ended) return;
    if (this.#state === "starting" && !this.#callId) {
      this.#send({ type: "call_start", conversationId: this.conversationId });
      return;
    }
    if (!this.#pc) return;
    if (this.#offerSent) this.#flushLocalIce();
    if (this.#offerOutstanding || this.#reoffer) {
      this.#generation += 1;
      this.#enqueue(async () => {
        if (this.#pc.signalingState === "have-local-offer") await this.#pc.setLocalDescription({ type: "rollback" });
        this.#offerOutstanding = false;
        this.#reoffer = true;
        this.#scheduleReoffer(0);
      });
    }
  }

  // ---- negotiation ------------------------------------------------------------------------------

  #enqueue(step) {
    this.#chain = this.#chain.then(() => (this.#ended ? null : step())).catch((err) => this.#negotiationFailed(err));
  }

  /** Our offer, whenever our tracks changed (negotiationneeded) or an earlier offer yielded. */
  #negotiate() {
    const pc = this.#pc;
    if (!pc || this.#ended || this.#offering || pc.signalingState !== "stable") return;
    const generation = this.#generation;
    this.#offering = (async () => {
      try {
        await pc.setLocalDescription();
        // A remote offer (or glare) came in meanwhile: this offer is being rolled back.
        if (this.#ended || generation !== this.#generation || pc.signalingState !== "have-local-offer") return;
        this.#sendOffer();
      } catch (err) {
        if (!this.#ended) console.warn("[call] could not make an offer", err);
      } finally {
        this.#offering = null;
      }
    })();
  }

  #sendOffer() {
    clearTimeout(this.#reofferTimer);
    this.#reoffer = false;
    const sent = this.#send({ type: "call_offer", callId: this.#callId, sdp: this.#pc.localDescription.sdp, tracks: this.#trackMap() });
    this.#offerOutstanding = sent;
    if (!sent) {
      this.#reoffer = true; // offered again once the socket is back
      return;
    }
    if (!this.#offerSent) {
      this.#offerSent = true;
      this.#flushLocalIce();
      // Muted before we were in: say so now that we are.
      for (const source of ["microphone", "camera"]) if (this.isMuted(source)) this.#media(source, "muted");
    }
  }

  async #onRemoteOffer(sdp) {
    const pc = this.#pc;
    const collision = !!this.#offering || pc.signalingState !== "stable";
    if (collision) {
      // Polite: ours yields. If it went out, the gateway refuses it with `glare` (expected, ignored).
      if (this.#offerOutstanding) this.#expectGlare += 1;
      this.#offerOutstanding = false;
      this.#reoffer = true;
      if (this.#offering) await this.#offering;
      if (pc.signalingState === "have-local-offer") await pc.setLocalDescription({ type: "rollback" });
    }
    await pc.setRemoteDescription({ type: "offer", sdp });
    await this.#flushRemoteIce();
    await pc.setLocalDescription();
    if (this.#ended) return;
    this.#send({ type: "call_answer", callId: this.#callId, sdp: pc.localDescription.sdp });
    this.#reconcileFeeds();
    // What we had offered is still to be negotiated (negotiationneeded usually fires by itself).
    if (this.#reoffer) this.#scheduleReoffer(0);
  }

  async #onRemoteAnswer(sdp) {
    const pc = this.#pc;
    // An answer to an offer we have rolled back since: nothing to apply it to.
    if (!this.#offerOutstanding || pc.signalingState !== "have-local-offer") return;
    await pc.setRemoteDescription({ type: "answer", sdp });
    this.#offerOutstanding = false;
    this.#refusals = 0;
    await this.#flushRemoteIce();
    this.#reconcileFeeds();
    if (this.#reoffer) this.#scheduleReoffer(0);
  }

  /** The gateway refused our offer because its own crossed it: roll back and wait for it. */
  async #onGlare() {
    if (this.#expectGlare > 0) {
      this.#expectGlare -= 1; // the offer we already rolled back
      return;
    }
    this.#generation += 1;
    if (this.#offering) await this.#offering;
    if (this.#pc.signalingState === "have-local-offer") await this.#pc.setLocalDescription({ type: "rollback" });
    this.#offerOutstanding = false;
    this.#reoffer = true;
    // The gateway's offer is on its way; if it never comes, offer again anyway.
    this.#scheduleReoffer(REOFFER_FALLBACK_MS);
  }

  /** The gateway could not use our offer (`bad_sdp`). Before we are in, that ends the attempt. */
  async #onRefused() {
    this.#refusals += 1;
    // Offering the same again (negotiationneeded would) only gets refused again.
    if (!this.#pc.remoteDescription || this.#refusals > 1) {
      this.#end("failed", ERROR_TEXT.bad_sdp);
      return;
    }
    // A renegotiation it could not take: keep the call as it was negotiated last.
    this.#generation += 1;
    if (this.#offering) await this.#offering;
    if (this.#pc.signalingState === "have-local-offer") await this.#pc.setLocalDescription({ type: "rollback" });
    this.#offerOutstanding = false;
    console.warn("[call] the gateway refused our offer (bad_sdp); kept the previous media");
  }

  #scheduleReoffer(ms) {
    clearTimeout(this.#reofferTimer);
    this.#reofferTimer = setTimeout(() => {
      if (!this.#reoffer || this.#ended) return;
      if (this.#pc.signalingState !== "stable" || this.#offering) {
        this.#scheduleReoffer(REOFFER_FALLBACK_MS); // in the middle of something: later
        return;
      }
      this.#negotiate();
    }, ms);
  }

  async #onRemoteIce(candidate) {
    if (!this.#pc.remoteDescription) {
      this.#remoteIce.push(candidate);
      return;
    }
    await this.#addIce(candidate);
  }

  async #flushRemoteIce() {
    for (const c of this.#remoteIce.splice(0)) await this.#addIce(c);
  }

  async #addIce(candidate) {
    try {
      await this.#pc.addIceCandidate(candidate);
    } catch (err) {
      // A candidate for an m-line that was just renegotiated away, say: not worth failing for.
      console.debug("[call] ignored a remote ICE candidate", err?.message);
    }
  }

  #onLocalIce(candidate) {
    if (!candidate || !candidate.candidate) return; // end of candidates
    this.#localIce.push(candidate.toJSON());
    if (this.#offerSent) this.#flushLocalIce();
  }

  /** Sends the candidates gathered so far; those the socket could not take wait for the next `ready`. */
  #flushLocalIce() {
    while (this.#localIce.length) {
      if (!this.#send({ type: "call_ice", callId: this.#callId, candidate: this.#localIce[0] })) return;
      this.#localIce.shift();
    }
  }

  #negotiationFailed(err) {
    if (this.#ended) return;
    console.warn("[call] negotiation step failed", err);
    if (this.#state === "connecting" && !this.#pc?.remoteDescription) {
      this.#end("failed", "The call could not be connected.");
      return;
    }
    // Get back to a state the next offer can start from.
    const pc = this.#pc;
    if (pc && pc.signalingState !== "stable" && pc.signalingState !== "closed") {
      pc.setLocalDescription({ type: "rollback" }).catch(() => {});
      this.#offerOutstanding = false;
      this.#reoffer = true;
      this.#scheduleReoffer(REOFFER_FALLBACK_MS);
    }
  }

  #onConnectionState() {
    const pc = this.#pc;
    if (!pc || this.#ended) return;
    switch (pc.connectionState) {
      case "connected":
        clearTimeout(this.#restartTimer);
        this.#restarted = false;
        this.#setState("connected");
        break;
      case "disconnected":
        this.#setState("reconnecting");
        break;
      case "failed":
        if (!this.#restarted && typeof pc.restartIce === "function") {
          // One ICE restart (a new offer with fresh credentials); give up if it does not help.
          this.#restarted = true;
          this.#setState("reconnecting");
          pc.restartIce();
          this.#restartTimer = setTimeout(() => {
            if (this.#pc?.connectionState !== "connected") this.#end("failed", "The call connection was lost.");
          }, RESTART_TIMEOUT_MS);
        } else {
          this.#end("failed", "The call connection was lost.");
        }
        break;
      default:
        break;
    }
  }

  // ---- remote media -------------------------------------------------------------------------------

  /** Who sends what, from the remote description's m-lines (those the gateway sends on). */
  #reconcileFeeds() {
    const pc = this.#pc;
    const sdp = pc?.remoteDescription?.sdp;
    if (!sdp) return;
    const sections = new Map(parseSections(sdp).map((s) => [s.mid, s]));
    const next = new Map();
    for (const t of pc.getTransceivers()) {
      const s = t.mid != null ? sections.get(t.mid) : null;
      if (!s || s.port === 0 || t.currentDirection === "stopped") continue;
      if (s.direction !== "sendrecv" && s.direction !== "sendonly") continue;
      const track = t.receiver.track;
      const who = identify(s, track.kind);
      if (!who) continue;
      const key = `${who.participantId}:${who.source}`;
      const old = this.#feeds.get(key);
      next.set(key, old && old.track === track ? old : { key, ...who, kind: track.kind, track, mid: t.mid });
    }
    const changed = next.size !== this.#feeds.size || [...next].some(([k, f]) => this.#feeds.get(k) !== f);
    this.#feeds = next;
    if (changed) this.#emit("feeds", { feeds: this.feeds() });
  }

  // ---- stats ---------------------------------------------------------------------------------------

  /**
   * pc.getStats(), summarized for people and tests:
   * { inbound: [{ kind, trackIdentifier, packetsReceived, framesDecoded, bytesReceived, mid, participantId, source }],
   *   outbound: [{ kind, trackIdentifier, packetsSent, framesEncoded, bytesSent, mid, source }] }
   */
  async stats() {
    const pc = this.#pc;
    if (!pc || pc.signalingState === "closed") return { inbound: [], outbound: [] };
    const report = await pc.getStats();
    const byId = new Map();
    report.forEach((s) => byId.set(s.id, s));
    const feedByMid = new Map(this.feeds().map((f) => [f.mid, f]));
    const inbound = [];
    const outbound = [];
    report.forEach((s) => {
      if (s.type === "inbound-rtp") {
        const feed = feedByMid.get(s.mid);
        inbound.push({
          kind: s.kind ?? s.mediaType,
          trackIdentifier: s.trackIdentifier ?? byId.get(s.trackId)?.trackIdentifier ?? feed?.track.id ?? null,
          packetsReceived: s.packetsReceived ?? 0,
          framesDecoded: s.framesDecoded ?? 0,
          bytesReceived: s.bytesReceived ?? 0,
          mid: s.mid ?? null,
          participantId: feed?.participantId ?? null,
          source: feed?.source ?? null,
        });
      } else if (s.type === "outbound-rtp") {
        const trackIdentifier = byId.get(s.mediaSourceId)?.trackIdentifier ?? byId.get(s.trackId)?.trackIdentifier ?? null;
        outbound.push({
          kind: s.kind ?? s.mediaType,
          trackIdentifier,
          packetsSent: s.packetsSent ?? 0,
          framesEncoded: s.framesEncoded ?? 0,
          bytesSent: s.bytesSent ?? 0,
          mid: s.mid ?? null,
          source: (trackIdentifier && this.#sources.get(trackIdentifier)) ?? null,
        });
      }
    });
    return { inbound, outbound };
  }

  // ---- ending ----------------------------------------------------------------------------------------

  #end(reason, message = "") {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#readyTimer);
    clearTimeout(this.#reofferTimer);
    clearTimeout(this.#restartTimer);
    for (const [type, handler] of this.#listeners) this.#socket.removeEventListener(type, handler);
    this.#listeners = [];
    try {
      this.#pc?.close();
    } catch {
      /* already closed */
    }
    for (const track of this.#local.values()) track.stop();
    for (const track of this.#initial?.getTracks() ?? []) track.stop();
    this.#local.clear();
    const hadFeeds = this.#feeds.size > 0;
    this.#feeds.clear();
    if (current === this) current = null;
    if (hadFeeds) this.#emit("feeds", { feeds: [] });
    this.#setState("ended");
    this.#emit("ended", { reason, message });
  }

  #setState(state) {
    if (this.#state === state) return;
    this.#state = state;
    this.#emit("state", { state });
  }

  #emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

// ---- SDP reading ----------------------------------------------------------------------------------

/** The m-sections of an SDP: { mid, kind, port, direction, streamId, trackId }. */
export function parseSections(sdp) {
  const sections = [];
  let s = null;
  for (const raw of String(sdp).split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("m=")) {
      const [kind, port] = line.slice(2).split(" ");
      s = { mid: null, kind, port: Number(port), direction: "sendrecv", streamId: null, trackId: null };
      sections.push(s);
      continue;
    }
    if (!s) continue;
    let m;
    if ((m = /^a=mid:(\S+)/.exec(line))) s.mid = m[1];
    else if ((m = /^a=(sendrecv|sendonly|recvonly|inactive)$/.exec(line))) s.direction = m[1];
    else if ((m = /^a=msid:(\S+)(?:\s+(\S+))?/.exec(line)) && m[1] !== "-") {
      s.streamId = m[1];
      s.trackId = m[2] ?? s.trackId;
    } else if ((m = /^a=ssrc:\d+ msid:(\S+)(?:\s+(\S+))?/.exec(line)) && !s.streamId && m[1] !== "-") {
      s.streamId = m[1];
      s.trackId = m[2] ?? null;
    }
  }
  return sections;
}

/** { participantId, source } of a remote m-section, from `wl-<participantId>[-<source>]`. */
export function identify(section, kind) {
  const track = section.trackId ?? "";
  const stream = section.streamId ?? "";
  let m = /^wl-(.+)-(microphone|camera|screen)$/.exec(track);
  if (m) return { participantId: m[1], source: m[2] };
  m = /^wl-(.+)$/.exec(stream);
  if (m) return { participantId: m[1], source: kind === "audio" ? "microphone" : "camera" };
  return null;
}

// ---- debug handle -----------------------------------------------------------------------------------

const debugHandle = Object.freeze({
  /** The current call's RTCPeerConnection (null when not in a call). */
  get pc() {
    return current?.pc ?? null;
  },
  get callId() {
    return current?.callId ?? null;
  },
  get conversationId() {
    return current?.conversationId ?? null;
  },
  get state() {
    return current?.state ?? "idle";
  },
  get recorded() {
    return current?.recorded ?? false;
  },
  /** What the others send: [{ participantId, source, kind, trackId, muted, readyState }]. */
  feeds() {
    return (current?.feeds() ?? []).map(({ participantId, source, kind, track }) => ({
      participantId,
      source,
      kind,
      trackId: track.id,
      muted: track.muted,
      readyState: track.readyState,
    }));
  },
  /** Our tracks: { microphone|camera|screen: { trackId, enabled } }. */
  local() {
    const out = {};
    for (const source of SOURCES) {
      const t = current?.localTrack(source);
      if (t) out[source] = { trackId: t.id, enabled: t.enabled, readyState: t.readyState };
    }
    return out;
  },
  stats() {
    return current ? current.stats() : Promise.resolve({ inbound: [], outbound: [] });
  },
});

if (typeof window !== "undefined" && !Object.prototype.hasOwnProperty.call(window, "__warmlineCall")) {
  Object.defineProperty(window, "__warmlineCall", { value: debugHandle, writable: false, enumerable: false, configurable: false });
}

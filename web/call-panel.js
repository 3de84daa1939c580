// The call area of a conversation, shared by the customer page and the agent console: the device
// picker before joining, then the call itself (a CallSession shown by a CallView), then nothing.
// The page tells it about the conversation (names, who muted what, the waiting line, the latest
// captions) with update().

import { announce } from "./dom.js";
import { CallSession } from "./call-session.js";
import { CallSetup } from "./call-setup.js";
import { CallView } from "./call-view.js";
import { toast } from "./toast.js";

export class CallPanel {
  /**
   * @param root  element the panel fills (hidden while idle)
   * @param opts  socket, view: "customer" | "agent", compact,
   *              onStateChange(state, { reason, message })   state ∈ idle | setup | active
   */
  constructor(root, { socket, view = "customer", compact = false, onStateChange = () => {} }) {
    this.root = root;
    this.socket = socket;
    this.view = view;
    this.compact = compact;
    this.onStateChange = onStateChange;
    this.state = "idle";
    this.setup = null;
    this.session = null;
    this.callView = null;
    this.setupFor = null;
    this.lastCallId = null; // the call we were in last
    this.info = { nameOf: () => null, mediaOf: () => ({}), waiting: "" };
    this.returnFocus = null;
    root.hidden = true;
  }

  /** The conversation whose call this is (being set up or joined), or null. */
  get conversationId() {
    return this.session?.conversationId ?? this.setupFor;
  }

  get callId() {
    return this.session?.callId ?? null;
  }

  /** Shows the device picker; "Join call" then starts (or joins) the conversation's call. */
  openSetup(conversationId, { recorded = false, title, lead, returnFocus = null } = {}) {
    if (this.state !== "idle") return;
    this.setupFor = conversationId;
    this.returnFocus = returnFocus;
    this.setup = new CallSetup({
      title,
      lead,
      recorded,
      compact: this.compact,
      onJoin: (choice) => this.#join(choice),
      onCancel: () => this.#closeSetup(),
    });
    this.root.replaceChildren(this.setup.el);
    this.root.hidden = false;
    this.#setState("setup");
    this.setup.open();
  }

  /** The page's view of the conversation changed. */
  update(info) {
    this.info = { ...this.info, ...info };
    if ("recorded" in info) this.setup?.setRecorded(!!info.recorded);
    this.callView?.setInfo(this.info);
    if ("captions" in info) this.callView?.setCaptions(info.captions);
  }

  hangup() {
    if (this.session) this.session.hangup();
    else if (this.setup) this.#closeSetup();
  }

  /** The call ended for everyone, or the gateway took us out of it. */
  endedElsewhere(message, reason = "ended") {
    this.session?.endedElsewhere(reason, message);
  }

  dispose() {
    this.returnFocus = null;
    this.hangup();
  }

  // ---- steps -------------------------------------------------------------------------------

  #closeSetup() {
    this.setup?.destroy();
    this.setup = null;
    this.setupFor = null;
    this.root.replaceChildren();
    this.root.hidden = true;
    this.#setState("idle");
    this.#restoreFocus();
  }

  #join({ stream, devices }) {
    const conversationId = this.setupFor;
    this.setup?.destroy({ keepStream: true });
    this.setup = null;
    this.setupFor = null;

    const session = new CallSession({ socket: this.socket, conversationId, stream, devices });
    const view = new CallView({
      view: this.view,
      compact: this.compact,
      onMicrophone: () => this.#toggle("microphone"),
      onCamera: () => this.#toggle("camera"),
      onScreen: () => this.#toggleScreen(),
      onHangup: () => session.hangup(),
    });
    this.session = session;
    this.callView = view;
    view.setInfo(this.info);
    view.setCaptions(this.info.captions ?? []);
    view.setStatus("starting");

    const renderLocal = () => {
      const source = (name) => ({ track: session.localTrack(name), muted: session.isMuted(name) });
      view.renderLocal({
        preview: session.previewStream,
        microphone: source("microphone"),
        camera: source("camera"),
        screen: source("screen"),
        canShare: session.canShareScreen,
      });
    };
    session.addEventListener("ready", (e) => {
      view.setRecorded(e.detail.recorded);
      if (e.detail.recorded && this.view === "customer") announce("This call is recorded.");
    });
    session.addEventListener("state", (e) => {
      view.setStatus(e.detail.state);
      if (e.detail.state === "connected" && !session.announced) {
        session.announced = true;
        announce("You joined the video call.");
      }
    });
    session.addEventListener("local", renderLocal);
    session.addEventListener("feeds", (e) => view.renderFeeds(e.detail.feeds));
    session.addEventListener("ended", (e) => this.#ended(session, e.detail));

    renderLocal();
    this.root.replaceChildren(view.el);
    this.root.hidden = false;
    this.#setState("active");
    session.start();
    view.focus();
  }

  async #toggle(source) {
    const session = this.session;
    if (!session) return;
    if (!session.localTrack(source)) {
      try {
        await session.addSource(source);
      } catch {
        toast(source === "camera" ? "Your camera couldn't be turned on." : "Your microphone couldn't be turned on.", { tone: "error" });
      }
      return;
    }
    session.setMuted(source, !session.isMuted(source));
  }

  async #toggleScreen() {
    const session = this.session;
    if (!session) return;
    if (session.localTrack("screen")) {
      session.stopScreenShare();
      announce("You stopped sharing your screen.");
      return;
    }
    try {
      await session.startScreenShare();
      if (session.localTrack("screen")) announce("You are sharing your screen.");
    } catch (err) {
      // Picking nothing in the browser's dialog is not an error worth a message.
      if (err?.name !== "NotAllowedError" && err?.name !== "AbortError") toast("Your screen couldn't be shared.", { tone: "error" });
    }
  }

  #ended(session, { reason, message }) {
    if (this.session !== session) return;
    this.session = null;
    this.lastCallId = session.callId;
    this.callView?.destroy();
    this.callView = null;
    this.root.replaceChildren();
    this.root.hidden = true;
    if (reason === "hangup") announce("You left the call.");
    else if (message) toast(message, { tone: reason === "failed" ? "error" : "info" });
    this.#setState("idle", { reason, message });
    this.#restoreFocus();
  }

  #restoreFocus() {
    const el = this.returnFocus;
    this.returnFocus = null;
    // Only when focus was lost with the panel (not when the person is typing elsewhere).
    if (el?.isConnected && !el.hidden && (!document.activeElement || document.activeElement === document.body)) el.focus();
  }

  #setState(state, detail = {}) {
    this.state = state;
    this.onStateChange(state, detail);
  }
}

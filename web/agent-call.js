// Video calls in the agent console: "Start call" / "Join call" in the thread header (for agents in
// the conversation), the device picker and the call view above the messages, and a slim strip to get
// back to (or leave) the call while another conversation is on screen.

import { h } from "./dom.js";
import { CallPanel } from "./call-panel.js";
import { conversationHref } from "./agent-inbox.js";
import { CallTranscript } from "./call-transcript.js";
import { latestCaptions } from "./captions.js";

export class AgentCall {
  /**
   * @param els  { button, area }: the header button and the call area in the thread column
   * @param opts { socket, user, onWaiting(call|null): a call on screen waiting for us to join (it rings) }
   */
  constructor({ button, area }, { socket, user, onWaiting }) {
    this.button = button;
    this.area = area;
    this.user = user;
    this.onWaiting = onWaiting ?? (() => {});
    this.model = null; // the conversation on screen
    this.callModel = null; // the conversation of the call we are in (last seen)
    this.joinedCall = null;
    this.abort = new AbortController();

    this.panelRoot = h("div", { class: "call-area__panel" });
    this.stripText = h("span", { class: "call-strip__text" });
    this.stripBack = h("a", { class: "button button--secondary button--small", href: "#", text: "Back to call" });
    const leave = h("button", { type: "button", class: "button button--small call-strip__leave", text: "Leave call" });
    this.strip = h(
      "div",
      { class: "call-strip", role: "group", "aria-label": "Your call", hidden: true },
      h("span", { class: "call-head__live", "aria-hidden": "true" }),
      this.stripText,
      this.stripBack,
      leave,
    );
    this.transcript = new CallTranscript();
    area.replaceChildren(this.strip, this.panelRoot, this.transcript.el);
    area.hidden = true;

    this.panel = new CallPanel(this.panelRoot, {
      socket,
      view: "agent",
      compact: true,
      onStateChange: (state) => {
        if (state === "idle") {
          this.joinedCall = null;
          this.callModel = null;
        }
        this.render(this.model);
      },
    });
    const signal = this.abort.signal;
    button.addEventListener("click", () => this.#openSetup(), { signal });
    leave.addEventListener("click", () => this.panel.hangup(), { signal });
  }

  /** In a call, or setting one up. */
  get active() {
    return this.panel.state !== "idle";
  }

  /** Focus on "Join call" (the call's notification was clicked). */
  focusJoin() {
    if (!this.button.hidden) this.button.focus();
  }

  /** Signing out. */
  dispose() {
    this.onWaiting(null);
    this.abort.abort();
    this.panel.dispose();
    this.area.hidden = true;
    this.button.hidden = true;
  }

  /** Leaves the call (pagehide). */
  hangup() {
    this.panel.hangup();
  }

  // ---- the conversation -------------------------------------------------------------------

  #selfIds(model) {
    return new Set((model?.participants ?? []).filter((p) => p.userId === this.user.id).map((p) => p.id));
  }

  #inConversation(model) {
    return !!model && model.activeAgents().some((p) => p.userId === this.user.id);
  }

  /**
   * The live call of the conversation on screen, if someone is in it and we have never joined it:
   * the customer started a call and waits for us. (Call events only reach the console for the
   * conversation on screen, so a call elsewhere shows when that conversation is opened.)
   */
  #waiting(model) {
    if (this.panel.state !== "idle" || this.user.role !== "agent" || !this.#inConversation(model)) return null;
    const call = model.liveCall();
    if (!call) return null;
    const self = this.#selfIds(model);
    const members = call.members ?? [];
    // Left it ourselves: rejoining is one click away, and not worth a ring.
    if (members.some((x) => self.has(x.participantId))) return null;
    if (!members.some((x) => !x.leftAt)) return null;
    return { conversationId: model.conversationId, callId: call.callId, customerName: model.customerName() };
  }

  /** An event of the conversation on screen, after ThreadView applied it to the model. */
  handleEvent(event) {
    // Replays count too (after a reconnect, a drop arrives as one); our own call_left only after our
    // call_joined was seen in this session, so an older membership's departure never ends this one.
    const callId = this.panel.callId;
    if (event.type === "message" && this.model && event.conversationId === this.model.conversationId) {
      this.transcript.add(event.message, this.model);
      if (event.message?.voice) this.panel.update({ captions: latestCaptions(this.model, this.panel.callId) });
      return;
    }
    if (!callId || event.callId !== callId || !this.model || event.conversationId !== this.model.conversationId) return;
    const self = this.#selfIds(this.model).has(event.participantId);
    if (event.type === "call_ended") {
      this.panel.endedElsewhere("The call has ended.");
    } else if (event.type === "call_joined" && self) {
      this.joinedCall = callId;
    } else if (event.type === "call_left" && self && this.joinedCall === callId) {
      this.panel.endedElsewhere(event.reason === "dropped" ? "You were disconnected from the call. Join again from the conversation header." : "You left the call.", "left");
    }
  }

  /** The conversation on screen (or null) changed. */
  render(model) {
    this.model = model;
    const state = this.panel.state;
    const busy = state !== "idle";
    const callConversation = this.panel.conversationId;
    const here = busy && !!model && callConversation === model.conversationId;
    if (here) this.callModel = model;

    // Header button: only agents in the conversation; none while in (or setting up) a call.
    const live = model?.liveCall() ?? null;
    const can = this.user.role === "agent" && this.#inConversation(model) && (model.status !== "resolved" || !!live);
    this.button.hidden = !can || busy;
    if (can) {
      const label = live ? "Join call" : "Start call";
      if (this.button.dataset.label !== label) {
        this.button.dataset.label = label;
        this.button.querySelector(".call-toggle__text").textContent = label;
        this.button.title = live ? "Join the video call in progress" : "Start a video call with the customer";
      }
    }
    const waiting = this.#waiting(model);
    this.button.classList.toggle("is-ringing", !!waiting);
    this.onWaiting(waiting);

    // Call area: the panel here, or the strip when another conversation is on screen.
    this.area.hidden = !busy;
    this.area.dataset.state = here ? state : busy ? "away" : "idle";
    this.panelRoot.hidden = !here;
    this.strip.hidden = !busy || here;
    this.area.classList.toggle("is-away", busy && !here);
    if (busy && !here) {
      const who = this.callModel?.customerName() ?? "a customer";
      this.stripText.textContent = state === "setup" ? `Setting up a call with ${who}` : `In a call with ${who}`;
      this.stripBack.href = conversationHref(callConversation);
    }

    this.transcript.show(here && state !== "setup" ? this.panel.callId : null, model);
    // The transcript sits beside the stage (or under it on narrow screens), never squeezing it.
    this.area.classList.toggle("has-transcript", !this.transcript.el.hidden);
    const m = here ? model : this.callModel;
    if (!m) return;
    const call = m.call(this.panel.callId) ?? m.liveCall();
    const others = (call?.members ?? []).filter((x) => !x.leftAt && !this.#selfIds(m).has(x.participantId));
    this.panel.update({
      recorded: !!call?.recorded,
      nameOf: (pid) => m.participantName(pid, call?.callId) || (m.participant(pid)?.kind === "customer" ? m.customerName() : null),
      mediaOf: (pid) => Object.fromEntries(m.callMember(call, pid)?.media ?? []),
      waiting: others.length ? "Connecting to the others…" : `Waiting for ${m.customerName()} to join…`,
      captions: latestCaptions(m, this.panel.callId),
    });
  }

  #openSetup() {
    const model = this.model;
    if (!model || this.panel.state !== "idle") return;
    const live = model.liveCall();
    this.callModel = model;
    this.panel.openSetup(model.conversationId, {
      recorded: !!live?.recorded,
      title: live ? "Join the call" : `Call ${model.customerName()}`,
      lead: live ? "Pick your microphone and camera." : "Pick your microphone and camera. The customer is invited when you join.",
      returnFocus: this.button,
    });
  }
}

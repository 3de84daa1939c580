// The customer's side of video calls: the "Switch to video call" button in the chat header, the
// prompt when support invites them to a call, and the call area above (narrow screens) or beside
// (wide screens) the chat, which stays usable throughout.

import { announce, h } from "./dom.js";
import { aboutMinutes } from "./format.js";
import { CallPanel } from "./call-panel.js";
import { icon } from "./call-view.js";
import { latestCaptions } from "./captions.js";

export class CustomerCall {
  /**
   * @param els  { button, area, card }: the header button, the call area, the chat card (widened in a call)
   * @param opts { socket, conversationId, onCall(active) }
   */
  constructor({ button, area, card }, { socket, conversationId, onCall = () => {} }) {
    this.onCall = onCall;
    this.button = button;
    this.area = area;
    this.card = card;
    this.conversationId = conversationId;
    this.model = null;
    this.dismissed = new Set(); // calls the customer answered "Not now" to, or left
    this.announceFor = null; // a call whose invitation should be read out once shown
    this.joinedCall = null; // the call our own call_joined was seen for
    this.abort = new AbortController();

    this.inviteText = h("span", { class: "call-invite__text" });
    const join = h("button", { type: "button", class: "button button--primary button--small", text: "Join" });
    const later = h("button", { type: "button", class: "button button--ghost button--small", text: "Not now" });
    this.invite = h(
      "div",
      { class: "call-invite", role: "group", "aria-label": "Video call invitation", hidden: true },
      h("span", { class: "call-invite__icon" }, icon("camera", 18)),
      this.inviteText,
      h("span", { class: "call-invite__actions" }, later, join),
    );
    this.panelRoot = h("div", { class: "call-area__panel" });
    area.replaceChildren(this.invite, this.panelRoot);
    area.hidden = true;

    this.panel = new CallPanel(this.panelRoot, {
      socket,
      view: "customer",
      onStateChange: (state) => this.#onPanelState(state),
    });

    const signal = this.abort.signal;
    button.addEventListener("click", () => this.#openSetup(), { signal });
    join.addEventListener(
      "click",
      () => {
        const live = this.model?.liveCall();
        if (live) this.dismissed.add(live.callId);
        this.#openSetup();
      },
      { signal },
    );
    later.addEventListener(
      "click",
      () => {
        const live = this.model?.liveCall();
        if (live) this.dismissed.add(live.callId);
        this.render(this.model);
        this.button.focus();
      },
      { signal },
    );
  }

  /** The chat is closing (new conversation, token gone, page hidden): leave any call. */
  close() {
    this.abort.abort();
    this.panel.dispose();
    this.area.hidden = true;
    this.area.replaceChildren();
    this.button.hidden = true;
    this.card.classList.remove("has-call");
  }

  /** Leaves the call without tearing the page down (pagehide). */
  hangup() {
    this.panel.hangup();
  }

  // ---- the conversation -------------------------------------------------------------------

  /**
   * A call event was applied to the model (`change` from ConversationModel.apply). Our own
   * `call_left` only counts after our `call_joined` was seen in this session (seq order), so an
   * older membership's departure never ends a new one.
   */
  handleEvent(change, { replay = false } = {}) {
    const e = change.event;
    if (!replay && e.type === "call_started" && e.origin !== "customer" && this.panel.state === "idle") this.announceFor = e.callId;
    // Replays count too: what we missed while the socket was down is how a drop shows up.
    const callId = this.panel.callId;
    if (!callId || e.callId !== callId) return;
    if (e.type === "call_ended") {
      this.panel.endedElsewhere("The video call has ended. You can keep chatting here.");
    } else if (e.type === "call_joined" && this.#isSelf(e.participantId)) {
      this.joinedCall = callId;
    } else if (e.type === "call_left" && this.#isSelf(e.participantId) && this.joinedCall === callId) {
      // The gateway took us out (our own hang-up has already closed the session).
      this.panel.endedElsewhere("You were disconnected from the video call. Use the video call button to join again.", "left");
    }
  }

  render(model) {
    this.model = model;
    if (!model) return;
    const live = model.liveCall();
    const idle = this.panel.state === "idle";
    this.button.hidden = !idle || (model.status === "resolved" && !live);

    const invited = idle && !!live && live.origin !== "customer" && !this.dismissed.has(live.callId);
    if (invited) {
      const text = `${this.#inviter(model, live)} invites you to a video call`;
      if (this.inviteText.textContent !== text) this.inviteText.textContent = text;
      if (this.announceFor === live.callId) announce(text);
    }
    this.announceFor = null;
    this.invite.hidden = !invited;
    this.area.hidden = !invited && idle;
    this.card.classList.toggle("has-call", !idle);

    const call = model.call(this.panel.callId) ?? live;
    this.panel.update({
      recorded: !!call?.recorded,
      nameOf: (pid) => model.participantName(pid, call?.callId) || "Support",
      mediaOf: (pid) => Object.fromEntries(model.callMember(call, pid)?.media ?? []),
      waiting: this.#waitingText(model),
      captions: latestCaptions(model, this.panel.callId, { self: "customer" }),
    });
  }

  /** Only the customer and agents join calls: anyone who is not a known agent is us. */
  #isSelf(participantId) {
    return this.model?.participant(participantId)?.kind !== "agent";
  }

  #inviter(model, call) {
    const agentIn = (call.members ?? []).find((m) => !m.leftAt && model.participant(m.participantId)?.kind === "agent");
    return agentIn?.name || model.activeAgents().at(-1)?.name || "Our support team";
  }

  #waitingText(model) {
    if (model.status === "queued") {
      // The queue position shows inside the call too: the call was the request for a person.
      const wait = model.handoff?.wait;
      const place = Number.isFinite(wait?.position) && wait.position > 0 ? `You're number ${wait.position} in line` : "Waiting for a specialist to join";
      return Number.isFinite(wait?.estimateSecs) ? `${place} — ${aboutMinutes(wait.estimateSecs)}` : `${place}…`;
    }
    const agent = model.activeAgents().at(-1);
    return agent ? `Waiting for ${agent.name || "your specialist"} to join the call…` : "Waiting for a support specialist to join the call…";
  }

  #openSetup() {
    const live = this.model?.liveCall();
    const invited = !!live && live.origin !== "customer";
    this.panel.openSetup(this.conversationId, {
      recorded: !!live?.recorded,
      title: invited ? "Join the video call" : "Switch to a video call",
      lead: "Choose your microphone and camera. The chat stays open during the call.",
      returnFocus: this.button,
    });
  }

  #onPanelState(state) {
    this.onCall(state !== "idle");
    if (state === "idle") {
      // Left (or lost) the call: no invitation to the same call again; the button is there.
      if (this.panel.lastCallId) this.dismissed.add(this.panel.lastCallId);
      this.joinedCall = null;
    }
    if (this.model) this.render(this.model);
    else {
      this.area.hidden = state === "idle";
      this.card.classList.toggle("has-call", state !== "idle");
    }
  }
}

// The handoff steps in the conversation column, for the conversation on screen:
//   accepted, not joined yet → "Join conversation" with the editable warm introduction (instead of
//                              the composer); the briefing is in the details column beside it
//   joined                   → "Invite specialist" (pick a skill), "Transfer" (a colleague or a
//                              team, with a note) and "Resolve" in the header; while a transfer
//                              is pending, a line saying so with "Call off"
// It also remembers, for this session, which offers were accepted here and with which briefing, so
// the page does not have to wait for the events to come back before showing the next step.

import { describeError } from "./agent-handoff-actions.js";
import { humanize } from "./format.js";
import { toast } from "./toast.js";
import { h } from "./dom.js";

export const SPECIALIST_SKILLS = ["billing", "technical", "integrations", "account", "security", "legal", "general"];

export class HandoffControls {
  /**
   * @param els  { joinForm, joinIntro, joinHint, joinReset, joinSubmit, joinError,
   *               inviteToggle, transferToggle, resolveToggle, tray, inviteForm, inviteSkill,
   *               inviteSubmit, inviteCancel, transferForm, transferTarget, transferNote,
   *               transferSubmit, transferCancel, transferPending, transferPendingText,
   *               transferCalloff, resolveForm, resolveNote, resolveSubmit, resolveCancel,
   *               trayError }
   * @param opts { actions: HandoffActions, user }
   */
  constructor(els, { actions, user }) {
    this.els = els;
    this.actions = actions;
    this.user = user;
    this.model = null;
    this.shownId = null;
    this.accepted = new Map(); // conversationId → briefing it was accepted with (may be null)
    this.opened = new Set(); // briefing opened from this page
    this.joined = new Set(); // join committed, agent_joined may not be here yet
    this.intros = new Map(); // conversationId → the agent's edited introduction
    this.busy = null;
    this.colleagues = []; // the queue snapshot's agents: { agentId, name, status, online, load }
    this.abort = new AbortController();
    this.#buildSkills();
    this.#bind();
    this.render(null);
  }

  /** Signing out: stop listening to the page's (static) forms and buttons. */
  dispose() {
    this.abort.abort();
    this.render(null);
  }

  // ---- what the page knows ----------------------------------------------------------------

  /** An offer was accepted on this page. */
  noteAccepted(id, briefing) {
    this.accepted.set(id, briefing ?? null);
  }

  noteOpened(id) {
    this.opened.add(id);
  }

  /** Who is signed in, from the queue snapshot: the transfer picker lists them. */
  setColleagues(agents) {
    this.colleagues = agents.filter((a) => a.agentId !== this.user.id);
    if (this.#trayOpen("transfer")) this.#fillTargets();
  }

  /** The briefing this agent should read: the one offered to them, else the conversation's. */
  briefingFor(model) {
    if (!model) return null;
    return this.accepted.get(model.conversationId) || model.offerBriefings.get(this.user.id) || model.briefing || null;
  }

  #isJoined(model) {
    return model.activeAgents().some((p) => p.userId === this.user.id);
  }

  #hasAccepted(model) {
    return this.accepted.has(model.conversationId) || model.handoffList("accepted").includes(this.user.id);
  }

  /** Accepted but not in the conversation yet: the join form replaces the composer. */
  needsJoin(model) {
    if (!model || this.user.role !== "agent") return false;
    if (model.status === "resolved" || this.#isJoined(model) || this.joined.has(model.conversationId)) return false;
    return this.#hasAccepted(model);
  }

  /** For ThreadView: hide the composer while the join form is up. */
  composerOverride(model) {
    return this.needsJoin(model) ? { enabled: false, note: "" } : null;
  }

  // ---- rendering --------------------------------------------------------------------------

  render(model) {
    const els = this.els;
    const id = model?.conversationId ?? null;
    if (id !== this.shownId) {
      this.#saveIntro();
      this.shownId = id;
      this.busy = null;
      this.#closeTray();
      els.joinError.hidden = true;
      els.joinIntro.value = "";
      els.joinIntro.dataset.filled = "";
    }
    this.model = model;

    const join = this.needsJoin(model);
    els.joinForm.hidden = !join;
    if (join) this.#fillJoin(model);

    // Joined from this page counts until the join's event is here; having left (handed over) ends it.
    const left = !!model && model.participants.some((p) => p.userId === this.user.id && p.leftAt);
    const inside = !!model && this.user.role === "agent" && model.status !== "resolved" && (this.#isJoined(model) || (this.joined.has(id) && !left));
    els.inviteToggle.hidden = !inside;
    els.transferToggle.hidden = !inside;
    els.resolveToggle.hidden = !inside;
    if (!inside) this.#closeTray();
    this.#renderTransfer(model, inside);
    this.#renderBusy();
  }

  #fillJoin(model) {
    const { joinIntro, joinHint, joinReset } = this.els;
    const suggested = this.briefingFor(model)?.warmIntroduction?.trim() ?? "";
    // Prefill once (when the briefing is there); never overwrite what the agent typed.
    if (!joinIntro.dataset.filled) {
      const draft = this.intros.get(model.conversationId);
      if (draft != null) {
        joinIntro.value = draft;
        joinIntro.dataset.filled = "draft";
      } else if (suggested) {
        joinIntro.value = suggested;
        joinIntro.dataset.filled = "suggested";
      }
    }
    joinReset.hidden = !suggested || joinIntro.value.trim() === suggested;
    const first = model.handoffList("accepted")[0];
    const specialist = !!first && first !== this.user.id;
    joinHint.textContent = specialist
      ? "Your first message as the specialist. Leave it empty to join without one."
      : "Your first message; the customer already knows you picked their conversation up. Leave it empty to send the suggested one.";
  }

  #renderBusy() {
    const els = this.els;
    els.joinSubmit.disabled = this.busy === "join";
    els.joinSubmit.textContent = this.busy === "join" ? "Joining…" : "Join conversation";
    els.joinIntro.disabled = this.busy === "join";
    els.inviteSubmit.disabled = this.busy === "invite";
    els.inviteSubmit.textContent = this.busy === "invite" ? "Inviting…" : "Invite";
    els.transferSubmit.disabled = this.busy === "transfer";
    els.transferSubmit.textContent = this.busy === "transfer" ? "Transferring…" : "Transfer";
    els.transferCalloff.disabled = this.busy === "calloff";
    els.resolveSubmit.disabled = this.busy === "resolve";
    els.resolveSubmit.textContent = this.busy === "resolve" ? "Resolving…" : "Resolve conversation";
  }

  #saveIntro() {
    if (!this.shownId) return;
    const { joinIntro } = this.els;
    if (joinIntro.dataset.filled) this.intros.set(this.shownId, joinIntro.value);
  }

  // ---- tray: invite / resolve -------------------------------------------------------------

  #buildSkills() {
    this.els.inviteSkill.replaceChildren(...SPECIALIST_SKILLS.map((s) => h("option", { value: s, text: humanize(s) })));
  }

  /** A pending transfer: who it waits for, and "Call off" for the agent who asked. */
  #renderTransfer(model, inside) {
    const els = this.els;
    const t = model?.handoff?.transfer;
    els.transferPending.hidden = !(inside && t);
    if (!inside || !t) return;
    const to = t.toAgentId ? model.agentName(t.toAgentId) || "a colleague" : `the ${humanize(t.skill).toLowerCase()} team`;
    const mine = t.fromAgentId === this.user.id;
    els.transferPendingText.textContent = mine
      ? `Transferring to ${to}… You stay in the conversation until they've joined.`
      : `${model.agentName(t.fromAgentId) || "A colleague"} is transferring this conversation to ${to}.`;
    els.transferCalloff.hidden = !mine;
  }

  /** Colleagues first (signed in; away ones shown but not selectable), then teams by skill. */
  #fillTargets() {
    const select = this.els.transferTarget;
    const keep = select.value;
    const people = [...this.colleagues]
      .filter((a) => a.online !== false)
      .sort((a, b) => (a.name || "").localeCompare(b.name || ""))
      .map((a) => {
        const away = a.status === "away";
        const state = away ? "away" : a.status === "busy" ? "busy" : `${a.load ?? 0} open`;
        return h("option", { value: `agent:${a.agentId}`, text: `${a.name || a.agentId} · ${state}`, disabled: away });
      });
    const groups = [];
    if (people.length) groups.push(h("optgroup", { label: "Colleagues" }, people));
    groups.push(h("optgroup", { label: "Teams" }, SPECIALIST_SKILLS.map((s) => h("option", { value: `skill:${s}`, text: `${humanize(s)} team` }))));
    select.replaceChildren(...groups);
    const usable = [...select.options].filter((o) => !o.disabled);
    select.value = usable.some((o) => o.value === keep) ? keep : (usable[0]?.value ?? "");
  }

  #openTray(which) {
    const els = this.els;
    const forms = { invite: els.inviteForm, transfer: els.transferForm, resolve: els.resolveForm };
    const toggles = { invite: els.inviteToggle, transfer: els.transferToggle, resolve: els.resolveToggle };
    els.tray.hidden = false;
    for (const [k, form] of Object.entries(forms)) form.hidden = k !== which;
    for (const [k, toggle] of Object.entries(toggles)) toggle.setAttribute("aria-expanded", String(k === which));
    els.trayError.hidden = true;
    if (which === "transfer") {
      this.#fillTargets();
      els.transferTarget.focus();
    } else if (which === "invite") {
      // Suggest a skill other than the one the conversation already has.
      const skill = this.model?.skill;
      if (els.inviteSkill.value === skill || !els.inviteSkill.value) {
        els.inviteSkill.value = SPECIALIST_SKILLS.find((s) => s !== skill && s !== "general") ?? "general";
      }
      els.inviteSkill.focus();
    } else {
      els.resolveNote.focus();
    }
  }

  #closeTray() {
    const els = this.els;
    els.tray.hidden = true;
    els.trayError.hidden = true;
    for (const t of [els.inviteToggle, els.transferToggle, els.resolveToggle]) t.setAttribute("aria-expanded", "false");
  }

  #trayOpen(which) {
    const els = this.els;
    const form = { invite: els.inviteForm, transfer: els.transferForm, resolve: els.resolveForm }[which];
    return !els.tray.hidden && !form.hidden;
  }

  /** The toggle of the form that is open, to give focus back to. */
  #openToggle() {
    const els = this.els;
    if (!els.inviteForm.hidden) return els.inviteToggle;
    if (!els.transferForm.hidden) return els.transferToggle;
    return els.resolveToggle;
  }

  // ---- actions ----------------------------------------------------------------------------

  #bind() {
    const els = this.els;
    const on = (el, type, fn) => el.addEventListener(type, fn, { signal: this.abort.signal });
    on(els.joinForm, "submit", (e) => {
      e.preventDefault();
      this.#join();
    });
    on(els.joinIntro, "keydown", (e) => {
      if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) {
        e.preventDefault();
        this.#join();
      }
    });
    on(els.joinIntro, "input", () => {
      els.joinIntro.dataset.filled = els.joinIntro.dataset.filled || "draft";
      const suggested = this.briefingFor(this.model)?.warmIntroduction?.trim() ?? "";
      els.joinReset.hidden = !suggested || els.joinIntro.value.trim() === suggested;
    });
    on(els.joinReset, "click", () => {
      const suggested = this.briefingFor(this.model)?.warmIntroduction ?? "";
      els.joinIntro.value = suggested;
      els.joinReset.hidden = true;
      els.joinIntro.focus();
    });

    on(els.inviteToggle, "click", () => (this.#trayOpen("invite") ? this.#closeTray() : this.#openTray("invite")));
    on(els.transferToggle, "click", () => (this.#trayOpen("transfer") ? this.#closeTray() : this.#openTray("transfer")));
    on(els.resolveToggle, "click", () => (this.#trayOpen("resolve") ? this.#closeTray() : this.#openTray("resolve")));
    on(els.transferCancel, "click", () => {
      this.#closeTray();
      els.transferToggle.focus();
    });
    on(els.transferForm, "submit", (e) => {
      e.preventDefault();
      this.#transfer();
    });
    on(els.transferCalloff, "click", () => this.#callOff());
    on(els.inviteCancel, "click", () => {
      this.#closeTray();
      els.inviteToggle.focus();
    });
    on(els.resolveCancel, "click", () => {
      this.#closeTray();
      els.resolveToggle.focus();
    });
    on(els.tray, "keydown", (e) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        const back = this.#openToggle();
        this.#closeTray();
        back.focus();
      }
    });
    on(els.inviteForm, "submit", (e) => {
      e.preventDefault();
      this.#invite();
    });
    on(els.resolveForm, "submit", (e) => {
      e.preventDefault();
      this.#resolve();
    });
  }

  async #join() {
    const model = this.model;
    if (!model || this.busy || !this.needsJoin(model)) return;
    const id = model.conversationId;
    const introduction = this.els.joinIntro.value.trim();
    this.busy = "join";
    this.els.joinError.hidden = true;
    this.#renderBusy();
    try {
      // The gateway refuses to join before the briefing was opened; opening twice is harmless.
      if (!this.opened.has(id) && !model.handoffList("briefingOpened").includes(this.user.id)) {
        await this.actions.openBriefing(id);
        this.opened.add(id);
      }
      await this.actions.join(id, introduction || undefined);
      this.joined.add(id);
      this.intros.delete(id);
      this.els.joinIntro.dataset.filled = "";
    } catch (err) {
      if (id === this.shownId) {
        this.els.joinError.textContent = describeError(err);
        this.els.joinError.hidden = false;
      } else {
        toast(`Couldn't join: ${describeError(err)}`, { tone: "error" });
      }
      if (err.code === "already_joined") this.joined.add(id);
    } finally {
      if (this.busy === "join") this.busy = null;
      if (id === this.shownId) this.render(this.model);
    }
  }

  async #invite() {
    const model = this.model;
    if (!model || this.busy) return;
    const id = model.conversationId;
    const skill = this.els.inviteSkill.value;
    const label = humanize(skill).toLowerCase();
    this.busy = "invite";
    this.els.trayError.hidden = true;
    this.#renderBusy();
    try {
      await this.actions.invite(id, skill);
      toast(`Asking a ${label} specialist to join. They'll read the briefing first.`, { tone: "success" });
      if (id === this.shownId) {
        this.#closeTray();
        this.els.inviteToggle.focus();
      }
    } catch (err) {
      this.#trayFailed(id, describeError(err, { skill: label }));
    } finally {
      this.busy = null;
      this.#renderBusy();
    }
  }

  async #transfer() {
    const model = this.model;
    if (!model || this.busy) return;
    const id = model.conversationId;
    const [kind, value] = this.els.transferTarget.value.split(/:(.*)/s);
    if (!value) return;
    const target = kind === "agent" ? { toAgent: value } : { toSkill: value };
    const label = this.els.transferTarget.selectedOptions[0]?.textContent.split(" · ")[0] ?? value;
    const note = this.els.transferNote.value.trim();
    this.busy = "transfer";
    this.els.trayError.hidden = true;
    this.#renderBusy();
    try {
      await this.actions.transfer(id, target, note || undefined);
      toast(`Asked ${kind === "agent" ? label : `the ${label.toLowerCase()}`} to take over. They'll read the briefing and your note first.`, { tone: "success" });
      if (id === this.shownId) {
        this.els.transferNote.value = "";
        this.#closeTray();
        this.els.transferToggle.focus();
      }
    } catch (err) {
      this.#trayFailed(id, describeError(err, { skill: humanize(value).toLowerCase() }));
    } finally {
      this.busy = null;
      this.#renderBusy();
    }
  }

  async #callOff() {
    const model = this.model;
    if (!model || this.busy) return;
    this.busy = "calloff";
    this.#renderBusy();
    try {
      await this.actions.cancelTransfer(model.conversationId);
    } catch (err) {
      toast(describeError(err), { tone: "error" });
    } finally {
      this.busy = null;
      this.#renderBusy();
    }
  }

  async #resolve() {
    const model = this.model;
    if (!model || this.busy) return;
    const id = model.conversationId;
    const note = this.els.resolveNote.value.trim();
    this.busy = "resolve";
    this.els.trayError.hidden = true;
    this.#renderBusy();
    try {
      await this.actions.resolve(id, note || undefined);
      toast("Conversation resolved.", { tone: "success" });
      if (id === this.shownId) {
        this.els.resolveNote.value = "";
        this.#closeTray();
      }
    } catch (err) {
      this.#trayFailed(id, describeError(err));
    } finally {
      this.busy = null;
      this.#renderBusy();
    }
  }

  #trayFailed(id, text) {
    if (id === this.shownId && !this.els.tray.hidden) {
      this.els.trayError.textContent = text;
      this.els.trayError.hidden = false;
    } else {
      toast(text, { tone: "error" });
    }
  }
}

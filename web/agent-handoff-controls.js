// The handoff steps in the conversation column, for the conversation on screen:
//   accepted, not joined yet → "Join conversation" with the editable warm introduction (instead of
//                              the composer); the briefing is in the details column beside it
//   joined                   → "Invite specialist" (pick a skill) and "Resolve" in the header
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
   *               inviteToggle, resolveToggle, tray, inviteForm, inviteSkill, inviteSubmit,
   *               inviteCancel, resolveForm, resolveNote, resolveSubmit, resolveCancel, trayError }
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

    const inside = !!model && this.user.role === "agent" && model.status !== "resolved" && (this.#isJoined(model) || this.joined.has(id));
    els.inviteToggle.hidden = !inside;
    els.resolveToggle.hidden = !inside;
    if (!inside) this.#closeTray();
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

  #openTray(which) {
    const els = this.els;
    const invite = which === "invite";
    els.tray.hidden = false;
    els.inviteForm.hidden = !invite;
    els.resolveForm.hidden = invite;
    els.trayError.hidden = true;
    els.inviteToggle.setAttribute("aria-expanded", String(invite));
    els.resolveToggle.setAttribute("aria-expanded", String(!invite));
    if (invite) {
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
    els.inviteToggle.setAttribute("aria-expanded", "false");
    els.resolveToggle.setAttribute("aria-expanded", "false");
  }

  #trayOpen(which) {
    const els = this.els;
    return !els.tray.hidden && !(which === "invite" ? els.inviteForm : els.resolveForm).hidden;
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
    on(els.resolveToggle, "click", () => (this.#trayOpen("resolve") ? this.#closeTray() : this.#openTray("resolve")));
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
        const back = els.inviteForm.hidden ? els.resolveToggle : els.inviteToggle;
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

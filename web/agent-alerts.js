// Alerts for an agent who is looking elsewhere: while an offer is pending or a customer waits in a
// call for this agent to join, a soft two-note chime every two seconds (generated with Web Audio,
// no audio files); a desktop notification when the tab is hidden; and a count in the tab title.
// The chime can be muted from the top bar (kept in localStorage: it is a preference of the person
// at this browser, not of one session).
//
// Browsers keep audio suspended until the page sees a user gesture, and only ask for the
// notification permission from one: `prepareAlerts()` runs on the sign-in submit, and the audio
// is unlocked again on the first pointer or key press after a reload (the session survives a
// reload, so there may be no sign-in click then).

import { h } from "./dom.js";

const MUTE_KEY = "warmline.agent.muted";
const ASKED_KEY = "warmline.agent.notificationsAsked";
const RING_EVERY_MS = 2000;

// ---- the chime -------------------------------------------------------------------------------

/** One AudioContext for the page: browsers limit how many a page may create. */
const chime = {
  ctx: null,
  played: 0,

  unlock() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      this.ctx ??= new Ctx();
    } catch {
      return; // no audio output: the prompt on screen and the title still say it
    }
    if (this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
  },

  /** Two short sine notes, a fifth apart, softly enveloped. False when audio is not allowed yet. */
  play() {
    const ctx = this.ctx;
    if (!ctx) return false;
    if (ctx.state !== "running") {
      ctx.resume().catch(() => {});
      return false;
    }
    const t = ctx.currentTime + 0.02;
    beep(ctx, 659.25, t); // E5
    beep(ctx, 987.77, t + 0.2); // B5
    this.played += 1;
    return true;
  },
};

function beep(ctx, freq, at) {
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = "sine";
  osc.frequency.value = freq;
  // Exponential ramps from near silence: no click at the start or the end of the note.
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(0.12, at + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.34);
  osc.connect(gain).connect(ctx.destination);
  osc.start(at);
  osc.stop(at + 0.36);
}

for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, () => chime.unlock(), { capture: true, passive: true });

// ---- sign-in ---------------------------------------------------------------------------------

/** From the sign-in submit (a user gesture): unlock audio, and ask for notifications once. */
export function prepareAlerts() {
  chime.unlock();
  if (!("Notification" in window) || Notification.permission !== "default") return;
  // Once per browser: an agent who dismissed the prompt is not asked at every sign-in. The alert
  // settings still offer "Turn on", for when they change their mind.
  if (storage(ASKED_KEY)) return;
  storage(ASKED_KEY, "1");
  requestPermission();
}

function requestPermission() {
  try {
    return Promise.resolve(Notification.requestPermission()).catch(() => "default");
  } catch {
    return Promise.resolve("default");
  }
}

// ---- the console's alerts ----------------------------------------------------------------------

export class AgentAlerts {
  /**
   * @param els  { mute, settings, panel, notifyState, notifyEnable }: the top bar's mute toggle,
   *             the settings button and its panel, and the panel's notification line
   * @param opts { openOffer(conversationId), openCall(conversationId) }: a notification was clicked
   */
  constructor(els, { openOffer, openCall }) {
    this.els = els;
    this.openOffer = openOffer;
    this.openCall = openCall;
    this.muted = storage(MUTE_KEY) === "1";
    this.offers = new Map(); // conversationId → offer
    // Calls waiting for us to join, by source: the conversation on screen (AgentCall, which knows
    // whether we left it ourselves) and the others (the inbox's summaries).
    this.callSources = { open: [], inbox: [] }; // each [{ conversationId, callId, customerName }]
    this.calls = new Map(); // callId → call, the union
    this.unread = 0; // own conversations with unseen activity (from the inbox)
    this.hiddenActivity = false; // the customer wrote in the open conversation while the tab was hidden
    this.notes = new Map(); // tag → Notification
    this.timer = null;
    this.title = new TitleCount();
    this.abort = new AbortController();
    const signal = this.abort.signal;

    els.mute.hidden = false;
    els.settings.hidden = false;
    els.mute.addEventListener("click", () => this.setMuted(!this.muted), { signal });
    els.settings.addEventListener("click", () => this.#openPanel(els.panel.hidden), { signal });
    els.notifyEnable.addEventListener("click", async () => {
      await requestPermission();
      this.#renderNotify();
    }, { signal });
    document.addEventListener("click", (e) => {
      if (!els.panel.hidden && !els.panel.contains(e.target) && !els.settings.contains(e.target)) this.#openPanel(false);
    }, { signal });
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && !els.panel.hidden) {
        this.#openPanel(false);
        els.settings.focus();
      }
    }, { signal });
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) return;
      this.hiddenActivity = false;
      this.#sync();
    }, { signal });

    this.#renderMute();
    this.#renderNotify();
    // For the browser tests (and a curious engineer): whether it rings, and how many chimes played.
    const alerts = this;
    window.__warmlineAlerts = {
      get ringing() {
        return alerts.ringing;
      },
      get calls() {
        return [...alerts.calls.values()].map((c) => c.conversationId);
      },
      get tonesPlayed() {
        return chime.played;
      },
      get audio() {
        return chime.ctx?.state ?? "none";
      },
      get muted() {
        return alerts.muted;
      },
    };
  }

  get ringing() {
    return this.offers.size > 0 || this.calls.size > 0;
  }

  /** Signing out: silence, no count, no notifications left behind. */
  dispose() {
    this.abort.abort();
    this.offers.clear();
    this.calls.clear();
    this.callSources = { open: [], inbox: [] };
    this.unread = 0;
    this.hiddenActivity = false;
    this.#sync();
    for (const n of this.notes.values()) n.close();
    this.notes.clear();
    this.title.dispose();
    this.els.mute.hidden = true;
    this.els.settings.hidden = true;
    this.els.panel.hidden = true;
  }

  setMuted(muted) {
    this.muted = !!muted;
    storage(MUTE_KEY, this.muted ? "1" : null);
    this.#renderMute();
  }

  /** The offers on screen (OfferDock): new ones are notified, gone ones stop ringing. */
  setOffers(list) {
    const next = new Map(list.map((o) => [o.conversationId, o]));
    for (const [id, offer] of next) {
      if (!this.offers.has(id)) this.#notify(`offer:${id}`, `New conversation offered: ${offerWho(offer)} — ${offerReason(offer)}`, offerBody(offer), () => this.openOffer(id));
    }
    for (const id of this.offers.keys()) if (!next.has(id)) this.#closeNote(`offer:${id}`);
    this.offers = next;
    this.#sync();
  }

  /** A call in the open conversation waiting for us to join (AgentCall), or null. */
  setCall(waiting) {
    this.#setCalls("open", waiting ? [waiting] : []);
  }

  /** Calls waiting in this agent's other conversations (from the inbox). */
  setInboxCalls(list) {
    this.#setCalls("inbox", list ?? []);
  }

  #setCalls(source, list) {
    this.callSources[source] = list;
    const next = new Map();
    for (const c of [...this.callSources.open, ...this.callSources.inbox]) if (!next.has(c.callId)) next.set(c.callId, c);
    const same = next.size === this.calls.size && [...next.keys()].every((k) => this.calls.has(k));
    if (same) return;
    for (const [callId, call] of next) {
      if (this.calls.has(callId)) continue;
      const who = call.customerName || "A customer";
      this.#notify(`call:${callId}`, `${who} is waiting in a video call`, "Open the conversation to join the call.", () => this.openCall(call.conversationId));
    }
    for (const callId of this.calls.keys()) if (!next.has(callId)) this.#closeNote(`call:${callId}`);
    this.calls = next;
    this.#sync();
  }

  /** How many of the agent's own conversations have activity they have not seen (Inbox). */
  setUnread(n) {
    if (n === this.unread) return;
    this.unread = n;
    this.#sync();
  }

  /**
   * A customer message in the conversation on screen. The inbox never counts the open conversation
   * as unread, but with the tab hidden the agent has not seen it either.
   */
  noteCustomerMessage() {
    if (!document.hidden || this.hiddenActivity) return;
    this.hiddenActivity = true;
    this.#sync();
  }

  // ---- ringing and the title -----------------------------------------------------------------

  #sync() {
    const ringing = this.ringing;
    if (ringing && !this.timer) {
      this.#ring();
      this.timer = setInterval(() => this.#ring(), RING_EVERY_MS);
    } else if (!ringing && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.els.mute.classList.toggle("is-ringing", ringing);
    // Pending offers, a waiting call, and conversations with something unseen: each is one thing
    // the agent has to look at. (The inbox tracks unseen activity per conversation, not unread
    // messages, so a conversation counts once however many messages arrived.)
    this.title.set(this.offers.size + this.calls.size + this.unread + (this.hiddenActivity ? 1 : 0));
  }

  #ring() {
    if (!this.muted) chime.play();
  }

  #renderMute() {
    const { mute } = this.els;
    mute.setAttribute("aria-pressed", String(this.muted));
    mute.title = this.muted ? "The ring for offers and calls is muted. Click to turn the sound back on." : "Mute the ring for offers and calls";
  }

  #openPanel(open) {
    this.els.panel.hidden = !open;
    this.els.settings.setAttribute("aria-expanded", String(open));
    if (open) this.#renderNotify();
  }

  // ---- notifications -------------------------------------------------------------------------

  #renderNotify() {
    const { notifyState, notifyEnable } = this.els;
    const supported = "Notification" in window;
    const permission = supported ? Notification.permission : "unsupported";
    notifyState.textContent = {
      granted: "On, while this tab is in the background.",
      denied: "Blocked. Allow them in this site's browser settings.",
      default: "Off.",
      unsupported: "Not supported by this browser.",
    }[permission];
    notifyEnable.hidden = permission !== "default";
  }

  #notify(tag, title, body, onClick) {
    if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") return;
    let n;
    try {
      n = new Notification(title, { body, tag, icon: "/static/warmline-icon.svg" });
    } catch {
      return; // e.g. Chrome on Android only shows notifications from a service worker
    }
    n.onclick = () => {
      window.focus();
      n.close();
      onClick();
    };
    n.onclose = () => {
      if (this.notes.get(tag) === n) this.notes.delete(tag);
    };
    this.notes.set(tag, n);
  }

  #closeNote(tag) {
    this.notes.get(tag)?.close();
    this.notes.delete(tag);
  }
}

function offerWho(offer) {
  return offer.customerName?.trim() || "a visitor";
}

function offerReason(offer) {
  const e = offer.briefing?.escalation ?? {};
  if (offer.specialist) return "specialist request";
  const why = e.trigger || e.reason;
  return why ? humanizeLower(why) : "needs a person";
}

function offerBody(offer) {
  const summary = offer.briefing?.summary;
  const text = typeof summary === "string" ? summary : summary?.text;
  return [offer.urgency ? `${humanizeLower(offer.urgency)} urgency` : null, text].filter(Boolean).join(" · ").slice(0, 180);
}

function humanizeLower(s) {
  return String(s).replace(/[_-]+/g, " ").trim().toLowerCase();
}

// ---- "(2) Inbox · Warmline" ------------------------------------------------------------------

/**
 * Keeps a "(n) " prefix on the tab title. Other modules set the title as they like (the open
 * conversation's name, "Inbox"); a MutationObserver on <title> puts the prefix back.
 */
class TitleCount {
  constructor() {
    this.n = 0;
    this.el = document.querySelector("title") ?? document.head.appendChild(h("title"));
    this.observer = new MutationObserver(() => this.#apply());
    this.observer.observe(this.el, { childList: true, characterData: true, subtree: true });
  }

  set(n) {
    this.n = n;
    this.#apply();
  }

  dispose() {
    this.n = 0;
    this.#apply();
    this.observer.disconnect();
  }

  #apply() {
    const base = document.title.replace(/^\(\d+\) /, "");
    const want = this.n > 0 ? `(${this.n}) ${base}` : base;
    if (document.title !== want) document.title = want;
  }
}

// ---- storage -----------------------------------------------------------------------------------

/** localStorage get (one argument) or set (null removes); private modes just forget. */
function storage(key, value) {
  try {
    if (arguments.length < 2) return localStorage.getItem(key);
    if (value == null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    /* ignore */
  }
  return null;
}

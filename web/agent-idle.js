// Auto-away. An agent who walks off without changing their status keeps getting offers, and each
// one makes a waiting customer sit out the whole offer timeout before it moves on. So after a
// stretch with no mouse, keyboard, touch or focus activity in the console, set them away; when
// they come back, set them available again, but only if this module set them away: an agent who
// chose "away" (or "busy") themselves keeps that status.
//
// Only an available agent is set away: busy agents get no offers anyway. Nothing happens during a
// call (the agent is talking, not clicking).
//
// The idle time is a setting in the alert settings panel, kept in localStorage in minutes (0 is
// "never"; default 10). It is read on every check, so a change applies at once; a value that is
// not one of the choices (a test sets a few seconds) is shown as its own option.

import { h } from "./dom.js";
import { toast } from "./toast.js";

const KEY = "warmline.agent.idleMinutes";
const DEFAULT_MINUTES = 10;
const CHOICES = [5, 10, 15, 30, 0];
const CHECK_MS = 1000;
const ACTIVITY = ["pointermove", "pointerdown", "keydown", "wheel", "touchstart", "focus"];

export class IdleAway {
  /**
   * @param els  { select }: the idle-time setting
   * @param opts { status: StatusControl, inCall(): boolean }
   */
  constructor({ select }, { status, inCall }) {
    this.select = select;
    this.status = status;
    this.inCall = inCall ?? (() => false);
    this.last = Date.now();
    this.auto = false; // we set "away"; activity undoes it
    this.abort = new AbortController();
    const signal = this.abort.signal;
    const active = () => this.#active();
    for (const type of ACTIVITY) window.addEventListener(type, active, { signal, capture: true, passive: true });
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) active();
    }, { signal });
    select.addEventListener("change", () => {
      store(Number(select.value));
      this.#renderSelect();
    }, { signal });
    this.timer = setInterval(() => this.#check(), CHECK_MS);
    this.#renderSelect();
  }

  dispose() {
    this.abort.abort();
    clearInterval(this.timer);
  }

  #active() {
    this.last = Date.now();
    if (!this.auto) return;
    this.auto = false;
    // Still the status we set? (Not if the gateway or another tab changed it meanwhile.)
    if (this.status.status !== "away") return;
    this.status.choose("available").then((ok) => {
      if (ok) toast("Welcome back. You were set to Away while inactive, and you're available again.", { tone: "info" });
    });
  }

  async #check() {
    const minutes = idleMinutes();
    if (this.select.value !== String(minutes)) this.#renderSelect(); // changed in another tab
    if (!minutes || this.auto) return;
    if (this.inCall()) {
      this.last = Date.now();
      return;
    }
    if (Date.now() - this.last < minutes * 60_000) return;
    if (this.status.status !== "available" || this.status.busy) return;
    this.auto = true;
    const ok = await this.status.choose("away", { quiet: true });
    if (!ok) this.auto = false; // offline: try again on the next check
  }

  #renderSelect() {
    const current = idleMinutes();
    const values = CHOICES.includes(current) ? CHOICES : [...CHOICES.slice(0, -1), current, 0].sort((a, b) => (a || Infinity) - (b || Infinity));
    this.select.replaceChildren(...values.map((m) => h("option", { value: String(m), text: label(m) })));
    this.select.value = String(current);
  }
}

/** The idle time in minutes; 0 means never. */
export function idleMinutes() {
  let raw = null;
  try {
    raw = localStorage.getItem(KEY);
  } catch {
    /* private mode: the default */
  }
  const n = raw == null ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : DEFAULT_MINUTES;
}

function store(minutes) {
  try {
    localStorage.setItem(KEY, String(minutes));
  } catch {
    /* private mode: the default stays in force */
  }
}

function label(minutes) {
  if (!minutes) return "Never";
  if (minutes < 1) return `After ${Math.round(minutes * 60)} seconds`;
  return `After ${minutes} minute${minutes === 1 ? "" : "s"}`;
}

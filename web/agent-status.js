// The agent's routing status in the top bar: available, busy or away. Only available agents get
// offers. The selector shows what the gateway says (`agent_status` frames, or the agent's row in the
// queue snapshot before the first of those).
//
// A status the agent picked in this tab is remembered for the tab (sessionStorage) and asked for
// again after a reconnect: the gateway treats a fresh connection as available, and an agent who
// stepped away should not be put back in line by a network blip.

import { toast } from "./toast.js";
import { describeError } from "./agent-handoff-actions.js";

const KEY = "warmline.staff.status";
export const STATUSES = ["available", "busy", "away"];

export class StatusControl {
  /**
   * @param els { wrapper, select }
   * @param opts { actions: HandoffActions, meUserId }
   */
  constructor(els, { actions, meUserId }) {
    this.els = els;
    this.actions = actions;
    this.me = meUserId;
    this.status = null; // as the gateway last said
    this.heard = false; // got an agent_status frame
    this.abort = new AbortController();
    els.wrapper.hidden = false;
    els.select.addEventListener("change", () => this.#change(els.select.value), { signal: this.abort.signal });
    this.#render();
  }

  /** Signing out: stop listening to the (page-wide) selector. */
  dispose() {
    this.abort.abort();
    this.els.wrapper.hidden = true;
  }

  /** An `agent_status` frame. */
  set(status) {
    this.heard = true;
    this.status = status;
    this.#render();
  }

  /** A queue snapshot: our own row, until the gateway tells us directly. */
  fromQueue(queue) {
    if (this.heard || this.busy) return;
    const mine = (queue?.agents ?? []).find((a) => a.agentId === this.me);
    if (mine?.status) {
      this.status = mine.status;
      this.#render();
    }
  }

  /** After (re)connecting: ask again for the status chosen in this tab. */
  reassert() {
    const wanted = remembered();
    if (wanted && wanted !== "available") this.#send(wanted, { quiet: true });
  }

  /** Signing out: the next session starts available. */
  static forget() {
    try {
      sessionStorage.removeItem(KEY);
    } catch {
      /* ignore */
    }
  }

  /**
   * Sets the status on the agent's behalf, as if picked in the selector (auto-away). Resolves to
   * whether the gateway took it.
   */
  choose(status, { quiet = false } = {}) {
    if (!STATUSES.includes(status)) return Promise.resolve(false);
    remember(status);
    return this.#send(status, { quiet });
  }

  #change(status) {
    if (!STATUSES.includes(status)) return;
    remember(status);
    this.#send(status);
  }

  async #send(status, { quiet = false } = {}) {
    this.busy = true;
    this.#render(status);
    try {
      await this.actions.setStatus(status);
      // Committed; the agent_status frame says the same (it may arrive either side of `done`).
      this.status = status;
      return true;
    } catch (err) {
      if (!quiet) toast(`Couldn't change your status. ${describeError(err)}`, { tone: "error" });
      return false;
    } finally {
      this.busy = false;
      this.#render();
    }
  }

  #render(pending = null) {
    const { wrapper, select } = this.els;
    const shown = pending ?? this.status;
    if (shown && select.value !== shown) select.value = shown;
    if (!shown) select.selectedIndex = -1;
    wrapper.dataset.status = shown ?? "unknown";
    wrapper.classList.toggle("is-pending", !!pending);
    select.disabled = !!pending;
  }
}

function remembered() {
  try {
    const s = sessionStorage.getItem(KEY);
    return STATUSES.includes(s) ? s : null;
  } catch {
    return null;
  }
}

function remember(status) {
  try {
    sessionStorage.setItem(KEY, status);
  } catch {
    /* private mode: the choice just isn't remembered */
  }
}

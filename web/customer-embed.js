// The customer page inside the widget's frame: /widget?site=ID, framed by a site's pages through
// web/widget.js (the launcher). Here the page
//   - starts conversations for the site (and with the visitor's identity when the host page
//     called Warmline.identify before the conversation was created),
//   - keeps its conversation under the site's own storage keys, so every page of the site that
//     frames it shares one conversation (the frame is on the gateway's origin; browsers that
//     partition third-party storage keep it per top-level site, which is what we want),
//   - shows a compact header with the site's name, greeting and colour and a close button,
//   - counts the replies that arrived while the launcher is closed and reports them as unread.
//
// Messages with the launcher, strict: only messages whose source is our parent window are read.
//   from the launcher: { type: "warmline:identify", token }, { type: "warmline:visibility", open }
//   to the launcher:   { type: "warmline:ready" }, { type: "warmline:unread", count },
//                      { type: "warmline:close" }, { type: "warmline:layout", mode: "chat" | "call" }
// They go to the parent with targetOrigin "*": we cannot know the host page's origin for certain
// (the site lists several), and these three carry no secrets (no token, no message text, only a
// count). Anything carrying data flows the other way, to the gateway's origin only.

import { api } from "./api.js";
import { h } from "./dom.js";

const SITE_RE = /^[A-Za-z0-9_-]{1,64}$/;
const COLOR_RE = /^#[0-9a-f]{6}$/i;
const MAX_TOKEN_CHARS = 16 * 1024;
/** Messages that count as unread while the widget is closed: everything not the customer's own. */
const REPLY_SPEAKERS = new Set(["ai", "agent", "system"]);

/** The embedded mode for this page, or null on the standalone /chat page. */
export function embedFromLocation(loc = window.location) {
  if (loc.pathname !== "/widget") return null;
  const site = new URLSearchParams(loc.search).get("site");
  return site && SITE_RE.test(site) ? new Embed(site) : null;
}

export class Embed {
  constructor(site) {
    this.site = site;
    /** Storage keys of this site's conversation: `${keyBase}.conversation` and so on. */
    this.keyBase = `warmline.site.${site}`;
    /** In a launcher's frame; opened on its own (a tab on /widget?site=) it is simply open. */
    this.framed = window.parent !== window;
    this.open = !this.framed;
    /** The host's identity token (Warmline.identify), sent when a conversation is created. */
    this.identity = null;
    /** Called with `open` when the launcher opens or closes the widget. */
    this.onVisibility = () => {};
    /** Called when an identity token arrives (the intro changes for a known visitor). */
    this.onIdentity = () => {};
    this.conversationId = null;
    this.seenSeq = 0;
    this.hasSeenRecord = false;
    this.lastSeq = 0;
    this.unread = new Set();
    this.reported = 0;

    document.body.classList.add("is-embedded");
    document.body.classList.toggle("is-widget-closed", !this.open);
    window.addEventListener("message", (e) => this.#receive(e));
    document.addEventListener("keydown", (e) => {
      // Escape closes the widget, unless something inside used it (a dialog, the call setup).
      if (e.key === "Escape" && this.framed && !e.defaultPrevented && !document.querySelector("dialog[open]")) this.close();
    });
    this.#post({ type: "warmline:ready" });
  }

  /** Asks the launcher to close the widget (the header's button, Escape). */
  close() {
    this.#post({ type: "warmline:close" });
  }

  /**
   * The compact header: the site's name and greeting, its colour, and a close button (framed
   * only). `els`: { head, title, introTitle, emptyTitle }.
   */
  async decorate({ head, title, introTitle, emptyTitle }) {
    if (this.framed) {
      this.closeButton = h(
        "button",
        {
          type: "button",
          class: "icon-button widget-close",
          "aria-label": "Close chat",
          title: "Close chat",
          "data-testid": "widget-close",
          on: { click: () => this.close() },
        },
        chevron(),
      );
      head.append(this.closeButton);
    }
    let settings;
    try {
      settings = await api(`/api/sites/${encodeURIComponent(this.site)}/widget`);
    } catch {
      return; // the page's own defaults stay
    }
    const name = typeof settings?.name === "string" ? settings.name.trim() : "";
    if (name) {
      title.textContent = name;
      document.title = `Chat with ${name}`;
    }
    const greeting = typeof settings?.greeting === "string" ? settings.greeting.trim() : "";
    if (greeting) {
      introTitle.textContent = greeting;
      emptyTitle.textContent = greeting;
    }
    if (COLOR_RE.test(settings?.color ?? "")) paint(settings.color);
  }

  // ---- unread ----------------------------------------------------------------------------

  /** The conversation on screen (null: none, the intro): unread counting starts over for it. */
  track(conversationId) {
    this.conversationId = conversationId ?? null;
    this.unread.clear();
    this.lastSeq = 0;
    const seen = this.#loadSeen();
    this.hasSeenRecord = !!conversationId && seen?.conversationId === conversationId;
    this.seenSeq = this.hasSeenRecord ? seen.seq : 0;
    this.#report();
  }

  /**
   * An event of the conversation on screen was applied; `message` when it was a message. A reply
   * counts as unread when it came after what the visitor last had open (kept across the host's
   * page loads) and the widget is closed now.
   */
  event(event, message, { replay = false } = {}) {
    if (!this.conversationId || !Number.isFinite(event?.seq)) return;
    this.lastSeq = Math.max(this.lastSeq, event.seq);
    if (this.open) {
      this.#markSeen(this.lastSeq);
      return;
    }
    if (!message || !REPLY_SPEAKERS.has(message.speaker) || event.seq <= this.seenSeq) return;
    // Never opened in this browser before: the history is not news.
    if (replay && !this.hasSeenRecord) return;
    this.unread.add(event.seq);
    this.#report();
  }

  #setOpen(open) {
    if (open === this.open) return;
    this.open = open;
    document.body.classList.toggle("is-widget-closed", !open);
    if (open) {
      this.unread.clear();
      this.#markSeen(this.lastSeq);
      this.#report();
    }
    this.onVisibility(open);
  }

  #markSeen(seq) {
    if (!this.conversationId || seq <= this.seenSeq) return;
    this.seenSeq = seq;
    this.hasSeenRecord = true;
    try {
      localStorage.setItem(`${this.keyBase}.seen`, JSON.stringify({ conversationId: this.conversationId, seq }));
    } catch {
      /* private mode: counted from this page load only */
    }
  }

  #loadSeen() {
    try {
      const v = JSON.parse(localStorage.getItem(`${this.keyBase}.seen`) || "null");
      return v && typeof v.conversationId === "string" && Number.isFinite(v.seq) ? v : null;
    } catch {
      return null;
    }
  }

  #report() {
    const count = this.unread.size;
    if (count === this.reported) return;
    this.reported = count;
    this.#post({ type: "warmline:unread", count });
  }

  // ---- the launcher ------------------------------------------------------------------------

  #receive(e) {
    if (!this.framed || e.source !== window.parent) return;
    const m = e.data;
    if (!m || typeof m !== "object") return;
    if (m.type === "warmline:visibility") this.#setOpen(m.open === true);
    else if (m.type === "warmline:identify" && typeof m.token === "string" && m.token && m.token.length <= MAX_TOKEN_CHARS) {
      this.identity = m.token;
      this.onIdentity(m.token);
    }
  }

  /** A call started ("call") or ended ("chat"): the launcher sizes the panel for it. */
  layout(mode) {
    if (mode === this.lastLayout) return;
    this.lastLayout = mode;
    this.#post({ type: "warmline:layout", mode });
  }

  /** Only messages without secrets go this way (see the top of the file). */
  #post(msg) {
    if (this.framed) window.parent.postMessage(msg, "*");
  }
}

function chevron() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  for (const [k, v] of Object.entries({ viewBox: "0 0 20 20", width: "18", height: "18", fill: "none", stroke: "currentColor", "stroke-width": "1.9", "stroke-linecap": "round", "stroke-linejoin": "round", "aria-hidden": "true" })) {
    svg.setAttribute(k, v);
  }
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M5 7.5l5 5 5-5");
  svg.append(path);
  return svg;
}

/** The site's colour for buttons and the customer's bubbles, with readable text on it (CSSOM). */
function paint(hex) {
  const lum = (i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * lum(1) + 0.7152 * lum(3) + 0.0722 * lum(5);
  const light = 1.05 / (l + 0.05) >= (l + 0.05) / 0.05;
  const s = document.body.style;
  s.setProperty("--brand", hex);
  s.setProperty("--brand-hover", `color-mix(in srgb, ${hex} 84%, #000)`);
  s.setProperty("--on-brand", light ? "#ffffff" : "#111827");
  if (light) s.setProperty("--focus", hex); // a light colour would hide the focus ring
}

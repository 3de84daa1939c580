/* Warmline chat widget: the loader for the pages of a website (a "site": `warmline sites add`).
 *   <script src="https://GATEWAY/widget.js" data-site="SITE_ID" async></script>
 * puts a launcher in the page's corner that opens the chat (and its video call) in a frame served
 * by the gateway (/widget?site=ID), which only the site's origins may frame (frame-ancestors).
 * Plain JS, no dependencies, no build step. The launcher lives in a Shadow DOM: the page's CSS
 * cannot reach it, and its CSS cannot reach the page. Styles are a constructed stylesheet (not
 * subject to the page's CSP), the icons are built as nodes (no innerHTML), nothing is inlined.
 *
 * API: Warmline.open(), .close(), .toggle(), .identify({ token }) (a JWT from the site's backend:
 * the customer becomes verified), .on(event, fn) with "ready", "open", "close", "unread" (count).
 * Calls made before this script ran are kept when the page queued them:
 *   window.Warmline = window.Warmline || { q: [] }; Warmline.q.push(["identify", { token }]);
 *
 * Messages with the frame, strict both ways: we accept only messages from the frame's window
 * with the gateway's origin, and post to it only with the gateway's origin as target.
 *   to the frame:   { type: "warmline:identify", token }, { type: "warmline:visibility", open }
 *   from the frame: { type: "warmline:ready" }, { type: "warmline:unread", count }, { type: "warmline:close" }
 */
(function (w, d) {
  "use strict";
  var me = d.currentScript;
  var stub = w.Warmline;
  if (!me || !me.src || (stub && stub.open)) return; // not from a <script src>, or loaded twice
  var GW = new URL(me.src).origin;
  var site = me.getAttribute("data-site") || "";
  var KEY = "warmline:" + site + ":open"; // the page's own storage: open or closed across its pages
  var NEUTRAL = "#334155";
  var on = {}, isOpen = false, ready = false, dead = false, unread = 0, token = null, name = "";
  var host, root, btn, badge, panel, frame;

  var CSS =
    ":host{all:initial}" +
    ".l{position:fixed;right:20px;bottom:20px;z-index:2147483000;box-sizing:border-box;width:56px;height:56px;margin:0;padding:0;border:0;border-radius:50%;" +
    "display:flex;align-items:center;justify-content:center;cursor:pointer;background:" + NEUTRAL + ";color:#fff;" +
    "box-shadow:0 6px 20px rgba(16,24,40,.24),0 2px 6px rgba(16,24,40,.14);opacity:0;transform:scale(.85);transition:opacity .15s,transform .15s}" +
    ".l.v{opacity:1;transform:none}.l:hover{filter:brightness(1.1)}.l:focus-visible{outline:3px solid #2563eb;outline-offset:3px}" +
    ".l svg{width:26px;height:26px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}" +
    ".l .x,.l.o .c{display:none}.l.o .x{display:block}" +
    ".b{position:absolute;top:-3px;right:-3px;box-sizing:border-box;min-width:20px;height:20px;padding:0 5px;border-radius:10px;" +
    "background:#d92d20;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center;box-shadow:0 0 0 2px #fff}.b[hidden]{display:none}" +
    ".p{position:fixed;right:20px;bottom:88px;z-index:2147483000;width:400px;max-width:calc(100vw - 40px);height:min(640px,calc(100vh - 108px));" +
    "border-radius:16px;overflow:hidden;background:#fff;box-shadow:0 12px 48px rgba(16,24,40,.28),0 2px 8px rgba(16,24,40,.12);" +
    "visibility:hidden;opacity:0;transform:translateY(12px);transition:opacity .18s,transform .18s,visibility 0s .18s}" +
    ".p.o{visibility:visible;opacity:1;transform:none;transition:opacity .18s,transform .18s}" +
    "iframe{display:block;width:100%;height:100%;border:0}" +
    ".p.w{width:min(760px,calc(100vw - 40px));height:min(800px,calc(100vh - 108px))}" +
    "@media (max-width:639.98px){.p,.p.w{inset:0;width:auto;max-width:none;height:auto;border-radius:0}.l.o{display:none}}" +
    "@media (prefers-reduced-motion:reduce){.l,.p,.p.o{transition:none}}";

  function el(tag, attrs, parent) {
    var e = d.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return parent.appendChild(e);
  }
  function icon(cls, path) {
    var ns = "http://www.w3.org/2000/svg", s = d.createElementNS(ns, "svg"), p = d.createElementNS(ns, "path");
    s.setAttribute("viewBox", "0 0 24 24");
    s.setAttribute("class", cls);
    s.setAttribute("aria-hidden", "true");
    p.setAttribute("d", path);
    s.appendChild(p);
    return btn.appendChild(s);
  }
  function emit(ev, arg) {
    (on[ev] || []).slice().forEach(function (fn) {
      try { fn(arg); } catch (e) { setTimeout(function () { throw e; }); }
    });
  }
  function remember(v) {
    try { v ? localStorage.setItem(KEY, "1") : localStorage.removeItem(KEY); } catch (e) { /* storage off: not kept */ }
  }
  function remembered() {
    try { return localStorage.getItem(KEY) === "1"; } catch (e) { return false; }
  }
  function post(msg) {
    if (ready && frame.contentWindow) frame.contentWindow.postMessage(msg, GW);
  }
  function label() {
    var l = isOpen ? "Close chat" : "Open chat" + (name ? " with " + name : "");
    if (unread) l += ", " + unread + " unread message" + (unread > 1 ? "s" : "");
    btn.setAttribute("aria-label", l);
    btn.title = l;
  }
  // Text on the site's colour: white or near-black, whichever contrasts more (WCAG luminance).
  function ink(hex) {
    var L = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var l = 0.2126 * L[0] + 0.7152 * L[1] + 0.0722 * L[2];
    return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? "#fff" : "#111827";
  }

  function mount() {
    if (dead || host) return;
    host = d.createElement("warmline-widget");
    root = host.attachShadow({ mode: "open" });
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      el("style", {}, root).textContent = CSS; // older browsers: the page's CSP may need to allow it
    }
    panel = el("div", { class: "p", id: "p", role: "dialog", "aria-label": "Chat", inert: "" }, root);
    btn = el("button", { type: "button", class: "l", "aria-expanded": "false", "aria-controls": "p" }, root);
    icon("c", "M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z");
    icon("x", "M6 9.5l6 6 6-6");
    badge = el("span", { class: "b", "aria-hidden": "true", hidden: "" }, btn);
    label();
    btn.addEventListener("click", function () { setOpen(!isOpen, true); });
    btn.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && isOpen) setOpen(false, true);
    });
    d.body.appendChild(host);
    // The frame loads after the page did (a frame added earlier would hold up the page's load
    // event), hidden, so unread messages are counted before the first open.
    if (d.readyState === "complete") makeFrame();
    else w.addEventListener("load", makeFrame);
    if (remembered()) setOpen(true, false);
    ((stub && stub.q) || []).forEach(function (c) {
      if (api[c[0]]) api[c[0]].apply(api, [].slice.call(c, 1));
    });
  }

  function makeFrame() {
    if (frame || dead) return;
    frame = el("iframe", {
      src: GW + "/widget?site=" + encodeURIComponent(site),
      title: "Chat" + (name ? " with " + name : ""),
      allow: "camera; microphone; display-capture; autoplay; clipboard-write; fullscreen",
    }, panel);
    // The chat says ready while its page loads. A frame that loaded without saying so holds no
    // chat: the gateway refused to be framed here (this origin is not one of the site's), the site
    // does not exist, or the gateway is down. A launcher that opens an error page helps nobody.
    frame.addEventListener("load", function () {
      setTimeout(function () {
        if (ready || dead) return;
        dead = true;
        host.remove();
        console.warn("Warmline: the chat did not load here. Is " + location.origin + " one of the origins of site " +
          JSON.stringify(site) + " (warmline sites add … --origin)?");
      }, 3000);
    });
  }

  function setOpen(open, focus) {
    if (dead || !host) return;
    makeFrame();
    var inside = d.activeElement === host;
    if (open !== isOpen) {
      isOpen = open;
      remember(open);
      panel.classList.toggle("o", open);
      btn.classList.toggle("o", open);
      btn.setAttribute("aria-expanded", String(open));
      open ? panel.removeAttribute("inert") : panel.setAttribute("inert", "");
      label();
      post({ type: "warmline:visibility", open: open });
      emit(open ? "open" : "close");
    }
    // Opened by the visitor: focus goes into the chat; closed from inside it: back to the launcher.
    if (focus && open) frame.focus();
    else if (!open && (focus || inside)) btn.focus();
  }

  function setUnread(n) {
    n = Math.max(0, Math.min(999, n | 0));
    if (n === unread) return;
    unread = n;
    badge.textContent = n > 9 ? "9+" : String(n);
    badge.hidden = !n;
    label();
    emit("unread", n);
  }

  function show() {
    if (btn) btn.classList.add("v");
  }

  w.addEventListener("message", function (e) {
    if (!frame || e.source !== frame.contentWindow || e.origin !== GW) return;
    var m = e.data || {};
    if (m.type === "warmline:ready") {
      ready = true;
      post({ type: "warmline:visibility", open: isOpen });
      if (token) post({ type: "warmline:identify", token: token });
      emit("ready");
    } else if (m.type === "warmline:unread") setUnread(m.count);
    else if (m.type === "warmline:close") setOpen(false, true);
    else if (m.type === "warmline:layout") panel.classList.toggle("w", m.mode === "call");
  });

  var api = (w.Warmline = {
    open: function () { setOpen(true, true); },
    close: function () { setOpen(false, false); },
    toggle: function () { setOpen(!isOpen, true); },
    identify: function (o) {
      token = o && typeof o.token === "string" ? o.token : null;
      if (token) post({ type: "warmline:identify", token: token });
    },
    on: function (ev, fn) {
      if (typeof fn !== "function") return;
      (on[ev] = on[ev] || []).push(fn);
      if (ev === "ready" && ready) fn();
    },
  });

  if (d.body) mount();
  else d.addEventListener("DOMContentLoaded", mount);

  // The site's name and colour (answered to the site's origins only). Without them the launcher
  // shows in a neutral colour, and the frame decides whether it stays (above).
  setTimeout(show, 1500);
  fetch(GW + "/api/sites/" + encodeURIComponent(site) + "/widget", { credentials: "omit" })
    .then(function (r) {
      return r.ok && r.json().then(function (s) {
        name = typeof s.name === "string" ? s.name.slice(0, 80) : "";
        var c = /^#[0-9a-f]{6}$/i.test(s.color) ? s.color : NEUTRAL;
        var paint = function () {
          btn.style.background = c;
          btn.style.color = ink(c);
          panel.setAttribute("aria-label", "Chat" + (name ? " with " + name : ""));
          if (frame) frame.title = panel.getAttribute("aria-label");
          label();
        };
        btn ? paint() : d.addEventListener("DOMContentLoaded", paint);
      });
    })
    .catch(function () { /* refused or unreachable: neutral colour */ })
    .then(function () {
      if (btn) show();
      else d.addEventListener("DOMContentLoaded", show);
    });
})(window, document);

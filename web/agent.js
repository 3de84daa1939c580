// Agent console entry point: sign-in, then the three-column console (inbox, conversation, customer
// details) wired to one live WebSocket. Each column lives in its own module; this file only routes
// socket frames and URL changes between them.

import { $ } from "./dom.js";
import { ApiError } from "./api.js";
import { WarmlineSocket } from "./wsclient.js";
import { currentSession, forgetSession, login, logout, msUntilExpiry } from "./agent-session.js";
import { Inbox } from "./agent-inbox.js";
import { ThreadView } from "./agent-thread.js";
import { renderDetails } from "./agent-details.js";
import { bindConnectionBanner } from "./connection-banner.js";
import { humanize, initials } from "./format.js";

const ui = {
  loginView: $("#login-view"),
  loginForm: $("#login-form"),
  loginUser: $("#login-username"),
  loginPass: $("#login-password"),
  loginError: $("#login-error"),
  loginSubmit: $("#login-submit"),
  console: $("#console"),
  connPill: $("#conn-pill"),
  meAvatar: $("#me-avatar"),
  meName: $("#me-name"),
  meRole: $("#me-role"),
  logout: $("#logout"),
  details: $("#details"),
  detailsBody: $("#details-body"),
  detailsClose: $("#details-close"),
  detailsToggle: $("#details-toggle"),
};

/** The running console; null while signed out. */
let app = null;

// ---- sign-in --------------------------------------------------------------------------------

function showLogin(message = "") {
  ui.console.hidden = true;
  ui.loginView.hidden = false;
  ui.loginError.hidden = !message;
  ui.loginError.textContent = message;
  document.title = "Sign in · Warmline";
  (ui.loginUser.value ? ui.loginPass : ui.loginUser).focus();
}

ui.loginForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const username = ui.loginUser.value.trim();
  const password = ui.loginPass.value;
  if (!username || !password) {
    ui.loginError.textContent = "Enter your username and password.";
    ui.loginError.hidden = false;
    (username ? ui.loginPass : ui.loginUser).focus();
    return;
  }
  ui.loginSubmit.disabled = true;
  ui.loginSubmit.textContent = "Signing in…";
  ui.loginError.hidden = true;
  try {
    const session = await login(username, password);
    ui.loginPass.value = "";
    startConsole(session);
  } catch (err) {
    ui.loginError.textContent =
      err instanceof ApiError && err.status === 401
        ? "That username and password don't match. Try again."
        : err.message || "Sign-in failed. Try again.";
    ui.loginError.hidden = false;
    ui.loginPass.select();
    ui.loginPass.focus();
  } finally {
    ui.loginSubmit.disabled = false;
    ui.loginSubmit.textContent = "Sign in";
  }
});

ui.logout.addEventListener("click", async () => {
  const session = app?.session;
  stopConsole();
  await logout(session);
  showLogin();
});

// ---- console --------------------------------------------------------------------------------

function startConsole(session) {
  stopConsole();
  ui.loginView.hidden = true;
  ui.console.hidden = false;
  const { user, token } = session;
  ui.meName.textContent = user.name || user.username;
  ui.meRole.textContent = [humanize(user.role), ...(user.skills ?? []).map(humanize)].join(" · ");
  ui.meAvatar.textContent = initials(user.name || user.username);

  const socket = new WarmlineSocket({ token });
  const inbox = new Inbox(
    { list: $("#inbox-list"), filters: $("#inbox-filters"), empty: $("#inbox-empty"), count: $("#inbox-count") },
    { meUserId: user.id },
  );
  const thread = new ThreadView(
    {
      empty: $("#thread-empty"),
      view: $("#thread-view"),
      name: $("#thread-name"),
      avatar: $("#thread-avatar"),
      presence: $("#thread-presence"),
      status: $("#thread-status"),
      skill: $("#thread-skill"),
      scroller: $("#thread-scroll"),
      loading: $("#thread-loading"),
      messages: $("#thread-messages"),
      jump: $("#thread-jump"),
      typing: $("#thread-typing"),
      note: $("#composer-note"),
      error: $("#thread-error"),
      composer: $("#agent-composer"),
      input: $("#agent-input"),
      send: $("#agent-send"),
      hint: $("#agent-hint"),
    },
    {
      socket,
      user,
      token,
      onChange: (model) => renderDetails(ui.detailsBody, model, { presence: model ? thread.presenceOf(model.conversationId) : null }),
      onSeen: (id, seq) => inbox.markSeen(id, seq),
      onUnauthorized: () => expire(),
      onGone: (id) => inbox.remove(id),
    },
  );

  const unbindBanner = bindConnectionBanner(socket, $("#thread-banner"), { onStateChange: renderConnPill });

  socket.addEventListener("ready", () => socket.subscribeInbox());
  socket.addEventListener("inbox", (e) => inbox.setAll(e.detail.conversations));
  socket.addEventListener("inbox_update", (e) => inbox.update(e.detail.conversation));
  // Another agent took it (or it was re-routed away from our skills).
  socket.addEventListener("inbox_remove", (e) => {
    if (inbox.get(e.detail.conversationId)) inbox.remove(e.detail.conversationId);
  });
  socket.addEventListener("event", (e) => thread.handleEvent(e.detail.event));
  socket.addEventListener("subscribed", (e) => thread.handleSubscribed(e.detail));
  socket.addEventListener("pending", (e) => thread.handlePending(e.detail.record));
  socket.addEventListener("typing", (e) => thread.handleTyping(e.detail));
  socket.addEventListener("presence", (e) => thread.handlePresence(e.detail));
  socket.addEventListener("servererror", (e) => {
    const { code, ref } = e.detail;
    // A conversation we may no longer see (another agent took it): drop it from the inbox too.
    if ((code === "not_found" || code === "forbidden") && ref && inbox.get(ref)) inbox.remove(ref);
    thread.handleServerError(e.detail);
  });
  socket.addEventListener("authfailed", () => expire());
  socket.connect();

  const ticker = setInterval(() => inbox.tick(), 30_000);
  const expiry = msUntilExpiry(session);
  const expiryTimer = Number.isFinite(expiry) ? setTimeout(expire, Math.min(Math.max(expiry, 0), 2 ** 31 - 1)) : null;

  app = { session, socket, inbox, thread, unbindBanner, ticker, expiryTimer };
  route();
}

function stopConsole() {
  if (!app) return;
  app.thread.close();
  app.socket.close();
  app.unbindBanner();
  clearInterval(app.ticker);
  clearTimeout(app.expiryTimer);
  app = null;
  ui.console.classList.remove("has-selection", "show-details");
}

/** The token stopped working (expired, revoked): back to sign-in. */
function expire() {
  stopConsole();
  forgetSession();
  showLogin("Your session has ended. Sign in again to continue.");
}

function renderConnPill(state) {
  const text = {
    connecting: "Connecting…",
    connected: "Live",
    reconnecting: "Reconnecting…",
    closed: "Offline",
    auth_failed: "Signed out",
  }[state] ?? state;
  ui.connPill.dataset.state = state;
  ui.connPill.textContent = text;
}

// ---- routing: #/c/<conversationId> ----------------------------------------------------------

function selectedFromHash() {
  const m = /^#\/c\/([^/]+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

function route() {
  if (!app) return;
  const id = selectedFromHash();
  ui.console.classList.toggle("has-selection", !!id);
  app.inbox.select(id);
  if (id) {
    app.thread.open(id);
  } else {
    app.thread.close();
    document.title = "Inbox · Warmline";
  }
  setDetailsOpen(false);
}

window.addEventListener("hashchange", () => {
  route();
  if (app?.thread.isOpen) app.thread.focusComposer();
});

// ---- details drawer (narrow screens) ---------------------------------------------------------

function setDetailsOpen(open) {
  ui.console.classList.toggle("show-details", open);
  ui.detailsToggle.setAttribute("aria-expanded", String(open));
  if (open) ui.details.focus();
}

ui.detailsToggle.addEventListener("click", () => setDetailsOpen(!ui.console.classList.contains("show-details")));
ui.detailsClose.addEventListener("click", () => {
  setDetailsOpen(false);
  ui.detailsToggle.focus();
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && ui.console.classList.contains("show-details")) {
    setDetailsOpen(false);
    ui.detailsToggle.focus();
  }
});

// ---- start ----------------------------------------------------------------------------------

const saved = currentSession();
if (saved) startConsole(saved);
else showLogin();

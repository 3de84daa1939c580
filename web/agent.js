// Agent console entry point: sign-in, then the three-column console (inbox and queue, conversation,
// customer details) wired to one live WebSocket, plus the warm handoff: the agent's status, offers
// with their briefing, and the join / invite / resolve steps; alerts (the ring, notifications, the
// title count) and auto-away. Each part lives in its own module; this file only routes socket
// frames and URL changes between them.

import { InboxSearch } from "./agent-search.js";
import { $ } from "./dom.js";
import { api } from "./api.js";
import { WarmlineSocket } from "./wsclient.js";
import { bindLoginForm, currentSession, forgetSession, logout, msUntilExpiry } from "./agent-session.js";
import { Inbox, conversationHref } from "./agent-inbox.js";
import { ThreadView } from "./agent-thread.js";
import { CannedPicker } from "./agent-canned.js";
import { renderDetails } from "./agent-details.js";
import { CustomerHistoryPanels } from "./agent-history.js";
import { bindConnectionBanner } from "./connection-banner.js";
import { HandoffActions, describeError } from "./agent-handoff-actions.js";
import { HandoffControls } from "./agent-handoff-controls.js";
import { BriefingPanels } from "./agent-briefing-panels.js";
import { OfferDock } from "./agent-offers.js";
import { QueuePanel } from "./agent-queue.js";
import { StatusControl } from "./agent-status.js";
import { AgentCall } from "./agent-call.js";
import { AgentAlerts, prepareAlerts } from "./agent-alerts.js";
import { IdleAway } from "./agent-idle.js";
import { bindTabs } from "./tabs.js";
import { toast } from "./toast.js";
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
  statusControl: $("#status-control"),
  statusSelect: $("#status-select"),
  alertMute: $("#alert-mute"),
  alertSettings: $("#alert-settings"),
  alertPanel: $("#alert-panel"),
  idleSelect: $("#idle-select"),
  notifyState: $("#notify-state"),
  notifyEnable: $("#notify-enable"),
};

const sideTabs = bindTabs($("#side-tabs"));

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

// Signing in is the user gesture browsers want before they play sound or ask about notifications.
ui.loginForm.addEventListener("submit", () => {
  if (ui.loginUser.value.trim() && ui.loginPass.value) prepareAlerts();
});

bindLoginForm(
  { form: ui.loginForm, user: ui.loginUser, pass: ui.loginPass, error: ui.loginError, submit: ui.loginSubmit },
  startConsole,
);

ui.logout.addEventListener("click", async () => {
  const session = app?.session;
  stopConsole();
  StatusControl.forget();
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
  const actions = new HandoffActions(socket, {
    // e.g. no_specialist, reported when a specialist search runs dry after the invite was sent.
    onStray: (err) => toast(describeError(err), { tone: "error" }),
  });
  const alerts = new AgentAlerts(
    { mute: ui.alertMute, settings: ui.alertSettings, panel: ui.alertPanel, notifyState: ui.notifyState, notifyEnable: ui.notifyEnable },
    {
      openOffer: (id) => offers.focus(id),
      openCall: (id) => {
        if (selectedFromHash() !== id) location.hash = conversationHref(id);
        calls.focusJoin();
      },
    },
  );
  const inbox = new Inbox(
    { list: $("#inbox-list"), filters: $("#inbox-filters"), empty: $("#inbox-empty"), count: $("#inbox-count") },
    {
      meUserId: user.id,
      onChange: () => {
        alerts.setUnread(inbox.unreadMine());
        // The conversation on screen rings through AgentCall, which knows more (a call we left).
        alerts.setInboxCalls(inbox.waitingCalls().filter((c) => c.conversationId !== selectedFromHash()));
      },
    },
  );
  new InboxSearch($("#inbox-panel"), { token, hide: [$("#inbox-list"), $("#inbox-filters"), $("#inbox-empty")] });
  const queue = new QueuePanel({ root: $("#queue-panel"), count: $("#queue-count") }, { user });
  const controls = new HandoffControls(
    {
      joinForm: $("#join-form"),
      joinIntro: $("#join-intro"),
      joinHint: $("#join-hint"),
      joinReset: $("#join-reset"),
      joinSubmit: $("#join-submit"),
      joinError: $("#join-error"),
      inviteToggle: $("#invite-toggle"),
      transferToggle: $("#transfer-toggle"),
      resolveToggle: $("#resolve-toggle"),
      tray: $("#handoff-tray"),
      trayError: $("#tray-error"),
      inviteForm: $("#invite-form"),
      inviteSkill: $("#invite-skill"),
      inviteSubmit: $("#invite-submit"),
      inviteCancel: $("#invite-cancel"),
      transferForm: $("#transfer-form"),
      transferTarget: $("#transfer-target"),
      transferNote: $("#transfer-note"),
      transferSubmit: $("#transfer-submit"),
      transferCancel: $("#transfer-cancel"),
      transferPending: $("#transfer-pending"),
      transferPendingText: $("#transfer-pending-text"),
      transferCalloff: $("#transfer-calloff"),
      resolveForm: $("#resolve-form"),
      resolveNote: $("#resolve-note"),
      resolveSubmit: $("#resolve-submit"),
      resolveCancel: $("#resolve-cancel"),
    },
    { actions, user },
  );
  const calls = new AgentCall({ button: $("#call-toggle"), area: $("#call-area") }, { socket, user, onWaiting: (call) => alerts.setCall(call) });
  const histories = new CustomerHistoryPanels({ token, onUpdate: () => refreshDetails(), onUnauthorized: () => expire() });
  const briefings = new BriefingPanels({
    token,
    user,
    briefingFor: (model) => controls.briefingFor(model),
    onUpdate: () => refreshDetails(),
    onUnauthorized: () => expire(),
  });
  const thread = new ThreadView(
    {
      empty: $("#thread-empty"),
      view: $("#thread-view"),
      name: $("#thread-name"),
      avatar: $("#thread-avatar"),
      presence: $("#thread-presence"),
      status: $("#thread-status"),
      urgency: $("#thread-urgency"),
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
      onChange: (model) => {
        controls.render(model);
        calls.render(model);
        refreshDetails();
      },
      onSeen: (id, seq) => inbox.markSeen(id, seq),
      onUnauthorized: () => expire(),
      onGone: (id) => inbox.remove(id),
      composerOverride: (model) => controls.composerOverride(model),
    },
  );
  // "/" in the composer: the team's canned responses, filled for this conversation.
  const canned = new CannedPicker(
    { input: $("#agent-input"), composer: $("#agent-composer") },
    { token, user, model: () => thread.model, onUnauthorized: () => expire() },
  );
  function refreshDetails() {
    const model = thread.model;
    renderDetails(ui.detailsBody, model, {
      presence: model ? thread.presenceOf(model.conversationId) : null,
      extra: [...briefings.panels(model), histories.panel(model)].filter(Boolean),
      hideEscalation: briefings.showsBriefing(model),
    });
  }

  const offers = new OfferDock($("#offers"), {
    actions,
    onChange: (list) => alerts.setOffers(list),
    onAccepted: (id, offer) => {
      controls.noteAccepted(id, offer.briefing);
      thread.refresh();
      openAccepted(id);
    },
  });
  /** Accepted: open it with the briefing beside the thread, and tell the gateway it is being read. */
  async function openAccepted(id) {
    app.openDetailsOnRoute = true;
    if (selectedFromHash() === id) route();
    else location.hash = conversationHref(id);
    try {
      await actions.openBriefing(id);
      controls.noteOpened(id);
    } catch (err) {
      // Joining asks again; only say something if it is not just a dropped connection.
      if (err.code !== "connection_lost" && err.code !== "offline") toast(describeError(err), { tone: "error" });
    }
  }

  const status = user.role === "agent" ? new StatusControl({ wrapper: ui.statusControl, select: ui.statusSelect }, { actions, meUserId: user.id }) : null;
  if (!status) ui.statusControl.hidden = true;
  const idle = status ? new IdleAway({ select: ui.idleSelect }, { status, inCall: () => calls.active }) : null;
  ui.idleSelect.closest(".alert-panel__field").hidden = !idle;

  const unbindBanner = bindConnectionBanner(socket, $("#thread-banner"), { onStateChange: renderConnPill });

  socket.addEventListener("ready", () => {
    socket.subscribeInbox();
    status?.reassert();
  });
  socket.addEventListener("inbox", (e) => inbox.setAll(e.detail.conversations));
  socket.addEventListener("inbox_update", (e) => inbox.update(e.detail.conversation));
  // Another agent took it (or it was re-routed away from our skills).
  socket.addEventListener("inbox_remove", (e) => {
    if (inbox.get(e.detail.conversationId)) inbox.remove(e.detail.conversationId);
  });
  socket.addEventListener("event", (e) => thread.handleEvent(e.detail.event));
  // After the thread applied it to the conversation model.
  socket.addEventListener("event", (e) => calls.handleEvent(e.detail.event));
  // A customer writing in the open conversation while the tab is hidden counts in the title
  // (speech transcribed during a call is not something to read later).
  socket.addEventListener("event", (e) => {
    const ev = e.detail.event;
    const m = ev.type === "message" ? ev.message : null;
    if (m?.speaker === "customer" && m.channel !== "voice" && ev.conversationId === thread.conversationId && thread.synced) alerts.noteCustomerMessage();
  });
  socket.addEventListener("subscribed", (e) => thread.handleSubscribed(e.detail));
  socket.addEventListener("pending", (e) => thread.handlePending(e.detail.record));
  socket.addEventListener("typing", (e) => thread.handleTyping(e.detail));
  socket.addEventListener("presence", (e) => thread.handlePresence(e.detail));
  socket.addEventListener("agent_status", (e) => status?.set(e.detail.status));
  socket.addEventListener("offer", (e) => offers.add(e.detail));
  socket.addEventListener("offer_withdrawn", (e) => offers.withdraw(e.detail.conversationId, e.detail.reason));
  socket.addEventListener("queue", (e) => {
    const q = e.detail.queue;
    queue.set(q);
    controls.setColleagues(q.agents ?? []);
    status?.fromQueue(q);
    recoverOffer(q);
  });
  socket.addEventListener("servererror", (e) => {
    const { code, ref } = e.detail;
    // A conversation we may no longer see (another agent took it): drop it from the inbox too.
    if ((code === "not_found" || code === "forbidden") && ref && inbox.get(ref)) inbox.remove(ref);
    thread.handleServerError(e.detail);
  });
  socket.addEventListener("authfailed", () => expire());
  socket.subscribeQueue();
  socket.connect();

  /**
   * After a reload the offer frame is gone, but the queue still says the offer is ours: rebuild the
   * card from the conversation (its briefing and the offer's expiry).
   */
  const recovering = new Set();
  async function recoverOffer(q) {
    if (user.role !== "agent") return;
    const id = (q?.agents ?? []).find((a) => a.agentId === user.id)?.offer;
    if (!id || offers.has(id) || offers.recentlyDone(id) || recovering.has(id) || controls.accepted.has(id)) return;
    recovering.add(id);
    try {
      const snap = await api(`/api/conversations/${encodeURIComponent(id)}`, { token });
      const h = snap.handoff ?? {};
      const expires = Date.parse(h.offerExpiresAt ?? "");
      if (app?.offers !== offers || h.offeredTo !== user.id || !(expires > Date.now()) || offers.has(id) || offers.recentlyDone(id)) return;
      const briefing = snap.briefing ?? null;
      offers.add({
        conversationId: id,
        expiresAt: h.offerExpiresAt,
        specialist: (h.accepted ?? []).length > 0,
        skill: briefing?.escalation?.recommendedAgent || snap.skill,
        urgency: snap.escalation?.urgency ?? briefing?.escalation?.urgency ?? "medium",
        customerName: snap.customer?.name ?? null,
        briefing,
      });
    } catch {
      /* the live offer frame or the next snapshot will do */
    } finally {
      recovering.delete(id);
    }
  }

  const ticker = setInterval(() => inbox.tick(), 30_000);
  const queueTicker = setInterval(() => queue.tick(), 5_000);
  const expiry = msUntilExpiry(session);
  const expiryTimer = Number.isFinite(expiry) ? setTimeout(expire, Math.min(Math.max(expiry, 0), 2 ** 31 - 1)) : null;

  app = { session, canned, socket, actions, alerts, idle, inbox, queue, thread, controls, calls, offers, status, unbindBanner, ticker, queueTicker, expiryTimer, openDetailsOnRoute: false };
  route();
}

function stopConsole() {
  if (!app) return;
  app.calls.dispose();
  app.canned.dispose();
  app.thread.close();
  app.offers.clear();
  app.alerts.dispose();
  app.idle?.dispose();
  app.controls.dispose();
  app.status?.dispose();
  app.actions.dispose();
  app.socket.close();
  app.unbindBanner();
  clearInterval(app.ticker);
  clearInterval(app.queueTicker);
  clearTimeout(app.expiryTimer);
  app = null;
  ui.console.classList.remove("has-selection", "show-details");
}

/** The token stopped working (expired, revoked): back to sign-in. */
function expire() {
  stopConsole();
  forgetSession();
  StatusControl.forget();
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
  // Just accepted an offer: the briefing (in the details column) is what to read first.
  const showBriefing = !!id && app.openDetailsOnRoute;
  app.openDetailsOnRoute = false;
  setDetailsOpen(showBriefing && matchMedia("(max-width: 1180px)").matches);
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

window.addEventListener("pagehide", () => app?.calls.hangup());

// ---- start ----------------------------------------------------------------------------------

const saved = currentSession();
if (saved) startConsole(saved);
else showLogin();

// Handoff review entry point: manager sign-in, then four views routed by the URL hash, with the
// filters in the hash's query so every view can be linked and "back" keeps them:
//   #/overview?from=…&to=…        headline figures and charts
//   #/handoffs?…&offset=50        the handoff list
//   #/handoff/<conversationId>?…  one handoff (back goes to the list with the same query)
//   #/audit                       the audit log
//   #/canned                      canned responses (added, changed and deleted here)
// Each part lives in its own review-*.js module; this file signs in and routes.

import { $ } from "./dom.js";
import { bindLoginForm, currentSession, forgetSession, logout, msUntilExpiry } from "./agent-session.js";
import { humanize, initials } from "./format.js";
import { toast } from "./toast.js";
import { ReviewApi } from "./review-api.js";
import { useFileToken } from "./attachments.js";
import { FilterBar, filtersFromParams, filtersToParams } from "./review-filters.js";
import { Overview } from "./review-overview.js";
import { HandoffList } from "./review-list.js";
import { HandoffView } from "./review-handoff.js";
import { AuditPanel } from "./review-audit.js";
import { CannedPanel } from "./review-canned.js";

const ui = {
  loginView: $("#login-view"),
  loginForm: $("#login-form"),
  loginUser: $("#login-username"),
  loginPass: $("#login-password"),
  loginError: $("#login-error"),
  loginSubmit: $("#login-submit"),
  forbidden: $("#login-forbidden"),
  forbiddenWho: $("#login-forbidden-who"),
  loginSwitch: $("#login-switch"),
  review: $("#review"),
  meAvatar: $("#me-avatar"),
  meName: $("#me-name"),
  meRole: $("#me-role"),
  logout: $("#logout"),
  filters: $("#filters"),
  nav: { overview: $("#nav-overview"), handoffs: $("#nav-handoffs"), audit: $("#nav-audit"), canned: $("#nav-canned") },
  views: { overview: $("#overview-view"), handoffs: $("#list-view"), handoff: $("#handoff-view"), audit: $("#audit-view"), canned: $("#canned-view") },
};

/** The running page; null while signed out. */
let app = null;

// ---- sign-in --------------------------------------------------------------------------------

function showLogin(message = "") {
  ui.review.hidden = true;
  ui.loginView.hidden = false;
  ui.forbidden.hidden = true;
  ui.loginForm.hidden = false;
  ui.loginError.hidden = !message;
  ui.loginError.textContent = message;
  document.title = "Sign in · Handoff review · Warmline";
  (ui.loginUser.value ? ui.loginPass : ui.loginUser).focus();
}

/** Signed in, but not as a manager. */
function showForbidden(session) {
  ui.review.hidden = true;
  ui.loginView.hidden = false;
  ui.loginForm.hidden = true;
  ui.forbidden.hidden = false;
  const u = session.user ?? {};
  ui.forbiddenWho.textContent = `You're signed in as ${u.name || u.username} (${humanize(u.role || "agent").toLowerCase()}). Ask a manager for access to handoff review.`;
  ui.forbiddenSession = session;
  document.title = "Handoff review · Warmline";
}

ui.loginSwitch.addEventListener("click", async () => {
  const session = ui.forbiddenSession;
  ui.forbiddenSession = null;
  await logout(session);
  ui.loginUser.value = "";
  showLogin();
});

bindLoginForm(
  { form: ui.loginForm, user: ui.loginUser, pass: ui.loginPass, error: ui.loginError, submit: ui.loginSubmit },
  begin,
);

ui.logout.addEventListener("click", async () => {
  const session = app?.session;
  stop();
  await logout(session);
  showLogin();
});

function begin(session) {
  if (session.user?.role !== "manager") showForbidden(session);
  else start(session);
}

// ---- the page -------------------------------------------------------------------------------

function start(session) {
  stop();
  ui.loginView.hidden = true;
  ui.review.hidden = false;
  const { user, token } = session;
  ui.meName.textContent = user.name || user.username;
  ui.meRole.textContent = humanize(user.role);
  ui.meAvatar.textContent = initials(user.name || user.username);

  const api = new ReviewApi(token, { onUnauthorized: () => expire() });
  useFileToken(() => token);
  const download = async (path, name) => {
    try {
      await api.download(path, name);
    } catch (err) {
      if (err.status === 401) return;
      toast(err.status === 404 ? "Nothing to export for this yet." : `Download failed: ${err.message}`, { tone: "error" });
    }
  };
  const agentNames = new Map();
  const hrefFor = (id) => `#/handoff/${encodeURIComponent(id)}?${filtersToParams(app.filters, { offset: app.offset })}`;

  const filterBar = new FilterBar(
    {
      form: ui.filters,
      from: $("#filter-from"),
      to: $("#filter-to"),
      agent: $("#filter-agent"),
      skill: $("#filter-skill"),
      trigger: $("#filter-trigger"),
      repeat: $("#filter-repeat"),
      score: $("#filter-score"),
      reset: $("#filter-reset"),
    },
    { onChange: (f) => navigate(app.view === "handoffs" ? "handoffs" : "overview", f, 0) },
  );
  const overview = new Overview(
    {
      range: $("#overview-range"),
      error: $("#overview-error"),
      figures: $("#overview-figures"),
      daily: $("#chart-daily"),
      wait: $("#chart-wait"),
      breakdown: $("#chart-breakdown"),
      breakdownBy: $("#breakdown-by"),
      csv: $("#overview-csv"),
      breakdownCsv: $("#breakdown-csv"),
    },
    { api, onDownload: download },
  );
  const list = new HandoffList(
    {
      summary: $("#list-summary"),
      error: $("#list-error"),
      head: $("#list-head"),
      body: $("#list-body"),
      empty: $("#list-empty"),
      range: $("#list-range"),
      prev: $("#list-prev"),
      next: $("#list-next"),
      csv: $("#list-csv"),
    },
    { api, hrefFor, onPage: (offset) => navigate("handoffs", app.filters, offset), onDownload: download },
  );
  const handoff = new HandoffView(ui.views.handoff, {
    api,
    agentNames,
    backHref: () => `#/handoffs?${filtersToParams(app.filters, { offset: app.offset })}`,
    onDownload: download,
  });
  const audit = new AuditPanel($("#audit-body"), { api, hrefFor });
  $("#audit-refresh").onclick = () => audit.show();
  const canned = new CannedPanel(ui.views.canned, { token, onUnauthorized: () => expire() });

  const expiry = msUntilExpiry(session);
  const expiryTimer = Number.isFinite(expiry) ? setTimeout(expire, Math.min(Math.max(expiry, 0), 2 ** 31 - 1)) : null;
  app = { session, api, filterBar, overview, list, handoff, audit, canned, agentNames, expiryTimer, view: null, filters: null, offset: 0, shown: {} };

  api
    .filters()
    .then((opts) => {
      if (!app || app.api !== api) return;
      for (const a of opts.agents ?? []) agentNames.set(a.id, a.name);
      filterBar.setOptions(opts);
    })
    .catch(() => {
      /* the filters still work by URL; the lists just stay short */
    });
  route();
}

function stop() {
  if (!app) return;
  app.handoff.dispose();
  clearTimeout(app.expiryTimer);
  app = null;
}

/** The token stopped working (expired, revoked): back to sign-in. */
function expire() {
  if (!app) return;
  stop();
  forgetSession();
  showLogin("Your session has ended. Sign in again to continue.");
}

// ---- routing --------------------------------------------------------------------------------

function parseHash() {
  const raw = location.hash.replace(/^#/, "");
  const [path, query = ""] = raw.split("?");
  const params = new URLSearchParams(query);
  const m = /^\/handoff\/([^/]+)$/.exec(path);
  if (m) return { view: "handoff", id: decodeURIComponent(m[1]), params };
  const view = { "/handoffs": "handoffs", "/audit": "audit", "/canned": "canned" }[path] ?? "overview";
  return { view, id: null, params };
}

function navigate(view, filters, offset = 0) {
  const q = filtersToParams(filters, { offset });
  location.hash = `#/${view}${q ? `?${q}` : ""}`;
}

function route() {
  if (!app) return;
  const { view, id, params } = parseHash();
  const filters = filtersFromParams(params);
  const offset = Math.max(0, Math.floor(Number(params.get("offset")) || 0));
  app.view = view;
  app.filters = filters;
  app.offset = offset;
  app.filterBar.set(filters);

  for (const [key, el] of Object.entries(ui.views)) el.hidden = key !== view;
  ui.filters.hidden = view !== "overview" && view !== "handoffs";
  const q = filtersToParams(filters);
  ui.nav.overview.href = `#/overview${q ? `?${q}` : ""}`;
  ui.nav.handoffs.href = `#/handoffs${q ? `?${q}` : ""}`;
  for (const [key, link] of Object.entries(ui.nav)) {
    const current = key === view || (key === "handoffs" && view === "handoff");
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (view !== "handoff") app.handoff.dispose();

  // Only reload what changed: going back from a handoff keeps the list as it was.
  const key = `${view}|${q}|${view === "handoffs" ? offset : ""}|${id ?? ""}`;
  if (app.shown[view] === key) return;
  app.shown[view] = key;
  switch (view) {
    case "overview":
      document.title = "Overview · Handoff review · Warmline";
      app.overview.show(filters);
      break;
    case "handoffs":
      document.title = "Handoffs · Handoff review · Warmline";
      app.list.show(filters, offset);
      break;
    case "handoff":
      app.shown.handoff = null; // always fresh when opened again
      app.handoff.show(id);
      window.scrollTo(0, 0);
      break;
    case "audit":
      document.title = "Audit log · Handoff review · Warmline";
      app.audit.show();
      break;
    case "canned":
      document.title = "Canned responses · Handoff review · Warmline";
      app.shown.canned = null; // always fresh when opened again
      app.canned.show();
      break;
    default:
      break;
  }
}

window.addEventListener("hashchange", () => route());

// ---- start ----------------------------------------------------------------------------------

const saved = currentSession();
if (saved) begin(saved);
else showLogin();

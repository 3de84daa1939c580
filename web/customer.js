// Brightboard customer chat: optional name/email, then a live conversation with the assistant and,
// when needed, a person. The conversation survives reloads (id and token in localStorage), and
// starting a new one (after asking) keeps it in the intro's "Previous conversations". In a site's
// widget frame (/widget?site=ID) it runs in embedded mode (customer-embed.js).

import { api } from "./api.js";
import { solveChallenge } from "./proof-of-work.js";
import { $, announce, autoGrow } from "./dom.js";
import { WarmlineSocket } from "./wsclient.js";
import { ConversationModel } from "./conversation-model.js";
import { ASSISTANT_NAME, Timeline } from "./timeline.js";
import { TypingIndicator, TypingNotifier } from "./typing.js";
import { bindConnectionBanner } from "./connection-banner.js";
import { WaitBanner } from "./wait-banner.js";
import { CustomerStatus } from "./customer-status.js";
import { PreviousList, forgetPrevious, rememberPrevious, snippetOf, useHistoryKey } from "./customer-history.js";
import { confirmDialog } from "./customer-confirm.js";
import { initials } from "./format.js";
import { callNotice } from "./call-events.js";
import { CustomerCall } from "./customer-call.js";
import { SurveyCard } from "./customer-survey.js";
import { FollowupForm } from "./customer-followup.js";
import { ReceiptReporter } from "./read-receipts.js";
import { embedFromLocation } from "./customer-embed.js";
import { loadHistory, loadPast, pastList, showPast } from "./past-conversations.js";
import { AttachComposer, useFileToken } from "./attachments.js";

/** Embedded in a site's widget frame, or null on the standalone /chat page. */
const embed = embedFromLocation();
// Each site's widget keeps its own conversation (and earlier ones), apart from /chat's.
const KEY_BASE = embed ? embed.keyBase : "warmline.brightboard";
const STORAGE_KEY = `${KEY_BASE}.conversation`;
const PENDING_KEY = `${KEY_BASE}.unsent`;
if (embed) useHistoryKey(`${KEY_BASE}.previous`);
const REPLY_WAIT_MS = 30_000; // how long we show "Assistant is typing…" while waiting for a reply
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Status changes the gateway explains with its own message in the conversation. */
const GATEWAY_NOTICES = new Set(["escalated", "reopened_by_customer"]);

const ui = {
  intro: $("#intro"),
  introForm: $("#intro-form"),
  introName: $("#intro-name"),
  introEmail: $("#intro-email"),
  introEmailError: $("#intro-email-error"),
  introStart: $("#intro-start"),
  introSkip: $("#intro-skip"),
  introError: $("#intro-error"),
  introNotice: $("#intro-notice"),
  introTitle: $("#intro-title"),
  introLead: $(".chat-intro__lead"),
  previous: $("#previous"),
  previousList: $("#previous-list"),
  earlier: $("#earlier"),
  earlierTitle: $("#earlier-title"),
  earlierList: $("#earlier-list"),
  card: $("#chat-card"),
  head: $(".chat-head"),
  title: $("#chat-title"),
  chatBody: $("#chat-body"),
  chat: $("#chat"),
  callButton: $("#call-button"),
  callArea: $("#call-area"),
  subtitle: $("#chat-subtitle"),
  agentAvatar: $("#agent-avatar"),
  newConversation: $("#new-conversation"),
  banner: $("#conn-banner"),
  waitBanner: $("#wait-banner"),
  followup: $("#followup"),
  scroller: $("#timeline-scroll"),
  loading: $("#timeline-loading"),
  empty: $("#chat-empty"),
  emptyTitle: $(".chat-empty__title"),
  messages: $("#messages"),
  jump: $("#jump"),
  typing: $("#typing"),
  chatError: $("#chat-error"),
  composer: $("#composer"),
  input: $("#composer-input"),
  send: $("#composer-send"),
};

/** Everything about the conversation on screen; replaced when a new one starts. */
let session = null;

/** The one handoff status (nobody online, place in line, an agent reading), from the events. */
const waitBanner = new WaitBanner(ui.waitBanner, { onLeaveEmail: openFollowup });

/** E-mail is configured on the gateway: when nobody is online, the customer may leave an address. */
let emailEnabled = false;
api("/api/email")
  .then((r) => {
    emailEnabled = r?.enabled === true;
    renderHeader();
  })
  .catch(() => {
    /* e-mail stays off */
  });

/** "Leave your e-mail and we'll reply", under the banner while nobody is online. */
const followupForm = new FollowupForm(ui.followup, { onSent: () => renderHeader() });

function openFollowup() {
  if (!session) return;
  followupForm.show({
    conversationId: session.saved.conversationId,
    token: session.saved.customerToken,
    email: session.model.customer?.email ?? "",
  });
  renderHeader();
}

/** Earlier conversations on this device, on the intro screen; a click reopens one. */
const previousList = new PreviousList(ui.previous, ui.previousList, { onOpen: reopen });

// ---- storage ------------------------------------------------------------------------------

function loadSaved() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
    return saved?.conversationId && saved?.customerToken ? saved : null;
  } catch {
    return null;
  }
}

function save(data) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(data));
  } catch {
    /* private mode: the chat still works, it just won't survive a reload */
  }
}

function forget() {
  try {
    localStorage.removeItem(STORAGE_KEY);
    localStorage.removeItem(PENDING_KEY);
  } catch {
    /* ignore */
  }
}

// Messages typed but not yet acknowledged survive a reload too; they are sent again with the same
// clientMsgId, so the gateway stores each at most once.
function loadPending(conversationId) {
  try {
    const p = JSON.parse(localStorage.getItem(PENDING_KEY) || "null");
    return p?.conversationId === conversationId && Array.isArray(p.messages) ? p.messages : [];
  } catch {
    return [];
  }
}

function savePending(conversationId, records) {
  try {
    if (!records.length) localStorage.removeItem(PENDING_KEY);
    else {
      const messages = records.map(({ clientMsgId, content, createdAt }) => ({ clientMsgId, content, createdAt }));
      localStorage.setItem(PENDING_KEY, JSON.stringify({ conversationId, messages }));
    }
  } catch {
    /* ignore */
  }
}

// ---- intro --------------------------------------------------------------------------------

function showIntro(notice = "") {
  ui.chatBody.hidden = true;
  ui.callButton.hidden = true;
  ui.newConversation.hidden = true;
  ui.intro.hidden = false;
  ui.introNotice.hidden = !notice;
  ui.introNotice.textContent = notice;
  ui.introError.hidden = true;
  setSubtitle("We usually reply in seconds");
  ui.agentAvatar.hidden = true;
  waitBanner.reset();
  previousList.render();
  embed?.track(null);
  // Don't pop up the on-screen keyboard on phones before the visitor decides what to do (nor
  // take the focus from the host page while the widget is closed).
  if (matchMedia("(pointer: fine)").matches && mayFocus()) (identified() ? ui.introStart : ui.introName).focus();
}

/** Whether this page may move the focus: always standalone; in the widget while it is open and focused. */
function mayFocus() {
  return !embed || (embed.open && document.hasFocus());
}

/** The host website vouched for the visitor (Warmline.identify): no need to ask who they are. */
function identified() {
  return !!embed?.identity;
}

function setIntroBusy(busy, label = "Starting…") {
  ui.introStart.disabled = busy;
  ui.introSkip.disabled = busy;
  ui.introStart.textContent = busy ? label : "Start chat";
  ui.introForm.setAttribute("aria-busy", String(busy));
}

// Starts a conversation. When the gateway is busy it asks for a small proof of work first
// (`challenge_required`); the browser solves it and asks again, a few times at most.
async function createConversation(body) {
  let proof;
  for (let attempt = 0; ; attempt++) {
    try {
      const headers = proof ? { "Warmline-Challenge": proof } : undefined;
      return await api("/api/conversations", { method: "POST", body, headers });
    } catch (err) {
      const challenge = err?.details?.challenge;
      if (err?.code !== "challenge_required" || !challenge || attempt >= 3) throw err;
      setIntroBusy(true, "Connecting securely…");
      proof = `${challenge.token}:${await solveChallenge(challenge)}`;
    }
  }
}

async function startConversation(withDetails) {
  ui.introError.hidden = true;
  let customer;
  if (withDetails) {
    const name = ui.introName.value.trim();
    const email = ui.introEmail.value.trim();
    if (email && !EMAIL_RE.test(email)) {
      ui.introEmailError.textContent = "That email address doesn't look right.";
      ui.introEmailError.hidden = false;
      ui.introEmail.setAttribute("aria-invalid", "true");
      ui.introEmail.focus();
      return;
    }
    if (name || email) customer = { ...(name ? { name } : {}), ...(email ? { email } : {}) };
  }
  setIntroBusy(true);
  try {
    const body = {
      ...(customer ? { customer } : {}),
      ...(embed ? { site: embed.site } : {}),
      // Only when the host page identified the visitor before the conversation was created.
      ...(embed?.identity ? { identity: embed.identity } : {}),
    };
    const res = await createConversation(body);
    const saved = {
      conversationId: res.conversationId,
      customerToken: res.customerToken,
      name: customer?.name ?? null,
      startedAt: new Date().toISOString(),
      snippet: null,
    };
    save(saved);
    ui.introForm.reset();
    openChat(saved, { fresh: true });
  } catch (err) {
    ui.introError.textContent =
      err?.code === "unauthorized" && identified()
        ? "We couldn't confirm your sign-in on this website. Reload the page and try again."
        : err.message || "We couldn't start the chat. Please try again.";
    ui.introError.hidden = false;
  } finally {
    setIntroBusy(false);
  }
}

ui.introForm.addEventListener("submit", (e) => {
  e.preventDefault();
  startConversation(true);
});
ui.introSkip.addEventListener("click", () => startConversation(false));
ui.introEmail.addEventListener("input", () => {
  ui.introEmailError.hidden = true;
  ui.introEmail.removeAttribute("aria-invalid");
});

// ---- chat ---------------------------------------------------------------------------------

function openChat(saved, { fresh = false } = {}) {
  closeChat();
  ui.intro.hidden = true;
  ui.chatBody.hidden = false;
  ui.newConversation.hidden = false;
  ui.chatError.hidden = true;
  ui.loading.hidden = false;
  ui.empty.hidden = true;

  const model = new ConversationModel(saved.conversationId);
  if (saved.name) model.customer = { ...model.customer, name: saved.name };
  const socket = new WarmlineSocket({ token: saved.customerToken });
  const timeline = new Timeline(ui.messages, {
    view: "customer",
    model,
    scroller: ui.scroller,
    jumpButton: ui.jump,
    onRetry: (id) => socket.retry(id),
  });
  timeline.clear();
  timeline.setLive(false);

  const typing = new TypingIndicator(ui.typing, {
    nameFor: (from) => {
      if (from.kind === "customer") return null;
      if (from.kind === "bot" || from.kind === "ai") return ASSISTANT_NAME;
      return from.name || "Support";
    },
  });

  session = {
    saved,
    model,
    socket,
    timeline,
    typing,
    notifier: new TypingNotifier(socket, () => saved.conversationId),
    synced: false,
    lastReplySeq: 0,
    replyTimer: null,
    unbindBanner: bindConnectionBanner(socket, ui.banner),
    call: new CustomerCall(
      { button: ui.callButton, area: ui.callArea, card: ui.card },
      // In the widget, a call makes the panel larger (the launcher's page decides how).
      { socket, conversationId: saved.conversationId, onCall: (active) => embed?.layout(active ? "call" : "chat") },
    ),
    /** The end-of-conversation survey, once an agent resolved it (shown once per conversation). */
    survey: null,
    rated: false,
    /** While the resolution's own messages arrive, the survey moves down to stay after them. */
    surveyTrails: false,
    /** The handoff status for the banner, folded from every event (so a reload shows the same). */
    status: new CustomerStatus(),
    /** Tells the gateway what this page has received and shown (support sees "Seen"). */
    receipts: new ReceiptReporter(socket, { conversationId: saved.conversationId, scroller: ui.scroller, list: ui.messages }),
  };

  showEarlier(session);
  socket.addEventListener("event", (e) => onEvent(e.detail.event, { replay: e.detail.replay }));
  socket.addEventListener("subscribed", onSubscribed);
  socket.addEventListener("pending", (e) => onPending(e.detail.record));
  socket.addEventListener("ack", (e) => onAck(e.detail.ack));
  socket.addEventListener("typing", (e) => {
    if (e.detail.conversationId === saved.conversationId) typing.set(e.detail.from, e.detail.isTyping);
  });
  socket.addEventListener("receipt", (e) => {
    // Support as a whole has received / seen up to a seq: "Delivered" / "Seen" under our message.
    if (e.detail.conversationId === saved.conversationId && e.detail.side === "agent") timeline.setPeerReceipt(e.detail);
  });
  socket.addEventListener("servererror", (e) => onServerError(e.detail));
  socket.addEventListener("authfailed", () => {
    // The token is no longer valid (conversation removed, or storage from another install).
    forget();
    forgetPrevious(saved.conversationId);
    closeChat();
    showIntro("Your previous conversation is no longer available. Start a new one below.");
  });

  embed?.track(saved.conversationId);
  socket.connect();
  socket.subscribe(saved.conversationId, 0);
  for (const m of loadPending(saved.conversationId)) {
    if (m?.clientMsgId && m.content) socket.sendMessage(saved.conversationId, m.content, m.clientMsgId, m.createdAt);
  }
  updateComposer();
  if (fresh && matchMedia("(pointer: fine)").matches && mayFocus()) ui.input.focus();
}

// A signed-in customer's earlier conversations (on any device), read-only, above this one.
async function showEarlier(current) {
  ui.earlier.hidden = true;
  ui.earlier.open = false;
  let history;
  try {
    history = await loadHistory(current.saved.conversationId, current.saved.customerToken);
  } catch {
    return; // not worth a banner: the conversation itself works without it
  }
  const rows = history?.conversations ?? [];
  if (session !== current || !history?.verified || !rows.length) return;
  ui.earlierTitle.textContent = `Earlier conversations (${rows.length})`;
  ui.earlierList.replaceChildren(pastList(rows, { onOpen: (row) => openEarlier(current, row) }));
  ui.earlier.hidden = false;
}

async function openEarlier(current, row) {
  const opener = document.activeElement;
  try {
    const past = await loadPast(current.saved.conversationId, row.conversationId, current.saved.customerToken);
    showPast(past, row, { viewer: "customer", returnFocus: opener });
  } catch (err) {
    ui.chatError.textContent = err?.message || "We couldn't open that conversation.";
    ui.chatError.hidden = false;
  }
}

function closeChat() {
  ui.earlier.hidden = true;
  if (!session) return;
  session.notifier.stop();
  session.call.close();
  session.receipts.dispose();
  session.socket.close();
  session.unbindBanner();
  session.typing.clearAll();
  clearTimeout(session.replyTimer);
  waitBanner.reset();
  followupForm.close();
  session = null;
}

function onSubscribed() {
  if (!session) return;
  ui.loading.hidden = true;
  if (!session.synced) {
    session.synced = true;
    session.timeline.scrollToBottom();
    session.timeline.setLive(true);
    if (!session.model.messages.size && matchMedia("(pointer: fine)").matches && mayFocus()) ui.input.focus();
  }
  session.receipts.check();
  renderHeader();
}

function onEvent(event, { replay = false } = {}) {
  if (!session) return;
  const { model, timeline } = session;
  const before = { status: model.status };
  const change = model.apply(event);
  session.status.add(event);
  learnSaved(event);
  trailSurvey(event, change);
  switch (change.kind) {
    case "message": {
      const m = change.message;
      timeline.addMessage(m);
      if (m.speaker === "ai" || m.speaker === "agent" || m.speaker === "system") {
        // A gateway notice (e.g. the escalation) answers the message in the assistant's place.
        session.lastReplySeq = Math.max(session.lastReplySeq, m.seq);
        stopExpectingReply();
        if (m.speaker !== "system") session.typing.clearKind(m.speaker === "ai" ? ["bot", "ai"] : ["agent"]);
      }
      break;
    }
    case "joined":
      if (change.participant?.kind === "agent") {
        // A specialist's arrival is already announced by the gateway's own notice.
        if (!change.specialist) {
          timeline.addNotice(`${change.participant.name || "A support specialist"} joined the conversation`, {
            seq: event.seq,
            timestamp: event.timestamp,
            tone: "join",
          });
        }
        // The banner goes away (one status: nobody is waiting any more); screen readers hear who.
        if (!replay) announce(`${change.participant.name || "A support specialist"} joined the conversation`);
        stopExpectingReply();
      }
      break;
    case "resolved":
      timeline.addNotice("Conversation resolved", { seq: event.seq, timestamp: event.timestamp, tone: "resolved" });
      stopExpectingReply();
      if (change.by) offerSurvey(event);
      break;
    case "followup":
      timeline.addNotice(`We'll reply by e-mail to ${change.email}`, { seq: event.seq, timestamp: event.timestamp, tone: "queued" });
      followupForm.close();
      break;
    case "transcript_email":
      timeline.addNotice(`We're e-mailing the transcript to ${change.email}`, { seq: event.seq, timestamp: event.timestamp });
      break;
    case "customer_rated":
      // Answered (here, or before a reload): the card thanks instead of asking.
      session.rated = true;
      session.survey?.showThanks();
      break;
    case "call": {
      const line = callNotice(change, { view: "customer", model, isSelf: (pid) => model.participant(pid)?.kind !== "agent" });
      if (line) timeline.addNotice(line.text, { seq: event.seq, timestamp: event.timestamp, tone: line.tone });
      session.call.handleEvent(change, { replay });
      break;
    }
    case "left":
      if (change.participant?.kind === "agent") {
        timeline.addNotice(`${change.participant.name || "The specialist"} left the conversation`, {
          seq: event.seq,
          timestamp: event.timestamp,
        });
      }
      break;
    case "status":
      // An escalation comes with the gateway's own notice (why, who is coming, the wait), and so
      // does a reopening: saying it twice would be noise.
      if (change.status !== before.status && !GATEWAY_NOTICES.has(change.reason)) {
        const text = statusNotice(change.status, before.status);
        if (text) timeline.addNotice(text, { seq: event.seq, timestamp: event.timestamp, tone: change.status });
      }
      break;
    default:
      break;
  }
  session.receipts.rendered(event.seq);
  embed?.event(event, change.kind === "message" ? change.message : null, { replay });
  renderHeader();
}

/** Shows the survey card right after the first resolution by an agent (never a second card). */
function offerSurvey(event) {
  if (session.survey) return;
  session.survey = new SurveyCard({
    conversationId: session.saved.conversationId,
    token: session.saved.customerToken,
    transcript: emailEnabled ? { email: session.model.customer?.email ?? "" } : null,
  });
  if (session.rated) session.survey.showThanks();
  session.timeline.addItem(session.survey.el, { seq: event.seq + 0.5 });
  session.surveyTrails = true;
}

// The gateway commits a resolution as several events: `conversation_resolved`, its own message
// ("… marked this conversation as resolved") and the agents leaving. The survey belongs after
// all of them, so it follows them down until anything else happens.
function trailSurvey(event, change) {
  if (!session.surveyTrails || !session.survey) return;
  const follows = (change.kind === "message" && change.message.speaker === "system") || change.kind === "left" || change.kind === "ignored";
  if (follows) session.timeline.addItem(session.survey.el, { seq: event.seq + 0.5 });
  else session.surveyTrails = false;
}

/** Remembers when the conversation started and how it began, for "Previous conversations". */
function learnSaved(event) {
  const { saved } = session;
  let changed = false;
  if (event.type === "conversation_created" && !saved.startedAt && event.timestamp) {
    saved.startedAt = event.timestamp;
    changed = true;
  }
  const m = event.type === "message" ? event.message : null;
  if (!saved.snippet && m?.speaker === "customer" && m.content) {
    saved.snippet = snippetOf(m.content);
    changed = true;
  }
  if (changed && loadSaved()?.conversationId === saved.conversationId) save(saved);
}

/** What the customer is told when the conversation changes hands. Internal reasons stay internal. */
function statusNotice(status, previous) {
  switch (status) {
    case "queued":
      return "We're connecting you with a support specialist. It usually takes a few minutes.";
    case "resolved":
      return "This conversation was marked as resolved. Write again any time if you need more help.";
    case "ai":
      return previous === "resolved" ? "Conversation reopened." : null;
    default:
      return null;
  }
}

function onPending(record) {
  if (!session || record.conversationId !== session.saved.conversationId) return;
  session.timeline.upsertPending(record);
  renderEmptyState();
  savePending(record.conversationId, session.socket.pendingFor(record.conversationId));
}

function onAck(ack) {
  if (!session || ack.conversationId !== session.saved.conversationId) return;
  // While the assistant is in charge it answers every message: show it "typing" until it does.
  if (session.model.status === "ai" && session.lastReplySeq < ack.seq && !ack.duplicate) expectReply();
}

function onServerError(err) {
  if (!session) return;
  // Conversation-level failures only; a stray typing or rate-limit complaint is not worth a banner.
  const serious = ["not_found", "forbidden", "unauthorized", "unavailable", "internal"];
  if (err.ref && err.ref === session.saved.conversationId && serious.includes(err.code)) {
    ui.chatError.textContent =
      err.code === "not_found" || err.code === "forbidden"
        ? "This conversation can't be opened any more. Start a new one with the button at the top."
        : err.message || "Something went wrong with this conversation.";
    ui.chatError.hidden = false;
    ui.loading.hidden = true;
  }
}

function expectReply() {
  clearTimeout(session.replyTimer);
  session.typing.set({ kind: "bot", name: ASSISTANT_NAME }, true, REPLY_WAIT_MS);
  session.replyTimer = setTimeout(stopExpectingReply, REPLY_WAIT_MS);
}

function stopExpectingReply() {
  if (!session) return;
  clearTimeout(session.replyTimer);
  session.typing.set({ kind: "bot", name: ASSISTANT_NAME }, false);
}

function renderEmptyState() {
  ui.empty.hidden = !session?.synced || ui.messages.childElementCount > 0;
}

function renderHeader() {
  if (!session) return;
  renderEmptyState();
  const { model } = session;
  const status = session.status.current();
  if (status.kind !== "nobody_online" && followupForm.open) followupForm.close();
  waitBanner.show(status, { offerEmail: emailEnabled && !followupForm.open });
  session.call.render(model);
  const agent = model.activeAgents().at(-1);
  ui.agentAvatar.hidden = !agent;
  if (agent) ui.agentAvatar.textContent = initials(agent.name);
  switch (model.status) {
    case "queued":
      setSubtitle("Waiting for a support specialist…");
      break;
    case "with_agent":
      setSubtitle(agent ? `You're chatting with ${agent.name}` : "You're chatting with our support team");
      break;
    case "resolved":
      setSubtitle("Resolved. Reply to reopen the conversation.");
      break;
    default:
      setSubtitle(`${ASSISTANT_NAME} · replies instantly`);
  }
}

function setSubtitle(text) {
  if (ui.subtitle.textContent !== text) ui.subtitle.textContent = text;
}

// ---- composer -----------------------------------------------------------------------------

const fitInput = autoGrow(ui.input);

// Screenshots, logs and PDFs: the paperclip, a file dropped on the conversation, a pasted image.
useFileToken(() => session?.saved.customerToken ?? null);
new AttachComposer({
  form: ui.composer,
  input: ui.input,
  dropZone: ui.chat,
  conversationId: () => session?.saved.conversationId ?? null,
  onSent: (message, conversationId) => {
    if (session?.saved.conversationId !== conversationId) return;
    ui.chatError.hidden = true;
    session.timeline.addMessage(message);
    session.timeline.scrollToBottom(true);
  },
  onError: (text) => {
    ui.chatError.textContent = text;
    ui.chatError.hidden = false;
  },
});

function updateComposer() {
  ui.send.disabled = !ui.input.value.trim();
}

function submitMessage() {
  const content = ui.input.value.trim();
  if (!content || !session) return;
  session.notifier.stop();
  session.socket.sendMessage(session.saved.conversationId, content);
  ui.input.value = "";
  fitInput();
  updateComposer();
  ui.chatError.hidden = true;
  session.timeline.scrollToBottom(true);
}

ui.composer.addEventListener("submit", (e) => {
  e.preventDefault();
  submitMessage();
});

ui.input.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    submitMessage();
  }
});

ui.input.addEventListener("input", () => {
  updateComposer();
  session?.notifier.input(!!ui.input.value.trim());
});

// Starting over never loses the conversation: it asks first, and the current one is kept in
// "Previous conversations" on the intro screen.
ui.newConversation.addEventListener("click", async () => {
  if (!session) return;
  const yes = await confirmDialog({
    title: "Start a new conversation?",
    text: "Your current conversation stays available.",
    confirmLabel: "Start new",
    returnFocus: ui.newConversation,
    testid: "new-conversation-dialog",
  });
  if (!yes || !session) return;
  rememberPrevious(session.saved);
  closeChat();
  forget();
  ui.messages.replaceChildren();
  showIntro();
});

/** Reopens an earlier conversation: its token still works (a resolved one opens as before). */
function reopen(entry) {
  forgetPrevious(entry.conversationId);
  save(entry);
  ui.introForm.reset();
  ui.messages.replaceChildren();
  openChat(entry);
}

window.addEventListener("pagehide", () => {
  session?.notifier.stop();
  session?.call.hangup();
});

// ---- embedded in a site's widget -------------------------------------------------------------

if (embed) {
  embed.decorate({ head: ui.head, title: ui.title, introTitle: ui.introTitle, emptyTitle: ui.emptyTitle });
  embed.onVisibility = (open) => {
    if (!open) return;
    // The timeline had no layout while closed (so nothing counted as read): show the newest.
    if (session) {
      session.timeline.scrollToBottom();
      session.receipts.check();
    }
    if (!document.hasFocus()) return; // restored open on a page load: the host page keeps its focus
    const target = !ui.chatBody.hidden ? ui.input : identified() ? ui.introStart : ui.introName;
    (matchMedia("(pointer: fine)").matches ? target : embed.closeButton ?? target).focus();
  };
  embed.onIdentity = () => {
    // A known visitor is not asked for a name and email; the site's token says who they are.
    for (const field of ui.introForm.querySelectorAll(".field")) field.hidden = true;
    ui.introSkip.hidden = true;
    ui.introLead.textContent = "You're signed in, so we already know who you are. Start the chat whenever you're ready.";
  };
}

// ---- start --------------------------------------------------------------------------------

/** A link from one of our e-mails (`/chat?resume=…`): opens that conversation with a fresh token. */
async function resumeFromEmail(link) {
  history.replaceState(null, "", location.pathname);
  try {
    const s = await api("/api/email/resume", { method: "POST", body: { link } });
    const current = loadSaved();
    if (current && current.conversationId !== s.conversationId) rememberPrevious(current);
    const entry = { conversationId: s.conversationId, customerToken: s.customerToken, name: null, startedAt: null, snippet: null };
    forgetPrevious(s.conversationId);
    save(entry);
    openChat(entry);
  } catch (err) {
    const saved = loadSaved();
    if (saved) openChat(saved);
    else showIntro(`${err.message || "This link doesn't open a conversation."} Start a new one below.`);
  }
}

const resumeLink = embed ? null : new URLSearchParams(location.search).get("resume");
if (resumeLink) resumeFromEmail(resumeLink);
else {
  const saved = loadSaved();
  if (saved) openChat(saved);
  else showIntro();
}

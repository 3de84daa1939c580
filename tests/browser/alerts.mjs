// Alerts in the agent console: an offer rings (Web Audio chimes, counted at the oscillators) and
// raises a desktop notification while the tab is hidden, the tab title counts it, clicking the
// notification focuses the offer, mute silences the chime; a customer's call rings until the agent
// joins; during the call new messages follow at the bottom and the "New messages" pill stays off
// the composer; auto-away sets an idle agent away and back, but leaves a chosen "away" alone.
import { BASE, run, shot, step } from "./lib.mjs";

const USER = process.env.WLTEST_AGENT_USER;
const PASS = process.env.WLTEST_AGENT_PASS;

// Before any page script: a switch for document.hidden (headless tabs never hide), and counts of
// the notifications raised and the oscillators started (so a chime is heard by the test, not
// just claimed by the page's own hook).
const HOOKS = () => {
  let hidden = false;
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(Document.prototype, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
  window.__setHidden = (value) => {
    hidden = value;
    document.dispatchEvent(new Event("visibilitychange"));
  };
  window.__notes = [];
  const Real = window.Notification;
  if (Real) {
    window.Notification = class extends Real {
      constructor(title, options = {}) {
        super(title, options);
        window.__notes.push({ title, body: options.body ?? "", tag: options.tag ?? "", note: this });
      }
    };
  }
  window.__oscillators = 0;
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) {
    window.__oscillators += 1;
    return start.apply(this, args);
  };
};

const state = (page) =>
  page.evaluate(() => {
    const a = window.__warmlineAlerts;
    return {
      ringing: a?.ringing ?? null,
      tonesPlayed: a?.tonesPlayed ?? 0,
      audio: a?.audio ?? "none",
      muted: a?.muted ?? null,
      oscillators: window.__oscillators,
      notes: window.__notes.map(({ title, body, tag }) => ({ title, body, tag })),
      title: document.title,
      status: document.querySelector("#status-select")?.value ?? null,
    };
  });

async function until(page, label, check, timeout = 15000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await state(page);
    if (check(last)) return last;
    await page.waitForTimeout(200);
  }
  throw new Error(`${label}: not reached in ${timeout} ms; last ${JSON.stringify(last)}`);
}

const atBottom = (page) =>
  page.evaluate(() => {
    const s = document.querySelector("#thread-scroll");
    return s.scrollHeight - s.scrollTop - s.clientHeight < 4;
  });

await run(async (browser) => {
  const agentCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await agentCtx.grantPermissions(["notifications"], { origin: BASE });
  await agentCtx.addInitScript(HOOKS);
  const agent = await agentCtx.newPage();
  await agent.goto(`${BASE}/agent`);
  await agent.fill("#login-username", USER);
  await agent.fill("#login-password", PASS);
  await agent.click("#login-submit");
  await agent.waitForSelector("#status-control:not([hidden])");
  await agent.waitForSelector("#alert-mute:not([hidden])");
  // The sign-in click unlocked the audio.
  const first = await until(agent, "audio unlocked", (s) => s.audio === "running" && s.status === "available", 5000);
  step("agent online", { status: first.status, audio: first.audio, ringing: first.ringing });

  // The agent is looking at another tab when the offer comes.
  await agent.evaluate(() => window.__setHidden(true));

  const custCtx = await browser.newContext({ viewport: { width: 1100, height: 860 } });
  const cust = await custCtx.newPage();
  await cust.goto(`${BASE}/chat`);
  await cust.fill("#intro-name", "Dana Whitfield");
  await cust.fill("#intro-email", "dana@acme-logistics.com");
  await cust.click("#intro-start");
  await cust.waitForSelector("#chat:not([hidden])");
  const say = async (text) => {
    await cust.fill("#composer-input", text);
    await cust.press("#composer-input", "Enter");
  };
  await say("I was charged twice this month, invoice INV-20931 shows two charges of $49 for my Pro plan.");
  await cust.waitForSelector(".msg--ai", { timeout: 30000 });
  await say("This is ridiculous. I already checked the payment history and it's still not fixed, we close the books on Friday. I want my money back now!");

  await agent.waitForSelector(".offer-card", { timeout: 20000 });
  const ringing = await until(agent, "the offer rings", (s) => s.ringing && s.tonesPlayed >= 2 && s.oscillators >= 4, 8000);
  step("offer rings", { tonesPlayed: ringing.tonesPlayed, oscillators: ringing.oscillators });

  const offerNote = ringing.notes.find((n) => n.tag.startsWith("offer:"));
  if (!offerNote || !/^New conversation offered: Dana Whitfield — \S/.test(offerNote.title)) throw new Error(`notification: ${JSON.stringify(ringing.notes)}`);
  step("notification while hidden", { title: offerNote.title, body: offerNote.body });

  if (!/^\(1\) /.test(ringing.title)) throw new Error(`title: ${ringing.title}`);
  step("title counts the offer", { title: ringing.title });

  // Clicking the notification brings the agent to the offer.
  await agent.evaluate(() => window.__notes.find((n) => n.tag.startsWith("offer:")).note.dispatchEvent(new Event("click")));
  await agent.evaluate(() => window.__setHidden(false));
  const focused = await agent.evaluate(() => document.activeElement?.classList.contains("offer-card__accept") ?? false);
  if (!focused) throw new Error("the notification's click did not focus the offer");
  step("notification click focuses the offer");

  await shot(agent, "alerts-offer-ringing");
  await agent.click("#alert-settings");
  await agent.waitForSelector("#alert-panel:not([hidden])");
  await shot(agent, "alerts-settings");
  await agent.keyboard.press("Escape");
  await agent.setViewportSize({ width: 390, height: 844 });
  await agent.waitForTimeout(400); // the details drawer slides away at this width
  await shot(agent, "alerts-offer-ringing-mobile");
  // The top bar, with the two alert buttons, still fits a phone.
  const cut = await agent.evaluate(() =>
    [...document.querySelectorAll(".topbar button, .topbar select, .topbar .conn-pill")]
      .filter((el) => el.offsetParent)
      .map((el) => ({ id: el.id, right: Math.round(el.getBoundingClientRect().right) }))
      .filter((r) => r.right > window.innerWidth),
  );
  if (cut.length) throw new Error(`cut off in the top bar at 390 px: ${JSON.stringify(cut)}`);
  step("top bar fits a phone");
  await agent.click("#alert-settings");
  await shot(agent, "alerts-settings-mobile");
  await agent.keyboard.press("Escape");
  await agent.setViewportSize({ width: 1440, height: 900 });

  // Mute: still a prompt on screen, but no more chimes.
  await agent.click("#alert-mute");
  if ((await agent.getAttribute("#alert-mute", "aria-pressed")) !== "true") throw new Error("mute is not pressed");
  const muted = await state(agent);
  await agent.waitForTimeout(4500);
  const later = await state(agent);
  if (!later.ringing || !later.muted || later.tonesPlayed !== muted.tonesPlayed || later.oscillators !== muted.oscillators) {
    throw new Error(`mute: before ${JSON.stringify(muted)}, after ${JSON.stringify(later)}`);
  }
  const stored = await agent.evaluate(() => localStorage.getItem("warmline.agent.muted"));
  step("mute stops the tone", { tonesPlayed: later.tonesPlayed, stored });
  await agent.click("#alert-mute");
  await until(agent, "unmuted, it rings again", (s) => !s.muted && s.tonesPlayed > later.tonesPlayed, 4000);

  // Accepting ends the ring and the count.
  await agent.click(".offer-card__accept");
  const accepted = await until(agent, "the ring stops on accept", (s) => !s.ringing && !/^\(\d+\)/.test(s.title), 10000);
  const afterAccept = accepted.tonesPlayed;
  await agent.waitForSelector("#join-form:not([hidden])", { timeout: 15000 });
  await agent.click("#join-submit");
  await agent.waitForSelector("#join-form", { state: "hidden", timeout: 15000 });
  await agent.waitForTimeout(2500);
  const quiet = await state(agent);
  if (quiet.tonesPlayed !== afterAccept) throw new Error(`chimes after accepting: ${JSON.stringify(quiet)}`);
  step("accepted: the ring stops", { title: quiet.title });

  // The customer starts a video call; the agent, tab hidden, is rung until they join.
  await agent.evaluate(() => window.__setHidden(true));
  await cust.waitForSelector("#call-button:not([hidden])", { timeout: 15000 });
  await cust.click("#call-button");
  await cust.click("#call-area button[type=submit]:has-text('Join call')", { timeout: 15000 });
  await cust.waitForSelector(".call-stage", { timeout: 15000 });
  await agent.waitForSelector("#call-toggle.is-ringing", { timeout: 15000 });
  const callRing = await until(agent, "the call rings", (s) => s.ringing && s.tonesPlayed >= quiet.tonesPlayed + 2, 8000);
  const callNote = callRing.notes.find((n) => n.tag.startsWith("call:"));
  if (!callNote || !/Dana Whitfield is waiting in a video call/.test(callNote.title)) throw new Error(`call notification: ${JSON.stringify(callRing.notes)}`);
  if (!/^\(1\) /.test(callRing.title)) throw new Error(`title during the call prompt: ${callRing.title}`);
  step("call rings", { notification: callNote.title, title: callRing.title });
  await agent.evaluate(() => window.__setHidden(false));
  await shot(agent, "alerts-call-ringing");

  await agent.click("#call-toggle");
  const joining = await until(agent, "the ring stops on join", (s) => !s.ringing, 5000);
  await agent.click("#call-area button[type=submit]:has-text('Join call')", { timeout: 15000 });
  await agent.waitForSelector("#call-area .call-stage", { timeout: 15000 });
  step("joining stops the ring", { title: joining.title });

  // In the call: the agent at the bottom follows new messages (the call area took the room above).
  let n = 0;
  const customerSays = async (text) => {
    await say(text);
    n += 1;
    await agent.waitForSelector(`.msg--customer:has-text(${JSON.stringify(text)})`, { timeout: 10000 });
    await agent.waitForTimeout(150);
  };
  await customerSays("Can you see my screen? The invoice is open now.");
  await customerSays("The second charge is the one from the 14th.");
  if (!(await atBottom(agent))) throw new Error("the thread did not follow new messages during the call");
  if (!(await agent.isHidden("#thread-jump"))) throw new Error("the pill showed while at the bottom");
  step("follows new messages during the call", { messages: n });

  // Scrolled up: the pill, above the composer.
  for (const [w, hgt, name] of [
    [1440, 900, "alerts-new-messages"],
    [390, 844, "alerts-new-messages-mobile"],
  ]) {
    await agent.setViewportSize({ width: w, height: hgt });
    await agent.waitForTimeout(400);
    await agent.evaluate(() => {
      document.querySelector("#thread-scroll").scrollTop = 0;
    });
    await agent.waitForTimeout(300);
    await customerSays(`Are you still there? (${w} px)`);
    await agent.waitForSelector("#thread-jump:not([hidden])", { timeout: 5000 });
    const pill = await agent.locator("#thread-jump").boundingBox();
    const foot = await agent.locator(".thread-foot").boundingBox();
    if (pill.y + pill.height > foot.y) throw new Error(`the pill covers the composer: ${JSON.stringify({ pill, foot })}`);
    await shot(agent, name);
    await agent.click("#thread-jump");
    await agent.waitForSelector("#thread-jump", { state: "hidden" });
    for (let i = 0; i < 20 && !(await atBottom(agent)); i++) await agent.waitForTimeout(150);
    if (!(await atBottom(agent))) {
      const where = await agent.evaluate(() => {
        const s = document.querySelector("#thread-scroll");
        return { scrollHeight: s.scrollHeight, scrollTop: s.scrollTop, clientHeight: s.clientHeight };
      });
      throw new Error(`the pill did not bring the thread to the bottom: ${JSON.stringify(where)}`);
    }
    step("pill above the composer", { width: w, pillBottom: Math.round(pill.y + pill.height), composerTop: Math.round(foot.y) });
  }
  await agent.setViewportSize({ width: 1440, height: 900 });

  // Leaving the call: no ring for a call we left ourselves.
  await agent.click("#call-area .call-control--hangup");
  await agent.waitForSelector("#call-area", { state: "hidden", timeout: 10000 });
  await agent.waitForTimeout(500);
  if ((await state(agent)).ringing) throw new Error("a call we left rings");

  // A second customer of this agent calls while the agent reads the first conversation: the
  // inbox rings for it (the call is in another conversation), and the notification opens it.
  const cust2Ctx = await browser.newContext({ viewport: { width: 1100, height: 860 } });
  const cust2 = await cust2Ctx.newPage();
  await cust2.goto(`${BASE}/chat`);
  await cust2.fill("#intro-name", "Omar Haddad");
  await cust2.click("#intro-start");
  await cust2.waitForSelector("#chat:not([hidden])");
  await cust2.fill("#composer-input", "My invoice INV-55120 charged me twice. I want to talk to a person please.");
  await cust2.press("#composer-input", "Enter");
  await agent.waitForSelector(".offer-card", { timeout: 20000 });
  await agent.click(".offer-card__accept");
  await agent.waitForSelector("#join-form:not([hidden])", { timeout: 15000 });
  await agent.click("#join-submit");
  await agent.waitForSelector("#join-form", { state: "hidden", timeout: 15000 });
  await cust2.waitForSelector(".msg--agent", { timeout: 15000 });
  const omar = await agent.evaluate(() => location.hash);
  await agent.click(".conv-item:has-text('Dana Whitfield')");
  await agent.waitForFunction((h) => location.hash !== h, omar);
  const beforeCall = await state(agent);
  if (beforeCall.ringing) throw new Error("rings before the second customer called (the first call was left on purpose)");
  await agent.evaluate(() => window.__setHidden(true));
  await cust2.waitForSelector("#call-button:not([hidden])", { timeout: 15000 });
  await cust2.click("#call-button");
  await cust2.click("#call-area button[type=submit]:has-text('Join call')", { timeout: 15000 });
  await cust2.waitForSelector(".call-stage", { timeout: 15000 });
  const elsewhere = await until(agent, "a call in another conversation rings", (s) => s.ringing && s.tonesPlayed >= beforeCall.tonesPlayed + 2 && s.notes.some((n) => /Omar Haddad is waiting in a video call/.test(n.title)), 10000);
  await agent.waitForSelector(".conv-item:has-text('Omar Haddad') .tag--call.is-waiting", { timeout: 5000 });
  step("a call in another conversation rings", { title: elsewhere.title });
  await agent.evaluate(() => window.__setHidden(false));
  await shot(agent, "alerts-call-elsewhere");
  await agent.evaluate(() => [...window.__notes].reverse().find((n) => /Omar Haddad/.test(n.title)).note.dispatchEvent(new Event("click")));
  await agent.waitForFunction((h) => location.hash === h, omar, { timeout: 5000 });
  await agent.click("#call-toggle");
  await agent.click("#call-area button[type=submit]:has-text('Join call')", { timeout: 15000 });
  await agent.waitForSelector("#call-area .call-stage", { timeout: 15000 });
  await until(agent, "joining the other call stops the ring", (s) => !s.ringing, 5000);
  step("the notification opens that conversation and joining stops the ring");
  await agent.click("#call-area .call-control--hangup");
  await agent.waitForSelector("#call-area", { state: "hidden", timeout: 10000 });
  await cust2Ctx.close();

  // Auto-away after a short idle time (the setting, shortened for the test), back on activity.
  await agent.evaluate(() => localStorage.setItem("warmline.agent.idleMinutes", "0.05"));
  const away = await until(agent, "auto-away", (s) => s.status === "away", 10000);
  const label = await agent.evaluate(() => document.querySelector("#idle-select").selectedOptions[0]?.textContent);
  step("auto-away after idle", { status: away.status, setting: label });
  await agent.mouse.move(400, 300);
  await agent.mouse.move(420, 320);
  const back = await until(agent, "back on activity", (s) => s.status === "available", 5000);
  step("available again on activity", { status: back.status });

  // An agent who chose away stays away, however long they are idle and whenever they return.
  await agent.selectOption("#status-select", "away");
  await agent.waitForTimeout(5000);
  await agent.mouse.move(500, 400);
  await agent.waitForTimeout(1500);
  const chosen = await state(agent);
  if (chosen.status !== "away") throw new Error(`a chosen away was undone: ${chosen.status}`);
  step("a chosen away stays", { status: chosen.status });
});

// A call through the gateway's media server between two real Chromium pages with fake devices:
// the customer escalates to a person, the agent accepts and joins, the customer switches to a
// video call, the agent joins it, both receive and decode each other's audio and video, the
// customer shares a screen (a canvas stands in for the display capture) and the agent decodes it,
// and a specialist invited mid-call joins late and decodes the customer's video within 2 s.
import { BASE, run, shot, step, until } from "./lib.mjs";

const USER = process.env.WLTEST_AGENT_USER;
const PASS = process.env.WLTEST_AGENT_PASS;
const SPECIALIST = process.env.WLTEST_SPECIALIST_USER;
const SPECIALIST_PASS = process.env.WLTEST_SPECIALIST_PASS;

async function login(browser, user, pass) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/agent`);
  await page.fill("#login-username", user);
  await page.fill("#login-password", pass);
  await page.click("#login-submit");
  await page.waitForSelector("#status-control:not([hidden])");
  return page;
}

const decodes = (s, source) => s.inbound.some((i) => i.kind === "video" && i.source === source && i.framesDecoded > 0);
const hears = (s) => s.inbound.some((i) => i.kind === "audio" && i.packetsReceived > 0);

// A canvas stream instead of a real display capture (headless Chromium has no screen to pick).
const FAKE_SCREEN = () => {
  navigator.mediaDevices.getDisplayMedia = async () => {
    const canvas = document.createElement("canvas");
    canvas.width = 640;
    canvas.height = 360;
    const ctx = canvas.getContext("2d");
    let n = 0;
    setInterval(() => {
      ctx.fillStyle = `hsl(${(n += 7) % 360} 60% 50%)`;
      ctx.fillRect(0, 0, 640, 360);
      ctx.fillStyle = "#fff";
      ctx.font = "48px sans-serif";
      ctx.fillText(`screen ${n}`, 40, 180);
    }, 66);
    return canvas.captureStream(15);
  };
};

await run(async (browser) => {
  const agent = await login(browser, USER, PASS);
  const specialist = await login(browser, SPECIALIST, SPECIALIST_PASS);

  const custCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await custCtx.addInitScript(FAKE_SCREEN);
  const cust = await custCtx.newPage();
  await cust.goto(`${BASE}/chat`);
  await cust.fill("#intro-name", "Dana Whitfield");
  await cust.click("#intro-start");
  await cust.waitForSelector("#chat:not([hidden])");
  await cust.fill("#composer-input", "Can I talk to a person on a video call about my invoice please?");
  await cust.press("#composer-input", "Enter");

  await agent.waitForSelector(".offer-card", { timeout: 20000 });
  await agent.click(".offer-card__accept");
  await agent.waitForSelector("#join-form:not([hidden])", { timeout: 15000 });
  await agent.click("#join-submit");
  await agent.waitForSelector("#join-form", { state: "hidden", timeout: 15000 });
  step("agent joined the conversation");

  // The customer switches to a video call.
  await cust.waitForSelector("#call-button:not([hidden])", { timeout: 15000 });
  await cust.click("#call-button");
  await cust.click("#call-area button[type=submit]:has-text('Join call')", { timeout: 15000 });
  await cust.waitForSelector(".call-stage", { timeout: 15000 });
  step("customer in the call");

  // The agent joins it.
  await agent.waitForSelector("#call-toggle:not([hidden])", { timeout: 15000 });
  await agent.click("#call-toggle");
  await agent.click("#call-area button[type=submit]:has-text('Join call')", { timeout: 15000 });

  const c1 = await until(cust, "customer decodes the agent", (s) => decodes(s, "camera") && hears(s));
  const a1 = await until(agent, "agent decodes the customer", (s) => decodes(s, "camera") && hears(s));
  step("media both ways", {
    customer: c1.inbound.map((i) => [i.kind, i.source, i.packetsReceived, i.framesDecoded]),
    agent: a1.inbound.map((i) => [i.kind, i.source, i.packetsReceived, i.framesDecoded]),
  });
  await shot(cust, "call-customer");
  await shot(agent, "call-agent");

  // The customer shares a screen; the agent decodes it as a screen.
  await cust.click(".call-control[data-source=screen]");
  const a2 = await until(agent, "agent decodes the customer's screen", (s) => decodes(s, "screen"));
  step("screen share decoded", { agent: a2.inbound.filter((i) => i.source === "screen") });
  await agent.waitForTimeout(500);
  await shot(agent, "call-agent-screen");

  // The customer's network changes: an ICE restart renegotiates and the agent keeps hearing them.
  const heard = async () =>
    (await agent.evaluate(async () => (await window.__warmlineCall.stats()).inbound))
      .filter((i) => i.kind === "audio")
      .reduce((n, i) => n + i.packetsReceived, 0);
  await cust.evaluate(() => window.__warmlineCall.pc.restartIce());
  await cust.waitForTimeout(1500);
  const before = await heard();
  await agent.waitForTimeout(1500);
  const after = await heard();
  if (!(after > before)) throw new Error(`no audio after the ICE restart (${before} -> ${after})`);
  step("ice restart keeps media", { audioPackets: [before, after] });

  // A specialist is invited, accepts, joins the conversation and then the call: late, and still
  // decoding the customer's camera within 2 s of joining the call.
  await agent.click("#invite-toggle");
  await agent.selectOption("#invite-skill", "security");
  await agent.click("#invite-submit");
  await specialist.waitForSelector(".offer-card", { timeout: 15000 });
  await specialist.click(".offer-card__accept");
  await specialist.waitForSelector("#join-form:not([hidden])", { timeout: 15000 });
  await specialist.click("#join-submit");
  await specialist.waitForSelector("#join-form", { state: "hidden", timeout: 15000 });
  await specialist.waitForSelector("#call-toggle:not([hidden])", { timeout: 15000 });
  await specialist.click("#call-toggle");
  const joinButton = specialist.locator("#call-area button[type=submit]:has-text('Join call')");
  await joinButton.waitFor({ timeout: 15000 });
  await specialist.waitForFunction(() => !document.querySelector("#call-area button[type=submit]")?.disabled, null, { timeout: 15000 });
  const t0 = Date.now();
  await joinButton.click();
  const s1 = await until(specialist, "the late joiner decodes the customer's camera", (s) => decodes(s, "camera") && decodes(s, "screen"), 2000 + 2000);
  const lateMs = Date.now() - t0;
  if (lateMs > 2000) throw new Error(`late joiner needed ${lateMs} ms for a picture`);
  step("late joiner decodes video", { ms: lateMs, inbound: s1.inbound.map((i) => [i.kind, i.source, i.framesDecoded]) });
  await shot(specialist, "call-specialist");

  // Hang up: both sides leave, the timeline says so.
  await cust.click(".call-control--hangup");
  await agent.waitForFunction(() => document.body.innerText.includes("left the call"), null, { timeout: 15000 });
  step("hung up");
});

// Live transcription in a real call: the customer (one Chromium, a speech WAV as the fake
// microphone) and the agent (a second Chromium with its own speech WAV) talk on a video call;
// the agent's call view shows the live transcript with both speakers' lines. The Rust side then
// checks the stored `voice` messages: the customer's words from the customer, the agent's from
// the agent.
import { BASE, launch, shot, step } from "./lib.mjs";

const USER = process.env.WLTEST_AGENT_USER;
const PASS = process.env.WLTEST_AGENT_PASS;

let customerBrowser, agentBrowser;
try {
  customerBrowser = await launch({ wav: process.env.WLTEST_CUSTOMER_WAV });
  agentBrowser = await launch({ wav: process.env.WLTEST_AGENT_WAV });

  const actx = await agentBrowser.newContext({ viewport: { width: 1440, height: 960 } });
  const agent = await actx.newPage();
  await agent.goto(`${BASE}/agent`);
  await agent.fill("#login-username", USER);
  await agent.fill("#login-password", PASS);
  await agent.click("#login-submit");
  await agent.waitForSelector("#status-control:not([hidden])");

  const cctx = await customerBrowser.newContext({ viewport: { width: 1280, height: 900 } });
  const cust = await cctx.newPage();
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

  await cust.waitForSelector("#call-button:not([hidden])", { timeout: 15000 });
  await cust.click("#call-button");
  await cust.click("#call-area button[type=submit]:has-text('Join call')", { timeout: 15000 });
  await cust.waitForSelector(".call-stage", { timeout: 15000 });
  await agent.waitForSelector("#call-toggle:not([hidden])", { timeout: 15000 });
  await agent.click("#call-toggle");
  await agent.click("#call-area button[type=submit]:has-text('Join call')", { timeout: 15000 });
  step("both in the call");

  // Both speakers' lines appear in the agent's live transcript.
  await agent.waitForSelector(".transcript__line--customer", { timeout: 40000 });
  step("customer line shown", { text: await agent.textContent(".transcript__line--customer .transcript__text") });
  await agent.waitForSelector(".transcript__line--agent", { timeout: 40000 });
  step("agent line shown", { text: await agent.textContent(".transcript__line--agent .transcript__text") });
  // Each fake microphone loops its sentence from when the browser opened it, so the call may
  // begin mid-sentence: stay until each side's sentence has come round whole once (or 40 s).
  const heard = async () =>
    agent.evaluate(() => {
      const words = (side) => [...document.querySelectorAll(`.transcript__line--${side} .transcript__text`)].map((e) => e.textContent.toLowerCase()).join(" ");
      return { customer: words("customer"), agent: words("agent") };
    });
  const enough = (t) => ["charged", "twice", "subscription"].filter((w) => t.customer.includes(w)).length >= 2 && ["duplicate", "payment", "invoice", "today"].filter((w) => t.agent.includes(w)).length >= 2;
  const until = Date.now() + 40000;
  let text = await heard();
  while (!enough(text) && Date.now() < until) {
    await agent.waitForTimeout(500);
    text = await heard();
  }
  step("both sentences heard", { enough: enough(text) });
  await shot(agent, "call-agent-transcript");

  await cust.click(".call-control--hangup");
  await agent.waitForTimeout(500);
  step("done", { ok: true });
  await customerBrowser.close();
  await agentBrowser.close();
  process.exit(0);
} catch (e) {
  step("failed", { error: String(e?.stack || e) });
  await customerBrowser?.close().catch(() => {});
  await agentBrowser?.close().catch(() => {});
  process.exit(1);
}

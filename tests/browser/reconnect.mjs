// A network drop in a call: the customer and the agent are in a video call when the gateway's
// media ports stop passing packets for several seconds (iptables, both directions). Both pages
// must say "reconnecting" rather than end the call, and once packets pass again the call
// recovers by itself (a consent check or an ICE restart) and audio flows both ways again.
import { execFileSync } from "node:child_process";
import { BASE, run, shot, step } from "./lib.mjs";

const [MIN, MAX] = (process.env.WLTEST_MEDIA_PORTS || "").split(":").map(Number);
if (!MIN || !MAX) throw new Error("WLTEST_MEDIA_PORTS (min:max) is not set");
const RULES = [
  ["INPUT", "-p", "udp", "--dport", `${MIN}:${MAX}`, "-j", "DROP"],
  ["INPUT", "-p", "udp", "--sport", `${MIN}:${MAX}`, "-j", "DROP"],
];
const iptables = (op, rule) => execFileSync("iptables", [op, ...rule], { stdio: "pipe" });
const cut = () => RULES.forEach((r) => iptables("-I", r));
const heal = () =>
  RULES.forEach((r) => {
    try {
      iptables("-D", r);
    } catch {
      // already gone
    }
  });

const callState = (page) => page.evaluate(() => window.__warmlineCall.state);
async function waitState(page, who, want, timeout) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await callState(page);
    if (want.includes(last)) return last;
    if (last === "ended" || last === "idle") throw new Error(`${who}: the call ended (${last}) instead of ${want.join("/")}`);
    await page.waitForTimeout(200);
  }
  throw new Error(`${who}: call state ${last}, wanted ${want.join("/")} within ${timeout} ms`);
}
const audioIn = (page) =>
  page.evaluate(async () =>
    (await window.__warmlineCall.stats()).inbound.filter((i) => i.kind === "audio").reduce((n, i) => n + i.packetsReceived, 0),
  );

await run(async (browser) => {
  try {
    const agentCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const agent = await agentCtx.newPage();
    await agent.goto(`${BASE}/agent`);
    await agent.fill("#login-username", process.env.WLTEST_AGENT_USER);
    await agent.fill("#login-password", process.env.WLTEST_AGENT_PASS);
    await agent.click("#login-submit");
    await agent.waitForSelector("#status-control:not([hidden])");

    const custCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
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
    await cust.waitForSelector("#call-button:not([hidden])", { timeout: 15000 });
    await cust.click("#call-button");
    await cust.click("#call-area button[type=submit]:has-text('Join call')", { timeout: 15000 });
    await cust.waitForSelector(".call-stage", { timeout: 15000 });
    await agent.waitForSelector("#call-toggle:not([hidden])", { timeout: 15000 });
    await agent.click("#call-toggle");
    await agent.click("#call-area button[type=submit]:has-text('Join call')", { timeout: 15000 });
    await waitState(cust, "customer", ["connected"], 15000);
    await waitState(agent, "agent", ["connected"], 15000);
    step("in the call");

    // The network drops.
    const t0 = Date.now();
    cut();
    const c = await waitState(cust, "customer", ["reconnecting"], 20000);
    const a = await waitState(agent, "agent", ["reconnecting"], 20000);
    const banner = await cust.evaluate(() => document.querySelector("#call-area")?.innerText ?? "");
    if (!/reconnecting/i.test(banner)) throw new Error(`the customer's call does not say so: ${banner.slice(0, 300)}`);
    step("both pages say reconnecting", { customer: c, agent: a, afterMs: Date.now() - t0 });
    await shot(cust, "call-reconnecting-customer");
    await shot(agent, "call-reconnecting-agent");
    await cust.setViewportSize({ width: 390, height: 844 });
    await cust.waitForTimeout(300);
    await shot(cust, "call-reconnecting-customer-mobile");
    await cust.setViewportSize({ width: 1440, height: 900 });

    // It comes back: no new call, the same one recovers.
    const callId = await cust.evaluate(() => window.__warmlineCall.callId);
    heal();
    const t1 = Date.now();
    await waitState(cust, "customer", ["connected"], 25000);
    await waitState(agent, "agent", ["connected"], 25000);
    const recoveredMs = Date.now() - t1;
    if ((await cust.evaluate(() => window.__warmlineCall.callId)) !== callId) throw new Error("a new call was started instead of the old one recovering");
    const [c0, a0] = [await audioIn(cust), await audioIn(agent)];
    await cust.waitForTimeout(2000);
    const [c1, a1] = [await audioIn(cust), await audioIn(agent)];
    if (!(c1 > c0 && a1 > a0)) throw new Error(`no audio after recovering: customer ${c0}->${c1}, agent ${a0}->${a1}`);
    step("the call recovers", { recoveredMs, audio: { customer: [c0, c1], agent: [a0, a1] } });
  } finally {
    heal();
  }
});

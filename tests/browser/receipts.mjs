// Read receipts in the pages: after the warm handoff, the customer's message shows "Seen" once the
// agent's page has it on screen; the agent's reply shows "Delivered" while the customer's tab is
// hidden and "Seen" once it is visible again. Screenshots of both pages, desktop and phone.
import { BASE, run, shot, step } from "./lib.mjs";

const USER = process.env.WLTEST_AGENT_USER;
const PASS = process.env.WLTEST_AGENT_PASS;

/** The receipt state ("sent", "delivered", "seen") under the page's newest own message. */
async function receiptOf(page) {
  return page.evaluate(() => document.querySelector(".msg--own.is-latest-own [data-receipt]")?.dataset.receipt ?? null);
}

async function waitReceipt(page, state, label, timeout = 15000) {
  try {
    await page.waitForFunction(
      (want) => document.querySelector(".msg--own.is-latest-own [data-receipt]")?.dataset.receipt === want,
      state,
      { timeout },
    );
  } catch {
    throw new Error(`${label}: receipt ${await receiptOf(page)}, wanted ${state}`);
  }
}

await run(async (browser) => {
  const agentCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const agent = await agentCtx.newPage();
  await agent.goto(`${BASE}/agent`);
  await agent.fill("#login-username", USER);
  await agent.fill("#login-password", PASS);
  await agent.click("#login-submit");
  await agent.waitForSelector("#status-control:not([hidden])");
  step("agent online");

  const custCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const cust = await custCtx.newPage();
  // A switch for the tab's visibility (headless tabs are always visible).
  await cust.addInitScript(() => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (window.__wlHidden ? "hidden" : "visible") });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => !!window.__wlHidden });
  });
  const frames = [];
  cust.on("websocket", (ws) => ws.on("framereceived", (f) => {
    if (typeof f.payload === "string" && f.payload.includes('"receipt"')) frames.push(f.payload);
  }));
  await cust.goto(`${BASE}/chat`);
  await cust.fill("#intro-name", "Dana Whitfield");
  await cust.click("#intro-start");
  await cust.waitForSelector("#chat:not([hidden])");
  const send = async (text) => {
    await cust.fill("#composer-input", text);
    await cust.press("#composer-input", "Enter");
  };
  await send("I was charged twice this month, invoice INV-20931 shows two charges of $49 for my Pro plan.");
  await cust.waitForSelector(".msg--ai", { timeout: 30000 });
  await send("This is ridiculous. I already checked the payment history and it's still not fixed. I want my money back now!");
  await cust.waitForSelector(".notice--system", { timeout: 15000 });
  // Nobody from support has joined: the assistant's reading is no one's "Seen".
  const before = await receiptOf(cust);
  if (before !== "sent") throw new Error(`before any agent joined the customer saw ${before}`);
  step("customer escalated", { receipt: before });

  await agent.waitForSelector(".offer-card", { timeout: 15000 });
  await agent.click(".offer-card__accept");
  await agent.waitForSelector("#join-form:not([hidden])", { timeout: 15000 });
  await agent.click("#join-submit");
  await agent.waitForSelector("#join-form", { state: "hidden", timeout: 15000 });
  await cust.waitForSelector(".msg--agent", { timeout: 15000 });
  step("agent joined");

  // The customer writes; the agent's page shows it: "Seen" under it for the customer.
  const question = "Thanks! Can you also check whether the refund covers the tax?";
  await send(question);
  await agent.waitForFunction((t) => [...document.querySelectorAll("#thread-messages .msg--customer")].some((m) => m.innerText.includes(t)), question, { timeout: 15000 });
  await waitReceipt(cust, "seen", "customer's message after the agent's page showed it");
  const custLine = await cust.innerText(".msg--own.is-latest-own .msg__status");
  step("customer sees Seen", { line: custLine });
  await shot(cust, "receipts-customer-seen");
  await cust.setViewportSize({ width: 390, height: 844 });
  await cust.evaluate(() => {
    const s = document.querySelector("#timeline-scroll");
    s.scrollTop = s.scrollHeight;
  });
  await cust.waitForTimeout(300);
  await shot(cust, "receipts-customer-seen-mobile");
  await cust.setViewportSize({ width: 1440, height: 900 });

  // The customer's tab goes to the background; the agent replies: delivered, not seen.
  await cust.evaluate(() => {
    window.__wlHidden = true;
    document.dispatchEvent(new Event("visibilitychange"));
  });
  const reply = "Yes, the refund includes the tax. You'll see it within 5 business days.";
  await agent.fill("#agent-input", reply);
  await agent.press("#agent-input", "Enter");
  await cust.waitForFunction((t) => [...document.querySelectorAll(".msg--agent")].some((m) => m.innerText.includes(t)), reply, { timeout: 15000 });
  await waitReceipt(agent, "delivered", "agent's reply while the customer's tab is hidden");
  await agent.waitForTimeout(1200);
  const still = await receiptOf(agent);
  if (still !== "delivered") throw new Error(`a hidden tab counted as seen: ${still}`);
  step("agent sees Delivered while the customer's tab is hidden");
  await shot(agent, "receipts-agent-delivered");

  // Back to the tab: now it is seen.
  await cust.evaluate(() => {
    window.__wlHidden = false;
    document.dispatchEvent(new Event("visibilitychange"));
  });
  await waitReceipt(agent, "seen", "agent's reply after the customer's tab is visible");
  step("agent sees Seen", { line: await agent.innerText("#thread-messages .msg--own.is-latest-own .msg__status") });
  await shot(agent, "receipts-agent-seen");
  await agent.setViewportSize({ width: 390, height: 844 });
  await agent.waitForTimeout(300);
  await shot(agent, "receipts-agent-seen-mobile");

  // A reload shows it at once: the gateway tells a new subscriber how far support has seen.
  await cust.reload();
  await cust.waitForSelector("#chat:not([hidden])");
  await waitReceipt(cust, "seen", "customer's message after a reload", 5000);
  step("customer still sees Seen after a reload");

  // What the customer's page was told: sides and positions, never an agent.
  const me = await agent.evaluate(() => {
    const s = JSON.parse(sessionStorage.getItem("warmline.staff.session") || "null");
    return s?.user?.id ?? null;
  });
  if (!me) throw new Error("the agent's user id is not in the session");
  for (const f of frames) {
    const v = JSON.parse(f);
    const keys = Object.keys(v).sort().join(",");
    if (keys !== "conversationId,deliveredSeq,readSeq,side,type") throw new Error(`receipt frame fields: ${f}`);
    if (f.includes(me)) throw new Error(`the agent's id in a customer receipt: ${f}`);
  }
  if (!frames.length) throw new Error("the customer's page received no receipt frame");
  step("customer receipts name nobody", { frames: frames.length });
});

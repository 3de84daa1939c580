// The warm handoff in the pages: an agent is online, a customer chats and gets frustrated, the
// agent gets the offer with the briefing, accepts, joins with the warm introduction, the customer
// sees it, and nothing staff-only reaches the customer page.
import { BASE, run, shot, step } from "./lib.mjs";

const USER = process.env.WLTEST_AGENT_USER;
const PASS = process.env.WLTEST_AGENT_PASS;

await run(async (browser) => {
  const agentCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const agent = await agentCtx.newPage();
  await agent.goto(`${BASE}/agent`);
  await agent.fill("#login-username", USER);
  await agent.fill("#login-password", PASS);
  await agent.click("#login-submit");
  await agent.waitForSelector("#status-control:not([hidden])");
  step("agent online", { status: await agent.inputValue("#status-select") });

  const custCtx = await browser.newContext({ viewport: { width: 1100, height: 860 } });
  const cust = await custCtx.newPage();
  await cust.goto(`${BASE}/chat`);
  await cust.fill("#intro-name", "Dana Whitfield");
  await cust.fill("#intro-email", "dana@acme-logistics.com");
  await cust.click("#intro-start");
  await cust.waitForSelector("#chat:not([hidden])");
  const send = async (text) => {
    await cust.fill("#composer-input", text);
    await cust.press("#composer-input", "Enter");
  };
  await send("I was charged twice this month, invoice INV-20931 shows two charges of $49 for my Pro plan.");
  await cust.waitForSelector(".msg--ai", { timeout: 30000 });
  await send("This is ridiculous. I already checked the payment history and it's still not fixed, we close the books on Friday. I want my money back now!");
  const notice = await cust.waitForSelector(".notice--system", { timeout: 15000 });
  const text = await notice.innerText();
  if (!/billing specialist/.test(text) || !/wait/.test(text)) throw new Error(`escalation notice: ${text}`);
  await cust.waitForSelector("#wait-banner:not([hidden])", { timeout: 10000 });
  step("customer told", { notice: text.split("\n")[0], banner: await cust.innerText("#wait-banner") });
  await shot(cust, "handoff-customer-waiting");

  const card = await agent.waitForSelector(".offer-card", { timeout: 15000 });
  const cardText = await card.innerText();
  if (!/Dana/.test(cardText) || !/INV-20931/.test(cardText)) throw new Error(`offer card: ${cardText}`);
  // The briefing reads the customer: the deadline they gave, and what they already tried.
  if (!/Friday/.test(cardText)) throw new Error(`offer card without the deadline: ${cardText}`);
  step("offer with briefing", { summary: cardText.slice(0, 200) });
  await shot(agent, "handoff-agent-offer");
  // The same offer on a phone: the briefing's time pressure and mood still fit.
  await agent.setViewportSize({ width: 390, height: 844 });
  await shot(agent, "handoff-agent-offer-mobile");
  await agent.setViewportSize({ width: 1440, height: 900 });
  await agent.click(".offer-card__accept");
  await agent.waitForSelector("#join-form:not([hidden])", { timeout: 15000 });
  const intro = await agent.inputValue("#join-intro");
  if (!intro.startsWith("Hi Dana!")) throw new Error(`suggested introduction: ${intro}`);
  await shot(agent, "handoff-agent-accepted");
  await agent.click("#join-submit");
  await agent.waitForSelector("#join-form", { state: "hidden", timeout: 15000 });

  const bubble = await cust.waitForSelector(".msg--agent", { timeout: 15000 });
  const said = await bubble.innerText();
  if (!said.includes("Hi Dana!")) throw new Error(`customer saw: ${said}`);
  step("customer sees the warm introduction", { header: await cust.innerText("#chat-subtitle") });
  await shot(cust, "handoff-customer-joined");
  await shot(agent, "handoff-agent-joined");
  const leak = (await cust.innerText("body")).match(/briefing|likelihood|aiAssessment|Don't ask again|frustration/i);
  if (leak) throw new Error(`staff-only text on the customer page: ${leak[0]}`);
});

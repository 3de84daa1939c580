// The agent's workspace in the pages: an internal note written from the composer shows in the
// thread (and never on the customer's page), a tag added in the header shows on the
// conversation, and the inbox search finds it by a word of the customer's message and by tag.
import { BASE, run, shot, step } from "./lib.mjs";

const USER = process.env.WLTEST_AGENT_USER;
const PASS = process.env.WLTEST_AGENT_PASS;
const NOTE = "Finance approved the refund; do not mention the chargeback.";

await run(async (browser) => {
  const agentCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const agent = await agentCtx.newPage();
  await agent.goto(`${BASE}/agent`);
  await agent.fill("#login-username", USER);
  await agent.fill("#login-password", PASS);
  await agent.click("#login-submit");
  await agent.waitForSelector("#status-control:not([hidden])");

  const custCtx = await browser.newContext({ viewport: { width: 1100, height: 860 } });
  const cust = await custCtx.newPage();
  await cust.goto(`${BASE}/chat`);
  await cust.fill("#intro-name", "Dana Whitfield");
  await cust.click("#intro-start");
  await cust.waitForSelector("#chat:not([hidden])");
  await cust.fill("#composer-input", "Our webhook deliveries to the billing endpoint fail with HTTP 401 since Tuesday.");
  await cust.press("#composer-input", "Enter");

  // The agent opens it from the inbox and writes a note.
  const item = await agent.waitForSelector(".conv-item:has-text('Dana Whitfield')", { timeout: 15000 });
  await item.click();
  await agent.waitForSelector("#agent-input:not([disabled])", { timeout: 15000 });
  await agent.click("[data-testid=note-toggle]");
  if (!(await agent.$eval("#agent-composer", (f) => f.classList.contains("is-note")))) throw new Error("note mode not shown");
  await agent.fill("#agent-input", NOTE);
  await agent.press("#agent-input", "Enter");
  const card = await agent.waitForSelector("[data-testid=thread-note]", { timeout: 10000 });
  if (!(await card.innerText()).includes("Finance approved")) throw new Error("the note card lacks its text");
  step("note in the thread");

  // A tag from the header.
  await agent.fill("[data-testid=tag-input]", "Refund");
  await agent.press("[data-testid=tag-input]", "Enter");
  await agent.waitForSelector("[data-testid=thread-tag]:has-text('refund')", { timeout: 10000 });
  step("tag on the conversation");

  // The customer's page never shows the note (nor the tag).
  await cust.waitForTimeout(1500);
  const customerText = await cust.innerText("body");
  if (customerText.includes("Finance approved") || customerText.includes("chargeback")) throw new Error("the note reached the customer's page");
  step("customer page has no note");

  // Search: by a word of the message, by tag, and nothing for a stranger word.
  const search = async (q) => {
    await agent.fill("[data-testid=inbox-search]", q);
    await agent.waitForFunction(() => {
      const s = document.querySelector(".inbox-search__status")?.textContent ?? "";
      return s && s !== "Searching…";
    }, null, { timeout: 10000 });
    return agent.$$eval("[data-testid=search-result]", (els) => els.map((e) => e.innerText));
  };
  const byWord = await search("webhook 401");
  if (byWord.length !== 1 || !byWord[0].includes("Dana Whitfield")) throw new Error(`search by words: ${JSON.stringify(byWord)}`);
  const byTag = await search("tag:refund");
  if (byTag.length !== 1) throw new Error(`search by tag: ${JSON.stringify(byTag)}`);
  await shot(agent, "workspace-search-desktop");
  const none = await search("photosynthesis");
  if (none.length !== 0) throw new Error("a stranger word found something");
  step("search finds it", { byWord: byWord.length, byTag: byTag.length });
  await agent.fill("[data-testid=inbox-search]", "");
  await agent.waitForSelector("#inbox-list:not(.is-searching-hidden)");

  await shot(agent, "workspace-note-desktop");
  await agent.setViewportSize({ width: 390, height: 844 });
  await agent.waitForTimeout(500);
  await shot(agent, "workspace-note-mobile");
  await agent.goto(`${BASE}/agent`);
  await agent.waitForSelector("[data-testid=inbox-search]", { timeout: 15000 });
  await search("tag:refund");
  await shot(agent, "workspace-search-mobile");
});

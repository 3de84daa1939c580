// Transfer to a named colleague, in three pages: Sam (billing) has the customer, learns something
// new from them, and transfers to Alex with a note; Alex's offer says it is a transfer, shows the
// note and a briefing with what the customer told Sam; Alex joins with an introduction that names
// Sam; the customer hears who is coming and never receives the note; Sam is left following the
// conversation read-only. Screenshots of all three pages, desktop and phone.
import { BASE, run, shot, step } from "./lib.mjs";

const NOTE = "Refund approved on my side; ACC-77812 is locked and needs a security unlock first.";
const FACT = "ACC-77812";

async function signIn(browser, user) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/agent`);
  await page.fill("#login-username", user);
  await page.fill("#login-password", `${user}-password`);
  await page.click("#login-submit");
  await page.waitForSelector("#status-control:not([hidden])");
  return page;
}

async function phone(page, name, prepare = async () => {}) {
  await page.setViewportSize({ width: 390, height: 844 });
  await prepare();
  await page.waitForTimeout(300);
  await shot(page, name);
  await page.setViewportSize({ width: 1440, height: 900 });
}

await run(async (browser) => {
  const sam = await signIn(browser, "sam");
  const alex = await signIn(browser, "alex");
  step("agents online");

  const custCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const cust = await custCtx.newPage();
  const customerFrames = [];
  cust.on("websocket", (ws) => ws.on("framereceived", (f) => typeof f.payload === "string" && customerFrames.push(f.payload)));
  await cust.goto(`${BASE}/chat`);
  await cust.fill("#intro-name", "Priya Shah");
  await cust.click("#intro-start");
  await cust.waitForSelector("#chat:not([hidden])");
  const send = async (text) => {
    await cust.fill("#composer-input", text);
    await cust.press("#composer-input", "Enter");
  };
  await send("I was charged twice this month, invoice INV-20931 shows two charges of $49 for my Pro plan. I want a person please.");
  await cust.waitForSelector(".notice--system", { timeout: 30000 });

  await sam.waitForSelector(".offer-card", { timeout: 15000 });
  await sam.click(".offer-card__accept");
  await sam.waitForSelector("#join-form:not([hidden])", { timeout: 15000 });
  await sam.click("#join-submit");
  await sam.waitForSelector("#join-form", { state: "hidden", timeout: 15000 });
  await cust.waitForSelector(".msg--agent", { timeout: 15000 });
  // Something the customer tells Sam after the escalation: the next briefing must have it.
  await send(`It's on account ${FACT}, and the page says the account is locked.`);
  await sam.waitForFunction((t) => [...document.querySelectorAll("#thread-messages .msg--customer")].some((m) => m.innerText.includes(t)), FACT, { timeout: 15000 });
  step("sam has the customer");

  // Sam transfers to Alex by name, with a note.
  await sam.click("#transfer-toggle");
  await sam.waitForSelector("#transfer-form:not([hidden])");
  const target = await sam.evaluate(() => [...document.querySelectorAll("#transfer-target option")].find((o) => o.textContent.startsWith("alex"))?.value ?? null);
  if (!target) throw new Error("Alex is not among the colleagues to transfer to");
  await sam.selectOption("#transfer-target", target);
  await sam.fill("#transfer-note", NOTE);
  await shot(sam, "transfer-agent-tray");
  await sam.click("#transfer-submit");
  await sam.waitForSelector("#transfer-pending:not([hidden])", { timeout: 15000 });
  const pending = await sam.innerText("#transfer-pending-text");
  if (!/alex/i.test(pending)) throw new Error(`pending line: ${pending}`);
  step("transfer asked", { pending });
  await shot(sam, "transfer-agent-pending");
  await phone(sam, "transfer-agent-pending-mobile");

  // Alex's offer: a transfer, with Sam's note and what the customer said to Sam.
  await alex.waitForSelector(".offer-card", { timeout: 15000 });
  const kicker = await alex.innerText(".offer-card__kicker");
  if (!/Transfer from sam/i.test(kicker)) throw new Error(`offer kicker: ${kicker}`);
  const note = await alex.innerText(".offer-card .brief-handover__note");
  if (note.trim() !== NOTE) throw new Error(`note on the offer: ${note}`);
  step("colleague offered the transfer", { kicker });
  await shot(alex, "transfer-offer");
  await phone(alex, "transfer-offer-mobile");
  await alex.click(".offer-card__accept");
  await alex.waitForSelector("#join-form:not([hidden])", { timeout: 15000 });
  const intro = await alex.inputValue("#join-intro");
  if (!/sam has filled me in/i.test(intro)) throw new Error(`suggested introduction: ${intro}`);
  // The briefing in the details column: the note, and the fact the customer gave Sam.
  const brief = await alex.evaluate(() => document.querySelector("#details")?.innerText ?? "");
  if (!brief.includes(NOTE)) throw new Error("the note is not in the briefing beside the join form");
  if (!brief.includes(FACT)) throw new Error(`the briefing lacks what the customer told Sam: ${brief.slice(0, 600)}`);
  step("briefing carries the note and the new facts");
  await shot(alex, "transfer-join");
  await alex.click("#join-submit");
  await alex.waitForSelector("#join-form", { state: "hidden", timeout: 15000 });

  // The customer: told who is coming, then Alex's introduction; Sam leaves after it.
  await cust.waitForFunction(() => [...document.querySelectorAll(".notice--system, .msg--system")].some((n) => /handing your conversation to alex/i.test(n.innerText)), null, { timeout: 15000 });
  await cust.waitForFunction(() => [...document.querySelectorAll(".msg--agent")].some((m) => /sam has filled me in/i.test(m.innerText)), null, { timeout: 15000 });
  step("customer met the new agent");
  await shot(cust, "transfer-customer");
  await phone(cust, "transfer-customer-mobile", () =>
    cust.evaluate(() => {
      const s = document.querySelector("#timeline-scroll");
      if (s) s.scrollTop = s.scrollHeight;
    }),
  );

  // Sam follows it read-only: the pending line is gone, Alex is handling it.
  await sam.waitForSelector("#transfer-pending", { state: "hidden", timeout: 15000 });
  await sam.waitForFunction(() => /alex.*is handling this conversation/i.test(document.querySelector("#composer-note")?.innerText ?? ""), null, { timeout: 15000 });
  const line = await sam.evaluate(() => [...document.querySelectorAll("#thread-messages *")].map((n) => n.innerText).find((t) => /took over from you/i.test(t)) ?? null);
  if (!line) throw new Error("Sam's timeline does not say Alex took over");
  step("first agent left, following read-only");
  await shot(sam, "transfer-agent-after");

  // Protocol level: nothing the customer's page received carries the note.
  const leaked = customerFrames.filter((f) => f.includes("security unlock") || f.includes("transfer_requested"));
  if (leaked.length) throw new Error(`the customer's socket received the note: ${leaked[0].slice(0, 300)}`);
  step("note never reached the customer", { frames: customerFrames.length });
});

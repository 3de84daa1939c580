// Canned responses in the pages. The manager's "Canned responses" tab in handoff review: the list,
// a new response with inline errors for a bad and a taken shortcut, then saved. The agent console:
// after a customer is escalated and the agent joined, typing "/ref" in the composer opens the
// suggestions, the keyboard picks the refund response, the composer holds it with the customer's
// name filled in, it is sent and the customer page shows it.
import { BASE, run, shot, step } from "./lib.mjs";

const AGENT = process.env.WLTEST_AGENT_USER;
const AGENT_PASS = process.env.WLTEST_AGENT_PASS;
const MANAGER = process.env.WLTEST_MANAGER_USER;
const MANAGER_PASS = process.env.WLTEST_MANAGER_PASS;

async function signIn(page, path, user, pass) {
  await page.goto(`${BASE}${path}`);
  await page.fill("#login-username", user);
  await page.fill("#login-password", pass);
  await page.click("#login-submit");
}

/** Fails when an element's box leaves the viewport sideways (or, with `vertical`, at all), or its
 *  content is cut off horizontally. Pages scroll vertically, so tall content is fine elsewhere. */
async function fits(page, selector, { vertical = false } = {}) {
  const r = await page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    const b = el.getBoundingClientRect();
    return { left: b.left, right: b.right, top: b.top, bottom: b.bottom, vw: innerWidth, vh: innerHeight, scroll: el.scrollWidth - el.clientWidth };
  }, selector);
  if (!r) throw new Error(`${selector} not found`);
  if (r.left < -1 || r.right > r.vw + 1 || (vertical && (r.top < -1 || r.bottom > r.vh + 1))) throw new Error(`${selector} leaves the viewport: ${JSON.stringify(r)}`);
  if (r.scroll > 1) throw new Error(`${selector} scrolls sideways: ${JSON.stringify(r)}`);
  return r;
}

await run(async (browser) => {
  // ---- the manager's tab ----------------------------------------------------------------------
  const mgrCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const mgr = await mgrCtx.newPage();
  await signIn(mgr, "/review", MANAGER, MANAGER_PASS);
  await mgr.waitForSelector("#review:not([hidden])");
  await mgr.click("#nav-canned");
  await mgr.waitForSelector('[data-testid="canned-row"]');
  const listed = await mgr.$$eval('[data-testid="canned-row"]', (rows) => rows.map((r) => r.dataset.shortcut));
  if (!listed.includes("refund")) throw new Error(`manager's list: ${listed}`);
  step("manager sees the list", { shortcuts: listed });

  await mgr.click('[data-testid="canned-add"]');
  await mgr.waitForSelector('[data-testid="canned-form"]');
  await mgr.fill('[data-testid="canned-shortcut"]', "late delivery");
  await mgr.fill('[data-testid="canned-title"]', "Late delivery");
  await mgr.fill('[data-testid="canned-body"]', "Sorry about the wait, {customer}. Your parcel is on its way; here is the tracking link.");
  await mgr.click('[data-testid="canned-save"]');
  const bad = await mgr.waitForSelector(".canned-field--shortcut .field__error:not([hidden])");
  const badText = await bad.innerText();
  if (!/lowercase/.test(badText)) throw new Error(`bad shortcut error: ${badText}`);
  if ((await mgr.getAttribute('[data-testid="canned-shortcut"]', "aria-invalid")) !== "true") throw new Error("the shortcut is not marked invalid");
  step("bad shortcut refused inline", { error: badText });

  await mgr.fill('[data-testid="canned-shortcut"]', "/Refund");
  await mgr.click('[data-testid="canned-save"]');
  await mgr.waitForFunction(() => /already taken/.test(document.querySelector(".canned-field--shortcut .field__error")?.textContent ?? ""));
  step("taken shortcut refused inline", { error: await mgr.innerText(".canned-field--shortcut .field__error") });
  await shot(mgr, "canned-manager-form-errors");
  await mgr.setViewportSize({ width: 390, height: 844 });
  await mgr.waitForTimeout(400); // let drawers finish their transitions
  await fits(mgr, '[data-testid="canned-form"]');
  await fits(mgr, ".review-topbar");
  await fits(mgr, ".review-nav");
  await shot(mgr, "canned-manager-form-errors-mobile");
  await mgr.setViewportSize({ width: 1440, height: 900 });

  await mgr.fill('[data-testid="canned-shortcut"]', "late-delivery");
  await mgr.click('[data-testid="canned-save"]');
  await mgr.waitForSelector('[data-testid="canned-form"]', { state: "detached" });
  await mgr.waitForSelector('[data-testid="canned-row"][data-shortcut="late-delivery"]');
  step("manager added a response", { shortcut: "late-delivery" });
  await shot(mgr, "canned-manager-list");
  await mgr.setViewportSize({ width: 390, height: 844 });
  await mgr.waitForTimeout(400); // let drawers finish their transitions
  await fits(mgr, '[data-testid="canned-list"]');
  await shot(mgr, "canned-manager-list-mobile");
  await mgr.setViewportSize({ width: 1440, height: 900 });
  await mgrCtx.close();

  // ---- the agent's composer -------------------------------------------------------------------
  const agentCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const agent = await agentCtx.newPage();
  await signIn(agent, "/agent", AGENT, AGENT_PASS);
  await agent.waitForSelector("#status-control:not([hidden])");

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
  await cust.waitForSelector("#wait-banner:not([hidden])", { timeout: 15000 });

  await agent.waitForSelector(".offer-card", { timeout: 15000 });
  await agent.click(".offer-card__accept");
  await agent.waitForSelector("#join-form:not([hidden])", { timeout: 15000 });
  await agent.click("#join-submit");
  await agent.waitForSelector("#join-form", { state: "hidden", timeout: 15000 });
  await cust.waitForSelector(".msg--agent", { timeout: 15000 });
  await agent.waitForSelector("#agent-composer:not([hidden])");
  step("agent joined");

  // The hint tells how to get there; "/" opens the list, "/ref" narrows it.
  const hint = await agent.innerText("#agent-hint");
  if (!hint.includes("/ for canned responses")) throw new Error(`composer hint: ${hint}`);
  await agent.click("#agent-input");
  await agent.keyboard.type("/");
  await agent.waitForSelector('[data-testid="canned-menu"]:not([hidden])');
  const all = await agent.$$eval(".canned-option", (o) => o.map((x) => x.dataset.shortcut));
  await agent.keyboard.type("ref");
  await agent.waitForFunction(() => document.querySelectorAll(".canned-option").length === 1);
  const options = await agent.$$eval(".canned-option", (o) => o.map((x) => x.dataset.shortcut));
  if (options[0] !== "refund") throw new Error(`"/ref" offers ${options}`);
  if ((await agent.getAttribute("#agent-input", "aria-expanded")) !== "true") throw new Error("aria-expanded not set");
  step("suggestions for /ref", { all, options });

  // Show more to choose from, then pick with the keyboard: back to "/" lists everything.
  await agent.keyboard.press("Backspace");
  await agent.keyboard.press("Backspace");
  await agent.waitForFunction(() => document.querySelectorAll(".canned-option").length >= 3);
  await agent.keyboard.type("e");
  // "/re": refund by its shortcut; others by their title (e.g. Greeting has none) — walk to refund.
  await agent.waitForSelector('.canned-option[data-shortcut="refund"]');
  const candidates = await agent.$$eval(".canned-option", (o) => o.map((x) => x.dataset.shortcut));
  await agent.keyboard.press("ArrowDown");
  await agent.keyboard.press("ArrowUp");
  const target = candidates.indexOf("refund");
  for (let i = 0; i < target; i += 1) await agent.keyboard.press("ArrowDown");
  const active = await agent.$eval('.canned-option[aria-selected="true"]', (x) => x.dataset.shortcut);
  if (active !== "refund") throw new Error(`active option ${active} of ${candidates}`);
  const activeId = await agent.getAttribute("#agent-input", "aria-activedescendant");
  if (!activeId || !(await agent.$(`#${activeId}[data-shortcut="refund"]`))) throw new Error(`aria-activedescendant ${activeId}`);
  await shot(agent, "canned-agent-suggestions");
  await fits(agent, '[data-testid="canned-menu"]', { vertical: true });
  await agent.setViewportSize({ width: 390, height: 844 });
  await agent.waitForTimeout(400); // let drawers finish their transitions
  await agent.waitForSelector('[data-testid="canned-menu"]:not([hidden])');
  await fits(agent, '[data-testid="canned-menu"]', { vertical: true });
  await shot(agent, "canned-agent-suggestions-mobile");
  await agent.setViewportSize({ width: 1440, height: 900 });
  step("refund chosen with the keyboard", { candidates });

  await agent.keyboard.press("Enter");
  await agent.waitForSelector('[data-testid="canned-menu"]', { state: "hidden" });
  const filled = await agent.inputValue("#agent-input");
  if (!filled.startsWith("Hi Dana, ") || /[{}]/.test(filled) || !filled.includes("\n\nsam, ")) throw new Error(`composer holds: ${filled}`);
  if (await agent.isDisabled("#agent-send")) throw new Error("send stays disabled after inserting");
  step("composer holds the filled response", { text: filled });
  await shot(agent, "canned-agent-inserted");

  // Esc closes the list without touching the text.
  await agent.keyboard.type(" /wr");
  await agent.waitForSelector('[data-testid="canned-menu"]:not([hidden])');
  await agent.keyboard.press("Escape");
  await agent.waitForSelector('[data-testid="canned-menu"]', { state: "hidden" });
  for (let i = 0; i < 4; i += 1) await agent.keyboard.press("Backspace");
  if ((await agent.inputValue("#agent-input")) !== filled) throw new Error("Esc or the edits changed the text");
  step("Esc closes the list");

  await agent.keyboard.press("Enter");
  const said = await cust.waitForFunction(
    (want) => [...document.querySelectorAll(".msg--agent")].map((m) => m.innerText).find((t) => t.includes(want)) ?? null,
    "Hi Dana, I've issued a full refund",
    { timeout: 15000 },
  );
  const text = await said.jsonValue();
  step("customer sees the canned response", { text: text.slice(0, 120) });
  await shot(cust, "canned-customer");
  if (/\{customer\}|\{agent\}/.test(text)) throw new Error(`unfilled field reached the customer: ${text}`);
});

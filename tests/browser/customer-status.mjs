// The customer's chat page tells one truth, in real Chromium:
// (a) escalated with nobody online: only the no-one-online banner, no place or estimate in it,
//     the same after a reload;
// (c) the pencil asks first; Cancel keeps the conversation, "Start new" opens the intro with the
//     previous conversation listed, and a click reopens it with its messages;
// then the agent signs in, accepts (banner: "<name> is reading your conversation"), joins (no
// banner), resolves: (d) the survey comes after the resolution and ArrowRight ×4 from the first
// star chooses 5;
// (b) a new conversation escalated while the agent is online: "You're number 1, …"; the agent
//     accepts: the reading banner replaces it, also after a reload; the agent joins: no banner.
// Screenshots at 1440x900 and 390x844 of each banner state and of the previous-conversations list
// (customer-status-*.png); the header's name is checked not to be cut off at both sizes.
import { BASE, run, shot, step } from "./lib.mjs";

const USER = process.env.WLTEST_AGENT_USER;
const PASS = process.env.WLTEST_AGENT_PASS;
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const BILLING = "I was charged twice this month, invoice INV-20931 shows two charges of $49 for my Pro plan.";
const FRUSTRATED =
  "This is ridiculous. I already checked the payment history and it's still not fixed, we close the books on Friday. I want my money back now!";
const QUEUE_WORDS = /number|minute|\d/i;

/** The banner's text, or null while it is hidden. */
const banner = (page) => page.evaluate(() => {
  const b = document.querySelector("#wait-banner");
  return b.hidden ? null : b.innerText.trim();
});

/** Waits until the banner's text matches `re` (or, for null, until it is hidden). */
async function bannerBecomes(page, re, label, timeout = 20000) {
  try {
    await page.waitForFunction(
      ([src, flags]) => {
        const b = document.querySelector("#wait-banner");
        if (src === null) return b.hidden;
        return !b.hidden && new RegExp(src, flags).test(b.innerText);
      },
      re ? [re.source, re.flags] : [null, ""],
      { timeout },
    );
  } catch (e) {
    throw new Error(`${label}: the banner says ${JSON.stringify(await banner(page))}`);
  }
  return banner(page);
}

/** Nothing in the header cut off or overlapping, and the banner's text fits. */
async function checkLayout(page, label) {
  const problems = await page.evaluate(() => {
    const out = [];
    const visible = (el) => el && !el.hidden && el.getClientRects().length > 0;
    const title = document.querySelector("#chat-title");
    if (title.scrollWidth > title.clientWidth + 1) out.push(`title cut: ${title.scrollWidth} > ${title.clientWidth}`);
    const sub = document.querySelector("#chat-subtitle");
    if (sub.scrollWidth > sub.clientWidth + 1) out.push(`subtitle cut: ${sub.innerText}`);
    const boxes = [".chat-head__avatars", ".chat-head__text", "#call-button", "#new-conversation"]
      .map((s) => document.querySelector(s))
      .filter(visible)
      .map((el) => [el.id || el.className, el.getBoundingClientRect()]);
    for (let i = 1; i < boxes.length; i++) {
      const [a, ra] = boxes[i - 1];
      const [b, rb] = boxes[i];
      if (ra.right > rb.left + 0.5) out.push(`${a} overlaps ${b}`);
    }
    const card = document.querySelector("#chat-card").getBoundingClientRect();
    for (const [name, r] of boxes) if (r.right > card.right + 0.5 || r.left < card.left - 0.5) out.push(`${name} outside the card`);
    const text = document.querySelector(".wait-banner__text");
    if (visible(document.querySelector("#wait-banner")) && text.scrollWidth > text.clientWidth + 1) out.push("banner text cut");
    return out;
  });
  if (problems.length) throw new Error(`${label}: ${problems.join("; ")}`);
}

/** Screenshots at both sizes (checking the layout at each), back to the desktop size. */
async function shots(page, name) {
  for (const [size, vp] of [["desktop", DESKTOP], ["phone", PHONE]]) {
    await page.setViewportSize(vp);
    await page.waitForTimeout(150);
    await checkLayout(page, `${name} (${size})`);
    await shot(page, `customer-status-${name}-${size}`);
  }
  await page.setViewportSize(DESKTOP);
}

async function startChat(cust) {
  await cust.waitForSelector("#intro:not([hidden])");
  await cust.fill("#intro-name", "Dana Whitfield");
  await cust.fill("#intro-email", "dana@acme-logistics.com");
  await cust.click("#intro-start");
  await cust.waitForSelector("#chat-body:not([hidden])");
}

async function escalate(cust) {
  const say = async (text) => {
    await cust.fill("#composer-input", text);
    await cust.press("#composer-input", "Enter");
  };
  await say(BILLING);
  await cust.waitForSelector(".msg--ai", { timeout: 30000 });
  await say(FRUSTRATED);
  await cust.waitForSelector("#wait-banner:not([hidden])", { timeout: 15000 });
}

/** Clicks the pencil and answers the dialog; returns what the dialog said. */
async function pencil(cust, answer, shotName = null) {
  await cust.click("#new-conversation");
  const dialog = await cust.waitForSelector("dialog[data-testid=new-conversation-dialog][open]", { timeout: 5000 });
  const text = (await dialog.innerText()).replace(/\s+/g, " ").trim();
  const focused = await cust.evaluate(() => document.activeElement?.dataset?.testid ?? null);
  if (shotName) await shots(cust, shotName);
  await cust.click(`[data-testid=new-conversation-dialog-${answer}]`);
  await cust.waitForSelector("dialog[data-testid=new-conversation-dialog]", { state: "detached", timeout: 5000 });
  return { text, focused };
}

await run(async (browser) => {
  const custCtx = await browser.newContext({ viewport: DESKTOP });
  const cust = await custCtx.newPage();
  await cust.goto(`${BASE}/chat`);

  // (a) Escalated while nobody is online: the honest state only, no place or estimate.
  await startChat(cust);
  await escalate(cust);
  const nobody = await bannerBecomes(cust, /No one is online right now/, "nobody online");
  const notice = await cust.innerText(".notice--system");
  if (!/online/i.test(notice)) throw new Error(`expected the gateway to say nobody is online: ${notice}`);
  await cust.waitForTimeout(1500); // later estimates must not bring a number back
  const settled = await banner(cust);
  if (settled !== nobody || QUEUE_WORDS.test(settled)) throw new Error(`nobody-online banner with queue words: ${settled}`);
  await cust.reload();
  await cust.waitForSelector("#timeline-loading", { state: "hidden", timeout: 15000 });
  const reloaded = await bannerBecomes(cust, /No one is online right now/, "nobody online after a reload");
  if (reloaded !== nobody) throw new Error(`after a reload: ${reloaded} (was ${nobody})`);
  await shots(cust, "1-nobody-online");
  step("nobody online", { banner: nobody });

  // (c) The pencil asks first; Cancel keeps the conversation.
  const messagesBefore = await cust.locator("#messages > li").count();
  const asked = await pencil(cust, "cancel", "2-confirm-new-conversation");
  if (!/Start a new conversation\?/.test(asked.text) || !/Your current conversation stays available\./.test(asked.text)) {
    throw new Error(`the dialog said: ${asked.text}`);
  }
  if (await cust.isVisible("#intro")) throw new Error("Cancel left the conversation");
  if ((await cust.locator("#messages > li").count()) !== messagesBefore) throw new Error("Cancel changed the conversation");
  const focusBack = await cust.evaluate(() => document.activeElement?.id);
  if (focusBack !== "new-conversation") throw new Error(`focus after Cancel: ${focusBack}`);
  // Start new: the intro lists the previous conversation, which reopens with its messages.
  await pencil(cust, "ok");
  await cust.waitForSelector("#intro:not([hidden])");
  await cust.waitForSelector("#previous:not([hidden]) [data-testid=previous-conversation]");
  const listed = await cust.locator("[data-testid=previous-conversation]").allInnerTexts();
  if (listed.length !== 1 || !listed[0].includes("I was charged twice")) throw new Error(`previous conversations: ${JSON.stringify(listed)}`);
  if ((await banner(cust)) !== null) throw new Error("a banner on the intro");
  await shots(cust, "2-previous-conversations");
  await cust.click("[data-testid=previous-conversation]");
  await cust.waitForSelector("#chat-body:not([hidden])");
  await cust.waitForFunction(() => document.querySelector("#messages").innerText.includes("INV-20931"), null, { timeout: 15000 });
  const again = await bannerBecomes(cust, /No one is online right now/, "reopened conversation");
  step("previous conversation reopened", { listed: listed[0].replace(/\s+/g, " "), banner: again, dialog: asked });

  // The agent signs in, gets the waiting conversation, accepts: the reading banner replaces it.
  const agentCtx = await browser.newContext({ viewport: DESKTOP });
  const agent = await agentCtx.newPage();
  await agent.goto(`${BASE}/agent`);
  await agent.fill("#login-username", USER);
  await agent.fill("#login-password", PASS);
  await agent.click("#login-submit");
  await agent.waitForSelector("#status-control:not([hidden])");
  await agent.waitForSelector(".offer-card", { timeout: 20000 });
  await agent.click(".offer-card__accept");
  await agent.waitForSelector("#join-form:not([hidden])", { timeout: 15000 });
  const reading1 = await bannerBecomes(cust, /is reading your conversation/, "reading after nobody online");
  if (/number|minute/i.test(reading1) || /No one/.test(reading1)) throw new Error(`reading banner: ${reading1}`);
  await agent.click("#join-submit");
  await agent.waitForSelector("#join-form", { state: "hidden", timeout: 15000 });
  await cust.waitForSelector(".msg--agent", { timeout: 15000 });
  await bannerBecomes(cust, null, "joined (first conversation)");

  // (d) The agent resolves; the survey comes after the resolution; stars from the keyboard.
  await agent.waitForSelector("#resolve-toggle:not([hidden])", { timeout: 15000 });
  await agent.click("#resolve-toggle");
  await agent.fill("#resolve-note", "Refunded the duplicate $49 charge.");
  await agent.click("#resolve-submit");
  await cust.waitForSelector("[data-testid=survey]", { timeout: 15000 });
  await cust.waitForFunction(() => [...document.querySelectorAll("#messages .msg--system, #messages .notice--system")].some((m) => /marked this conversation as resolved/.test(m.innerText)), null, { timeout: 15000 });
  await cust.waitForTimeout(500); // the agents leaving follow the resolution
  const order = await cust.evaluate(() => {
    const items = [...document.querySelectorAll("#messages > li")];
    const survey = items.findIndex((li) => li.dataset.testid === "survey");
    const resolvedNotices = items
      .map((li, i) => [li, i])
      .filter(([li]) => /resolved|left the conversation/i.test(li.innerText) && li.dataset.testid !== "survey")
      .map(([, i]) => i);
    return { survey, resolvedNotices, last: items.length - 1 };
  });
  if (!order.resolvedNotices.length || order.resolvedNotices.some((i) => i > order.survey)) throw new Error(`survey placed before the resolution: ${JSON.stringify(order)}`);
  await cust.focus("[data-testid=survey-star-1]");
  for (let i = 0; i < 4; i++) await cust.keyboard.press("ArrowRight");
  const pressed = await cust.$$eval("[data-testid=survey-star] button", (bs) => bs.map((b) => b.getAttribute("aria-pressed")));
  const focusedStar = await cust.evaluate(() => document.activeElement?.dataset?.testid);
  if (pressed.join() !== "false,false,false,false,true" || focusedStar !== "survey-star-5") {
    throw new Error(`ArrowRight ×4 from the first star: pressed ${pressed}, focus on ${focusedStar}`);
  }
  await cust.locator("[data-testid=survey]").scrollIntoViewIfNeeded();
  await shots(cust, "5-survey");
  step("survey after the resolution", { order, stars: 5 });

  // (b) A new conversation escalated while the agent is online: the place in line.
  await pencil(cust, "ok");
  await startChat(cust);
  await escalate(cust);
  const queued = await bannerBecomes(cust, /You're number 1, about \d+ minutes?/, "queued with an agent online");
  if (/No one/.test(queued)) throw new Error(`queued banner: ${queued}`);
  await shots(cust, "3-number-in-line");
  step("number in line", { banner: queued });

  // The agent accepts: reading, and the queue text is gone, also after a reload.
  await agent.waitForSelector(".offer-card", { timeout: 20000 });
  await agent.click(".offer-card__accept");
  await agent.waitForSelector("#join-form:not([hidden])", { timeout: 15000 });
  const reading = await bannerBecomes(cust, /sam \(test\) is reading your conversation/, "agent reading");
  if (/number|minute/i.test(reading)) throw new Error(`reading banner with queue words: ${reading}`);
  await cust.reload();
  await cust.waitForSelector("#timeline-loading", { state: "hidden", timeout: 15000 });
  const readingAfterReload = await bannerBecomes(cust, /is reading your conversation/, "agent reading after a reload");
  if (readingAfterReload !== reading) throw new Error(`after a reload: ${readingAfterReload} (was ${reading})`);
  await shots(cust, "4-agent-reading");
  step("agent reading", { banner: reading });

  // The agent joins: no banner at all.
  await agent.click("#join-submit");
  await agent.waitForSelector("#join-form", { state: "hidden", timeout: 15000 });
  await cust.waitForSelector(".msg--agent", { timeout: 15000 });
  await bannerBecomes(cust, null, "agent joined");
  await shots(cust, "6-agent-joined");
  step("agent joined", { header: await cust.innerText("#chat-subtitle") });
});

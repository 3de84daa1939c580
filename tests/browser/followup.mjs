// Nobody online, in the pages: a customer asks for a person, the banner says nobody is online and
// offers "Leave your e-mail", the form refuses an address that is not one and takes a real one
// with a message; the banner then says the reply comes by e-mail. On a desktop (1440x900) and a
// phone (390x844). The agent who signs in later sees "E-mail follow-up" in the inbox.
import { BASE, run, shot, step } from "./lib.mjs";

const USER = process.env.WLTEST_AGENT_USER;
const PASS = process.env.WLTEST_AGENT_PASS;

async function leaveEmail(browser, { width, height, name, email, label }) {
  const ctx = await browser.newContext({ viewport: { width, height } });
  const cust = await ctx.newPage();
  await cust.goto(`${BASE}/chat`);
  await cust.fill("#intro-name", name);
  await cust.fill("#intro-email", email);
  await cust.click("#intro-start");
  await cust.waitForSelector("#chat-body:not([hidden])");
  await cust.fill("#composer-input", "I want to speak to a person about my invoice");
  await cust.press("#composer-input", "Enter");
  await cust.waitForSelector('#wait-banner[data-mode="nobody_online"]', { timeout: 20000 });
  await cust.waitForSelector('[data-testid="followup-open"]:not([hidden])', { timeout: 10000 });
  step("nobody online: the page offers the e-mail form", { view: label, banner: await cust.innerText("#wait-banner") });
  await shot(cust, `followup-offered-${label}`);

  await cust.click('[data-testid="followup-open"]');
  await cust.waitForSelector("#followup:not([hidden])");
  const prefilled = await cust.inputValue('[data-testid="followup-email"]');
  if (prefilled !== email) throw new Error(`the address given at the start is prefilled: ${prefilled}`);
  await cust.fill('[data-testid="followup-email"]', "dana@");
  await cust.click('[data-testid="followup-send"]');
  await cust.waitForSelector("#followup-email-error:not([hidden])");
  step("a bad address is refused on the page", { error: await cust.innerText("#followup-email-error") });
  await cust.fill('[data-testid="followup-email"]', email);
  await cust.fill('[data-testid="followup-message"]', "I have to leave now. The invoice INV-20931 was charged twice.");
  await shot(cust, `followup-form-${label}`);
  await cust.click('[data-testid="followup-send"]');
  await cust.waitForSelector('#wait-banner[data-mode="followup"]', { timeout: 10000 });
  await cust.waitForSelector("#followup", { state: "hidden" });
  const banner = await cust.innerText("#wait-banner");
  if (!banner.includes(email)) throw new Error(`banner after the form: ${banner}`);
  step("the reply will come by e-mail", { view: label, banner });
  await shot(cust, `followup-left-${label}`);
  await ctx.close();
}

await run(async (browser) => {
  await leaveEmail(browser, { width: 1440, height: 900, name: "Dana", email: "dana@example.com", label: "desktop" });
  await leaveEmail(browser, { width: 390, height: 844, name: "Noor", email: "noor@example.com", label: "phone" });

  // The link in the e-mail, opened in a browser that never saw the conversation (another device).
  for (const [width, height, label] of [[1440, 900, "desktop"], [390, 844, "phone"]]) {
    const ctx = await browser.newContext({ viewport: { width, height } });
    const page = await ctx.newPage();
    await page.goto(process.env.WLTEST_RESUME_URL);
    await page.waitForSelector(".msg--agent", { timeout: 15000 });
    const said = await page.innerText(".msg--agent");
    if (!said.includes(process.env.WLTEST_RESUME_REPLY)) throw new Error(`resumed page shows: ${said}`);
    if (new URL(page.url()).search) throw new Error(`the link's token stays in the address bar: ${page.url()}`);
    if (label === "desktop") {
      // Resolved while they were away: the end card offers the transcript by e-mail.
      await page.waitForSelector('[data-testid="transcript-email"]', { timeout: 10000 });
      await page.fill('[data-testid="transcript-email"]', "kim@example.com");
      await page.click('[data-testid="transcript-send"]');
      await page.waitForSelector(".mail-transcript__status:not([hidden])");
      const said = await page.innerText(".mail-transcript__status");
      if (!said.includes("on its way")) throw new Error(`transcript request: ${said}`);
      await page.locator('[data-testid="survey"]').scrollIntoViewIfNeeded();
      step("the transcript is asked for on the end card", { said });
      await shot(page, "followup-transcript-desktop");
    }
    await page.fill("#composer-input", "Thanks, I see it now!");
    await page.press("#composer-input", "Enter");
    await page.waitForSelector(".msg--customer >> text=Thanks, I see it now!");
    step("the e-mail's link reopens the conversation", { view: label });
    await shot(page, `followup-resumed-${label}`);
    await ctx.close();
  }

  const agentCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const agent = await agentCtx.newPage();
  await agent.goto(`${BASE}/agent`);
  await agent.fill("#login-username", USER);
  await agent.fill("#login-password", PASS);
  await agent.click("#login-submit");
  await agent.waitForSelector('[data-testid="email-followup"]', { timeout: 15000 });
  const tags = await agent.locator('[data-testid="email-followup"]').count();
  step("the agent's inbox shows the e-mail follow-ups", { tags });
  await agent.waitForSelector(".offer-card", { timeout: 15000 }).catch(() => {});
  await agent.waitForTimeout(800); // the offer card's entrance animation
  await shot(agent, "followup-agent-inbox");
});

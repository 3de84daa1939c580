// A new visitor while the gateway is under pressure: starting the chat meets a proof-of-work
// challenge, the page solves it ("Connecting securely…") and the conversation opens. Once at
// desktop size and once on a phone, with screenshots of both moments.
import { BASE, run, shot, step } from "./lib.mjs";

const SIZES = [
  ["desktop", { width: 1440, height: 900 }],
  ["mobile", { width: 390, height: 844 }],
];

await run(async (browser) => {
  for (const [name, viewport] of SIZES) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.goto(`${BASE}/chat`);
    await page.waitForSelector("#intro-start:not([disabled])");
    const started = Date.now();
    await page.click("#intro-skip");
    await page.waitForFunction(() => document.querySelector("#intro-start").textContent.includes("Connecting securely"));
    await shot(page, `challenge-${name}-solving`);
    await page.waitForSelector("#chat-body:not([hidden])", { timeout: 60000 });
    const id = await page.evaluate(() => Object.values(localStorage).find((v) => v.includes("conversationId")) || null);
    if (!id) throw new Error("no conversation saved after the challenge");
    step("conversation started after the challenge", { viewport: name, ms: Date.now() - started });
    await shot(page, `challenge-${name}-started`);
    await context.close();
  }
});

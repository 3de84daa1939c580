// The whole product, one journey, three people in real Chromium:
// the customer chats, gets frustrated and is escalated with the wait estimate; the agent receives
// the briefing, accepts and joins; the chat becomes a video call with a screen share; both speak
// (each browser's fake microphone plays its own speech WAV) and the live transcript shows on the
// agent page; the agent resolves; the customer answers the survey and the agent rates the
// briefing; the manager opens the review, plays the recording with the transcript following
// along and sees the figures. Screenshots of each page: journey-*.png.
import { BASE, launch, shot, step, until } from "./lib.mjs";

const env = (k) => process.env[k];

// A canvas stream instead of a real display capture (headless Chromium has no screen to pick).
const FAKE_SCREEN = () => {
  navigator.mediaDevices.getDisplayMedia = async () => {
    const canvas = document.createElement("canvas");
    canvas.width = 960;
    canvas.height = 540;
    const ctx = canvas.getContext("2d");
    let n = 0;
    setInterval(() => {
      n += 1;
      ctx.fillStyle = "#f4f6f8";
      ctx.fillRect(0, 0, 960, 540);
      ctx.fillStyle = "#0f766e";
      ctx.fillRect(0, 0, 960, 56);
      ctx.fillStyle = "#fff";
      ctx.font = "24px sans-serif";
      ctx.fillText("Brightboard · Billing", 24, 36);
      ctx.fillStyle = "#111";
      ctx.font = "28px sans-serif";
      ctx.fillText("Invoice INV-20931", 60, 140);
      ctx.fillStyle = "#b91c1c";
      ctx.fillText(`Charged twice: $49.00 + $49.00  (${n % 100})`, 60, 200);
    }, 66);
    return canvas.captureStream(15);
  };
};

async function signIn(page, user, pass) {
  await page.fill("#login-username", user);
  await page.fill("#login-password", pass);
  await page.click("#login-submit");
}

let customerBrowser, agentBrowser;
try {
  customerBrowser = await launch({ wav: env("WLTEST_CUSTOMER_WAV") });
  agentBrowser = await launch({ wav: env("WLTEST_AGENT_WAV") });

  // The agent is online.
  const actx = await agentBrowser.newContext({ viewport: { width: 1440, height: 960 } });
  const agent = await actx.newPage();
  await agent.goto(`${BASE}/agent`);
  await signIn(agent, env("WLTEST_AGENT_USER"), env("WLTEST_AGENT_PASS"));
  await agent.waitForSelector("#status-control:not([hidden])");

  // The customer chats, the assistant tries, the customer gets frustrated: escalated, with the estimate.
  const cctx = await customerBrowser.newContext({ viewport: { width: 1280, height: 900 } });
  await cctx.addInitScript(FAKE_SCREEN);
  const cust = await cctx.newPage();
  await cust.goto(`${BASE}/chat`);
  await cust.fill("#intro-name", "Dana Whitfield");
  await cust.fill("#intro-email", "dana@acme-logistics.com");
  await cust.click("#intro-start");
  await cust.waitForSelector("#chat:not([hidden])");
  const say = async (text) => {
    await cust.fill("#composer-input", text);
    await cust.press("#composer-input", "Enter");
  };
  await say("I was charged twice this month, invoice INV-20931 shows two charges of $49 for my Pro plan.");
  await cust.waitForSelector(".msg--ai", { timeout: 30000 });
  await say("This is ridiculous. I already tried that and it's still not fixed, I've been waiting for days. I want my money back now!");
  await cust.waitForSelector("#wait-banner:not([hidden])", { timeout: 15000 });
  step("customer told", { banner: await cust.innerText("#wait-banner") });
  await shot(cust, "journey-1-customer-escalated");

  // The agent gets the offer with the briefing, accepts, joins with the warm introduction.
  await agent.waitForSelector(".offer-card", { timeout: 20000 });
  await shot(agent, "journey-2-agent-offer");
  await agent.click(".offer-card__accept");
  await agent.waitForSelector("#join-form:not([hidden])", { timeout: 15000 });
  await agent.click("#join-submit");
  await agent.waitForSelector("#join-form", { state: "hidden", timeout: 15000 });
  await cust.waitForSelector(".msg--agent", { timeout: 15000 });
  // A question the briefing already answered: the review marks it as a repeat ask.
  await agent.fill("#agent-input", "Could you give me the invoice number, please?");
  await agent.press("#agent-input", "Enter");
  await cust.waitForFunction(() => document.body.innerText.includes("invoice number, please"), null, { timeout: 15000 });
  await say("It's INV-20931, I already gave it. Can we do a video call? I can show you the page.");
  step("agent joined");

  // The chat becomes a video call; the customer shares their screen.
  await cust.waitForSelector("#call-button:not([hidden])", { timeout: 15000 });
  await cust.click("#call-button");
  // The pre-join check: the microphone's level moves with the fake microphone's speech.
  await cust.waitForFunction(() => Number(document.querySelector("#call-area [data-testid=mic-level]")?.getAttribute("aria-valuenow")) > 5, null, { timeout: 15000 });
  step("microphone level moves before joining");
  await shot(cust, "call-setup-customer-desktop");
  await cust.click("#call-area button[type=submit]:has-text('Join call')", { timeout: 15000 });
  await cust.waitForSelector(".call-stage", { timeout: 15000 });
  await agent.waitForSelector("#call-toggle:not([hidden])", { timeout: 15000 });
  await agent.click("#call-toggle");
  await agent.click("#call-area button[type=submit]:has-text('Join call')", { timeout: 15000 });
  await until(agent, "agent hears the customer", (s) => s.inbound.some((i) => i.kind === "audio" && i.packetsReceived > 0));
  await cust.click(".call-control[data-source=screen]");
  await until(agent, "agent decodes the screen", (s) => s.inbound.some((i) => i.kind === "video" && i.source === "screen" && i.framesDecoded > 0));
  step("screen share decoded");
  await shot(cust, "journey-3-customer-call");

  // Both speak; the live transcript shows both on the agent page.
  await agent.waitForSelector(".transcript__line--customer", { timeout: 45000 });
  await agent.waitForSelector(".transcript__line--agent", { timeout: 45000 });
  step("live transcript on the agent page", { customer: await agent.textContent(".transcript__line--customer .transcript__text") });
  await agent.waitForTimeout(1000);
  await shot(agent, "journey-4-agent-call-transcript");

  // The stage: the screen share is the main tile and keeps most of the stage with the transcript
  // open beside it; clicking a camera makes it the main tile, clicking again gives it back.
  const stage = () =>
    agent.evaluate(() => {
      const st = document.querySelector("#call-area .call-stage");
      const main = st?.querySelector(".call-tile.is-main");
      const area = (el) => {
        const r = el.getBoundingClientRect();
        return r.width * r.height;
      };
      const transcript = document.querySelector("#call-area .transcript");
      return {
        main: main?.dataset.source ?? null,
        share: main ? area(main) / area(st) : 0,
        transcriptOpen: !!transcript && !transcript.hidden && !transcript.classList.contains("is-collapsed") && area(transcript) > 0,
      };
    });
  const fill = await stage();
  if (fill.main !== "screen" || fill.share < 0.6 || !fill.transcriptOpen) throw new Error(`the screen share does not lead the stage: ${JSON.stringify(fill)}`);
  step("screen share leads the stage", fill);
  await agent.click("#call-area .call-tile--camera");
  const pinned = await stage();
  if (pinned.main !== "camera") throw new Error(`a clicked camera is not enlarged: ${JSON.stringify(pinned)}`);
  await agent.click("#call-area .call-tile--camera");
  if ((await stage()).main !== "screen") throw new Error("the screen share did not come back");
  step("tiles enlarge on click");

  // Captions: the customer turns them on and reads what is said; no spoken line is a chat bubble.
  await cust.click(".call-control[data-source=captions]");
  await cust.waitForSelector("[data-testid=caption]", { timeout: 45000 });
  const caption = await cust.textContent("[data-testid=caption] .call-caption__text");
  const bubbles = async (page) => page.$$eval(".msg", (els, text) => els.filter((el) => el.textContent.includes(text)).length, caption.trim());
  const inBubbles = (await bubbles(cust)) + (await bubbles(agent));
  const voiceTags = await cust.$$eval(".msg .tag--voice", (els) => els.length) + (await agent.$$eval(".msg .tag--voice", (els) => els.length));
  if (inBubbles || voiceTags) throw new Error(`speech shown as chat bubbles: ${inBubbles} with the caption, ${voiceTags} voice tags`);
  step("captions in the call, not in the chat", { caption });
  for (const [name, size] of [["desktop", { width: 1440, height: 900 }], ["mobile", { width: 390, height: 844 }]]) {
    await agent.setViewportSize(size);
    await cust.setViewportSize(size);
    await agent.waitForTimeout(400);
    await shot(agent, `call-stage-agent-${name}`);
    await shot(cust, `call-captions-customer-${name}`);
  }
  await agent.setViewportSize({ width: 1440, height: 960 });
  await cust.setViewportSize({ width: 1280, height: 900 });

  // Both hang up; the agent resolves.
  await cust.click(".call-control--hangup");
  await agent.click(".call-control--hangup");
  await agent.waitForSelector("#resolve-toggle:not([hidden])", { timeout: 15000 });
  await agent.click("#resolve-toggle");
  await agent.fill("#resolve-note", "Refunded the duplicate $49 charge.");
  await agent.click("#resolve-submit");

  // The customer answers the survey.
  await cust.waitForSelector("[data-testid=survey]", { timeout: 15000 });
  await cust.click("[data-testid=survey-repeated-yes]");
  await cust.click("[data-testid=survey-star-4]");
  await cust.fill("[data-testid=survey-comment]", "Quick fix, but I had to give the invoice number again.");
  await shot(cust, "journey-5-customer-survey");
  await cust.click("[data-testid=survey-submit]");
  await cust.waitForSelector("[data-testid=survey-thanks]", { timeout: 15000 });
  step("customer rated");

  // The agent rates the briefing.
  await agent.waitForSelector("[data-testid=briefing-rating]", { timeout: 15000 });
  await agent.click("[data-testid=briefing-star-5]");
  await agent.click("[data-testid=briefing-rating-submit]");
  await agent.waitForSelector("[data-testid=briefing-rating-given]", { timeout: 15000 });
  await shot(agent, "journey-6-agent-resolved");
  step("agent rated the briefing");

  // The manager reviews: the overview, the list, the handoff with the recording and transcript.
  const mctx = await agentBrowser.newContext({ viewport: { width: 1440, height: 1000 } });
  const mgr = await mctx.newPage();
  await mgr.goto(`${BASE}/review`);
  await signIn(mgr, env("WLTEST_MANAGER_USER"), env("WLTEST_MANAGER_PASS"));
  // Figures are computed a moment after the last event: wait for the rated handoff.
  const deadline = Date.now() + 30000;
  for (;;) {
    await mgr.waitForSelector("[data-testid=figure-handoffs-value]", { timeout: 15000 });
    const rating = await mgr.innerText("[data-testid=figure-customer-rating-value]");
    if (/4/.test(rating)) break;
    if (Date.now() > deadline) throw new Error(`the overview never showed the rating: ${rating}`);
    await mgr.waitForTimeout(1000);
    await mgr.reload();
  }
  await mgr.waitForSelector("#chart-daily svg");
  await shot(mgr, "journey-7-review-overview");
  await mgr.click("#nav-handoffs");
  await mgr.waitForSelector("tr[data-testid=handoff-row]", { timeout: 15000 });
  await shot(mgr, "journey-8-review-list");
  await mgr.click("tr[data-testid=handoff-row]");
  await mgr.waitForSelector("li[data-testid=transcript-line]", { timeout: 30000 });
  await mgr.waitForFunction(() => document.querySelector("#review-audio")?.src?.startsWith("blob:"), null, { timeout: 30000 });
  await mgr.evaluate(async () => {
    const audio = document.querySelector("#review-audio");
    audio.currentTime = 0;
    await audio.play();
  });
  await mgr.waitForSelector("li[data-testid=transcript-line].is-current", { timeout: 20000 });
  const highlighted = await mgr.innerText("li[data-testid=transcript-line].is-current");
  const queueWait = await mgr.innerText("[data-testid=metric-queue-wait]");
  const repeatAsks = await mgr.innerText("[data-testid=metric-repeat-asks]");
  await mgr.waitForTimeout(1500);
  await shot(mgr, "journey-9-review-handoff");
  step("manager reviewed", { highlighted, queueWait, repeatAsks });

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

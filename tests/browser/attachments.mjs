// Attachments in the pages. The customer attaches a screenshot with the paperclip (file input),
// pastes a second image into the composer and drops a log on the conversation; each shows in
// their conversation as a thumbnail or a file chip. They ask for a person; the agent is offered the conversation, the
// briefing's technical detail carries the log's error line, the agent joins, sees the thumbnails,
// downloads the screenshot (the same bytes come back) and sends a PDF back, which the customer
// sees as a file chip. The agent resolves; the manager's review shows the files in the thread.
// Screenshots at 1440x900 and 390x844 of the three pages.
import zlib from "node:zlib";
import { BASE, run, shot, step } from "./lib.mjs";

const AGENT = process.env.WLTEST_AGENT_USER;
const AGENT_PASS = process.env.WLTEST_AGENT_PASS;
const MANAGER = process.env.WLTEST_MANAGER_USER;
const MANAGER_PASS = process.env.WLTEST_MANAGER_PASS;

// ---- a real PNG, without libraries ---------------------------------------------------------------

const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** A width x height RGB PNG whose pixels come from `paint(x, y) → [r, g, b]`. */
function png(width, height, paint) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) raw.set(paint(x, y), row + 1 + x * 3);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// A "screenshot": a window with a title bar and a red error banner.
const SCREENSHOT = png(960, 600, (x, y) => {
  if (y < 40) return [40, 48, 66];
  if (y > 120 && y < 190 && x > 80 && x < 880) return [214, 58, 58];
  if (y > 240 && y < 256 && x > 80 && x < 600) return [180, 188, 200];
  if (y > 280 && y < 296 && x > 80 && x < 720) return [180, 188, 200];
  return [246, 247, 250];
});
// A pasted image: a small chart.
const PASTED = png(480, 320, (x, y) => (y > 300 - ((x * 7) % 260) ? [15, 111, 103] : [236, 242, 241]));
const LOG = [
  "2026-12-07T10:00:00Z INFO  sync worker started",
  "2026-12-07T10:00:02Z ERROR webhook delivery failed: upstream answered 401 Unauthorized (E1042)",
  "2026-12-07T10:00:03Z WARN  retrying in 5s",
].join("\n");
const PDF = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");

async function signIn(page, path, user, pass) {
  await page.goto(`${BASE}${path}`);
  await page.fill("#login-username", user);
  await page.fill("#login-password", pass);
  await page.click("#login-submit");
}

/** Waits until `count` thumbnails in `scope` have loaded their picture. */
async function thumbnailsLoaded(page, scope, count) {
  await page.waitForFunction(
    ([sel, n]) => [...document.querySelectorAll(`${sel} [data-testid="attachment-thumbnail"]`)].filter((i) => i.complete && i.naturalWidth > 0).length >= n,
    [scope, count],
    { timeout: 15000 },
  );
}

/** Fails when the element leaves the viewport sideways or scrolls sideways. */
async function fits(page, selector) {
  const r = await page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    const b = el.getBoundingClientRect();
    return { left: b.left, right: b.right, vw: innerWidth, scroll: el.scrollWidth - el.clientWidth };
  }, selector);
  if (!r) throw new Error(`${selector} not found`);
  if (r.left < -1 || r.right > r.vw + 1 || r.scroll > 1) throw new Error(`${selector} does not fit: ${JSON.stringify(r)}`);
}

await run(async (browser) => {
  const agentCtx = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const agent = await agentCtx.newPage();
  await signIn(agent, "/agent", AGENT, AGENT_PASS);
  await agent.waitForSelector("#status-control:not([hidden])");

  const custCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const cust = await custCtx.newPage();
  await cust.goto(`${BASE}/chat`);
  await cust.fill("#intro-name", "Dana Whitfield");
  await cust.click("#intro-start");
  await cust.waitForSelector("#chat:not([hidden])");
  const send = async (text) => {
    await cust.fill("#composer-input", text);
    await cust.press("#composer-input", "Enter");
  };
  await send("Our webhook sync stopped working this morning, here is what I see.");
  await cust.waitForSelector('[data-testid="attach-button"]');

  // The paperclip's file input.
  await cust.setInputFiles('[data-testid="attach-input"]', { name: "screenshot.png", mimeType: "image/png", buffer: SCREENSHOT });
  await cust.waitForSelector('#messages .msg--own [data-testid="attachment-thumbnail"]', { timeout: 15000 });
  await thumbnailsLoaded(cust, "#messages", 1);
  step("customer attached a screenshot with the file picker");

  // A pasted image.
  await cust.click("#composer-input");
  await cust.evaluate((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], "image.png", { type: "image/png" }));
    document.querySelector("#composer-input").dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
  }, [...PASTED]);
  await thumbnailsLoaded(cust, "#messages", 2);
  const pastedName = await cust.$$eval('#messages [data-testid="attachment"] .attachment__name', (els) => els.map((e) => e.textContent));
  if (!pastedName.some((n) => /^pasted-.*\.png$/.test(n))) throw new Error(`pasted image name: ${pastedName}`);
  step("customer pasted an image", { names: pastedName });

  // A log dropped onto the conversation, as a file chip.
  const dropped = await cust.evaluateHandle((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], "sync.log", { type: "text/plain" }));
    return dt;
  }, LOG);
  await cust.dispatchEvent("#chat", "dragenter", { dataTransfer: dropped });
  if (!(await cust.$eval("#chat", (el) => el.classList.contains("is-dropping")))) throw new Error("no drop target shown while dragging");
  await cust.dispatchEvent("#chat", "drop", { dataTransfer: dropped });
  await cust.waitForSelector('#messages .attachment--text', { timeout: 15000 });
  step("customer dropped a log on the conversation");
  // A file the gateway refuses (HTML named like an image) is explained, and nothing is shown.
  await cust.setInputFiles('[data-testid="attach-input"]', { name: "photo.png", mimeType: "image/png", buffer: Buffer.from("<!DOCTYPE html><script>alert(1)</script>") });
  await cust.waitForFunction(() => /cannot be attached/.test(document.querySelector("#chat-error:not([hidden])")?.textContent ?? ""), null, { timeout: 15000 });
  step("a spoofed file is refused in words", { error: await cust.innerText("#chat-error") });

  await send("Nothing works. I want to talk to a person please.");
  await cust.waitForSelector("#wait-banner:not([hidden])", { timeout: 15000 });
  await shot(cust, "attachments-customer");
  await cust.setViewportSize({ width: 390, height: 844 });
  await cust.waitForTimeout(300);
  await fits(cust, "#messages");
  await fits(cust, "#composer");
  await shot(cust, "attachments-customer-mobile");
  await cust.setViewportSize({ width: 1440, height: 900 });

  // ---- the agent ------------------------------------------------------------------------------
  await agent.waitForSelector(".offer-card", { timeout: 20000 });
  await agent.click(".offer-card__accept");
  await agent.waitForSelector("#join-form:not([hidden])", { timeout: 15000 });
  await agent.waitForFunction(() => document.body.textContent.includes("sync.log:2:"), null, { timeout: 15000 });
  // Open the briefing's "Technical" section to show the line.
  const technical = agent.locator("details.brief-more", { hasText: "sync.log:2:" }).locator("visible=true").first();
  await technical.locator("summary").click();
  await agent.waitForFunction(() => [...document.querySelectorAll("details.brief-more[open] li")].some((li) => li.textContent.startsWith("sync.log:2:")));
  step("the briefing carries the log's error line");
  await shot(agent, "attachments-agent-briefing");
  await agent.click("#join-submit");
  await agent.waitForSelector("#join-form", { state: "hidden", timeout: 15000 });
  await agent.waitForSelector("#agent-composer:not([hidden])");
  await thumbnailsLoaded(agent, "#thread-messages", 2);
  await agent.waitForSelector("#thread-messages .attachment--text");
  step("agent sees the thumbnails and the log");

  const [download] = await Promise.all([
    agent.waitForEvent("download", { timeout: 15000 }),
    agent.click('#thread-messages .attachment--image [data-testid="attachment-download"] >> nth=0'),
  ]);
  const path = await download.path();
  const { readFile } = await import("node:fs/promises");
  const got = await readFile(path);
  if (download.suggestedFilename() !== "screenshot.png") throw new Error(`download name: ${download.suggestedFilename()}`);
  if (!got.equals(SCREENSHOT)) throw new Error(`downloaded ${got.length} bytes, sent ${SCREENSHOT.length}`);
  step("agent downloaded the customer's screenshot", { bytes: got.length });

  // The agent sends a PDF back.
  await agent.setInputFiles('#agent-composer [data-testid="attach-input"]', { name: "webhook-setup.pdf", mimeType: "application/pdf", buffer: PDF });
  await agent.waitForSelector("#thread-messages .msg--own .attachment--pdf", { timeout: 15000 });
  await cust.waitForSelector("#messages .msg--agent .attachment--pdf", { timeout: 15000 });
  step("customer sees the agent's PDF");
  await shot(agent, "attachments-agent");
  await shot(cust, "attachments-customer-pdf");
  await agent.setViewportSize({ width: 390, height: 844 });
  await agent.waitForTimeout(400);
  await agent.evaluate(() => {
    const s = document.querySelector("#thread-scroll");
    s.scrollTop = s.scrollHeight;
  });
  await agent.waitForTimeout(200);
  await fits(agent, "#thread-messages");
  await shot(agent, "attachments-agent-mobile");
  await agent.setViewportSize({ width: 1440, height: 900 });

  // The agent resolves; the manager's review shows the files in the conversation.
  await agent.waitForSelector("#resolve-toggle:not([hidden])", { timeout: 15000 });
  await agent.click("#resolve-toggle");
  await agent.fill("#resolve-note", "Webhook secret re-synced; sent the setup guide.");
  await agent.click("#resolve-submit");
  await cust.waitForSelector("[data-testid=survey]", { timeout: 15000 });
  await agentCtx.close();
  await custCtx.close();

  const mgrCtx = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const mgr = await mgrCtx.newPage();
  await signIn(mgr, "/review", MANAGER, MANAGER_PASS);
  await mgr.waitForSelector("#review:not([hidden])");
  const deadline = Date.now() + 30000;
  for (;;) {
    await mgr.click("#nav-handoffs");
    const row = await mgr.waitForSelector("tr[data-testid=handoff-row]", { timeout: 5000 }).catch(() => null);
    if (row) break;
    if (Date.now() > deadline) throw new Error("the handoff never reached the review list");
    await mgr.waitForTimeout(1000);
    await mgr.reload();
    await mgr.waitForSelector("#review:not([hidden])");
  }
  await mgr.click("tr[data-testid=handoff-row]");
  await mgr.waitForSelector('[data-testid="review-message"] [data-testid="attachment"]', { timeout: 15000 });
  await thumbnailsLoaded(mgr, '[data-testid="phase-ai"]', 2);
  await mgr.waitForSelector('[data-testid="review-message"] .attachment--pdf');
  await mgr.locator('[data-testid="review-message"] .attachment--text').first().scrollIntoViewIfNeeded();
  step("manager sees the files in the review");
  await shot(mgr, "attachments-review");
  await mgr.setViewportSize({ width: 390, height: 844 });
  await mgr.waitForTimeout(400);
  await mgr.locator('[data-testid="review-message"] .attachment--image').first().scrollIntoViewIfNeeded();
  await shot(mgr, "attachments-review-mobile");
  await mgrCtx.close();
});

// Shared by the browser tests: Debian's Chromium through playwright-core (never a downloaded
// browser), with fake camera and microphone, and small helpers. Each test script prints one JSON
// line per step and exits non-zero on failure; the Rust side runs it and checks both.
import { createRequire } from "node:module";
import path from "node:path";

const modules = process.env.WLTEST_BROWSER_MODULES;
if (!modules) {
  console.error("WLTEST_BROWSER_MODULES is not set (scripts/browser-deps.sh sets it)");
  process.exit(2);
}
const require = createRequire(path.join(modules, "noop.js"));
const { chromium } = require("playwright-core");

export const BASE = process.env.WLTEST_BASE;
export const SHOTS = process.env.WLTEST_SCREENSHOTS || "";

/** Launches headless Chromium with fake media devices; `wav` becomes the microphone. */
export async function launch({ wav } = {}) {
  const args = [
    "--no-sandbox",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
  ];
  if (wav) args.push(`--use-file-for-fake-audio-capture=${wav}`);
  return chromium.launch({ executablePath: process.env.WLTEST_CHROMIUM || "/usr/bin/chromium", headless: true, args });
}

export function step(name, detail = {}) {
  console.log(JSON.stringify({ step: name, ...detail }));
}

/** Polls the page's call stats until `check(stats)` is true. */
export async function until(page, label, check, timeout = 20000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await page.evaluate(async () => (window.__warmlineCall ? await window.__warmlineCall.stats() : null));
    if (last && check(last)) return last;
    await page.waitForTimeout(250);
  }
  throw new Error(`${label}: not reached in ${timeout} ms; last stats ${JSON.stringify(last)}`);
}

export async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** Runs `body` (with `WLTEST_MIC_WAV`, if set, as every page's microphone), turning any failure
 *  into a JSON line and exit code 1. */
export async function run(body) {
  let browser;
  try {
    browser = await launch({ wav: process.env.WLTEST_MIC_WAV });
    await body(browser);
    step("done", { ok: true });
    await browser.close();
    process.exit(0);
  } catch (e) {
    step("failed", { error: String(e?.stack || e) });
    if (browser) await browser.close().catch(() => {});
    process.exit(1);
  }
}

// How long the manager's review page takes to open in Debian's Chromium on a gateway holding the
// data `warmline bench review --keep` seeded (10,000 handoffs over 30 days). Signs in once, then
// loads each view N times from a fresh navigation and reports the median and worst time from
// navigation to the view drawn:
//   overview: headline figures and the per-day chart over all handoffs;
//   list:     the first page of handoff rows;
//   handoff:  one handoff's view with its timeline and figures.
// Usage: node scripts/bench/review-page.mjs BASE [runs]   (manager / bench-password)
import { createRequire } from "node:module";
import path from "node:path";
import os from "node:os";

const base = process.argv[2];
const runs = Number(process.argv[3] || 10);
const modules = process.env.WLTEST_BROWSER_MODULES;
if (!base || !modules) {
  console.error("usage: WLTEST_BROWSER_MODULES=<node_modules> node review-page.mjs BASE [runs]");
  process.exit(2);
}
const { chromium } = createRequire(path.join(modules, "noop.js"))("playwright-core");

const day = (d) => d.toISOString().slice(0, 10);
const to = new Date();
const from = new Date(Date.now() - 31 * 86_400_000);
const query = `from=${day(from)}&to=${day(to)}`;

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
await page.goto(`${base}/review`);
await page.fill("#login-username", "manager");
await page.fill("#login-password", "bench-password");
await page.click("#login-submit");
await page.waitForSelector("[data-testid=figure-handoffs-value]");

async function time(url, ready) {
  const ms = [];
  for (let i = 0; i < runs + 1; i++) {
    await page.goto("about:blank");
    const started = performance.now();
    await page.goto(url);
    await page.waitForFunction(ready, null, { timeout: 30000 });
    if (i > 0) ms.push(performance.now() - started); // the first load warms Chromium's cache
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1] };
}

const overview = await time(`${base}/review#/overview?${query}`, () => {
  const n = document.querySelector("[data-testid=figure-handoffs-value]")?.textContent ?? "";
  return /10[,.\u202f]?000/.test(n) && document.querySelector("#chart-daily svg");
});
const list = await time(`${base}/review#/handoffs?${query}`, () =>
  document.querySelectorAll("tr[data-testid=handoff-row]").length >= 50);
const first = await page.getAttribute("tr[data-testid=handoff-row]", "data-conversation-id");
const handoff = await time(`${base}/review#/handoff/${first}?${query}`, () =>
  document.querySelector("[data-testid=metric-queue-wait]") && document.querySelector("[data-testid=timeline-step]"));
console.log(JSON.stringify({ machine: `${os.cpus().length} cores`, runs, overview, list, handoff }));
await browser.close();

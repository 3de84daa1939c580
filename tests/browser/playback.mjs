// Plays recordings in Chromium: each file is fetched with the manager's token, played to the end
// (at 4x) in an <audio> or <video> element, and reported with its duration and, for video, the
// frames Chromium decoded.
import { BASE, run, step } from "./lib.mjs";

const TOKEN = process.env.WLTEST_TOKEN;
const FILES = JSON.parse(process.env.WLTEST_RECORDINGS || "[]");

await run(async (browser) => {
  const page = await browser.newPage();
  await page.goto(`${BASE}/`);
  for (const f of FILES) {
    const result = await page.evaluate(
      async ({ url, mime, token }) => {
        const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
        const blob = await res.blob();
        const el = document.createElement(mime.startsWith("video") ? "video" : "audio");
        el.muted = true;
        el.src = URL.createObjectURL(blob);
        document.body.append(el);
        const error = () => (el.error ? `${el.error.code} ${el.error.message}` : null);
        await new Promise((ok, fail) => {
          el.onloadedmetadata = ok;
          el.onerror = () => fail(new Error(`cannot load ${url}: ${error()}`));
        });
        el.playbackRate = 4;
        await el.play();
        const ended = await new Promise((ok) => {
          el.onended = () => ok(true);
          setTimeout(() => ok(false), 20000);
        });
        const q = el.getVideoPlaybackQuality ? el.getVideoPlaybackQuality() : null;
        return {
          url,
          type: res.headers.get("content-type"),
          ended,
          duration: el.duration,
          currentTime: el.currentTime,
          frames: q ? q.totalVideoFrames : null,
          width: el.videoWidth || null,
          error: error(),
        };
      },
      { url: f.url, mime: f.mime, token: TOKEN },
    );
    step("played", result);
  }
});

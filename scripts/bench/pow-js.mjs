// The creation challenge's cost, measured: the customer page's own solver (web/proof-of-work.js,
// plain JavaScript) against native SHA-256 (`openssl speed` on 70-byte inputs, the size of
// `token:n`: what an attacker's native code gets per core), on the same machine in the same run. Prints attempts per second for both, their
// ratio, and the expected solving time at 18, 20 and 22 bits (2^bits attempts on average).
//
//   node scripts/bench/pow-js.mjs [seconds per side, default 5]
import { execFileSync } from "node:child_process";
import { solveChallenge } from "../../web/proof-of-work.js";

const seconds = Number(process.argv[2] ?? 5);

// The page's solver on 16-bit challenges (about 65,000 attempts each); every solution is the
// number of attempts it took, minus one, so the count is exact.
async function pageRate() {
  let attempts = 0;
  let solved = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    const token = `${"T".repeat(55)}${String(solved).padStart(8, "0")}`; // 63 characters, like the gateway's
    attempts += Number(await solveChallenge({ token, bits: 16 })) + 1;
    solved += 1;
  }
  return attempts / ((performance.now() - started) / 1000);
}

function nativeRate() {
  const out = execFileSync("openssl", ["speed", "-seconds", String(seconds), "-bytes", "70", "-evp", "sha256"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const line = out.split("\n").find((l) => /^sha256\s/i.test(l.trim()));
  const kBytes = Number(line?.trim().split(/\s+/).pop()?.replace(/k$/, ""));
  if (!Number.isFinite(kBytes)) throw new Error(`cannot read openssl speed's output:\n${out}`);
  return (kBytes * 1000) / 70;
}

const page = await pageRate();
const native = nativeRate();
const mega = (r) => `${(r / 1e6).toFixed(2)} M/s`;
console.log(`page solver (JavaScript): ${mega(page)}`);
console.log(`native SHA-256 (openssl):  ${mega(native)}   ratio native/page ${(native / page).toFixed(1)}x`);
for (const bits of [18, 20, 22]) {
  const n = 2 ** bits;
  console.log(`${bits} bits: page ${(n / page).toFixed(2)} s, native ${(n / native).toFixed(3)} s on average`);
}

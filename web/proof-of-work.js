// Proof of work for starting a conversation while the gateway is under pressure. The gateway
// answers `428 challenge_required` with `{token, bits}`; the answer is a decimal counter `n` such
// that SHA-256(`token:n`) starts with `bits` zero bits, sent back as
// `Warmline-Challenge: token:n`. Whole 64-byte blocks of `token:` are hashed once; each attempt
// hashes only the tail. Work runs in slices so the page keeps responding.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const SLICE = 20_000;

// One SHA-256 compression of the 64 bytes at `bytes[at..]` into `state` (8 words, updated).
function compress(state, bytes, at, w) {
  for (let i = 0; i < 16; i++) {
    const j = at + i * 4;
    w[i] = (bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3];
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15];
    const y = w[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let [a, b, c, d, e, f, g, h] = state;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
  state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0;
  state[7] = (state[7] + h) | 0;
}

// Zero bits at the start of the first word (enough: the gateway asks for at most 32).
function meets(word, bits) {
  return bits >= 32 ? word === 0 : (word >>> (32 - bits)) === 0;
}

/// Finds the answer to `{token, bits}`; rejects with an AbortError when `signal` aborts.
export async function solveChallenge({ token, bits }, { signal } = {}) {
  const prefix = new TextEncoder().encode(`${token}:`);
  const whole = prefix.length - (prefix.length % 64);
  const w = new Int32Array(64);
  const mid = Int32Array.from(IV);
  for (let at = 0; at < whole; at += 64) compress(mid, prefix, at, w);
  const rest = prefix.subarray(whole);
  const tail = new Uint8Array(128);
  tail.set(rest);
  const state = new Int32Array(8);
  let n = 0;
  for (;;) {
    if (signal?.aborted) throw new DOMException("aborted", "AbortError");
    for (const end = n + SLICE; n < end; n++) {
      const digits = String(n);
      let len = rest.length;
      for (let i = 0; i < digits.length; i++) tail[len++] = digits.charCodeAt(i);
      tail[len] = 0x80;
      const blocks = len + 9 <= 64 ? 1 : 2;
      tail.fill(0, len + 1, blocks * 64);
      const bitLength = (prefix.length + digits.length) * 8;
      const last = blocks * 64;
      tail[last - 4] = bitLength >>> 24;
      tail[last - 3] = bitLength >>> 16;
      tail[last - 2] = bitLength >>> 8;
      tail[last - 1] = bitLength;
      state.set(mid);
      compress(state, tail, 0, w);
      if (blocks === 2) compress(state, tail, 64, w);
      if (meets(state[0] >>> 0, bits)) return digits;
    }
    // Let the page paint and respond between slices.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/**
 * HMAC-SHA256 of short identifiers with the key's pads hashed once (RFC 2104 / FIPS 180-4).
 * A 64 KB transfer carries about a thousand identifiers and `createHmac` costs ~2 µs a call
 * (a native object per identifier, the key's two pad blocks compressed every time); with the
 * pads' midstates kept, an identifier of up to 55 bytes is two compressions in plain JS, about
 * half that, and allocates nothing but its hex string. The output is byte for byte
 * `createHmac('sha256', key).update(identifier).digest('hex')` — the counters' stored hashes
 * depend on it, and a property test holds it to that. Longer or non-ASCII identifiers, rare,
 * take `createHmac` itself.
 */
import { createHash, createHmac } from 'node:crypto';

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const initial = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
// Room for the identifier, the 0x80 terminator and the 64-bit length in one block.
const maxFastLength = 55;

/** One SHA-256 block (`w[0..15]`, big-endian words) compressed from `from` into `to`. */
function compress(w: Int32Array, from: Int32Array, to: Int32Array): void {
  for (let t = 16; t < 64; t++) {
    const a = w[t - 15]!;
    const b = w[t - 2]!;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
  }
  let a = from[0]!, b = from[1]!, c = from[2]!, d = from[3]!, e = from[4]!, f = from[5]!, g = from[6]!, h = from[7]!;
  for (let t = 0; t < 64; t++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[t]! + w[t]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  to[0] = (from[0]! + a) | 0;
  to[1] = (from[1]! + b) | 0;
  to[2] = (from[2]! + c) | 0;
  to[3] = (from[3]! + d) | 0;
  to[4] = (from[4]! + e) | 0;
  to[5] = (from[5]! + f) | 0;
  to[6] = (from[6]! + g) | 0;
  to[7] = (from[7]! + h) | 0;
}

export type SubjectHmac = (identifier: string) => string;

/** `createHmac('sha256', secret).update(identifier).digest('hex')`, with the pads hashed once. */
export function subjectHmac(secret: Buffer): SubjectHmac {
  // Keys longer than a block are hashed first (RFC 2104); ours are 16–64 bytes, but stay exact.
  const key = secret.length > 64 ? createHash('sha256').update(secret).digest() : secret;
  const w = new Int32Array(64);
  const padState = (pad: number): Int32Array => {
    for (let i = 0; i < 16; i++) {
      let word = 0;
      for (let j = 0; j < 4; j++) word = (word << 8) | ((key[i * 4 + j] ?? 0) ^ pad);
      w[i] = word;
    }
    const state = new Int32Array(8);
    compress(w, initial, state);
    return state;
  };
  const inner = padState(0x36);
  const outer = padState(0x5c);
  const innerDigest = new Int32Array(8);
  const digest = new Int32Array(8);
  const out = Buffer.alloc(32);

  return function hmacIdentifier(identifier) {
    const n = identifier.length;
    if (n > maxFastLength) return createHmac('sha256', secret).update(identifier).digest('hex');
    w.fill(0, 0, 16);
    for (let i = 0; i < n; i++) {
      const c = identifier.charCodeAt(i);
      // A non-ASCII character is more than one UTF-8 byte: the general path encodes it.
      if (c > 0x7f) return createHmac('sha256', secret).update(identifier).digest('hex');
      w[i >> 2]! |= c << (24 - 8 * (i & 3));
    }
    w[n >> 2]! |= 0x80 << (24 - 8 * (n & 3));
    w[15] = (64 + n) * 8;
    compress(w, inner, innerDigest);
    for (let i = 0; i < 8; i++) w[i] = innerDigest[i]!;
    w[8] = 0x80000000;
    w.fill(0, 9, 15);
    w[15] = (64 + 32) * 8;
    compress(w, outer, digest);
    // One flat string made natively: a `+=` of 32 pieces leaves a rope that every later use
    // (a Map key, postMessage, a SQL parameter) flattens again, and that the GC has to chase.
    for (let i = 0; i < 8; i++) out.writeInt32BE(digest[i]!, i * 4);
    return out.toString('hex');
  };
}

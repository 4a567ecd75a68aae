/**
 * RFC 6962 / RFC 9162 §2.1 Merkle tree hashing and proofs. Generation is expressed as the list
 * of leaf ranges whose subtree hashes form the proof, so a store can answer from cached subtree
 * hashes without loading the whole tree; verification is the RFC's iterative algorithm.
 */
import { createHash, hash as digestOnce } from 'node:crypto';
import { canonicalRecord } from './canonical-record.ts';

export type Hash = Buffer;
/** A half-open leaf range [start, end) whose Merkle tree hash is one proof element. */
export type LeafRange = readonly [start: number, end: number];

const leafPrefix = Buffer.from([0x00]);
const nodePrefix = Buffer.from([0x01]);

/** MTH({}) = SHA-256() (RFC 9162 §2.1.1). */
export const emptyTreeHash: Hash = createHash('sha256').digest();

export function leafHash(entry: Uint8Array): Hash {
  return createHash('sha256').update(leafPrefix).update(entry).digest();
}

// One buffer for every interior node: 0x01 ‖ left ‖ right, hashed in one call (digestOnce copies it).
const nodeInput = Buffer.alloc(65, 1);

export function nodeHash(left: Uint8Array, right: Uint8Array): Hash {
  if (left.length !== 32 || right.length !== 32) return createHash('sha256').update(nodePrefix).update(left).update(right).digest();
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return digestOnce('sha256', nodeInput, 'buffer');
}

/** SHA-256(0x00 ‖ UTF-8 of `text`) in one call (half the cost of a Hash object per leaf). */
export function textLeafHash(text: string): Hash {
  return digestOnce('sha256', `\u0000${text}`, 'buffer');
}

/** The leaf of an audit record: SHA-256(0x00 ‖ RFC 8785 canonical JSON). */
export function recordLeafHash(record: unknown): Hash {
  return textLeafHash(canonicalRecord(record));
}

/** The largest power of two strictly smaller than n (n > 1). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH of already-hashed leaves (RFC 9162 §2.1.1), iteratively. */
export function rootOf(leaves: readonly Hash[]): Hash {
  if (leaves.length === 0) return emptyTreeHash;
  const frontier = new Frontier();
  for (const leaf of leaves) frontier.push(leaf);
  return frontier.root();
}

/**
 * The right edge of a growing tree: one hash per complete subtree, so append and root are
 * O(log n) and memory is O(log n) whatever the size of the log.
 */
export class Frontier {
  /** stack[i] covers `sizes[i]` leaves; sizes strictly decrease powers of two. */
  private readonly stack: Hash[] = [];
  private readonly sizes: number[] = [];
  size = 0;

  push(leaf: Hash): void {
    let hash = leaf;
    let width = 1;
    while (this.sizes.length > 0 && this.sizes[this.sizes.length - 1] === width) {
      this.sizes.pop();
      hash = nodeHash(this.stack.pop()!, hash);
      width *= 2;
    }
    this.stack.push(hash);
    this.sizes.push(width);
    this.size += 1;
  }

  root(): Hash {
    if (this.stack.length === 0) return emptyTreeHash;
    let hash = this.stack[this.stack.length - 1]!;
    for (let i = this.stack.length - 2; i >= 0; i--) hash = nodeHash(this.stack[i]!, hash);
    return hash;
  }

  clone(): Frontier {
    const copy = new Frontier();
    copy.stack.push(...this.stack);
    copy.sizes.push(...this.sizes);
    copy.size = this.size;
    return copy;
  }
}

/** PATH(m, D[start:end]) of RFC 9162 §2.1.3.1 as ranges, leaf side first. */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  if (index < 0 || index >= size) throw new RangeError(`leaf ${index} is outside a tree of size ${size}`);
  const ranges: LeafRange[] = [];
  const walk = (m: number, start: number, end: number): void => {
    const n = end - start;
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, start, start + k);
      ranges.push([start + k, end]);
    } else {
      walk(m - k, start + k, end);
      ranges.push([start, start + k]);
    }
  };
  walk(index, 0, size);
  return ranges;
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 §2.1.4.1 as ranges. */
export function consistencyRanges(first: number, second: number): LeafRange[] {
  if (first < 0 || first > second) throw new RangeError(`no consistency proof from size ${first} to ${second}`);
  if (first === 0 || first === second) return [];
  const ranges: LeafRange[] = [];
  const subproof = (m: number, start: number, end: number, whole: boolean): void => {
    const n = end - start;
    if (m === n) {
      if (!whole) ranges.push([start, end]);
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      subproof(m, start, start + k, whole);
      ranges.push([start + k, end]);
    } else {
      subproof(m - k, start + k, end, false);
      ranges.push([start, start + k]);
    }
  };
  subproof(first, 0, second, true);
  return ranges;
}

const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

/** RFC 9162 §2.1.3.2: does `path` prove `leaf` is entry `index` of the tree with `root` and `size`? */
export function verifyInclusion(leaf: Uint8Array, index: number, size: number, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && Buffer.from(r).equals(Buffer.from(root));
}

/** RFC 9162 §2.1.4.2: is the tree (first, firstRoot) a prefix of (second, secondRoot)? */
export function verifyConsistency(
  first: number,
  second: number,
  path: readonly Uint8Array[],
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
): boolean {
  const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) return false;
  if (first === second) return path.length === 0 && same(firstRoot, secondRoot);
  if (first === 0) return path.length === 0 && same(firstRoot, emptyTreeHash);
  if (path.length === 0) return false;
  // A first tree of 2^k leaves is itself a subtree of the second: its root starts the path.
  const proof = isPowerOfTwo(first) ? [firstRoot, ...path] : [...path];
  let fn = first - 1;
  let sn = second - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Uint8Array = proof[0]!;
  let sr: Uint8Array = proof[0]!;
  for (const c of proof.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return same(fr, firstRoot) && same(sr, secondRoot) && sn === 0;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** Root of D[start:end] computed naively from leaf hashes (tests, and small ranges in stores). */
export function rangeRoot(leaves: readonly Hash[], start: number, end: number): Hash {
  return rootOf(leaves.slice(start, end));
}

export const toHex = (hash: Uint8Array): string => Buffer.from(hash).toString('hex');
export const fromHex = (hex: string): Hash => Buffer.from(hex, 'hex');

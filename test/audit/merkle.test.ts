import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyRanges,
  emptyTreeHash,
  inclusionRanges,
  leafHash,
  nodeHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from '../../src/audit/index.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Buffer => Buffer.from(s, 'hex');

// Certificate Transparency reference vectors (RFC 6962; transparency-dev/merkle testonly).
const ctEntries = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(unhex);
const ctRoots = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const ctLeaves = ctEntries.map((entry) => leafHash(entry));

/** MTH straight from the RFC 9162 §2.1.1 definition: the oracle the fast code is checked against. */
function naiveRoot(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return emptyTreeHash;
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(naiveRoot(leaves.slice(0, k)), naiveRoot(leaves.slice(k)));
}
const pathOf = (leaves: Buffer[], ranges: readonly (readonly [number, number])[]): Buffer[] => ranges.map(([s, e]) => naiveRoot(leaves.slice(s, e)));
const leavesOf = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => leafHash(Buffer.from([i & 0xff, i >> 8])));

describe('RFC 6962 Merkle tree hashing', () => {
  it('hashes the empty tree to SHA-256 of nothing', () => {
    expect(hex(emptyTreeHash)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(rootOf([]))).toBe(hex(emptyTreeHash));
  });

  it('gives the Certificate Transparency reference root for every size 1..8', () => {
    for (let n = 1; n <= 8; n++) expect(hex(rootOf(ctLeaves.slice(0, n))), `size ${n}`).toBe(ctRoots[n - 1]);
  });

  it('gives the reference inclusion proofs of leaves 0 and 5 in the tree of 8', () => {
    expect(pathOf(ctLeaves, inclusionRanges(0, 8)).map(hex)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(pathOf(ctLeaves, inclusionRanges(5, 8)).map(hex)).toEqual([
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
  });

  it('gives the reference consistency proofs 2→8, 6→8 and 2→5', () => {
    expect(pathOf(ctLeaves, consistencyRanges(2, 8)).map(hex)).toEqual([
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(pathOf(ctLeaves, consistencyRanges(6, 8)).map(hex)).toEqual([
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    expect(pathOf(ctLeaves.slice(0, 5), consistencyRanges(2, 5)).map(hex)).toEqual([
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ]);
  });
});

describe('inclusion and consistency proofs for every tree size up to 64', () => {
  const leaves = leavesOf(64);

  it('proves every leaf of every tree and rejects a wrong leaf, index, path or root', () => {
    for (let n = 1; n <= 64; n++) {
      const tree = leaves.slice(0, n);
      const root = naiveRoot(tree);
      expect(hex(rootOf(tree))).toBe(hex(root));
      for (let i = 0; i < n; i++) {
        const path = pathOf(tree, inclusionRanges(i, n));
        expect(verifyInclusion(tree[i]!, i, n, path, root), `leaf ${i} of ${n}`).toBe(true);
        expect(verifyInclusion(leafHash(Buffer.from('forged')), i, n, path, root)).toBe(false);
        if (n > 1) expect(verifyInclusion(tree[i]!, (i + 1) % n, n, path, root)).toBe(false);
        // (A size with the same shape of path can verify too: the signed checkpoint binds the size.)
        expect(verifyInclusion(tree[i]!, i, n, path.slice(1), root)).toBe(n === 1);
        expect(verifyInclusion(tree[i]!, i, n, path, nodeHash(root, root))).toBe(false);
      }
    }
  });

  it('proves every prefix of every tree consistent and rejects a wrong root', () => {
    for (let n = 1; n <= 64; n++) {
      const second = naiveRoot(leaves.slice(0, n));
      for (let m = 0; m <= n; m++) {
        const first = naiveRoot(leaves.slice(0, m));
        const path = pathOf(leaves.slice(0, n), consistencyRanges(m, n));
        expect(verifyConsistency(m, n, path, first, second), `${m}→${n}`).toBe(true);
        if (m > 0 && m < n) {
          expect(verifyConsistency(m, n, path, leafHash(Buffer.from('x')), second)).toBe(false);
          expect(verifyConsistency(m, n, path, first, leafHash(Buffer.from('x')))).toBe(false);
        }
      }
    }
  });
});

describe('properties', () => {
  it('a tampered audit path never verifies', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 300 }), fc.nat(), fc.nat(), (n, seed, which) => {
        const tree = leavesOf(n);
        const i = seed % n;
        const path = pathOf(tree, inclusionRanges(i, n));
        const j = which % path.length;
        const bad = path.map((p, k) => (k === j ? Buffer.from(p.map((byte, b) => (b === 0 ? byte ^ 1 : byte))) : p));
        return !verifyInclusion(tree[i]!, i, n, bad, naiveRoot(tree));
      }),
      { numRuns: 100 },
    );
  });

  it('a tree whose prefix was changed is never proven consistent with the old one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 }), fc.nat(), (m, extra, at) => {
        const n = m + extra;
        const honest = leavesOf(n);
        const rewritten = [...honest];
        rewritten[at % m] = leafHash(Buffer.from('rewritten'));
        const path = pathOf(rewritten, consistencyRanges(m, n));
        return !verifyConsistency(m, n, path, naiveRoot(honest.slice(0, m)), naiveRoot(rewritten));
      }),
      { numRuns: 100 },
    );
  });
});

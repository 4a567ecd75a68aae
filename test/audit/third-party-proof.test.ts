/**
 * `xborder audit proof` is for a third party who trusts none of xborder's code: the checks here
 * are written from RFC 8785, RFC 6962 §2.1.1 and the published JWKS alone, with node:crypto and
 * jose, and share nothing with src/audit (its canonical encoder, Merkle code or verifier).
 */
import { createHash } from 'node:crypto';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { describe, expect, it } from 'vitest';
import { decisionRecord, postgresAvailable, postgresBackend, runCli, sqliteBackend, storesPerTest, zoneOf, type Backend } from './helpers.ts';

const backends: Backend[] = [sqliteBackend()];
if (await postgresAvailable()) backends.push(postgresBackend('third_party'));

/** RFC 8785 JSON Canonicalization: ES number and string serialisation, members sorted by UTF-16 code units. */
function jcs(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('RFC 8785 has no encoding for a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(jcs).join(',')}]`;
  if (typeof value === 'object') {
    const members = Object.entries(value as Record<string, unknown>).filter(([, member]) => member !== undefined);
    members.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${members.map(([name, member]) => `${JSON.stringify(name)}:${jcs(member)}`).join(',')}}`;
  }
  throw new Error(`no JSON encoding for ${typeof value}`);
}

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part);
  return digest.digest();
};
/** RFC 6962 §2.1: leaf = SHA-256(0x00 ‖ entry), node = SHA-256(0x01 ‖ left ‖ right). */
const leafOf = (entry: string): Buffer => sha256(Buffer.from([0]), Buffer.from(entry, 'utf8'));
const nodeOf = (left: Buffer, right: Buffer): Buffer => sha256(Buffer.from([1]), left, right);

/**
 * The root that an audit path gives, by the recursive definition of PATH(m, D[n]) in RFC 6962
 * §2.1.1 (the last path element is the sibling at the top), not by RFC 9162's iterative loop.
 */
function rootFromPath(leaf: Buffer, m: number, n: number, path: readonly Buffer[]): Buffer {
  if (n === 1) {
    if (path.length !== 0) throw new Error('path longer than the tree is deep');
    return leaf;
  }
  if (path.length === 0) throw new Error('path shorter than the tree is deep');
  let k = 1;
  while (k * 2 < n) k *= 2;
  const sibling = path[path.length - 1]!;
  const below = path.slice(0, -1);
  return m < k ? nodeOf(rootFromPath(leaf, m, k, below), sibling) : nodeOf(sibling, rootFromPath(leaf, m - k, n - k, below));
}

interface ProofOutput {
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  auditPath: string[];
  root: string;
  node: string;
  record: Record<string, unknown>;
  checkpoint: { jws: string };
}

describe.each(backends)('audit proof checked by an independent RFC 6962 implementation on $name', (backend) => {
  const open = storesPerTest(backend);

  it('proves records at every position of a tree of 37 against the signed checkpoint, and a changed record fails', async () => {
    const store = await open({ checkpointEvery: 16 });
    const ids: string[] = [];
    for (let i = 0; i < 37; i++) {
      // A fractional latency and non-ASCII text exercise RFC 8785's number and string rules.
      const record = decisionRecord({ zone: zoneOf(i), reasons: { zh: `豁免 ${i}`, en: 'exempt "Art. 5(4)"' }, bytes: 1000 + i });
      ids.push(record.decisionId);
      await store.append(record);
      await store.append({ kind: 'outcome', decisionId: record.decisionId, at: record.at, status: 200, error: null, latencyMs: 12.25 + i / 3, bytesReturned: 64 });
    }
    // What /audit/keys serves: the regulator's copy of the public keys.
    const jwks = createLocalJWKSet((await store.jwks()) as JSONWebKeySet);
    await store.close();

    for (const i of [0, 1, 7, 15, 16, 31, 32, 36]) {
      const result = await runCli('audit proof', [...backend.flags(), '--id', ids[i]!]);
      expect(result.code).toBe(0);
      const proof = JSON.parse(result.stdout) as ProofOutput;
      // The checkpoint is signed by the node's published key, and states this tree.
      const { payload } = await compactVerify(proof.checkpoint.jws, jwks);
      const signed = JSON.parse(new TextDecoder().decode(payload)) as { origin: string; size: number; root: string };
      expect(signed).toMatchObject({ origin: proof.node, size: proof.treeSize, root: proof.root });
      expect(proof.treeSize).toBe(74);
      // The leaf is the record's RFC 8785 encoding, and its path leads to the signed root.
      const leaf = leafOf(jcs(proof.record));
      expect(leaf.toString('hex'), `record ${i}`).toBe(proof.leafHash);
      expect(proof.leafIndex).toBe(2 * i);
      const path = proof.auditPath.map((hash) => Buffer.from(hash, 'hex'));
      expect(rootFromPath(leaf, proof.leafIndex, proof.treeSize, path).toString('hex'), `record ${i}`).toBe(signed.root);
      // A record changed after the fact does not lead to the signed root.
      const changed = leafOf(jcs({ ...proof.record, decision: 'deny' }));
      expect(rootFromPath(changed, proof.leafIndex, proof.treeSize, path).toString('hex')).not.toBe(signed.root);
    }
  });
});

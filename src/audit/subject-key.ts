/**
 * The subject key: the HMAC secret that turns identifiers into counter keys (CLARIFICATIONS 8).
 * One per deployment. Losing it makes every person of this year look new again, so the
 * embedded default creates it once and the caller tells the operator to back it up.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SubjectClass } from '../domain.ts';
import type { SubjectEvidence } from '../detect/types.ts';
import { XborderError } from '../errors.ts';
import { subjectHmac, type SubjectHmac } from './subject-hmac.ts';
import type { PersonIdentifiers } from './types.ts';

export interface SubjectKey {
  readonly secret: Buffer;
  /** HMAC of a fixed label: the store keeps it so a node with another key refuses to start. */
  readonly fingerprint: string;
  /** True when this call created `dataDir/subject.key` — tell the operator to back it up. */
  readonly created: boolean;
  readonly source: 'env' | 'file' | 'created';
}

/** One person of a transfer as the counters see it: every identifier's hash (CLARIFICATIONS 1). */
export interface SubjectHashes {
  hashes: string[];
  sensitive: boolean;
}

export interface HashedSubjects {
  subjects: SubjectHashes[];
  /** People with personal information but no identifier: counted, never de-duplicated. */
  unkeyed: Record<SubjectClass, number>;
}

const fingerprintLabel = 'xborder subject key fingerprint v1';
// Below 128 bits an HMAC key could be brute-forced against the small space of resident IDs.
const minimumKeyBytes = 16;

export function subjectKeyFrom(secret: Buffer, source: SubjectKey['source'], created = false): SubjectKey {
  if (secret.length < minimumKeyBytes) {
    throw new XborderError('XB_ERR_CONFIG_INVALID', `xborder: the subject key must be at least ${minimumKeyBytes} bytes`);
  }
  const fingerprint = createHmac('sha256', secret).update(fingerprintLabel).digest('hex');
  return { secret, fingerprint, created, source };
}

function decodeKey(text: string): Buffer {
  const trimmed = text.trim();
  return /^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length % 2 === 0
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
}

export async function loadSubjectKey({ dataDir, env }: { dataDir: string; env: NodeJS.ProcessEnv }): Promise<SubjectKey> {
  const inline = env.XBORDER_SUBJECT_KEY;
  if (inline) return subjectKeyFrom(decodeKey(inline), 'env');
  const file = env.XBORDER_SUBJECT_KEY_FILE;
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new XborderError('XB_ERR_CONFIG_INVALID', `xborder: cannot read XBORDER_SUBJECT_KEY_FILE ${file}`, { cause });
    }
    return subjectKeyFrom(decodeKey(text), 'file');
  }
  const path = join(dataDir, 'subject.key');
  try {
    return subjectKeyFrom(decodeKey(await readFile(path, 'utf8')), 'file');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(32);
  try {
    // 'wx': two nodes starting at once must not each create a different key.
    await writeFile(path, `${secret.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return subjectKeyFrom(decodeKey(await readFile(path, 'utf8')), 'file');
    throw error;
  }
  return subjectKeyFrom(secret, 'created', true);
}

// A sender's recurring customers come back transfer after transfer: the hashes of recently seen
// identifiers are kept, so a known identifier costs a map lookup instead of two SHA-256 blocks
// (569 people of a 64 KB body: 1,138 HMACs, 40% of the writer thread). A hash is a pure function
// of the key and the identifier, so a kept one is always the right one. Two generations of at
// most 100,000 each (≈20 MB together): when the young one is full it becomes the old one, and an
// identifier found only in the old one moves back to the young — what recurs stays, what does
// not is forgotten, and the identifiers held in memory are only recent ones. (An LRU list costs
// as much per lookup as the two plain maps; this runs 1,138 times a 64 KB transfer.)
const generationSize = 100_000;

class RecentHashes {
  private young = new Map<string, string>();
  private old = new Map<string, string>();

  get(identifier: string): string | undefined {
    const hash = this.young.get(identifier);
    if (hash !== undefined) return hash;
    const kept = this.old.get(identifier);
    if (kept !== undefined) this.set(identifier, kept);
    return kept;
  }

  set(identifier: string, hash: string): void {
    if (this.young.size >= generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(identifier, hash);
  }
}

interface KeyedHmac {
  hmac: SubjectHmac;
  recent: RecentHashes;
}

// The pads' midstates are computed once per key, not per identifier.
const hmacs = new WeakMap<SubjectKey, KeyedHmac>();

function hmacOf(key: SubjectKey): KeyedHmac {
  let keyed = hmacs.get(key);
  if (!keyed) {
    keyed = { hmac: subjectHmac(key.secret), recent: new RecentHashes() };
    hmacs.set(key, keyed);
  }
  return keyed;
}

/**
 * Hashes every identifier of every person once (CLARIFICATIONS 19: de-duplicate before hashing).
 * People sharing an identifier are one person: their identifiers are merged, so each hash
 * belongs to exactly one subject of the transfer.
 */
export function hashSubjects(key: SubjectKey, evidence: readonly SubjectEvidence[] | readonly PersonIdentifiers[]): HashedSubjects {
  const unkeyed: Record<SubjectClass, number> = { nonSensitive: 0, sensitive: 0 };
  const owner = new Map<string, number>();
  const parent: number[] = [];
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const keyed: PersonIdentifiers[] = [];
  let merged = false;
  for (const subject of evidence) {
    if (subject.identifiers.length === 0) {
      unkeyed.nonSensitive += 1;
      if (subject.sensitive) unkeyed.sensitive += 1;
      continue;
    }
    const index = keyed.length;
    keyed.push(subject);
    parent.push(index);
    for (const identifier of subject.identifiers) {
      const seen = owner.get(identifier);
      if (seen === undefined) owner.set(identifier, index);
      else {
        parent[find(index)] = find(seen);
        merged = true;
      }
    }
  }
  const { hmac, recent } = hmacOf(key);
  const hashOf = (identifier: string): string => {
    let hash = recent.get(identifier);
    if (hash === undefined) {
      hash = hmac(identifier);
      recent.set(identifier, hash);
    }
    return hash;
  };
  // detect already merges the people who share an identifier: usually every identifier is its
  // person's own, and each person is a subject with its identifiers in their order.
  if (!merged) return { subjects: keyed.map((person) => ({ hashes: person.identifiers.map(hashOf), sensitive: person.sensitive })), unkeyed };
  const groups = new Map<number, SubjectHashes>();
  for (let i = 0; i < keyed.length; i++) {
    const root = find(i);
    const group = groups.get(root) ?? { hashes: [], sensitive: false };
    group.sensitive ||= keyed[i]!.sensitive;
    groups.set(root, group);
  }
  for (const [identifier, index] of owner) groups.get(find(index))!.hashes.push(hashOf(identifier));
  return { subjects: [...groups.values()], unkeyed };
}

/**
 * Signed checkpoints: a node's statement "my log had `size` records with this `root` at `time`",
 * as a compact JWS (EdDSA / Ed25519). The private key lives in a 0600 file under dataDir —
 * never in the database, which a regulator's export copies whole.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, CompactSign, compactVerify, type JWK } from 'jose';
import { z } from 'zod';
import { canonicalJson } from '../shared/canonical-json.ts';

export interface CheckpointClaims {
  origin: string;
  size: number;
  root: string;
  time: string;
}

export interface SignedCheckpoint extends CheckpointClaims {
  kid: string;
  jws: string;
}

export interface PublicKeyEntry {
  kid: string;
  node: string;
  jwk: JWK;
  createdAt: string;
}

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JWK;
}

const claimsSchema = z.object({
  origin: z.string(),
  size: z.number().int().nonnegative(),
  root: z.string().regex(/^[0-9a-f]{64}$/),
  time: z.string(),
});

export const signedCheckpointSchema = claimsSchema.extend({ kid: z.string(), jws: z.string() });

export async function loadSigningKey(dataDir: string, nodeId: string): Promise<SigningKey & { created: boolean }> {
  const path = join(dataDir, `signing-key-${nodeId}.jwk`);
  let created = false;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: JSON.parse(await readFile(path, 'utf8')) as JsonWebKey, format: 'jwk' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dataDir, { recursive: true });
    const pair = generateKeyPairSync('ed25519');
    try {
      await writeFile(path, JSON.stringify(pair.privateKey.export({ format: 'jwk' })), { mode: 0o600, flag: 'wx' });
      privateKey = pair.privateKey;
      created = true;
    } catch (raced) {
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
      privateKey = createPrivateKey({ key: JSON.parse(await readFile(path, 'utf8')) as JsonWebKey, format: 'jwk' });
    }
  }
  const exported = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const base: JWK = { kty: exported.kty!, crv: exported.crv!, x: exported.x! };
  const kid = await calculateJwkThumbprint(base);
  return { kid, privateKey, publicJwk: { ...base, kid, alg: 'EdDSA', use: 'sig' }, created };
}

export async function signCheckpoint(key: SigningKey, claims: CheckpointClaims): Promise<SignedCheckpoint> {
  const payload = new TextEncoder().encode(canonicalJson(claims));
  const jws = await new CompactSign(payload).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'xborder-checkpoint' }).sign(key.privateKey);
  return { ...claims, kid: key.kid, jws };
}

/** A key as `/audit/keys` serves it: an Ed25519 JWK naming its node (and when it was created). */
const servedKeySchema = z.looseObject({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().min(1),
  kid: z.string().min(1),
  'xborder-node': z.string().min(1),
  'xborder-created': z.string().optional(),
});

/**
 * The keys of a JWKS a regulator kept from `/audit/keys` (JSON), as verification reads keys.
 * Throws an Error naming what is wrong: the caller says which file it was.
 */
export function keptKeys(jwks: unknown): PublicKeyEntry[] {
  const keys = z.object({ keys: z.array(z.unknown()) }).safeParse(jwks);
  if (!keys.success) throw new Error('not a JWKS ({ "keys": [...] }) as /audit/keys serves it');
  if (keys.data.keys.length === 0) throw new Error('the JWKS holds no keys');
  return keys.data.keys.map((item, i) => {
    const key = servedKeySchema.safeParse(item);
    if (!key.success) throw new Error(`key ${i + 1} is not an Ed25519 key of a node as /audit/keys serves it (${key.error.issues[0]?.path.join('.')}: ${key.error.issues[0]?.message})`);
    const { kty, crv, x, kid } = key.data;
    return { kid, node: key.data['xborder-node'], jwk: { kty, crv, x, kid }, createdAt: key.data['xborder-created'] ?? '' };
  });
}

export type CheckpointCheck = { ok: true; claims: CheckpointClaims } | { ok: false; reason: string };

/** Checks the signature against the known keys and that the signed claims are the stated ones. */
export async function verifyCheckpoint(checkpoint: SignedCheckpoint, keys: readonly PublicKeyEntry[]): Promise<CheckpointCheck> {
  let claims: CheckpointClaims;
  try {
    const { payload, protectedHeader } = await compactVerify(
      checkpoint.jws,
      async (header) => {
        const entry = keys.find((candidate) => candidate.kid === header.kid);
        if (!entry) throw new Error(`unknown key ${String(header.kid)}`);
        if (entry.node !== checkpoint.origin) throw new Error(`key ${entry.kid} belongs to node ${entry.node}, not ${checkpoint.origin}`);
        return createPublicKey({ key: entry.jwk as JsonWebKey, format: 'jwk' });
      },
      { algorithms: ['EdDSA', 'Ed25519'] },
    );
    if (protectedHeader.kid !== checkpoint.kid) return { ok: false, reason: 'kid differs from the signed header' };
    claims = claimsSchema.parse(JSON.parse(new TextDecoder().decode(payload)));
  } catch (error) {
    return { ok: false, reason: `signature does not verify: ${error instanceof Error ? error.message : String(error)}` };
  }
  for (const field of ['origin', 'size', 'root', 'time'] as const) {
    if (claims[field] !== checkpoint[field]) return { ok: false, reason: `stored ${field} differs from the signed ${field}` };
  }
  return { ok: true, claims };
}

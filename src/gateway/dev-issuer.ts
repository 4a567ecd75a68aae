/**
 * The local development issuer: an Ed25519 key created once under dataDir (mode 0600) so that
 * `xborder token` can mint tokens for the README's curl quick start. In production the gateway
 * trusts the operator's issuer (JWKS) instead and this key is not trusted (settings.token).
 */
import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { z } from 'zod';
import { XborderError } from '../errors.ts';
import { zones } from '../domain.ts';

export const devIssuer = 'urn:xborder:dev';
const keyFileName = 'dev-issuer.jwk.json';

export interface DevIssuerKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function loadDevIssuerKey(dataDir: string, { create = true } = {}): Promise<DevIssuerKey | null> {
  const directory = join(dataDir, 'keys');
  const path = join(directory, keyFileName);
  let text: string | null = null;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text === null) {
    if (!create) return null;
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwk = await exportJWK(privateKey);
    try {
      // 'wx': two processes starting at once must not overwrite each other's key.
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${JSON.stringify({ ...jwk, alg: 'EdDSA' })}\n`);
      await handle.close();
      await chmod(path, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    text = await readFile(path, 'utf8');
  }
  const jwk = JSON.parse(text) as JWK;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') {
    throw new XborderError('XB_ERR_CONFIG_INVALID', `development issuer key ${path} is not an Ed25519 private JWK`);
  }
  const privateKey = (await importJWK(jwk, 'EdDSA')) as CryptoKey;
  const { d: _secret, ...publicJwk } = jwk;
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, privateKey, publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' } };
}

export const roles = ['enterprise', 'regulator', 'admin'] as const;
export type Role = (typeof roles)[number];

export const mintRequestSchema = z.object({
  role: z.enum(roles),
  sub: z.string().min(1).max(64),
  zones: z.array(z.enum(zones)).optional(),
  ttlSeconds: z.number().int().positive('must be longer than 0').max(366 * 86400, 'at most 366 days').default(3600),
  audience: z.string().min(1).default('xborder'),
});
export type MintRequest = z.input<typeof mintRequestSchema>;

export async function mintDevToken(key: DevIssuerKey, request: MintRequest, at: Date = new Date()): Promise<string> {
  const { role, sub, zones: tokenZones, ttlSeconds, audience } = mintRequestSchema.parse(request);
  const now = Math.floor(at.getTime() / 1000);
  const claims: Record<string, unknown> = { role };
  if (tokenZones) claims.zones = tokenZones;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
    .setIssuer(devIssuer)
    .setAudience(audience)
    .setSubject(sub)
    .setIssuedAt(now)
    .setNotBefore(now - 5)
    .setExpirationTime(now + ttlSeconds)
    .sign(key.privateKey);
}

/** `1h`, `30m`, `2d`, `900s` or bare seconds → seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) throw new XborderError('XB_ERR_BAD_INPUT', `ttl "${text}" is not a duration like 1h, 30m, 2d`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

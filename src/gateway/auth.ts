/**
 * Bearer token verification with jose. Only asymmetric algorithms are accepted (an HMAC token
 * "signed" with our public key is the classic key-confusion attack; `none` is no signature).
 * A verified token is cached until its expiry, so the hot path verifies each token once.
 */
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { zones, type Zone } from '../domain.ts';
import { XborderError } from '../errors.ts';
import { devIssuer, roles, type DevIssuerKey, type Role } from './dev-issuer.ts';

/** EdDSA, ES256, RS256 only — never `none`, never HS* (CLARIFICATIONS / issue 5). */
export const acceptedAlgorithms = ['EdDSA', 'ES256', 'RS256'] as const;

export interface Principal {
  role: Role;
  sub: string;
  /** Zones a regulator may see (empty for other roles). */
  zones: Zone[];
  issuer: string;
  expiresAt: number;
}

const claimsSchema = z.object({
  sub: z.string().min(1).max(64),
  role: z.enum(roles),
  zones: z.array(z.enum(zones)).optional(),
  exp: z.number(),
});

export interface AuthOptions {
  audience: string;
  clockToleranceSec: number;
  /** The operator's issuer and its keys (JWKS file or URL). */
  operator?: { issuer: string; jwksFile?: string; jwksUrl?: string };
  /** The local development key, when trusted. */
  devKey?: DevIssuerKey | null;
  clock?: () => Date;
  cacheSize?: number;
}

export type Authenticate = (authorization: string | undefined) => Promise<Principal>;

export async function createAuthenticator({
  audience,
  clockToleranceSec,
  operator,
  devKey = null,
  clock = () => new Date(),
  cacheSize = 10_000,
}: AuthOptions): Promise<Authenticate> {
  const keySets = new Map<string, JWTVerifyGetKey>();
  if (devKey) keySets.set(devIssuer, createLocalJWKSet({ keys: [devKey.publicJwk] }));
  if (operator?.jwksFile) {
    const jwks = JSON.parse(await readFile(operator.jwksFile, 'utf8')) as Parameters<typeof createLocalJWKSet>[0];
    keySets.set(operator.issuer, createLocalJWKSet(jwks));
  } else if (operator?.jwksUrl) {
    keySets.set(operator.issuer, createRemoteJWKSet(new URL(operator.jwksUrl)));
  }
  const verified = new LRUCache<string, Principal>({ max: cacheSize });

  return async function authenticate(authorization) {
    const token = bearerToken(authorization);
    const now = clock().getTime();
    const cached = verified.get(token);
    if (cached && cached.expiresAt > now) return cached;
    const principal = await verify(token, now);
    // Cached until it expires; a token is never served from the cache past its `exp`.
    verified.set(token, principal, { ttl: Math.max(1, principal.expiresAt - now) });
    return principal;
  };

  async function verify(token: string, now: number): Promise<Principal> {
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw unauthenticated('the bearer token is not a JWT');
    }
    const keySet = issuer === undefined ? undefined : keySets.get(issuer);
    if (!issuer || !keySet) throw unauthenticated('the token issuer is not trusted');
    try {
      const { payload } = await jwtVerify(token, keySet, {
        issuer,
        audience,
        algorithms: [...acceptedAlgorithms],
        clockTolerance: clockToleranceSec,
        currentDate: new Date(now),
        requiredClaims: ['exp', 'sub'],
      });
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) throw unauthenticated(`token claims: ${claims.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`);
      const { sub, role, zones: claimZones, exp } = claims.data;
      return { role, sub, zones: role === 'regulator' ? (claimZones ?? []) : [], issuer, expiresAt: exp * 1000 };
    } catch (error) {
      if (error instanceof XborderError) throw error;
      throw unauthenticated(describeJoseError(error), error);
    }
  }
}

function bearerToken(authorization: string | undefined): string {
  const match = authorization === undefined ? null : /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(authorization);
  if (!match) throw unauthenticated('a bearer token is required (Authorization: Bearer …)');
  return match[1]!;
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `token claim ${error.claim} rejected: ${error.reason}`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the token algorithm is not accepted (EdDSA, ES256, RS256 only)';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the issuer matches the token';
  return 'the token is not valid';
}

function unauthenticated(message: string, cause?: unknown): XborderError {
  return new XborderError('XB_ERR_UNAUTHENTICATED', message, cause === undefined ? undefined : { cause });
}

export function requireRole(principal: Principal, ...allowed: Role[]): void {
  if (!allowed.includes(principal.role)) {
    throw new XborderError('XB_ERR_FORBIDDEN', `this endpoint needs a ${allowed.join(' or ')} token`);
  }
}

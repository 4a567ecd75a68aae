/**
 * Forwarding with undici: one Pool per destination origin (keep-alive, bounded connections,
 * connect / headers / body timeouts). The pool's origin is fixed, so a request can only ever
 * reach the registered host; the path comes from route.ts, always under the base path.
 */
import { Pool, type Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';

export interface UpstreamSettings {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  keepAliveTimeoutMs: number;
  connections: number;
}

// RFC 9110 §7.6.1: connection-specific fields never cross a proxy.
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
  'http2-settings',
]);

// The headers the body was inspected under: the recipient must read the body under them too, so a
// caller cannot strip them on the way by naming them in `Connection` (the scan honoured a charset,
// the recipient would have been left to sniff and default to UTF-8).
const describesBody = new Set(['content-type', 'content-encoding']);

/** Headers for the upstream: hop-by-hop removed, `Authorization` and every `X-Xborder-*` stripped (CLARIFICATIONS 15). */
export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  {
    forwarded,
    credentials = {},
    contentLength,
    dropContentEncoding = false,
  }: { forwarded: string; credentials?: Record<string, string>; contentLength: number; dropContentEncoding?: boolean },
): Record<string, string | string[]> {
  const named = connectionTokens(incoming.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    if (hopByHop.has(name) || (named.has(name) && !describesBody.has(name))) continue;
    if (name === 'authorization' || name === 'cookie' || name.startsWith('x-xborder-')) continue;
    if (name === 'forwarded' || name.startsWith('x-forwarded-')) continue;
    if (dropContentEncoding && name === 'content-encoding') continue;
    out[name] = value;
  }
  out.forwarded = forwarded;
  if (contentLength > 0 || out['content-type'] !== undefined) out['content-length'] = String(contentLength);
  for (const [name, value] of Object.entries(credentials)) out[name.toLowerCase()] = value;
  return out;
}

/** Response headers for the caller: hop-by-hop removed (the gateway frames the response itself). */
export function callerResponseHeaders(upstream: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = connectionTokens(upstream.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || name === 'host' || name === 'expect') continue;
    if ((hopByHop.has(name) && name !== 'content-length') || named.has(name)) continue;
    // Callers read X-Xborder-* as the gateway's word on the decision (an `x-xborder-enforced: false`
    // from the recipient would claim report-only): only the gateway sets them.
    if (name.startsWith('x-xborder-')) continue;
    out[name] = value;
  }
  return out;
}

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(text.split(',').map((token) => token.trim().toLowerCase()).filter(Boolean));
}

/** RFC 7239 `Forwarded`: who asked, through which node. IPv6 addresses are quoted and bracketed. */
export function forwardedHeader(remoteAddress: string | undefined, host: string | undefined, nodeId: string, proto = 'http'): string {
  const forWho = !remoteAddress ? 'unknown' : remoteAddress.includes(':') ? `"[${remoteAddress}]"` : remoteAddress;
  const parts = [`for=${forWho}`, `by="${nodeId}"`, `proto=${proto}`];
  if (host && /^[A-Za-z0-9.:[\]-]+$/.test(host)) parts.push(`host="${host}"`);
  return parts.join(';');
}

export interface Upstreams {
  request(origin: string, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  /** Closes the pools; with a reason, requests still running are ended with it instead of awaited. */
  close(reason?: Error): Promise<void>;
}

export function createUpstreams(settings: UpstreamSettings): Upstreams {
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string): Pool => {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: settings.connections,
        connectTimeout: settings.connectTimeoutMs,
        headersTimeout: settings.headersTimeoutMs,
        bodyTimeout: settings.bodyTimeoutMs,
        keepAliveTimeout: settings.keepAliveTimeoutMs,
        pipelining: 1,
      });
      pools.set(origin, pool);
    }
    return pool;
  };
  return {
    request: function requestUpstream(origin, options) {
      return poolFor(origin).request(options);
    },
    close: async function closeUpstreams(reason) {
      await Promise.all([...pools.values()].map((pool) => (reason ? pool.destroy(reason) : pool.close())));
      pools.clear();
    },
  };
}

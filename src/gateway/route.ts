/**
 * `/x/{destination}/{path…}` → the destination's upstream. The upstream URL is built by joining
 * validated, re-encoded segments to the destination's base path, so no path trick (`..`,
 * `%2e%2e`, `%2f`, backslashes, `//host`, absolute request targets, `..;x`, full-width `．．`)
 * can reach another host or leave the base path: the gateway is never an open proxy (DESIGN.md
 * §3 destination).
 */
import { XborderError } from '../errors.ts';

export const transferPrefix = '/x/';

export interface TransferRoute {
  destinationId: string;
  /** Decoded path segments after the destination (empty for the base itself). */
  segments: string[];
  trailingSlash: boolean;
  /** The raw query string without `?` ('' when none). It rides along; it cannot change host or path. */
  query: string;
}

export interface UpstreamTarget {
  /** `scheme://host:port` for the destination's pool. */
  origin: string;
  /** Path and query sent upstream: always under the base path. */
  path: string;
}

const destinationIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
// A decoded segment must not still carry an encoded dot, slash or backslash: some upstreams
// decode twice, and `%252e%252e` would become `..` there.
const encodedSeparator = /%(2e|2f|5c)/i;
// Control characters (incl. NUL and CR/LF) have no business in a path and confuse upstream parsers.
const controlCharacter = /[\u0000-\u001f\u007f]/;

function rejected(detail: string): XborderError {
  return new XborderError('XB_ERR_PATH_REJECTED', detail);
}

/** Parses the raw request target (as received, before any URL normalisation). */
export function parseTransferTarget(rawTarget: string): TransferRoute {
  if (!rawTarget.startsWith(transferPrefix)) throw rejected('the request target must be a path under /x/');
  if (rawTarget.includes('#')) throw rejected('a fragment cannot be forwarded');
  const queryAt = rawTarget.indexOf('?');
  const rawPath = queryAt === -1 ? rawTarget : rawTarget.slice(0, queryAt);
  const query = queryAt === -1 ? '' : rawTarget.slice(queryAt + 1);
  if (rawPath.includes('\\')) throw rejected('backslashes are not accepted in the path');
  const parts = rawPath.slice(transferPrefix.length).split('/');
  const destinationId = decodeSegment(parts[0] ?? '');
  if (!destinationIdPattern.test(destinationId)) throw rejected('the destination id is missing or malformed');
  const rest = parts.slice(1);
  const trailingSlash = rest.length > 0 && rest[rest.length - 1] === '';
  if (trailingSlash) rest.pop();
  const segments = rest.map((part) => {
    if (part === '') throw rejected('empty path segments (//) are not accepted');
    const segment = decodeSegment(part);
    checkSegment(segment, '');
    // An upstream that folds compatibility characters (NFKC, or a Windows best-fit code page)
    // reads `．．` as `..`, `／` as `/`, `％２ｅ` as `%2e`: the folded form must pass too.
    const folded = foldSlashes(segment.normalize('NFKC'));
    if (folded !== segment) checkSegment(folded, ' (as an upstream folding full-width and look-alike characters reads it)');
    return segment;
  });
  if (controlCharacter.test(query) || query.includes(' ')) throw rejected('the query string is malformed');
  return { destinationId, segments, trailingSlash, query };
}

function checkSegment(segment: string, reading: string): void {
  // Tomcat, Jetty and Spring drop a segment's `;parameters` before resolving dot segments, so
  // `..;x` is `..` to them and would leave the base path.
  const bare = segment.split(';', 1)[0];
  if (bare === '.' || bare === '..') throw rejected(`dot segments are not accepted in the path${reading}`);
  if (segment.includes('/') || segment.includes('\\')) throw rejected(`encoded slashes are not accepted in the path${reading}`);
  if (encodedSeparator.test(segment)) throw rejected(`doubly encoded separators are not accepted in the path${reading}`);
  if (controlCharacter.test(segment)) throw rejected(`control characters are not accepted in the path${reading}`);
}

// Look-alikes of `/` and `\` that NFKC keeps (Unicode TR39 confusables: ∕ ⁄ ⧸, ∖ ⧵ ⧹ and the
// combining ⃥): no real path segment holds them, and a folding upstream may read a separator.
const slashLookAlikes: Record<string, string> = { '\u2215': '/', '\u2044': '/', '\u29f8': '/', '\u2216': '\\', '\u29f5': '\\', '\u29f9': '\\', '\u20e5': '\\' };
const slashLookAlike = /[\u2215\u2044\u29f8\u2216\u29f5\u29f9\u20e5]/g;
const foldSlashes = (text: string) => text.replace(slashLookAlike, (c) => slashLookAlikes[c] ?? c);

function decodeSegment(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw rejected('the path has an invalid percent-encoding');
  }
}

/** Joins the route under the destination's base URL. The base is trusted (it comes from the policy). */
export function upstreamTarget(upstream: string, route: TransferRoute): UpstreamTarget {
  const base = new URL(upstream);
  const basePath = base.pathname.replace(/\/+$/, '');
  const tail = route.segments.map(encodeSegment).join('/');
  let path = tail === '' ? `${basePath}/` : `${basePath}/${tail}${route.trailingSlash ? '/' : ''}`;
  if (route.query !== '') path += `?${route.query}`;
  return { origin: base.origin, path };
}

/** encodeURIComponent keeps `!'()*`; also keep `:@` and sub-delims that are safe inside a segment. */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%(3A|40|2C|3B|3D|24|26|2B)/gi, (match) => decodeURIComponent(match));
}

/** The path as recorded: the route and the query's key names, never query values (they may be personal data). */
export function recordedPath(route: TransferRoute, maskSegment: (segment: string) => string = (s) => s): string {
  const path = `/${[route.destinationId, ...route.segments.map(maskSegment)].map(encodeSegment).join('/')}${route.trailingSlash ? '/' : ''}`;
  if (route.query === '') return path;
  const keys = new URLSearchParams(route.query);
  const names = [...new Set([...keys.keys()])].map((name) => `${encodeURIComponent(maskSegment(name))}=`);
  return `${path}?${names.join('&')}`.slice(0, 2048);
}

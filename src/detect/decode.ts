/**
 * From bytes on the wire to text: Content-Encoding (gzip, deflate, br) with a cap on the
 * decoded size, so a gzip bomb costs the cap and no more; the charset (UTF-8, GB18030/GBK).
 * An encoding Node cannot decode (zstd) is refused: a body the gateway cannot read is never
 * waved through (CLARIFICATIONS 14).
 */
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { XborderError } from '../errors.ts';
import { asBuffer } from './utf8.ts';

export const defaultMaxDecodedBytes = 64 * 1024 * 1024;

export type BodyKind = 'json' | 'ndjson' | 'csv' | 'form' | 'multipart' | 'xml' | 'markup' | 'text' | 'binary' | 'sniff';

export interface ContentType {
  mediaType: string;
  charset: string;
  boundary: string | null;
  kind: BodyKind;
}

/** Textual application types that are read as text rather than refused as binary. */
const textualApplication = new Set([
  'application/javascript',
  'application/ecmascript',
  'application/graphql',
  'application/yaml',
  'application/x-yaml',
  'application/sql',
]);

export function kindOf(mediaType: string): BodyKind {
  if (mediaType === '') return 'sniff';
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) return 'json';
  if (mediaType === 'application/x-ndjson' || mediaType === 'application/jsonl' || mediaType === 'application/x-jsonlines' || mediaType === 'application/jsonlines') return 'ndjson';
  if (mediaType === 'text/csv') return 'csv';
  if (mediaType === 'application/x-www-form-urlencoded') return 'form';
  if (mediaType === 'multipart/form-data') return 'multipart';
  // Read as their parser reads them: character references and CDATA must not hide a value
  // (markup.ts); XML element and attribute names are field names besides (xml.ts). XHTML is HTML.
  if (mediaType === 'text/html' || mediaType === 'application/xhtml+xml') return 'markup';
  if (mediaType === 'application/xml' || mediaType === 'text/xml' || mediaType.endsWith('+xml')) return 'xml';
  if (mediaType.startsWith('text/') || textualApplication.has(mediaType)) return 'text';
  return 'binary';
}

/** Every value of parameter `name` in `params` (what follows the media type), in order. */
function parameterValues(params: string, name: string): string[] {
  const values: string[] = [];
  for (const part of params.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim().toLowerCase() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    values.push(value);
  }
  return values;
}

/**
 * Every value of a Content-Type parameter. The scan honours the first (parseContentType); a
 * recipient may honour another, so the gateway refuses values that disagree.
 */
export function contentTypeParameters(header: string, name: string): string[] {
  const semi = header.indexOf(';');
  return semi < 0 ? [] : parameterValues(header.slice(semi + 1), name);
}

export function parseContentType(header: string | undefined): ContentType {
  const raw = header ?? '';
  const semi = raw.indexOf(';');
  const mediaType = (semi < 0 ? raw : raw.slice(0, semi)).trim().toLowerCase();
  const params = semi < 0 ? '' : raw.slice(semi + 1);
  return {
    mediaType,
    charset: (parameterValues(params, 'charset')[0] ?? 'utf-8').toLowerCase(),
    boundary: parameterValues(params, 'boundary')[0] ?? null,
    kind: kindOf(mediaType),
  };
}

/** Encodings in the order they must be undone (the header lists them in the order applied). */
export function encodingsOf(header: string | undefined): ('gzip' | 'deflate' | 'br')[] {
  if (header === undefined) return [];
  const layers: ('gzip' | 'deflate' | 'br')[] = [];
  for (const token of header.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'identity') continue;
    if (name === 'gzip' || name === 'x-gzip') layers.push('gzip');
    else if (name === 'deflate' || name === 'br') layers.push(name);
    else {
      throw new XborderError('XB_ERR_UNSUPPORTED_ENCODING', `content encoding "${name.slice(0, 40)}" cannot be inspected`, {
        details: { encoding: name.slice(0, 40) },
      });
    }
  }
  return layers.reverse();
}

function limitError(cap: number, cause?: unknown): XborderError {
  return new XborderError('XB_ERR_DECODE_LIMIT', `decoded body exceeds ${cap} bytes`, {
    cause,
    details: { maxDecodedBytes: cap },
  });
}

function decodeLayer(layer: 'gzip' | 'deflate' | 'br', input: Uint8Array, cap: number): Uint8Array {
  const options = { maxOutputLength: Math.min(cap + 1, 2 ** 31 - 1) };
  try {
    if (layer === 'gzip') return zlib.gunzipSync(input, options);
    if (layer === 'br') return zlib.brotliDecompressSync(input, options);
    try {
      return zlib.inflateSync(input, options);
    } catch (error) {
      // Some clients send raw DEFLATE without the zlib wrapper that RFC 9110 asks for.
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw error;
      return zlib.inflateRawSync(input, options);
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw limitError(cap, error);
    // A body its declared encoding cannot undo cannot be inspected: refused like an unknown
    // encoding (and so recorded, CLARIFICATIONS 14), not waved off as a bad request.
    throw new XborderError('XB_ERR_UNSUPPORTED_ENCODING', `body is not valid ${layer} data`, { cause: error });
  }
}

/** Undoes Content-Encoding of a buffered body; throws XB_ERR_DECODE_LIMIT past `cap` bytes. */
export function decodeContent(body: Uint8Array, encoding: string | undefined, cap: number): Uint8Array {
  let bytes = body;
  for (const layer of encodingsOf(encoding)) {
    bytes = decodeLayer(layer, bytes, cap);
    if (bytes.byteLength > cap) throw limitError(cap);
  }
  return bytes;
}

function streamFor(layer: 'gzip' | 'deflate' | 'br') {
  if (layer === 'gzip') return zlib.createGunzip();
  if (layer === 'br') return zlib.createBrotliDecompress();
  return zlib.createInflate();
}

/** Undoes Content-Encoding chunk by chunk; `cap` bounds the decoded bytes (Infinity: no bound). */
export async function* decodeStream(
  source: AsyncIterable<Uint8Array>,
  encoding: string | undefined,
  cap: number,
): AsyncIterable<Uint8Array> {
  let stream: AsyncIterable<Uint8Array> = source;
  for (const layer of encodingsOf(encoding)) {
    stream = Readable.from(stream, { objectMode: false }).pipe(streamFor(layer));
  }
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.byteLength;
    if (total > cap) throw limitError(cap);
    yield chunk;
  }
}

/** Charsets of Chinese bodies: GB2312 and GBK are subsets of GB18030, which decodes all three. */
export function charsetLabel(charset: string): string {
  if (charset === 'gb18030' || charset === 'gbk' || charset === 'gb2312' || charset === 'cp936' || charset === 'x-gbk') return 'gb18030';
  if (charset === 'utf8') return 'utf-8';
  try {
    new TextDecoder(charset);
    return charset;
  } catch {
    return 'utf-8'; // an unknown label is read as UTF-8 rather than refused: ASCII digits survive either way
  }
}

export function decodeText(bytes: Uint8Array, charset: string): string {
  const label = charsetLabel(charset);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let text = label === 'utf-8' ? buffer.toString('utf8') : new TextDecoder(label).decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

/**
 * The UTF-8 bytes of a body in `charset`, without a byte-order mark: the bytes themselves when
 * they are UTF-8 already (no copy), else decoded and encoded again.
 */
export function utf8Of(bytes: Uint8Array, charset: string): Buffer {
  if (charsetLabel(charset) !== 'utf-8') return Buffer.from(decodeText(bytes, charset));
  const buffer = asBuffer(bytes);
  return buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? buffer.subarray(3) : buffer;
}

/** A NUL byte never occurs in JSON, CSV or text in a byte-oriented charset: the body is binary. */
export function looksBinary(bytes: Uint8Array, charset: string): boolean {
  if (charset.startsWith('utf-16') || charset.startsWith('utf-32')) return false;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(0) >= 0;
}

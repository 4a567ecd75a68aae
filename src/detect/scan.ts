/**
 * scan(): from a body as received to findings, records and subjects. Bodies the gateway cannot
 * read are reported, never passed silently: binary → `unscanned_binary`, malformed JSON →
 * scanned as text with `parseError`; past the decode cap, nested too deep or in an encoding Node
 * cannot decode, scan() throws an XborderError with the code the gateway maps to a status.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { ScanContext } from './context.ts';
import { decodeContent, defaultMaxDecodedBytes, encodingsOf, looksBinary, parseContentType, utf8Of, type ContentType } from './decode.ts';
import { defaultMaxDepth } from './json.ts';
import { walkMultipart } from './multipart.ts';
import { scanStream } from './stream.ts';
import type { ScanEvidence, ScanOptions, ScanResult, ValueSpan } from './types.ts';
import { asBuffer, Utf16Offsets } from './utf8.ts';
import { sniffKind, walkBytes } from './walk.ts';
import { XborderError } from '../errors.ts';

export type ScanBody = Uint8Array | string | AsyncIterable<Uint8Array>;

interface Scanned {
  result: ScanResult;
  evidence: ScanEvidence;
}

function isStream(body: ScanBody): body is AsyncIterable<Uint8Array> {
  return typeof body !== 'string' && !(body instanceof Uint8Array);
}

async function collect(source: AsyncIterable<Uint8Array>, cap: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += chunk.byteLength;
    // A buffered body larger than the cap would be refused after decoding anyway.
    if (size > cap) {
      throw new XborderError('XB_ERR_DECODE_LIMIT', `body exceeds ${cap} bytes`, { details: { maxDecodedBytes: cap } });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function unscannedResult(type: ContentType, bytes: number, contentType: string): ScanResult {
  return {
    bytes,
    records: 0,
    subjects: 0,
    sensitiveSubjects: 0,
    identifiable: 0,
    parseError: null,
    unscanned: { reason: 'binary', bytes },
    contentType,
    findings: [
      {
        type: 'unscanned_binary',
        count: 1,
        sensitive: false,
        grade: 'general',
        paths: ['$'],
        why: [`binary content ${type.mediaType || 'without a content type'}`],
      },
    ],
  };
}

function resultOf(ctx: ScanContext, bytes: number, contentType: string, bare: boolean): ScanResult {
  return {
    bytes,
    records: ctx.records,
    subjects: ctx.subjects.subjects,
    sensitiveSubjects: ctx.subjects.sensitiveSubjects,
    identifiable: ctx.identifiable,
    parseError: ctx.parseError,
    unscanned: null,
    contentType,
    findings: ctx.findings.toFindings(bare),
  };
}

export async function runScan(body: ScanBody, options: ScanOptions, withEvidence: boolean): Promise<Scanned> {
  const type = parseContentType(options.contentType);
  const bare = options.bareResidentIdSensitive ?? false;
  const settings = { at: options.at ?? new Date(), bareResidentIdSensitive: bare, withEvidence };
  const ctx = new ScanContext(settings);
  encodingsOf(options.contentEncoding); // refuse an unreadable encoding before reading the body

  if (isStream(body)) {
    const streamable = type.kind === 'ndjson' || type.kind === 'csv' || type.kind === 'text';
    if (streamable && !withEvidence) {
      // A plain stream is walked in bounded memory whatever its size; an encoded one keeps the
      // cap, so a compression bomb still costs at most the cap of decompression work.
      const encoded = encodingsOf(options.contentEncoding).length > 0;
      const cap = encoded ? (options.maxDecodedBytes ?? defaultMaxDecodedBytes) : Number.POSITIVE_INFINITY;
      const outcome = await scanStream(body, type, options.contentEncoding, cap, ctx, defaultMaxDepth);
      const result = outcome.binary ? unscannedResult(type, outcome.bytes, type.mediaType) : resultOf(ctx, outcome.bytes, type.mediaType, bare);
      return { result, evidence: { subjects: [], spans: [], text: null } };
    }
    body = await collect(body, options.maxDecodedBytes ?? defaultMaxDecodedBytes);
  }

  const cap = options.maxDecodedBytes ?? defaultMaxDecodedBytes;
  let src: Buffer;
  let bytes: number;
  let text: string | null = null;
  /** Valid UTF-8 whose text the evidence decodes only when it is read (see below). */
  let textBytes: Buffer | null = null;
  if (typeof body === 'string') {
    // A string is already decoded text: there is no encoding or charset left to undo.
    bytes = Buffer.byteLength(body);
    if (type.kind === 'binary') return { result: unscannedResult(type, bytes, type.mediaType), evidence: { subjects: [], spans: [], text: null } };
    src = Buffer.from(body);
    if (withEvidence) text = body;
  } else {
    bytes = body.byteLength;
    const decoded = decodeContent(body, options.contentEncoding, cap);
    // A multipart body may carry binary files: its parts are judged one by one.
    if (type.kind === 'binary' || (type.kind !== 'multipart' && looksBinary(decoded, type.charset))) {
      return { result: unscannedResult(type, bytes, type.mediaType), evidence: { subjects: [], spans: [], text: null } };
    }
    // Multipart parts name their own charsets; anything else is read as UTF-8 bytes.
    src = type.kind === 'multipart' ? asBuffer(decoded) : utf8Of(decoded, type.charset);
    if (withEvidence) {
      // Spans index the decoded text: where the bytes are not valid UTF-8, decoding replaced some,
      // so the scan reads the bytes of the text itself.
      if (isUtf8(src)) textBytes = src;
      else {
        text = src.toString('utf8');
        src = Buffer.from(text);
      }
    }
  }

  ctx.subjects.expectBytes(src.length);
  const kind = type.kind === 'sniff' ? sniffKind(src, 0, src.length) : type.kind;
  const walk = { maxDepth: defaultMaxDepth, root: '$' };
  if (kind === 'multipart') {
    if (type.boundary === null || !walkMultipart(ctx, src, type.boundary, walk)) {
      ctx.parseError = 'multipart body without its boundary';
      walkBytes(ctx, 'text', src, 0, src.length, walk);
    }
  } else walkBytes(ctx, kind, src, 0, src.length, walk);

  const result = resultOf(ctx, bytes, type.mediaType, bare);
  const spans = ctx.spans ?? [];
  const subjects = ctx.subjects.evidence ?? [];
  if (textBytes !== null) return { result, evidence: lazyEvidence(subjects, spans, textBytes) };
  if (text !== null && text.length !== src.length) toUtf16(src, spans);
  const evidence: ScanEvidence = { subjects, spans, text };
  return { result, evidence };
}

/**
 * Evidence of valid UTF-8 whose text is decoded, and whose spans are given UTF-16 offsets, when
 * first read: only the masker reads them, and a transfer allowed as it is never does, while
 * decoding the text cost a tenth of the gateway's scan of a 64 KB body and the offsets another
 * twentieth. The bytes are copied, a small part of that cost, so that text and offsets are the
 * body's as scanned even if the caller reuses its buffer.
 */
function lazyEvidence(subjects: ScanEvidence['subjects'], spans: ValueSpan[], bytes: Buffer): ScanEvidence {
  const kept = Buffer.from(bytes);
  let text: string | null = null;
  let inUnits = false;
  return {
    subjects,
    get spans(): ValueSpan[] {
      // Valid UTF-8 has as many UTF-16 units as bytes exactly when it is ASCII.
      if (!inUnits && !isAscii(kept)) toUtf16(kept, spans);
      inUnits = true;
      return spans;
    },
    get text(): string {
      text ??= kept.toString('utf8');
      return text;
    },
  };
}

/** Spans were found as byte offsets; the masker rewrites the decoded text, in UTF-16 offsets. */
function toUtf16(src: Buffer, spans: ValueSpan[]): void {
  const offsets = new Utf16Offsets(src);
  for (const span of spans) {
    span.start = offsets.of(span.start);
    span.end = offsets.of(span.end);
  }
}

/**
 * multipart/form-data, part by part with each part's own type (issue 2, point 4). Plain fields
 * together form one record holding one person, like a form body; a JSON, CSV or NDJSON part is
 * walked like a body of that type; a file part of a binary type cannot be inspected and is
 * reported as `unscanned_binary` with its size, never passed silently. Text before the first
 * and after the last part (preamble, epilogue) and each part's header lines are scanned as free text.
 */
import type { ScanContext } from './context.ts';
import { kindOf, looksBinary, parseContentType, utf8Of } from './decode.ts';
import { Person } from './subjects.ts';
import { scanText } from './text.ts';
import { sniffKind, walkBytes, type WalkOptions } from './walk.ts';

interface Part {
  name: string;
  filename: string | null;
  contentType: string | null;
  transferEncoding: string | null;
  /** The part's header lines, `body[headersStart, headersEnd)`: a file name or a part name may carry a value. */
  headersStart: number;
  headersEnd: number;
  start: number;
  end: number;
}

function headerParam(value: string, name: string): string | null {
  const match = new RegExp(`(?:^|;)\\s*${name}\\*?="?([^";]*)"?`, 'i').exec(value);
  return match ? match[1]! : null;
}

interface Layout {
  parts: Part[];
  /** The preamble is `body[0, preambleEnd)`. */
  preambleEnd: number;
  /** The epilogue, `body[epilogueFrom, …)`: after the closing delimiter, or from where the parts stop making sense. */
  epilogueFrom: number;
}

/**
 * Byte ranges of the parts and of the text around them; null when the boundary never appears
 * (then the body is text). Parsers ignore the preamble and the epilogue, but they leave the
 * country with the rest, so the walker scans them; a part whose headers never end is left to
 * the epilogue rather than dropped.
 */
export function splitParts(body: Buffer, boundary: string): Layout | null {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) return null;
  const layout: Layout = { parts, preambleEnd: at, epilogueFrom: body.length };
  for (;;) {
    const after = at + delimiter.length;
    if (body[after] === 45 && body[after + 1] === 45) {
      layout.epilogueFrom = after + 2; // closing delimiter
      break;
    }
    const lineEnd = body.indexOf(10, after);
    if (lineEnd < 0) {
      layout.epilogueFrom = after;
      break;
    }
    let headersEnd = body.indexOf('\r\n\r\n', lineEnd + 1);
    let bodyStart = headersEnd + 4;
    if (headersEnd < 0) {
      headersEnd = body.indexOf('\n\n', lineEnd + 1);
      bodyStart = headersEnd + 2;
      if (headersEnd < 0) {
        layout.epilogueFrom = lineEnd + 1;
        break;
      }
    }
    let next = body.indexOf(`\r\n--${boundary}`, bodyStart);
    let end = next;
    if (next < 0) {
      next = body.indexOf(`\n--${boundary}`, bodyStart);
      end = next;
    } else next += 2;
    if (next < 0) {
      end = body.length;
    } else if (body[next] === 10) next += 1;
    const headers = body.toString('utf8', lineEnd + 1, headersEnd);
    const part: Part = { name: '', filename: null, contentType: null, transferEncoding: null, headersStart: lineEnd + 1, headersEnd, start: bodyStart, end };
    for (const line of headers.split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const header = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (header === 'content-disposition') {
        part.name = headerParam(value, 'name') ?? '';
        part.filename = headerParam(value, 'filename');
      } else if (header === 'content-type') part.contentType = value;
      else if (header === 'content-transfer-encoding') part.transferEncoding = value.toLowerCase();
    }
    parts.push(part);
    if (next < 0) break;
    at = next;
  }
  return layout;
}

/**
 * Walks the parts. UTF-8 parts are walked in place inside the body, so evidence spans index the
 * body; parts in another charset or base64 are walked on their own decoded copy and leave no
 * spans (the masker cannot rewrite what it cannot address).
 */
export function walkMultipart(ctx: ScanContext, body: Buffer, boundary: string, options: WalkOptions): boolean {
  const layout = splitParts(body, boundary);
  if (layout === null) return false;
  const fields = new Person();
  let fieldCount = 0;
  for (const part of layout.parts) {
    // A part name that is itself an ID or a phone shows as its type, as such a JSON key does:
    // paths go to the audit log, which must never hold a personal value (CLARIFICATIONS 14).
    const named = part.name === '' ? null : ctx.field(part.name);
    const root = `part:${named?.keyHoldsValues ? named.segment.slice(1) : part.name.replace(/[^\p{L}\p{N}_.-]/gu, '_').slice(0, 64)}`;
    // The headers leave with the part: `filename="13812345678.pdf"`, or a name that is an ID.
    scanText(ctx, body, part.headersStart, part.headersEnd, `${root}:headers`, fields);
    const type = parseContentType(part.contentType ?? (part.filename === null ? 'text/plain' : ''));
    let bytes = body.subarray(part.start, part.end);
    const encoding = transferEncodingOf(part.transferEncoding);
    const inPlace = encoding === 'identity' && (type.charset === 'utf-8' || type.charset === 'utf8');
    if (encoding === 'base64') bytes = Buffer.from(bytes.toString('latin1'), 'base64');
    else if (encoding === 'quoted-printable') bytes = quotedPrintableDecoded(bytes);
    let kind = encoding === null ? 'binary' : type.kind;
    if (kind === 'sniff') kind = looksBinary(bytes, type.charset) ? 'binary' : 'sniff';
    if (kind === 'binary' || kind === 'multipart' || looksBinary(bytes, type.charset)) {
      ctx.findings.add('unscanned_binary', root, '', `binary part ${type.mediaType || 'without a type'}`);
      continue;
    }
    const src = inPlace ? body : utf8Of(bytes, type.charset);
    const from = inPlace ? part.start : 0;
    const to = inPlace ? part.end : src.length;
    if (kind === 'sniff') kind = part.filename === null ? 'text' : sniffKind(src, from, Math.min(to, from + 1024));
    const spans = ctx.spans;
    if (!inPlace) ctx.spans = null;
    if (kind === 'text' && part.filename === null && kindOf(type.mediaType) !== 'binary') {
      // A plain form field: its name gives meaning to its value, as a form key does.
      const info = ctx.field(part.name);
      ctx.realPath = () => root;
      ctx.value(src, from, to, info, root, '', fields);
      fieldCount++;
    } else walkBytes(ctx, kind, src, from, to, { ...options, root });
    ctx.spans = spans;
  }
  // Text around the parts belongs to the form: with its fields, one record holding one person.
  scanText(ctx, body, 0, layout.preambleEnd, 'preamble', fields);
  scanText(ctx, body, layout.epilogueFrom, body.length, 'epilogue', fields);
  if (fieldCount > 0 || fields.carries) {
    ctx.finishPerson(fields);
    ctx.endRecord();
  }
  return true;
}

/**
 * A part's Content-Transfer-Encoding as the scan undoes it; null for one it cannot (x-uuencode…):
 * a recipient that decodes it would read what the scan did not, so the part is unscanned.
 */
function transferEncodingOf(header: string | null): 'identity' | 'base64' | 'quoted-printable' | null {
  const name = (header ?? '').trim().replace(/^"(.*)"$/, '$1').toLowerCase();
  if (name === '' || name === '7bit' || name === '8bit' || name === 'binary') return 'identity';
  return name === 'base64' || name === 'quoted-printable' ? name : null;
}

/** RFC 2045 §6.7: `=XX` is a byte, `=` at a line's end a soft break; anything else stays as it is. */
function quotedPrintableDecoded(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 61) {
      out[n++] = c;
      continue;
    }
    let j = i + 1;
    while (j < bytes.length && (bytes[j] === 32 || bytes[j] === 9)) j++;
    if (bytes[j] === 13 && bytes[j + 1] === 10) i = j + 1;
    else if (bytes[j] === 10) i = j;
    else {
      const hex = bytes.toString('latin1', i + 1, i + 3);
      if (/^[0-9a-f]{2}$/i.test(hex)) {
        out[n++] = parseInt(hex, 16);
        i += 2;
      } else out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

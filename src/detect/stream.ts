/**
 * Streams (CLARIFICATIONS 20): NDJSON, CSV and text are walked as the chunks arrive, cut only at
 * line or row boundaries, so a 1 GB file is scanned in bounded memory. UTF-8 sequences split
 * across chunks are kept whole by the string decoder; GB18030 by TextDecoder's stream mode.
 */
import { StringDecoder } from 'node:string_decoder';
import type { ScanContext } from './context.ts';
import { charsetLabel, decodeStream, type ContentType } from './decode.ts';
import { CsvWalker } from './csv.ts';
import { JsonWalker } from './json.ts';
import { NdjsonWalker } from './ndjson.ts';
import { TextWalker } from './text.ts';

export interface StreamOutcome {
  /** Bytes as received (before Content-Encoding was undone). */
  bytes: number;
  /** A NUL byte appeared: the body is binary and scanning stopped. */
  binary: boolean;
}

async function* counted(source: AsyncIterable<Uint8Array>, total: { bytes: number }): AsyncIterable<Uint8Array> {
  for await (const chunk of source) {
    total.bytes += chunk.byteLength;
    yield chunk;
  }
}

/**
 * Finds the last newline of `chunk` that is outside CSV quotes, given the quote parity at the
 * chunk start. Jumps from quote to quote with indexOf, so the cost follows the quotes, not the
 * characters. Returns the cut (index after the newline, -1 if none) and the parity at the end.
 */
export function csvCut(chunk: string, parity: number): { cut: number; parity: number } {
  let evenFrom = parity === 0 ? 0 : -1;
  let cut = -1;
  let quote = chunk.indexOf('"');
  while (quote >= 0) {
    if (parity === 0 && quote > evenFrom) {
      const newline = chunk.lastIndexOf('\n', quote - 1);
      if (newline >= evenFrom) cut = newline + 1;
    }
    parity ^= 1;
    if (parity === 0) evenFrom = quote + 1;
    quote = chunk.indexOf('"', quote + 1);
  }
  if (parity === 0) {
    const newline = chunk.lastIndexOf('\n');
    if (newline >= evenFrom) cut = newline + 1;
  }
  return { cut, parity };
}

/**
 * Pieces are decoded at most this many bytes at a time: their strings stay in V8's young
 * generation (large objects go straight to old space and wait for a full collection), which
 * keeps the peak memory of a 1 GB scan flat.
 */
const pieceBytes = 32 * 1024;

async function* pieces(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  for await (const chunk of source) {
    if (chunk.byteLength <= pieceBytes) yield chunk;
    else for (let at = 0; at < chunk.byteLength; at += pieceBytes) yield chunk.subarray(at, Math.min(at + pieceBytes, chunk.byteLength));
  }
}

export async function scanStream(
  source: AsyncIterable<Uint8Array>,
  type: ContentType,
  encoding: string | undefined,
  cap: number,
  ctx: ScanContext,
  maxDepth: number,
): Promise<StreamOutcome> {
  const total = { bytes: 0 };
  const label = charsetLabel(type.charset);
  const utf8 = label === 'utf-8' ? new StringDecoder('utf8') : null;
  const other = utf8 === null ? new TextDecoder(label) : null;
  const ndjson = type.kind === 'ndjson' ? new NdjsonWalker(ctx, new JsonWalker(ctx, maxDepth)) : null;
  const csv = type.kind === 'csv' ? new CsvWalker(ctx) : null;
  const text = ndjson === null && csv === null ? new TextWalker(ctx) : null;
  let pending = '';
  let parity = 0;
  let first = true;
  const walk = (piece: string, from: number, to: number) => {
    if (ndjson !== null) ndjson.lines(piece, from, to);
    else if (csv !== null) csv.rows(piece, from, to);
    else text!.piece(piece, from, to);
  };
  let binary = false;
  for await (const chunk of pieces(decodeStream(counted(source, total), encoding, cap))) {
    // Once binary, keep reading only to report the body's size.
    if (binary) continue;
    if (!label.startsWith('utf-16') && Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).indexOf(0) >= 0) {
      binary = true;
      continue;
    }
    let piece = utf8 !== null ? utf8.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)) : other!.decode(chunk, { stream: true });
    if (first && piece.length > 0) {
      if (piece.charCodeAt(0) === 0xfeff) piece = piece.slice(1);
      first = false;
    }
    let cut: number;
    if (csv !== null) {
      const found = csvCut(piece, parity);
      parity = found.parity;
      cut = found.cut;
    } else {
      const newline = piece.lastIndexOf('\n');
      cut = newline < 0 ? -1 : newline + 1;
    }
    if (cut < 0) {
      pending += piece;
      continue;
    }
    const whole = pending + piece;
    const end = pending.length + cut;
    walk(whole, 0, end);
    pending = whole.slice(end);
    // The carried part starts at a row boundary, so its own quote parity is the chunk's end parity.
  }
  if (binary) return { bytes: total.bytes, binary: true };
  const rest = pending + (utf8 !== null ? utf8.end() : other!.decode());
  if (rest.length > 0) walk(rest, 0, rest.length);
  text?.finish();
  return { bytes: total.bytes, binary: false };
}

/**
 * Streams (CLARIFICATIONS 20): NDJSON, CSV and text are walked as the chunks arrive, cut only at
 * line or row boundaries, so a 1 GB file is scanned in bounded memory. UTF-8 chunks are walked as
 * bytes (no byte of a multi-byte character is a newline or a quote, so a cut never splits one);
 * other charsets are decoded in TextDecoder's stream mode and encoded to UTF-8.
 */
import type { ScanContext } from './context.ts';
import { charsetLabel, decodeStream, type ContentType } from './decode.ts';
import { CsvWalker } from './csv.ts';
import { JsonWalker } from './json.ts';
import { NdjsonWalker } from './ndjson.ts';
import { TextWalker } from './text.ts';
import { asBuffer } from './utf8.ts';

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
 * bytes. Returns the cut (index after the newline, -1 if none) and the parity at the end.
 */
export function csvCut(chunk: Buffer, parity: number): { cut: number; parity: number } {
  let evenFrom = parity === 0 ? 0 : -1;
  let cut = -1;
  let quote = chunk.indexOf(34);
  while (quote >= 0) {
    if (parity === 0 && quote > evenFrom) {
      const newline = quote === 0 ? -1 : chunk.lastIndexOf(10, quote - 1);
      if (newline >= evenFrom) cut = newline + 1;
    }
    parity ^= 1;
    if (parity === 0) evenFrom = quote + 1;
    quote = chunk.indexOf(34, quote + 1);
  }
  if (parity === 0) {
    const newline = chunk.lastIndexOf(10);
    if (newline >= evenFrom) cut = newline + 1;
  }
  return { cut, parity };
}

/** The unfinished line (or row) carried from one chunk to the next, in one reused buffer. */
class Carry {
  bytes = Buffer.allocUnsafe(64 * 1024);
  length = 0;

  append(piece: Buffer, from: number): void {
    const needed = this.length + piece.length - from;
    if (needed > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    this.length += piece.copy(this.bytes, this.length, from);
  }

  drop(n: number): void {
    this.bytes.copyWithin(0, n, this.length);
    this.length -= n;
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
  const other = label === 'utf-8' ? null : new TextDecoder(label);
  const ndjson = type.kind === 'ndjson' ? new NdjsonWalker(ctx, new JsonWalker(ctx, maxDepth)) : null;
  const csv = type.kind === 'csv' ? new CsvWalker(ctx) : null;
  const text = ndjson === null && csv === null ? new TextWalker(ctx) : null;
  const walk = (src: Buffer, from: number, to: number) => {
    if (ndjson !== null) ndjson.lines(src, from, to);
    else if (csv !== null) csv.rows(src, from, to);
    else text!.piece(src, from, to);
  };
  const carry = new Carry();
  let parity = 0;
  // A UTF-8 byte-order mark is dropped once the first three bytes are in (TextDecoder drops its own).
  let bomChecked = other !== null;
  let binary = false;
  for await (const chunk of decodeStream(counted(source, total), encoding, cap)) {
    // Once binary, keep reading only to report the body's size.
    if (binary) continue;
    const raw = asBuffer(chunk);
    if (!label.startsWith('utf-16') && raw.indexOf(0) >= 0) {
      binary = true;
      continue;
    }
    const piece = other === null ? raw : Buffer.from(other.decode(chunk, { stream: true }));
    if (!bomChecked) {
      carry.append(piece, 0);
      if (carry.length < 3) continue;
      bomChecked = true;
      if (carry.bytes[0] === 0xef && carry.bytes[1] === 0xbb && carry.bytes[2] === 0xbf) carry.drop(3);
      cutAndWalk(carry.bytes, 0, carry.length);
      continue;
    }
    if (carry.length === 0) {
      // Most chunks of a line-oriented file are walked where they lie; only the tail is copied.
      const cut = cutOf(piece, 0);
      if (cut < 0) carry.append(piece, 0);
      else {
        walk(piece, 0, cut);
        carry.append(piece, cut);
      }
      continue;
    }
    const before = carry.length;
    carry.append(piece, 0);
    cutAndWalk(carry.bytes, before, carry.length);
  }
  if (binary) return { bytes: total.bytes, binary: true };
  if (other !== null) carry.append(Buffer.from(other.decode()), 0);
  if (carry.length > 0) walk(carry.bytes, 0, carry.length);
  text?.finish();
  return { bytes: total.bytes, binary: false };

  /** Where the complete lines (rows) of `piece[from, …)` end, the quote parity carried; -1 if none. */
  function cutOf(piece: Buffer, from: number): number {
    const part = from === 0 ? piece : piece.subarray(from);
    if (csv !== null) {
      const found = csvCut(part, parity);
      parity = found.parity;
      return found.cut < 0 ? -1 : from + found.cut;
    }
    const newline = part.lastIndexOf(10);
    return newline < 0 ? -1 : from + newline + 1;
  }

  /** Walks the carry's complete lines, the new bytes starting at `from`, and keeps the rest. */
  function cutAndWalk(bytes: Buffer, from: number, to: number): void {
    const cut = cutOf(bytes.subarray(0, to), from);
    if (cut < 0) return;
    walk(bytes, 0, cut);
    carry.drop(cut);
  }
}

/**
 * Reads a request body whole, up to `maxInspectBytes`: nothing is forwarded before it is
 * inspected, so the bound is what keeps one request's memory finite (413 beyond it).
 */
import { XborderError } from '../errors.ts';

export async function readBody(source: AsyncIterable<Uint8Array> | null, limit: number, declaredLength?: string): Promise<Buffer> {
  if (declaredLength !== undefined && Number(declaredLength) > limit) throw tooLarge(limit);
  if (source === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of source) {
      total += chunk.byteLength;
      if (total > limit) throw tooLarge(limit);
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
  } catch (error) {
    if (error instanceof XborderError) throw error;
    // The caller went away mid-upload: nothing was decided, nothing is forwarded.
    throw new XborderError('XB_ERR_BAD_INPUT', 'the request body was cut off before its end', { cause: error });
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

function tooLarge(limit: number): XborderError {
  return new XborderError('XB_ERR_BODY_TOO_LARGE', `the body is larger than the inspection limit of ${limit} bytes`, {
    details: { maxInspectBytes: limit },
  });
}

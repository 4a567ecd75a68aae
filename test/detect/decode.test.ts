import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../../src/detect/index.ts';
import { isXborderError } from '../../src/errors.ts';
import { at, finding, idA } from './helpers.ts';

const body = Buffer.from(JSON.stringify([{ name: '张三', idNo: idA }]));
const json = { contentType: 'application/json', at };

describe('content encodings', () => {
  it('decodes gzip, deflate (zlib or raw), br, and stacked encodings', async () => {
    const cases: [string, Buffer][] = [
      ['gzip', gzipSync(body)],
      ['x-gzip', gzipSync(body)],
      ['deflate', deflateSync(body)],
      ['deflate', deflateRawSync(body)],
      ['br', brotliCompressSync(body)],
      ['gzip, br', brotliCompressSync(gzipSync(body))],
      ['identity', body],
    ];
    for (const [encoding, encoded] of cases) {
      const result = await scan(encoded, { ...json, contentEncoding: encoding });
      expect(finding(result, 'cn_resident_id')?.count, encoding).toBe(1);
      expect(result.bytes).toBe(encoded.byteLength);
    }
  });

  it('refuses a gzip bomb at the decode cap', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)); // 64 MiB of spaces in ~64 KB
    expect(bomb.byteLength).toBeLessThan(200_000);
    const error = await scan(bomb, { ...json, contentEncoding: 'gzip', maxDecodedBytes: 8 * 1024 * 1024 }).catch((e: unknown) => e);
    expect(isXborderError(error, 'XB_ERR_DECODE_LIMIT')).toBe(true);
    // Streamed, the same bomb is refused at the same cap.
    async function* chunks() {
      for (let i = 0; i < bomb.byteLength; i += 16_384) yield bomb.subarray(i, i + 16_384);
    }
    await expect(
      scan(chunks(), { contentType: 'application/x-ndjson', contentEncoding: 'gzip', maxDecodedBytes: 8 * 1024 * 1024, at }),
    ).rejects.toMatchObject({ code: 'XB_ERR_DECODE_LIMIT' });
  });

  it('refuses zstd and unknown encodings with the 415 code', async () => {
    for (const encoding of ['zstd', 'compress', 'gzip, zstd']) {
      const error = await scan(body, { ...json, contentEncoding: encoding }).catch((e: unknown) => e);
      expect(isXborderError(error, 'XB_ERR_UNSUPPORTED_ENCODING'), encoding).toBe(true);
      expect((error as { status: number }).status).toBe(415);
    }
  });
});

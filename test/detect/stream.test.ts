import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvHeader, csvRow, order, rng } from '../../bench/lib/detect-data.ts';
import { scan } from '../../src/detect/index.ts';
import { at } from './helpers.ts';

/** Splits bytes at the given cut points, so chunks end inside UTF-8 sequences, quotes and lines. */
async function* chunked(bytes: Uint8Array, cuts: number[]): AsyncIterable<Uint8Array> {
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.byteLength + 1)))].sort((a, b) => a - b)) {
    yield bytes.subarray(from, cut);
    from = cut;
  }
  yield bytes.subarray(from);
}

function body(seed: number, records: number, format: 'ndjson' | 'csv'): Buffer {
  const next = rng(seed);
  const orders = Array.from({ length: records }, () => order(next));
  if (format === 'ndjson') return Buffer.from(orders.map((o) => JSON.stringify(o)).join('\n'));
  // Quoted cells with commas and newlines make the cut points interesting.
  const rows = orders.map((o, i) => (i % 3 === 0 ? `${csvRow(o)},"备注, 第${i}行\n续行 ""引号"""` : `${csvRow(o)},`));
  return Buffer.from([`${csvHeader},备注`, ...rows].join('\r\n'));
}

describe('streamed bodies', () => {
  for (const format of ['ndjson', 'csv'] as const) {
    it(`scans a chunked ${format} stream exactly like the buffered body`, async () => {
      const contentType = format === 'csv' ? 'text/csv' : 'application/x-ndjson';
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 1_000_000 }),
          fc.integer({ min: 0, max: 40 }),
          fc.array(fc.nat(), { maxLength: 30 }),
          async (seed, records, cuts) => {
            const bytes = body(seed, records, format);
            const buffered = await scan(bytes, { contentType, at });
            const streamed = await scan(chunked(bytes, cuts), { contentType, at });
            expect(streamed).toEqual(buffered);
            expect(buffered.records).toBe(records);
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  it('streams a gzip-encoded body and a GB18030 CSV like their buffered forms', async () => {
    const bytes = body(5, 200, 'ndjson');
    const gzipped = gzipSync(bytes);
    const contentType = 'application/x-ndjson';
    const streamed = await scan(chunked(gzipped, [10, 999, 5000]), { contentType, contentEncoding: 'gzip', at });
    const buffered = await scan(gzipped, { contentType, contentEncoding: 'gzip', at });
    expect(streamed).toEqual(buffered);
    expect(buffered.records).toBe(200);
    // 姓名,身份证号 in GB18030, then ASCII rows; cut inside the two-byte characters.
    const gb = Buffer.concat([Buffer.from('d0d5c3fb2cc9edb7ddd6a4bac50a', 'hex'), Buffer.from('x,11010519491231002X\n'.repeat(50))]);
    const gbType = { contentType: 'text/csv; charset=GBK', at };
    const gbStreamed = await scan(chunked(gb, [1, 3, 5, 8, 40]), gbType);
    expect(gbStreamed).toEqual(await scan(gb, gbType));
    expect(gbStreamed.findings.find((f) => f.type === 'cn_resident_id')).toMatchObject({ count: 50, paths: ['$[*].身份证号'] });
  });

  it('streams text and reports a stream that turns out binary', async () => {
    const text = Buffer.from(`联系电话 13812345678\n`.repeat(100));
    const result = await scan(chunked(text, [7, 100, 1001]), { contentType: 'text/plain', at });
    expect(result.findings.find((f) => f.type === 'cn_mobile')!.count).toBe(100);
    const binary = await scan(chunked(Buffer.concat([text, Buffer.from([0, 1, 2])]), [50]), { contentType: 'text/plain', at });
    expect(binary.unscanned).toEqual({ reason: 'binary', bytes: text.byteLength + 3 });
  });

  it('buffers a streamed JSON body (walked whole) with the same result', async () => {
    const bytes = Buffer.from(JSON.stringify([{ name: '张三', idNo: '11010519491231002X' }]));
    const streamed = await scan(chunked(bytes, [3, 10]), { contentType: 'application/json', at });
    expect(streamed).toEqual(await scan(bytes, { contentType: 'application/json', at }));
  });
});

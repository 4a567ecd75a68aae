import { describe, expect, it } from 'vitest';
import { residentId, rng } from '../../bench/lib/detect-data.ts';
import { scan } from '../../src/detect/index.ts';
import { state } from '../../src/detect/values-state.ts';
import { at, finding, idA, json } from './helpers.ts';

/**
 * A scan's result depends on its body and options alone: nothing one scan leaves in the
 * module (caches of field names, scratch state of the value pass) may change another's.
 */
describe('scans are independent of each other', () => {
  it('reads a key that is a resident ID by its own scan date, whatever date an earlier scan had', async () => {
    // Born 2025: no ID on a 2020 scan date (a birth date after it), an ID of a minor on `at` (2026).
    const id = residentId(rng(3), 2025);
    const body = JSON.stringify({ byPerson: { [id]: { name: '张三' } } });
    const before = { contentType: 'application/json', at: new Date('2020-01-01T00:00:00+08:00') };
    expect(finding(await scan(body, before), 'cn_resident_id')).toBeUndefined();

    const result = await scan(body, { contentType: 'application/json', at });
    expect(JSON.stringify(result)).not.toContain(id);
    expect(finding(result, 'cn_resident_id')!.paths).toEqual(['$.byPerson.<cn_resident_id>']);
    expect(finding(result, 'minor')!.count).toBe(1);
  });

  it('gives two streams scanned at once, chunks alternating, the results each gets alone', async () => {
    const id = residentId(rng(5), 2025);
    const lines = (n: number) => Buffer.from(Array.from({ length: n }, (_, k) => JSON.stringify({ [id]: { name: '张三', n: k } })).join('\n'));
    async function* alternating(bytes: Buffer, turn: number): AsyncIterable<Uint8Array> {
      for (let i = 0; i < bytes.length; i += 16) {
        // Each stream yields on its own turn of the event loop, so the two scans interleave.
        for (let t = 0; t <= turn; t++) await new Promise((resolve) => setImmediate(resolve));
        yield bytes.subarray(i, i + 16);
      }
    }
    const ndjson = 'application/x-ndjson';
    const early = { contentType: ndjson, at: new Date('2020-01-01T00:00:00+08:00') };
    const late = { contentType: ndjson, at };
    const [first, second] = await Promise.all([scan(alternating(lines(20), 0), early), scan(alternating(lines(20), 1), late)]);
    expect(first).toEqual(await scan(lines(20), early));
    expect(second).toEqual(await scan(lines(20), late));
    expect(finding(second, 'cn_resident_id')!.count).toBe(20);
    expect(JSON.stringify(second)).not.toContain(id);
  });

  it('holds on to no part of a body once its scan is done', async () => {
    const body = Buffer.from(JSON.stringify(Array.from({ length: 200 }, () => ({ idNo: idA, note: 'x'.repeat(40) }))));
    await scan(body, json);
    // The value pass's module state kept the last body it read alive until the next scan.
    expect(state.src.buffer).not.toBe(body.buffer);
    expect(state.src.length).toBe(0);
  });
});

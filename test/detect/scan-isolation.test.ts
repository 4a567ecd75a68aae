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

  it('holds on to no part of a body once its scan is done', async () => {
    const body = Buffer.from(JSON.stringify(Array.from({ length: 200 }, () => ({ idNo: idA, note: 'x'.repeat(40) }))));
    await scan(body, json);
    // The value pass's module state kept the last body it read alive until the next scan.
    expect(state.src.buffer).not.toBe(body.buffer);
    expect(state.src.length).toBe(0);
  });
});

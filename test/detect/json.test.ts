import { describe, expect, it } from 'vitest';
import { scan, scanWithEvidence } from '../../src/detect/index.ts';
import { isXborderError } from '../../src/errors.ts';
import { at, finding, gbExampleId, idA, idB, json, minorId, mobileA, mobileB } from './helpers.ts';

describe('JSON bodies', () => {
  it('reports field paths with arrays collapsed to [*], and counts every occurrence', async () => {
    const body = JSON.stringify({
      orders: [
        { orderNo: '202412345678901234', buyer: { name: '张三', idNo: gbExampleId } },
        { orderNo: '202412345678901299', buyer: { name: '李四', idNo: idA } },
      ],
    });
    const result = await scan(body, json);
    const ids = finding(result, 'cn_resident_id')!;
    expect(ids.count).toBe(2);
    expect(ids.paths).toEqual(['$.orders[*].buyer.idNo']);
    expect(ids.grade).toBe('pi');
    expect(ids.sensitive).toBe(false);
    expect(ids.why.length).toBeGreaterThan(0);
    expect(result.records).toBe(2);
    expect(result.identifiable).toBe(2);
    expect(result.parseError).toBeNull();
  });

  it('keeps at most five distinct paths per finding', async () => {
    const body = JSON.stringify(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`phone${i}`, mobileA])));
    const result = await scan(body, json);
    expect(finding(result, 'cn_mobile')!.count).toBe(8);
    expect(finding(result, 'cn_mobile')!.paths).toHaveLength(5);
  });

  it('replaces a key that is itself an ID number or phone by a placeholder in paths, and counts it', async () => {
    const body = JSON.stringify({ byPerson: { [gbExampleId]: { score: 3 }, [mobileA]: 'vip' } });
    const result = await scan(body, json);
    const text = JSON.stringify(result);
    expect(text).not.toContain(gbExampleId);
    expect(text).not.toContain(mobileA);
    expect(finding(result, 'cn_resident_id')!.paths).toEqual(['$.byPerson.<cn_resident_id>']);
    expect(finding(result, 'cn_mobile')!.count).toBe(1);
  });

  it('reads a field name right however many keys look alike at both ends (they share one chain of the key table)', async () => {
    // Same length, same first two and last two characters as `diagnosis`: the walker's key hash
    // sees no difference, so `diagnosis` itself is crowded out of the table and looked up whole.
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    const alike = Array.from({ length: 300 }, (_, i) => `di${letters[i % 26]}${letters[Math.floor(i / 26) % 26]}xyzis`);
    for (const order of [[...alike, 'diagnosis'], ['diagnosis', ...alike]]) {
      const records = [Object.fromEntries(order.map((key) => [key, ''] as const)), { diagnosis: '2型糖尿病', name: '张三' }];
      const result = await scan(JSON.stringify(records), json);
      expect(finding(result, 'health'), order[0]).toMatchObject({ count: 1, paths: ['$[*].diagnosis'] });
    }
  });

  it('never puts a raw value in the result', async () => {
    const body = JSON.stringify([{ name: '王小明', idNo: idA, mobile: mobileA, diagnosis: '二型糖尿病', email: 'wang@example.cn' }]);
    const text = JSON.stringify(await scan(body, json));
    for (const raw of [idA, mobileA, '王小明', '二型糖尿病', 'wang@example.cn']) expect(text).not.toContain(raw);
  });

  it('counts the listed objects of an envelope as its records, however it is wrapped', async () => {
    const people = [
      { name: '张三', idNo: idA },
      { name: '李四', mobile: mobileB },
      { name: '王五' },
    ];
    const bare = await scan(JSON.stringify(people), json);
    for (const envelope of [{ orders: people }, { code: 0, data: { list: people } }, { data: { page: 1, list: people, meta: { tags: [{ a: 1 }] } } }]) {
      const wrapped = await scan(JSON.stringify(envelope), json);
      expect(wrapped.records, JSON.stringify(envelope)).toBe(bare.records);
      expect(wrapped.identifiable).toBe(bare.identifiable);
    }
    // Two lists at the same depth are both records; an object without a list of objects is one.
    expect((await scan(JSON.stringify({ buyers: people, sellers: people.slice(0, 2) }), json)).records).toBe(5);
    expect((await scan(JSON.stringify({ name: '张三', idNo: idA, tags: ['a', 'b'] }), json)).records).toBe(1);
    expect((await scan(JSON.stringify({ items: [{ sku: 1 }] }), json)).records).toBe(1);
  });

  it('counts each identifiable person, two in one record included', async () => {
    const order = { buyer: { name: '张三', idNo: idA }, receiver: { name: '李四', mobile: mobileB } };
    const result = await scan(JSON.stringify([order]), json);
    expect(result.records).toBe(1);
    expect(result.subjects).toBe(2);
    expect(result.identifiable).toBe(2);
  });

  it('treats a top-level array element as a record and names identifiable records', async () => {
    const body = JSON.stringify([
      { name: '张三', idNo: idA },
      { name: '李四' },
      { mobile: mobileB },
    ]);
    const result = await scan(body, json);
    expect(result.records).toBe(3);
    expect(result.identifiable).toBe(1);
    expect(result.subjects).toBe(3);
  });

  it('scans a body nested 100,000 levels deep with a clear error, not a stack overflow', async () => {
    const depth = 100_000;
    const body = '['.repeat(depth) + ']'.repeat(depth);
    const error = await scan(body, json).catch((e: unknown) => e);
    expect(isXborderError(error, 'XB_ERR_NESTING_TOO_DEEP')).toBe(true);
    const objects = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    await expect(scan(objects, json)).rejects.toMatchObject({ code: 'XB_ERR_NESTING_TOO_DEEP' });
  });

  it('accepts nesting up to the bound', async () => {
    const body = '['.repeat(500) + JSON.stringify({ idNo: idA }) + ']'.repeat(500);
    expect(finding(await scan(body, json), 'cn_resident_id')!.count).toBe(1);
  });

  it('scans a 50 MB single-line string value', async () => {
    const filler = 'x'.repeat(25 * 1024 * 1024);
    const body = `{"note":"${filler} 身份证号码：${idA} ${filler}"}`;
    const result = await scan(body, json);
    expect(result.bytes).toBeGreaterThan(50 * 1024 * 1024);
    expect(finding(result, 'cn_resident_id')!.count).toBe(1);
  }, 60_000);

  it('scans malformed JSON as text and says parseError without quoting the body', async () => {
    const body = `{"buyer": {"idNo": "${idA}", "mobile": ${mobileA} "x": "${gbExampleId}"`;
    const result = await scan(body, json);
    expect(result.parseError).toMatch(/offset \d+/);
    expect(result.parseError).not.toContain(gbExampleId);
    expect(finding(result, 'cn_resident_id')!.count).toBe(2);
    expect(finding(result, 'cn_mobile')!.count).toBe(1);
  });

  it('finds values hidden behind \\u escapes and spans the raw string', async () => {
    const escaped = [...idA].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    const body = `{"x":"${escaped}"}`;
    const { result, evidence } = await scanWithEvidence(body, json);
    expect(finding(result, 'cn_resident_id')!.count).toBe(1);
    const span = evidence.spans.find((s) => s.type === 'cn_resident_id')!;
    expect(body.slice(span.start, span.end)).toBe(escaped);
  });

  it('reads a number written with a fraction or an exponent as the integer a JSON parser makes of it', async () => {
    // 1.3812345678e10 is 13812345678 to JSON.parse and json.loads alike.
    const card = '6234567890123451';
    const body = `[{"tel":1.3812345678e10},{"tel":13812345678.000},{"tel":138123456780E-1},{"acct":${card[0]}.${card.slice(1)}e+15}]`;
    const { result, evidence } = await scanWithEvidence(body, json);
    expect(finding(result, 'cn_mobile')!.count).toBe(3);
    expect(finding(result, 'bank_card')!.count).toBe(1);
    const span = evidence.spans.find((s) => s.type === 'cn_mobile')!;
    expect(body.slice(span.start, span.end)).toBe('1.3812345678e10');
    // Not every number is an identifier: amounts and small exponents stay what they are.
    expect((await scan('{"amount":1.5e3,"ratio":0.13812345678}', json)).findings).toEqual([]);
  });

  it('gives evidence spans with real indexes that point at the values', async () => {
    const body = JSON.stringify({ list: [{ idNo: idA }, { idNo: idB }] });
    const { evidence } = await scanWithEvidence(body, json);
    const ids = evidence.spans.filter((s) => s.type === 'cn_resident_id');
    expect(ids.map((s) => s.path)).toEqual(['$.list[0].idNo', '$.list[1].idNo']);
    expect(ids.map((s) => evidence.text!.slice(s.start, s.end))).toEqual([idA, idB]);
  });

  it('gives the evidence text of a byte body as it was scanned, even if the caller then reuses its buffer', async () => {
    const text = JSON.stringify({ list: [{ name: '陈晓明', idNo: idA }, { name: '李四', idNo: idB }] });
    const bytes = Buffer.from(text);
    const { evidence } = await scanWithEvidence(bytes, json);
    bytes.fill(0x20);
    expect(evidence.text).toBe(text);
    const ids = evidence.spans.filter((s) => s.type === 'cn_resident_id');
    expect(ids.map((s) => evidence.text!.slice(s.start, s.end))).toEqual([idA, idB]);
  });

  it('derives minors from resident IDs on the pinned scan date', async () => {
    const body = JSON.stringify([{ name: '小明', idNo: minorId }, { name: '老王', idNo: idA }]);
    const result = await scan(body, json);
    const minor = finding(result, 'minor')!;
    expect(minor.count).toBe(1);
    expect(minor.sensitive).toBe(true);
    expect(minor.grade).toBe('sensitive-pi');
    expect(result.sensitiveSubjects).toBe(1);
    // Born in 2016, the holder is 15 by the end of 2031: no longer a minor, no sensitive subject.
    const later = await scan(body, { ...json, at: new Date('2031-12-31T00:00:00+08:00') });
    expect(finding(later, 'minor')).toBeUndefined();
    expect(later.sensitiveSubjects).toBe(0);
  });

  it('counts the resident IDs of Taiwan, Hong Kong and Macao residents (71, 81, 82, 83) apart, for Art. 4', async () => {
    const people = ['810000199001011230', '820000198512124568', '830000197707077893', '710000200002293219', idA].map((idNo) => ({ name: '陈大文', idNo }));
    // A token under an ID field says nothing of where its holder lives: it counts as mainland (the strict reading).
    people.push({ name: '李四', idNo: 'tok_9f8e7d6c5b4a' });
    const ids = finding(await scan(JSON.stringify(people), json), 'cn_resident_id')!;
    expect(ids).toMatchObject({ count: 6, nonMainland: 4 });
    const csv = await scan(`姓名,身份证号\r\n陈大文,810000199001011230\r\n张伟,${idA}\r\n`, { contentType: 'text/csv', at });
    expect(finding(csv, 'cn_resident_id')).toMatchObject({ count: 2, nonMainland: 1 });
    expect(finding(await scan(JSON.stringify({ idNo: idA }), json), 'cn_resident_id')).toMatchObject({ count: 1, nonMainland: 0 });
  });

  it('makes a bare resident ID sensitive only when asked', async () => {
    const body = JSON.stringify([{ name: '张三', idNo: idA }]);
    expect((await scan(body, json)).sensitiveSubjects).toBe(0);
    const strict = await scan(body, { ...json, bareResidentIdSensitive: true });
    expect(strict.sensitiveSubjects).toBe(1);
    expect(finding(strict, 'cn_resident_id')!.grade).toBe('sensitive-pi');
  });

  it('grades organisation codes and network data general', async () => {
    const body = JSON.stringify({ ip: '203.0.113.7', company: { uscc: '91350100M000100Y43' } });
    const result = await scan(body, json);
    expect(finding(result, 'ipv4')?.grade).toBe('general');
    expect(result.subjects).toBe(0);
  });

  it('reads a value under a category field as that category, but not an empty, null or masked one', async () => {
    const body = JSON.stringify([
      { name: '甲', diagnosis: '高血压' },
      { name: '乙', diagnosis: '' },
      { name: '丙', diagnosis: null },
      { name: '丁', diagnosis: '***' },
    ]);
    const result = await scan(body, json);
    expect(finding(result, 'health')!.count).toBe(1);
    expect(result.sensitiveSubjects).toBe(1);
  });

  it('reads a value of raw blanks (CR, LF: lenient JSON) under a name or category field as empty', async () => {
    // The characters themselves, not JSON escapes: the walker lets raw control characters through.
    const body = '[{"name": "\r\n", "diagnosis": "\n"}, {"name": " \n ", "diagnosis": "\t\r"}]';
    const result = await scan(body, json);
    expect(result.findings).toEqual([]);
    expect(result.subjects).toBe(0);
  });

  it('re-scans a masked body clean', async () => {
    const masked = JSON.stringify([{ name: '***', idNo: '110105********002X', mobile: '138****5678', diagnosis: '****' }]);
    const result = await scan(masked, json);
    expect(result.findings).toEqual([]);
    expect(result.subjects).toBe(0);
  });

  it('sniffs a body without a content type', async () => {
    const result = await scan(JSON.stringify({ idNo: idA }), { at });
    expect(finding(result, 'cn_resident_id')!.paths).toEqual(['$.idNo']);
  });
});

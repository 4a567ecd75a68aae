/**
 * Digits of other scripts and invisible format characters: Python's int() and Java's
 * Long.parseLong read ١٣٨١٢٣٤٥٦٧٨ as 13812345678, and a reader that keeps the digits of
 * 138\u200b12345678 has the number. The scan reads both as the recipient does, and spans cover the
 * value as it stands in the body (for the masker).
 */
import { describe, expect, it } from 'vitest';
import { scan, scanWithEvidence } from '../../src/detect/index.ts';
import { at, finding, idA, json, mobileA, unionPayCard } from './helpers.ts';

/** `value`'s ASCII digits written in the script whose zero is `zero`. */
const inScript = (value: string, zero: number) => value.replace(/[0-9]/g, (d) => String.fromCodePoint(zero + Number(d)));

describe('digits of other scripts and format characters', () => {
  it('finds a mobile, a resident ID and a card written in Arabic-Indic, Persian, Devanagari, Bengali or mathematical digits', async () => {
    for (const zero of [0x660, 0x6f0, 0x966, 0x9e6, 0x1d7ce]) {
      const body = JSON.stringify({ tel: inScript(mobileA, zero), who: inScript(idA, zero), acct: inScript(unionPayCard, zero) });
      const result = await scan(body, json);
      expect(finding(result, 'cn_mobile')?.count, zero.toString(16)).toBe(1);
      expect(finding(result, 'cn_resident_id')?.count, zero.toString(16)).toBe(1);
      expect(finding(result, 'bank_card')?.count, zero.toString(16)).toBe(1);
    }
  });

  it('finds a value split by zero-width, soft-hyphen, joiner or direction characters', async () => {
    for (const mark of ['\u200b', '\u00ad', '\u2060', '\u200e', '\u202a', '\ufeff', '\u200d']) {
      const tel = `${mobileA.slice(0, 3)}${mark}${mobileA.slice(3, 7)}${mark}${mark}${mobileA.slice(7)}`;
      for (const [body, contentType] of [
        [JSON.stringify({ note: `call ${tel}` }), 'application/json'],
        [`name,tel\n王,${tel}\n`, 'text/csv'],
        [`电话 ${tel}`, 'text/plain; charset=utf-8'],
      ] as const) {
        expect(finding(await scan(body, { contentType, at }), 'cn_mobile')?.count, `${contentType} U+${mark.codePointAt(0)!.toString(16)}`).toBe(1);
      }
    }
  });

  it('folds what a decoding reveals: percent-encoded form values and keys, JSON escapes, XML character references', async () => {
    const tel = `${inScript(mobileA.slice(0, 6), 0x660)}\u200b${mobileA.slice(6)}`;
    const percent = encodeURIComponent(tel);
    const escapes = [...tel].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    const references = [...tel].map((c) => `&#${c.codePointAt(0)};`).join('');
    for (const [body, contentType] of [
      [`tel=${percent}`, 'application/x-www-form-urlencoded'],
      [`${percent}=vip`, 'application/x-www-form-urlencoded'],
      [`{"tel":"${escapes}"}`, 'application/json'],
      [`<r><tel>${references}</tel></r>`, 'application/xml'],
    ] as const) {
      expect(finding(await scan(body, { contentType, at }), 'cn_mobile')?.count, body).toBe(1);
    }
  });

  it('spans the value as written, so the masker covers every character of it', async () => {
    const tel = inScript(mobileA, 0x660);
    const body = `{"a":"x ${tel.slice(0, 5)}\u200b${tel.slice(5)} y","b":"${mobileA}"}`;
    const { evidence } = await scanWithEvidence(body, json);
    const spans = evidence.spans.filter((s) => s.type === 'cn_mobile').map((s) => evidence.text!.slice(s.start, s.end));
    expect(spans).toEqual([`${tel.slice(0, 5)}\u200b${tel.slice(5)}`, mobileA]);
  });

  it('leaves text whose format characters join no digits as it was: emoji sequences, a leading byte-order mark', async () => {
    const body = JSON.stringify({ note: '👨\u200d👩\u200d👧 家庭', n: '\u200b' });
    const result = await scan(Buffer.from(`\ufeff${body}`), json);
    expect(result.findings).toEqual([]);
    expect(result.parseError).toBeNull();
  });
});

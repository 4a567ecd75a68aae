/**
 * Generated identifiers (fast-check): every valid one, built from random parts with its real
 * check character, is found with the right type, span and identifier; every decoy — wrong check
 * digits, order numbers, timestamps, barcodes, glued digits — is not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findValues, mayHoldValues } from '../../src/detect/values.ts';
import type { ValueHit } from '../../src/detect/types.ts';
import { sensitiveCategories } from '../../src/domain.ts';

const at = new Date('2026-06-01T04:00:00Z');
const runs = { numRuns: 300 };

function find(text: string): ValueHit[] {
  const out: ValueHit[] = [];
  findValues(text, 0, text.length, null, at, out);
  return out;
}

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
const before = fc.constantFrom('', ' ', '证件：', '"', '客户 ', '，', '\n', 'no. ');
const after = fc.constantFrom('', ' ', '。', '"', ',', '\n', ' 备注');

const provinces = ['11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37', '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82', '83'];

function idCheck(body: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let k = 0; k < 17; k++) sum += Number(body[k]) * (weights[k] ?? 0);
  return '10X98765432'[sum % 11] ?? '';
}

function luhnDigit(body: string): string {
  let sum = 0;
  for (let k = 0; k < body.length; k++) {
    let d = Number(body[body.length - 1 - k]);
    if (k % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

const birthDates = fc
  .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2026-05-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10).replaceAll('-', ''));

const residentIds = fc
  .tuple(fc.constantFrom(...provinces), digits(4), birthDates, digits(3))
  .map(([province, area, birth, sequence]) => {
    const body = province + area + birth + sequence;
    return body + idCheck(body);
  });

/** Checks that `value` placed in a context is found exactly once, with its span, type and identifier. */
function expectFound(prefix: string, value: string, suffix: string, type: string, identifier: string | null): void {
  const text = prefix + value + suffix;
  const hits = find(text);
  expect(hits, text).toHaveLength(1);
  expect(hits[0]).toMatchObject({ type, start: prefix.length, end: prefix.length + value.length, identifier });
}

describe('generated valid identifiers are all found', () => {
  it('resident IDs', () => {
    fc.assert(fc.property(before, residentIds, after, (p, id, s) => expectFound(p, id, s, 'cn_resident_id', `cn_resident_id:${id}`)), runs);
  });

  it('mobiles, plain, grouped and with a country code', () => {
    const mobiles = fc.tuple(fc.integer({ min: 3, max: 9 }), digits(9)).map(([second, rest]) => `1${second}${rest}`);
    const formats = fc.constantFrom(
      (m: string) => m,
      (m: string) => `${m.slice(0, 3)} ${m.slice(3, 7)} ${m.slice(7)}`,
      (m: string) => `${m.slice(0, 3)}-${m.slice(3, 7)}-${m.slice(7)}`,
      (m: string) => `+86 ${m}`,
      (m: string) => `+86${m}`,
      (m: string) => `0086-${m}`,
    );
    fc.assert(fc.property(before, mobiles, formats, after, (p, m, format, s) => expectFound(p, format(m), s, 'cn_mobile', `cn_mobile:${m}`)), runs);
  });

  it('UnionPay cards of 16 to 19 digits with their Luhn digit, plain or in groups of four', () => {
    const cards = fc
      .integer({ min: 16, max: 19 })
      .chain((length) => digits(length - 3))
      .map((middle) => `62${middle}` + luhnDigit(`62${middle}`));
    const grouped = fc.boolean();
    fc.assert(
      fc.property(before, cards, grouped, after, (p, card, spaced, s) => {
        const written = spaced ? card.replace(/(\d{4})(?=\d)/g, '$1 ') : card;
        expectFound(p, written, s, 'bank_card', `bank_card:${card}`);
      }),
      runs,
    );
  });

  it('USCCs with their mod-31 check character', () => {
    const charset = '0123456789ABCDEFGHJKLMNPQRTUWXY';
    const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    const codes = fc
      .tuple(fc.constantFrom('91', '92', '93', '11', '12', '51', '52', 'Y1', 'N1'), fc.constantFrom(...provinces.slice(0, 31)), digits(4), fc.array(fc.constantFrom(...charset), { minLength: 9, maxLength: 9 }))
      .map(([authority, province, area, entity]) => {
        const body = authority + province + area + entity.join('');
        let sum = 0;
        for (let k = 0; k < 17; k++) sum += charset.indexOf(body[k] ?? '') * (weights[k] ?? 0);
        return body + charset[(31 - (sum % 31)) % 31];
      });
    fc.assert(fc.property(before, codes, after, (p, code, s) => expectFound(p, code, s, 'cn_uscc', null)), runs);
  });

  it('HKIDs with one or two letters and their MOD 11 check character, with or without parentheses', () => {
    const hkids = fc
      .tuple(fc.constantFrom('', 'A', 'X', 'W'), fc.constantFrom(...'ABCDEGHKMPRVYZ'), digits(6))
      .map(([first, second, number]) => {
        const letters = first + second;
        let sum = first === '' ? 36 * 9 : (first.charCodeAt(0) - 55) * 9;
        sum += (second.charCodeAt(0) - 55) * 8;
        for (let k = 0; k < 6; k++) sum += Number(number[k]) * (7 - k);
        const value = (11 - (sum % 11)) % 11;
        return { letters, number, check: value === 10 ? 'A' : String(value) };
      });
    fc.assert(
      fc.property(before, hkids, fc.boolean(), after, (p, { letters, number, check }, parens, s) => {
        const written = parens ? `${letters}${number}(${check})` : `${letters}${number}${check}`;
        expectFound(p, written, s, 'hkid', `hkid:${letters}${number}(${check})`);
      }),
      runs,
    );
  });
});

describe('generated decoys are not found', () => {
  it('resident IDs with a wrong check character are never resident IDs', () => {
    fc.assert(
      fc.property(residentIds, fc.constantFrom(...'0123456789X'), (id, wrong) => {
        fc.pre(wrong !== id[17]);
        const decoy = id.slice(0, 17) + wrong;
        expect(find(decoy).filter((hit) => hit.type === 'cn_resident_id'), decoy).toEqual([]);
      }),
      runs,
    );
  });

  it('18-digit order numbers (a date and a serial) are nothing', () => {
    const orders = fc.tuple(fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2026-05-31T00:00:00Z'), noInvalidDate: true }), digits(10));
    fc.assert(
      fc.property(orders, ([day, serial]) => {
        const order = day.toISOString().slice(0, 10).replaceAll('-', '') + serial;
        expect(find(`订单号 ${order}`), order).toEqual([]);
      }),
      runs,
    );
  });

  it('13-digit millisecond timestamps are nothing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_000_000_000_000, max: 2_000_000_000_000 }), (ms) => {
        expect(find(`"ts":${ms}`)).toEqual([]);
      }),
      runs,
    );
  });

  it('EAN-13 barcodes (China 690–699, Germany 400–440, North America 000–139) are nothing', () => {
    const barcodes = fc
      .tuple(fc.oneof(fc.integer({ min: 690, max: 699 }), fc.integer({ min: 400, max: 440 }), fc.integer({ min: 0, max: 139 })), digits(9))
      .map(([prefix, rest]) => {
        const body = String(prefix).padStart(3, '0') + rest;
        let sum = 0;
        for (let k = 0; k < 12; k++) sum += Number(body[k]) * (k % 2 === 0 ? 1 : 3);
        return body + String((10 - (sum % 10)) % 10);
      });
    fc.assert(
      fc.property(barcodes, (ean) => {
        expect(find(`条码 ${ean}`), ean).toEqual([]);
      }),
      runs,
    );
  });

  it('valid numbers glued to another digit or a letter are nothing', () => {
    const glue = fc.constantFrom('0', '7', 'a', 'Z', 'x');
    fc.assert(
      fc.property(residentIds, glue, fc.boolean(), (id, g, atStart) => {
        const text = atStart ? g + id : id + g;
        expect(find(text).filter((hit) => hit.type === 'cn_resident_id'), text).toEqual([]);
      }),
      runs,
    );
  });

  it('cards whose last digit breaks the Luhn check are not cards', () => {
    fc.assert(
      fc.property(digits(15), fc.integer({ min: 1, max: 9 }), (middle, shift) => {
        const body = `62${middle}`;
        const wrong = (Number(luhnDigit(body)) + shift) % 10;
        expect(find(body + String(wrong)).filter((hit) => hit.type === 'bank_card')).toEqual([]);
      }),
      runs,
    );
  });
});

describe('properties of the pass', () => {
  /** Texts built from value fragments and the characters that separate or glue them. */
  const pieces = fc.constantFrom(
    '11010519491231002X', '13812345678', '4111111111111111', '91110000600037341L', 'A123456(3)', 'a.b@example.com', '192.168.1.1',
    'fe80::1', '39.9042,116.4074', '护照号码', 'E12345678', '车牌', '闽AD12345', '12345678', '+86', '0086', ' ', '-', '.', ':', '::',
    '@', ',', '张三', 'x', 'X', '7', '00', '(', ')', '*', '台胞证', '\n',
    '１３８１２３４５６７８', 'ｄｅａｄ：：ｂｅｅｆ', '＠', 'Ｅ', '：', '，', '－', '＊',
  );
  const texts = fc.array(pieces, { maxLength: 12 }).map((parts) => parts.join(''));

  it('mayHoldValues is never false where findValues finds something', () => {
    fc.assert(
      fc.property(texts, (text) => {
        if (find(text).length > 0) expect(mayHoldValues(text, 0, text.length), text).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads only text[start, end): the same hits, shifted, whatever surrounds the range', () => {
    fc.assert(
      fc.property(texts, texts, texts, (left, middle, right) => {
        const alone = find(middle);
        const out: ValueHit[] = [];
        const whole = left + middle + right;
        findValues(whole, left.length, left.length + middle.length, null, at, out);
        const shifted = out.map((hit) => ({ ...hit, start: hit.start - left.length, end: hit.end - left.length }));
        expect(shifted, JSON.stringify([left, middle, right])).toEqual(alone);
      }),
      { numRuns: 1000 },
    );
  });

  it('returns hits in order, inside the range, never overlapping', () => {
    fc.assert(
      fc.property(texts, (text) => {
        let last = 0;
        for (const hit of find(text)) {
          expect(hit.start, text).toBeGreaterThanOrEqual(last);
          expect(hit.end).toBeGreaterThan(hit.start);
          expect(hit.end).toBeLessThanOrEqual(text.length);
          last = hit.end;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('adversarial inputs stay linear', () => {
  const size = 1_000_000;
  const inputs: Record<string, string> = {
    'one digit run': '1'.repeat(size),
    'digits and spaces': '1 '.repeat(size / 2),
    'eight-digit groups': '12345678 '.repeat(size / 9),
    'at signs': 'a@'.repeat(size / 2),
    'dotted local parts': (`${'a.'.repeat(50)}@`).repeat(size / 101),
    'hex and colons': 'ab12:'.repeat(size / 5),
    'dots': '1.'.repeat(size / 2),
    'signed decimals': '-1.5,'.repeat(size / 5),
    'plate starts': '京A'.repeat(size / 2),
    'hotwords': '护照'.repeat(size / 2),
    'full-width digits': '１'.repeat(size),
    'full-width runs between commas': '１，'.repeat(size / 2),
  };
  for (const [name, text] of Object.entries(inputs)) {
    it(`${name} (1 MB)`, () => {
      const started = performance.now();
      find(text);
      // Linear work is tens of milliseconds; a quadratic pass would take hours.
      expect(performance.now() - started).toBeLessThan(5000);
    });
  }
});

/**
 * Digits alone under a field that names no type are passed over unless they may be a value
 * (digitsMayBeValue, the first test of each check the value scan makes). That shortcut must never
 * drop what the value scan itself finds: generated digit strings that start like every kind of
 * number it knows, as a CSV cell and as a JSON number and string, give the types the value scan
 * gives the same digits on their own.
 */
describe('digits alone under a field naming no type', () => {
  const starts = fc.oneof(
    digits(2),
    fc.constantFrom(...provinces, '62', '81', '4', '51', '55', '2221', '2720', '34', '37', '3528', '3589', '6011', '644', '65', '36', '300', '9558', '601382'),
    fc.constantFrom('86', '0086', '00852', '00853', '13', '15', '18', '91', '92', '11', '12', '51', '52', '20'),
  );
  const numbers = fc
    .tuple(starts, fc.integer({ min: 11, max: 19 }), fc.constantFrom('random', 'luhn', 'id'))
    .chain(([start, length, ending]) =>
      digits(Math.max(0, length - start.length)).map((rest) => {
        const body = (start + rest).slice(0, length);
        if (ending === 'luhn') return body.slice(0, -1) + luhnDigit(body.slice(0, -1));
        if (ending === 'id' && length === 18) return body.slice(0, 17) + idCheck(body.slice(0, 17));
        return body;
      }),
    );
  const typesOf = (hits: { type: string }[]) => [...new Set(hits.map((hit) => hit.type))].sort();

  it('are found exactly as the value scan finds them, in CSV and JSON', async () => {
    const { scan } = await import('../../src/detect/index.ts');
    await fc.assert(
      fc.asyncProperty(numbers, async (number) => {
        const expected = typesOf(find(number));
        const bodies: [string, string][] = [
          [`ref\n${number}\n`, 'text/csv'],
          [`{"ref":"${number}"}`, 'application/json'],
        ];
        // An ID's check character X makes it no JSON number.
        if (/^\d+$/.test(number)) bodies.push([`{"ref":${number}}`, 'application/json']);
        for (const [body, contentType] of bodies) {
          const result = await scan(Buffer.from(body), { contentType, at });
          // A card also counts as a financial account: the categories are not the value scan's.
          const values = result.findings.filter((finding) => !(sensitiveCategories as readonly string[]).includes(finding.type));
          expect(typesOf(values), `${number} in ${contentType}`).toEqual(expected);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

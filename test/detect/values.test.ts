import { describe, expect, it } from 'vitest';
import { findValues, mayHoldValues, scanValues } from '../../src/detect/values.ts';
import { lookupField } from '../../src/detect/dictionary.ts';
import type { FieldMeaning, ValueHit } from '../../src/detect/types.ts';

const at = new Date('2026-06-01T04:00:00Z');

function find(text: string, hint: FieldMeaning | null = null, when: Date = at): ValueHit[] {
  const out: ValueHit[] = [];
  findValues(text, 0, text.length, hint, when, out);
  return out;
}

/** "type value" for each hit, reading like the text. */
function found(text: string, hint: FieldMeaning | null = null, when: Date = at): string[] {
  return find(text, hint, when).map((hit) => `${hit.type} ${text.slice(hit.start, hit.end)}`);
}

function field(key: string): FieldMeaning {
  const meaning = lookupField(key);
  if (meaning === null) throw new Error(`no dictionary entry for ${key}`);
  return meaning;
}

describe('cn_resident_id (GB 11643)', () => {
  it('finds the standard example 11010519491231002X with its check digit', () => {
    const [hit] = find('公民身份号码 11010519491231002X。');
    expect(hit).toMatchObject({ type: 'cn_resident_id', identifier: 'cn_resident_id:11010519491231002X', why: 'GB 11643 check digit' });
    expect(hit?.minor).toBeUndefined();
  });

  it('accepts a lower-case x and normalises it', () => {
    expect(find('11010519491231002x')[0]?.identifier).toBe('cn_resident_id:11010519491231002X');
  });

  it('rejects every wrong check character', () => {
    for (const check of '0123456789') expect(found(`11010519491231002${check}`)).toEqual([]);
  });

  it('rejects impossible dates: 0231, 1301, 0229 of a common year; accepts 0229 of a leap year', () => {
    // Same body, check digit recomputed for each date, so only the date can fail.
    expect(found(withCheck('11010519900231001'))).toEqual([]);
    expect(found(withCheck('11010519901301001'))).toEqual([]);
    expect(found(withCheck('11010519010229001'))).toEqual([]);
    expect(found(withCheck('11010520000229001'))).toEqual([`cn_resident_id ${withCheck('11010520000229001')}`]);
  });

  it('rejects unknown province prefixes and accepts 71, 81, 82, 83', () => {
    for (const prefix of ['00', '10', '16', '20', '39', '47', '55', '60', '66', '70', '80', '84', '99']) {
      expect(found(withCheck(`${prefix}010519491231002`))).toEqual([]);
    }
    for (const prefix of ['71', '81', '82', '83', '35']) expect(find(withCheck(`${prefix}000019800101001`))).toHaveLength(1);
  });

  it('rejects birth dates after the scan date and before 1900', () => {
    expect(found(withCheck('11010520260602001'))).toEqual([]);
    expect(find(withCheck('11010520260601001'))).toHaveLength(1);
    expect(found(withCheck('11010518991231001'))).toEqual([]);
  });

  it('converts a legacy 15-digit number to 18 digits with its computed check digit', () => {
    const [hit] = find('老证 110105491231002 号');
    expect(hit).toMatchObject({ type: 'cn_resident_id', identifier: 'cn_resident_id:11010519491231002X' });
    expect(found('110105491331002')).toEqual([]);
    // A Luhn-valid 15-digit number starting 35 is an IMEI, not a Fujian legacy ID.
    expect(found('IMEI 350102850312000, ID 350102850312003')).toEqual(['cn_resident_id 350102850312003']);
  });

  it('marks holders under 14 on the scan date in China Standard Time', () => {
    const id = withCheck('35010220120601001');
    // 2026-05-31T16:00Z is already 1 June in Shanghai: the holder turned 14 that day.
    expect(find(id, null, new Date('2026-05-31T16:00:00Z'))[0]?.minor).toBeUndefined();
    expect(find(id, null, new Date('2026-05-31T15:59:59Z'))[0]?.minor).toBe(true);
  });

  it('finds an ID written in groups', () => {
    expect(found('110105 19491231 002X')).toEqual(['cn_resident_id 110105 19491231 002X']);
  });
});

describe('cn_mobile and Hong Kong / Macao numbers', () => {
  it('finds plain, spaced, dashed and +86 / 0086 / 86 forms with one identifier', () => {
    for (const text of ['13812345678', '138 1234 5678', '138-1234-5678', '+86 138 1234 5678', '+8613812345678', '0086 138 1234 5678', '008613812345678', '8613812345678', '+86-138-1234-5678']) {
      const hits = find(`电话：${text}。`);
      expect(hits.map((h) => h.identifier), text).toEqual(['cn_mobile:13812345678']);
      expect(`电话：${text}。`.slice(hits[0]?.start, hits[0]?.end)).toBe(text);
    }
  });

  it('rejects 12… and unassigned prefixes and numbers glued to digits or letters', () => {
    expect(found('12812345678 10012345678 138123456789 913812345678 a13812345678 13812345678b')).toEqual([]);
  });

  it('keeps a mobile beside a trailing year in groups, and treats 13812345678.00 as an amount', () => {
    expect(found('138 1234 5678 2024')).toEqual(['cn_mobile 138 1234 5678']);
    expect(found('金额 13812345678.00 元')).toEqual([]);
    expect(found('请拨13812345678.')).toEqual(['cn_mobile 13812345678']);
  });

  it('finds +852 and +853 numbers only with their country code or under a phone field', () => {
    expect(find('+852 9123 4567 / +853 6612 3456').map((h) => h.identifier)).toEqual(['hk_mo_phone:+85291234567', 'hk_mo_phone:+85366123456']);
    expect(found('00852 91234567')).toEqual(['hk_mo_phone 00852 91234567']);
    expect(found('+852 2123 4567 +853 2812 3456')).toEqual([]);
    expect(found('91234567')).toEqual([]);
    expect(found('91234567', field('phone'))).toEqual(['hk_mo_phone 91234567']);
    // A mainland landline under a phone field is a token of that field, not a Hong Kong number.
    expect(find('0591-87654321', field('phone'))).toMatchObject([{ type: 'cn_mobile', identifier: 'cn_mobile:0591-87654321', why: 'field phone' }]);
  });
});

describe('bank_card (Luhn and a known IIN range)', () => {
  it('finds cards of the known networks, grouped or not', () => {
    expect(find('6212 2602 0000 0000 007')[0]).toBeUndefined(); // Luhn fails
    const unionPay = luhnComplete('621226020000000000');
    expect(found(`卡号 ${unionPay}`)).toEqual([`bank_card ${unionPay}`]);
    expect(find(unionPay)[0]?.why).toBe('Luhn + IIN UnionPay');
    expect(found('4111 1111 1111 1111')).toEqual(['bank_card 4111 1111 1111 1111']);
    expect(found('5555-5555-5555-4444')).toEqual(['bank_card 5555-5555-5555-4444']);
    expect(found('378282246310005 3530111333300000')).toEqual(['bank_card 378282246310005', 'bank_card 3530111333300000']);
    expect(find('4111111111111111')[0]?.identifier).toBe('bank_card:4111111111111111');
  });

  it('rejects Luhn failures and Luhn passes outside the IIN table', () => {
    expect(found('4111111111111112 1234567812345670 9999999999999995')).toEqual([]);
  });

  it('never takes an EAN-13 barcode or a millisecond timestamp for a card', () => {
    expect(found('6901234567892 6920152400011 4006381333931 1700000000000 1735689600123')).toEqual([]);
  });
});

describe('cn_uscc (GB 32100)', () => {
  it('finds valid codes and has no personal identifier', () => {
    const hits = find('统一社会信用代码：91110000600037341L');
    expect(hits).toMatchObject([{ type: 'cn_uscc', identifier: null, why: 'GB 32100 check character' }]);
  });

  it('reports early Fujian codes of the 9135…M… shape that fail the check as suspect', () => {
    for (const code of ['91350100M0001TGQXM', '91350211M0000XUF46', '91350203M0001FUE2P']) {
      expect(find(code)).toMatchObject([{ type: 'cn_uscc', suspect: true }]);
    }
    expect(found('91110000600037341A')).toEqual([]);
  });
});

describe('hkid (MOD 11)', () => {
  it('finds A123456(3), A1234563 and two-letter numbers, not wrong check digits', () => {
    expect(find('HKID A123456(3)')).toMatchObject([{ type: 'hkid', identifier: 'hkid:A123456(3)', why: 'MOD 11 check digit' }]);
    expect(found('A1234563')).toEqual(['hkid A1234563']);
    expect(found('A123456(4) A1234564')).toEqual([]);
  });
});

describe('weak formats need a field name or a hotword (CLARIFICATIONS 2)', () => {
  it('ignores them bare', () => {
    expect(found('E12345678 G12345678 C12345678 H12345678 12345678 京A12345 闽AD12345')).toEqual([]);
  });

  it('finds them after a hotword within reach', () => {
    expect(find('护照号码：E12345678')).toMatchObject([{ type: 'cn_passport', identifier: 'cn_passport:E12345678', why: 'hotword 护照号码' }]);
    expect(found('Passport No.: EA1234567')).toEqual(['cn_passport EA1234567']);
    expect(found('港澳通行证 C12345678，回乡证 H1234567801')).toEqual(['hk_macao_permit C12345678', 'hk_macao_permit H1234567801']);
    expect(find('台胞证号码 12345678')).toMatchObject([{ type: 'tw_permit', why: 'hotword 台胞证' }]);
    expect(find('车牌号：闽AD12345，闽D12345F')).toMatchObject([
      { type: 'cn_plate', identifier: null },
      { type: 'cn_plate', identifier: null },
    ]);
    expect(found('护照 是 我 在 很 多 年 前 办 的 E12345678')).toEqual([]);
  });

  it('finds them under a field of their type', () => {
    expect(find('G12345678', field('passportNo'))).toMatchObject([{ type: 'cn_passport', why: 'field passportNo' }]);
    expect(found('12345678', field('台胞证号'))).toEqual(['tw_permit 12345678']);
    expect(found('京A·12345', field('车牌号'))).toEqual(['cn_plate 京A·12345']);
  });
});

describe('e-mail, IP addresses and coordinates', () => {
  it('finds e-mail addresses with a lower-cased identifier, a number in the local part included', () => {
    expect(find('Mail: Zhang.San+cn@Example.COM.')).toMatchObject([{ type: 'email', identifier: 'email:zhang.san+cn@example.com' }]);
    expect(found('13812345678@163.com')).toEqual(['email 13812345678@163.com']);
    expect(found('a@b, @example.com, x@localhost, x@example.c')).toEqual([]);
  });

  it('finds IPv4 but not version strings or octets over 255', () => {
    expect(found('from 192.168.1.10:8080 to 10.0.0.1')).toEqual(['ipv4 192.168.1.10', 'ipv4 10.0.0.1']);
    expect(found('v1.2.3.4.5 256.1.1.1 1.2.3')).toEqual([]);
  });

  it('finds IPv6 in full and compressed forms, not times or MAC addresses', () => {
    expect(found('2001:0db8:85a3:0000:0000:8a2e:0370:7334 fe80::1 ::1 ::ffff:192.0.2.1')).toEqual([
      'ipv6 2001:0db8:85a3:0000:0000:8a2e:0370:7334',
      'ipv6 fe80::1',
      'ipv6 ::1',
      'ipv6 ::ffff:192.0.2.1',
    ]);
    expect(found('12:30:45 00:1A:2B:3C:4D:5E 1::2::3')).toEqual([]);
  });

  it('finds lat,lng pairs in range with their precision; one coordinate only under a coordinate field', () => {
    expect(find('位置 39.904211, 116.407395')).toMatchObject([{ type: 'geo_coordinate', precision: 6, identifier: null }]);
    expect(find('-33.8688,151.2093')[0]).toMatchObject({ start: 0, precision: 4 });
    expect(found('12.50,30.00 95.1234,20.1234 91.0000,181.0000 0.125,0.250')).toEqual(['geo_coordinate 95.1234,20.1234']);
    expect(find('39.9042', field('lat'))).toMatchObject([{ type: 'geo_coordinate', precision: 4 }]);
    expect(found('39.9042')).toEqual([]);
  });
});

describe('field hints', () => {
  it('keeps a token in an ID column as an ID of that person', () => {
    expect(find('tok_9f8e7d6c5b4a', field('身份证号'))).toEqual([
      { type: 'cn_resident_id', start: 0, end: 16, identifier: 'cn_resident_id:tok_9f8e7d6c5b4a', why: 'field 身份证号' },
    ]);
    expect(find(' 3f2a9c0e81d4b7a6 ', field('mobile'))[0]).toMatchObject({ start: 1, end: 17, identifier: 'cn_mobile:3f2a9c0e81d4b7a6' });
  });

  it('finds nothing in masked, empty or placeholder values, even under the field', () => {
    for (const value of ['110101********123X', '138****5678', '', '   ', 'null', 'N/A', '无', '***']) {
      expect(found(value, field('身份证号')), value).toEqual([]);
      expect(found(value, field('手机号')), value).toEqual([]);
    }
  });

  it('does not add a token hit when the value validates as something else', () => {
    expect(found('13812345678', field('身份证号'))).toEqual(['cn_mobile 13812345678']);
  });
});

describe('full-width forms', () => {
  it('finds values typed full-width, with their offsets and ASCII identifiers', () => {
    const text = '手机：１３８ １２３４ ５６７８，身份证１１０１０５１９４９１２３１００２Ｘ，邮箱ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ';
    const hits = find(text);
    expect(hits.map((hit) => hit.identifier)).toEqual(['cn_mobile:13812345678', 'cn_resident_id:11010519491231002X', 'email:zhang@example.com']);
    expect(hits.map((hit) => text.slice(hit.start, hit.end))).toEqual(['１３８ １２３４ ５６７８', '１１０１０５１９４９１２３１００２Ｘ', 'ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ']);
  });

  it('keeps hotwords before a full-width weak format, and the mask rule', () => {
    expect(found('护照号码：Ｅ１２３４５６７８')).toEqual(['cn_passport Ｅ１２３４５６７８']);
    expect(found('Ｅ１２３４５６７８')).toEqual([]);
    expect(found('１３８＊＊＊＊５６７８', field('手机号'))).toEqual([]);
  });

  it('makes no identifier strings when the caller counts fingerprints alone, after a full-width run too', () => {
    const out: ValueHit[] = [];
    const src = Buffer.from('１３８１２３４５６７８ 13987654321');
    scanValues(src, 0, src.length, null, at, out, false);
    expect(out.map((hit) => [hit.type, hit.identifier])).toEqual([
      ['cn_mobile', null],
      ['cn_mobile', null],
    ]);
  });
});

describe('mayHoldValues', () => {
  it('skips plain words and keeps anything with a digit, @, : or a plate province', () => {
    expect(mayHoldValues('张三 北京市朝阳区', 0, 9)).toBe(false); // 京 not followed by a letter
    expect(mayHoldValues('hello world', 0, 11)).toBe(false);
    for (const text of ['x1', 'a@b.cn', 'fe80::', 'dead::beef', '京A·ABCDE']) expect(mayHoldValues(text, 0, text.length), text).toBe(true);
  });
});

/** Replaces the last char of a 17-digit body with the GB 11643 check character. */
function withCheck(body17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let k = 0; k < 17; k++) sum += Number(body17[k]) * (weights[k] ?? 0);
  return body17 + ('10X98765432'[sum % 11] ?? '');
}

/** Appends the Luhn check digit. */
function luhnComplete(body: string): string {
  let sum = 0;
  for (let k = 0; k < body.length; k++) {
    let d = Number(body[body.length - 1 - k]);
    if (k % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

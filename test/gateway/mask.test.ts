import { describe, expect, it } from 'vitest';
import type { ValueSpan } from '../../src/detect/index.ts';
import { applyMaskingPlan, maskValue } from '../../src/gateway/index.ts';

const span = (text: string, value: string, type: ValueSpan['type'], path = '$'): ValueSpan => {
  const start = text.indexOf(value);
  return { type, path, start, end: start + value.length };
};

describe('masking in Chinese display conventions', () => {
  it('keeps the first 6 and last 4 of a resident ID, 3 + 4 of a mobile, 6 + 4 of a card, the first letter of an e-mail', () => {
    expect(maskValue('cn_resident_id', '11010119900307123X')).toBe('110101********123X');
    expect(maskValue('cn_mobile', '13812345678')).toBe('138****5678');
    expect(maskValue('cn_mobile', '+86 138-1234-5678')).toBe('+86 138-****-5678');
    expect(maskValue('bank_card', '6222021234567890123')).toBe('622202*********0123');
    expect(maskValue('email', 'zhang.san@example.com')).toBe('z***@example.com');
    expect(maskValue('cn_passport', 'E12345678')).toBe('***');
    expect(maskValue('health', '高血压')).toBe('***');
  });

  it('rewrites only the planned types, empties dropped values, and keeps JSON valid for number literals', () => {
    const text = '{"name":"张三","idNo":"11010119900307123X","mobile":13812345678,"diagnosis":"高血压","city":"福州"}';
    const spans = [
      span(text, '张三', 'person_name', '$.name'),
      span(text, '11010119900307123X', 'cn_resident_id', '$.idNo'),
      span(text, '13812345678', 'cn_mobile', '$.mobile'),
      span(text, '高血压', 'health', '$.diagnosis'),
    ];
    const out = applyMaskingPlan(text, spans, { redact: ['cn_resident_id', 'cn_mobile', 'person_name'], drop: ['health'], dropMinorRecords: false }, { json: true });
    expect(JSON.parse(out.text)).toEqual({ name: '***', idNo: '110101********123X', mobile: '138****5678', diagnosis: '', city: '福州' });
    expect(out).toMatchObject({ redacted: 3, dropped: 1 });
  });

  it('masks the decoded value of an escaped JSON string', () => {
    const text = '{"idNo":"\\u0031\\u0031010119900307123X"}';
    const start = text.indexOf('\\u0031');
    const out = applyMaskingPlan(text, [{ type: 'cn_resident_id', path: '$.idNo', start, end: text.lastIndexOf('"') }], { redact: ['cn_resident_id'], drop: [], dropMinorRecords: false }, { json: true });
    expect(JSON.parse(out.text)).toEqual({ idNo: '110101********123X' });
  });

  it("drops minors' records from a JSON array and NDJSON lines", () => {
    const text = '{"children":[{"name":"小明","age":"9"},{"name":"大明","age":"30"}]}';
    const minor: ValueSpan = { type: 'minor', path: '$.children[0].age', start: text.indexOf('"9"') + 1, end: text.indexOf('"9"') + 2 };
    const out = applyMaskingPlan(text, [minor], { redact: [], drop: [], dropMinorRecords: true }, { json: true });
    expect(JSON.parse(out.text)).toEqual({ children: [{ name: '大明', age: '30' }] });
    expect(out.droppedRecords).toBe(1);
    const ndjson = '{"n":1}\n{"n":2,"age":"5"}\n{"n":3}\n';
    const line: ValueSpan = { type: 'minor', path: '$[1].age', start: 0, end: 0 };
    expect(applyMaskingPlan(ndjson, [line], { redact: [], drop: [], dropMinorRecords: true }, { json: true }).text).toBe('{"n":1}\n{"n":3}\n');
  });

  it('lets the outer span win when spans overlap', () => {
    const text = 'note: call 13812345678 today';
    const outer: ValueSpan = { type: 'health', path: 'text', start: 6, end: 28 };
    const inner = span(text, '13812345678', 'cn_mobile');
    expect(applyMaskingPlan(text, [inner, outer], { redact: ['cn_mobile', 'health'], drop: [], dropMinorRecords: false }).text).toBe('note: ***');
  });
});

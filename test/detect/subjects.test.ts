import { describe, expect, it } from 'vitest';
import { scan, scanWithEvidence } from '../../src/detect/index.ts';
import { at, idA, idB, json, mobileA, mobileB, unionPayCard } from './helpers.ts';

describe('counting people (CLARIFICATIONS 1–3)', () => {
  it('counts a named buyer and a named receiver of one order as two people', async () => {
    const body = JSON.stringify({ order: { buyer: { name: '张三', idNo: idA }, receiver: { name: '李四', mobile: mobileB } } });
    const { result, evidence } = await scanWithEvidence(body, json);
    expect(result.subjects).toBe(2);
    expect(evidence.subjects.map((s) => s.identifiers)).toEqual([[`cn_resident_id:${idA}`], [`cn_mobile:${mobileB}`]]);
  });

  it('counts the same person twice in one transfer once', async () => {
    const body = JSON.stringify([
      { name: '张三', idNo: idA },
      { name: '张三', idNo: idA, mobile: mobileA },
      { name: '张三', mobile: mobileA },
    ]);
    const result = await scan(body, json);
    expect(result.records).toBe(3);
    expect(result.subjects).toBe(1);
  });

  it('joins a named object with its nameless sub-objects', async () => {
    const body = JSON.stringify({ name: '张三', identity: { idNo: idA }, contact: { mobile: mobileA } });
    const { result, evidence } = await scanWithEvidence(body, json);
    expect(result.subjects).toBe(1);
    expect(evidence.subjects[0]!.identifiers.sort()).toEqual([`cn_mobile:${mobileA}`, `cn_resident_id:${idA}`].sort());
    expect(result.identifiable).toBe(1);
  });

  it('gives identifiers outside named objects to the single named person of the array element', async () => {
    const body = JSON.stringify([{ payerMobile: mobileA, buyer: { name: '张三', idNo: idA } }]);
    const { result, evidence } = await scanWithEvidence(body, json);
    expect(result.subjects).toBe(1);
    expect(evidence.subjects[0]!.identifiers).toContain(`cn_mobile:${mobileA}`);
  });

  it('makes identifiers beside several named people a person of their own, one per array element', async () => {
    const body = JSON.stringify([
      { payerMobile: mobileA, buyer: { name: '张三', idNo: idA }, receiver: { name: '李四', idNo: idB } },
      { payerMobile: mobileB, buyer: { name: '张三', idNo: idA }, receiver: { name: '李四', idNo: idB } },
    ]);
    const result = await scan(body, json);
    expect(result.subjects).toBe(4); // 张三, 李四, and one payer per order
  });

  it('makes one person per array element when no name is present', async () => {
    const body = JSON.stringify({ contacts: [{ mobile: mobileA }, { mobile: mobileB }] });
    expect((await scan(body, json)).subjects).toBe(2);
  });

  it('counts a nameless record with personal information but no identifier as a subject, never merged', async () => {
    const body = JSON.stringify([{ trialNo: 'T-1', diagnosis: '哮喘' }, { trialNo: 'T-2', diagnosis: '哮喘' }]);
    const result = await scan(body, json);
    expect(result.subjects).toBe(2);
    expect(result.sensitiveSubjects).toBe(2);
    expect(result.identifiable).toBe(0);
  });

  it('counts a subject sensitive when its record carries a sensitive category', async () => {
    const body = JSON.stringify([
      { name: '甲', idNo: idA, religion: '佛教' },
      { name: '乙', idNo: idB },
    ]);
    const { result, evidence } = await scanWithEvidence(body, json);
    expect(result.subjects).toBe(2);
    expect(result.sensitiveSubjects).toBe(1);
    expect(evidence.subjects.find((s) => s.sensitive)!.categories).toEqual(['religion']);
  });

  it('counts a bank card holder as sensitive (a card number is a financial account)', async () => {
    const body = JSON.stringify({ name: '甲', card: unionPayCard });
    const result = await scan(body, json);
    expect(result.findings.find((f) => f.type === 'bank_card')!.count).toBe(1);
    expect(result.findings.find((f) => f.type === 'financial_account')!.count).toBe(1);
    expect(result.sensitiveSubjects).toBe(1);
    // Under a financial-account field name the card is still one account, not two.
    const named = await scan(JSON.stringify({ name: '甲', 银行账号: unionPayCard }), json);
    expect(named.findings.find((f) => f.type === 'financial_account')!.count).toBe(1);
  });

  it('holds one person per NDJSON line, CSV row, form body and text', async () => {
    const ndjson = `${JSON.stringify({ buyer: { name: '甲', idNo: idA }, receiver: { name: '乙', mobile: mobileB } })}\n`;
    expect((await scan(ndjson, { contentType: 'application/x-ndjson', at })).subjects).toBe(1);
    const csv = `姓名,身份证号,手机号\n甲,${idA},${mobileB}\n`;
    expect((await scan(csv, { contentType: 'text/csv', at })).subjects).toBe(1);
    const form = `name=%E7%94%B2&idNo=${idA}&mobile=${mobileB}`;
    expect((await scan(form, { contentType: 'application/x-www-form-urlencoded', at })).subjects).toBe(1);
    const text = `客户身份证号码：${idA}，手机 ${mobileB}`;
    expect((await scan(text, { contentType: 'text/plain', at })).subjects).toBe(1);
  });

  it('keeps a free-text person\'s identifiers distinct however many it holds (one person, each identifier once)', async () => {
    // Past 16 identifiers a person checks them in a set: the same answer as the list gave.
    const mobiles = Array.from({ length: 40 }, (_, i) => `139${String(20_000_000 + i * 7919).padStart(8, '0')}`);
    const text = [...mobiles, ...mobiles.slice(0, 25).reverse(), ...mobiles].map((mobile) => `客户 手机 ${mobile}`).join('\n');
    const { result, evidence } = await scanWithEvidence(text, { contentType: 'text/plain', at });
    expect(result.subjects).toBe(1);
    expect(result.findings.find((f) => f.type === 'cn_mobile')?.count).toBe(105);
    expect(evidence.subjects).toHaveLength(1);
    expect([...evidence.subjects[0]!.identifiers].sort()).toEqual(mobiles.map((mobile) => `cn_mobile:${mobile}`).sort());
  });
});

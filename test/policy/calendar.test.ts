import { describe, expect, it } from 'vitest';
import { addMonths, createCalendar, workingDaysBetween } from '../../src/policy/calendar.ts';
import { expiryWarnings } from '../../src/policy/filings.ts';
import { repoPolicy } from './helpers.ts';

describe('PRC working-day calendar', () => {
  it('skips the 2026 Spring Festival and counts its make-up Saturdays', async () => {
    const { calendar } = await repoPolicy();
    expect(calendar.isWorkingDay('2026-02-16')).toBe(false); // Monday in the holiday
    expect(calendar.isWorkingDay('2026-02-14')).toBe(true); // Saturday worked
    expect(calendar.isWorkingDay('2026-02-28')).toBe(true);
    // 2026-02-13 (Fri) → 2026-02-27 (Fri): only 14 Feb and 24–27 Feb are worked.
    expect(workingDaysBetween(calendar, '2026-02-13', '2026-02-27')).toBe(5);
  });

  it('counts 2025 National Day as eight days off with two make-up days', async () => {
    const { calendar } = await repoPolicy();
    // After Fri 26 Sep: Sun 28 (worked), 29, 30, then 1–8 Oct off, then 9, 10 and Sat 11 (worked).
    expect(workingDaysBetween(calendar, '2025-09-26', '2025-10-11')).toBe(6);
    expect(calendar.isWorkingDay('2025-10-08')).toBe(false);
  });

  it('counts weekends only for a year the file does not hold', () => {
    const calendar = createCalendar({ years: {} });
    expect(calendar.years.size).toBe(0);
    expect(workingDaysBetween(calendar, '2030-01-31', '2030-02-14')).toBe(10);
  });

  it('gives 0 when the end is not after the start', () => {
    expect(workingDaysBetween(createCalendar(null), '2026-05-01', '2026-04-01')).toBe(0);
  });

  it('computes six months before an expiry, clamped to the month end', () => {
    expect(addMonths('2026-08-31', -6)).toBe('2026-02-28');
    expect(addMonths('2026-03-15', -6)).toBe('2025-09-15');
  });
});

describe('expiry warnings by filing kind (CLARIFICATIONS 11)', () => {
  const at = (d: string) => new Date(`${d}T12:00:00+08:00`);
  const calendar = createCalendar(null);
  const filing = (kind: 'standard-contract' | 'certification' | 'security-assessment') => ({ kind, ref: 'R', destinations: ['x'], validFrom: '2024-01-01', validUntil: '2026-12-31' });
  it('warns for a certification within the last six months, not before', () => {
    expect(expiryWarnings(filing('certification'), at('2026-06-29'), calendar)).toEqual([]);
    expect(expiryWarnings(filing('certification'), at('2026-06-30'), calendar)[0]).toContain('6 months');
  });
  it('never warns for a standard contract (no fixed validity is published)', () => {
    expect(expiryWarnings(filing('standard-contract'), at('2026-12-30'), calendar)).toEqual([]);
  });
  it('says when a year is counted with weekends only', () => {
    const warning = expiryWarnings({ ...filing('security-assessment'), validUntil: '2030-01-31' }, at('2030-01-02'), calendar)[0];
    expect(warning).toContain('weekends only for 2030');
  });
});

/**
 * PRC working days, for the security-assessment extension window: Art. 9 of the 2024 Provisions
 * lets an extension be asked for "在有效期届满前60个工作日内", so the gateway warns when a
 * filing enters that window. Working days follow the State Council's yearly holiday notice,
 * make-up workdays (调休上班) included; for a year the file does not hold yet, weekends only
 * (CLARIFICATIONS 11).
 */
import type { CalendarFile } from './schema.ts';

export interface WorkingDayCalendar {
  /** Years the holiday file covers. */
  years: ReadonlySet<number>;
  isWorkingDay(date: string): boolean;
}

export function createCalendar(file: CalendarFile | null): WorkingDayCalendar {
  const holidays = new Set<string>();
  const workdays = new Set<string>();
  const years = new Set<number>();
  for (const [year, entry] of Object.entries(file?.years ?? {})) {
    years.add(Number(year));
    for (const day of entry.holidays) holidays.add(day);
    for (const day of entry.workdays) workdays.add(day);
  }
  return {
    years,
    isWorkingDay(date: string): boolean {
      if (holidays.has(date)) return false;
      if (workdays.has(date)) return true;
      const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
      return weekday !== 0 && weekday !== 6;
    },
  };
}

function nextDate(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * Working days after `from` up to and including `until` (both YYYY-MM-DD). 0 when `until` is not
 * after `from`. Bounded by `cap` so a far-off expiry costs nothing.
 */
export function workingDaysBetween(calendar: WorkingDayCalendar, from: string, until: string, cap = 1000): number {
  let count = 0;
  let day = from;
  while (day < until && count < cap) {
    day = nextDate(day);
    if (calendar.isWorkingDay(day)) count++;
  }
  return count;
}

/** YYYY-MM-DD `months` calendar months after `date` (before it when negative), clamped to the month's last day. */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + months;
  const year = Math.floor(total / 12);
  const month = total % 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(month + 1).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

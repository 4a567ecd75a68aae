/**
 * Which filing of the enterprise covers a required mechanism: kind, destination, coverage and
 * dates (Asia/Shanghai calendar dates), and the expiry warnings by kind (CLARIFICATIONS 11).
 */
import { shanghaiDate, type DataType, type Mechanism } from '../domain.ts';
import { addMonths, workingDaysBetween, type WorkingDayCalendar } from './calendar.ts';
import { datasetKey } from './rule-index.ts';
import type { Filing, Rule } from './schema.ts';

/** A rule that required the mechanism, with what it was about in this transfer. */
export interface Trigger {
  rule: Pick<Rule, 'id' | 'legalBasis'>;
  /** Data types (and categories) of the transfer the rule was about. */
  scope: DataType[];
  /** The declared dataset or notified item that matched, if any. */
  dataset: string | null;
}

/** A security assessment also satisfies contract-or-certification for what it covers (DESIGN.md §3). */
const kindsFor: Partial<Record<Mechanism, readonly Filing['kind'][]>> = {
  'contract-or-certification': ['standard-contract', 'certification', 'security-assessment'],
  'security-assessment': ['security-assessment'],
};

function covers(filing: Filing, trigger: Trigger): boolean {
  if (filing.covers === undefined) return true;
  const listed = new Set(filing.covers);
  if (listed.has(trigger.rule.id)) return true;
  const dataset = trigger.dataset === null ? null : datasetKey(trigger.dataset);
  if (dataset !== null && filing.covers.some((item) => datasetKey(item) === dataset)) return true;
  return trigger.scope.length > 0 && trigger.scope.every((type) => listed.has(type));
}

export interface FilingChoice {
  filing: Filing | null;
  /** Why each filing did not serve, for the reasons of a deny. */
  rejected: { en: string; zh: string }[];
}

export function chooseFiling(filings: readonly Filing[], mechanism: Mechanism, destinationId: string, triggers: readonly Trigger[], at: Date): FilingChoice {
  const kinds = kindsFor[mechanism] ?? [];
  const today = shanghaiDate(at);
  const rejected: FilingChoice['rejected'] = [];
  for (const filing of filings) {
    const name = `${filing.kind} ${filing.ref}`;
    if (!kinds.includes(filing.kind)) {
      rejected.push({ en: `${name}: a ${filing.kind} does not satisfy ${mechanism}`, zh: `${name}：类型不满足${mechanism}` });
    } else if (filing.destinations !== undefined && !filing.destinations.includes(destinationId)) {
      rejected.push({ en: `${name}: filed for ${filing.destinations.join(', ')}, not ${destinationId}`, zh: `${name}：备案的接收方为 ${filing.destinations.join('、')}，不含 ${destinationId}` });
    } else if (today < filing.validFrom) {
      rejected.push({ en: `${name}: not valid until ${filing.validFrom}`, zh: `${name}：${filing.validFrom} 起才生效` });
    } else if (today > filing.validUntil) {
      rejected.push({ en: `${name}: expired on ${filing.validUntil}`, zh: `${name}：已于 ${filing.validUntil} 到期` });
    } else {
      const uncovered = triggers.filter((t) => !covers(filing, t));
      if (uncovered.length === 0) return { filing, rejected };
      const what = [...new Set(uncovered.flatMap((t) => (t.scope.length > 0 ? t.scope : [t.rule.id])))].join(', ');
      rejected.push({ en: `${name}: does not cover ${what}`, zh: `${name}：备案范围不含 ${what}` });
    }
  }
  return { filing: null, rejected };
}

/** Renewal windows: security assessment 60 working days (Art. 9), certification 6 months, none for a standard contract. */
export function expiryWarnings(filing: Filing, at: Date, calendar: WorkingDayCalendar): string[] {
  const today = shanghaiDate(at);
  if (filing.kind === 'security-assessment') {
    const left = workingDaysBetween(calendar, today, filing.validUntil, 61);
    if (left > 60) return [];
    const years = [Number(today.slice(0, 4)), Number(filing.validUntil.slice(0, 4))];
    const unknown = [...new Set(years.filter((y) => !calendar.years.has(y)))];
    const note = unknown.length > 0 ? ` (weekends only for ${unknown.join(', ')}: no holiday notice in the calendar file)` : '';
    return [
      `security assessment ${filing.ref} expires on ${filing.validUntil}, ${left} working day(s) left${note}: an extension may be requested within 60 working days before expiry (《促进和规范数据跨境流动规定》第九条)`,
    ];
  }
  if (filing.kind === 'certification' && today >= addMonths(filing.validUntil, -6)) {
    return [`certification ${filing.ref} expires on ${filing.validUntil}: re-apply within the 6 months before expiry (《个人信息出境认证办法》)`];
  }
  return [];
}

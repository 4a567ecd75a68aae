/**
 * The three hubs of issue 6 as one timeline of transfers and counter imports, each transfer with
 * the outcome the law gives it (REGULATION.md §2.6, §6; the same cases as policies/tests/hub-*.yaml).
 * Enterprises and destinations are those of policies/enterprises.yaml and destinations.yaml.
 */
import type { Mechanism, Purpose } from '../../src/domain.ts';
import type { Identities } from './identities.ts';
import { bookings, customerExport, hongKongCustomers, orders, players, trialRecords, type Payload } from './payloads.ts';

export type Hub = 'Pingtan' | 'Fuzhou' | 'Xiamen';
/** What the overseas recipient got: the body as sent, a masked body, or nothing at all. */
export type Delivery = 'as sent' | 'masked' | 'nothing';

export interface Expected {
  decision: 'allow' | 'mask' | 'deny';
  mechanism: Mechanism;
  /** A rule id the decision must cite. */
  rule: string;
  status: number;
  delivery: Delivery;
  /** The filing kind the decision must rely on, when it allows under a filing. */
  filing?: 'standard-contract' | 'certification' | 'security-assessment';
  /** Rule ids the decision must not cite (the draft Pingtan list must grant nothing). */
  ruleAbsent?: string;
}

export interface TransferStep {
  kind: 'transfer';
  id: string;
  hub: Hub;
  title: string;
  enterprise: string;
  destination: string;
  purpose?: Purpose;
  dataset?: string;
  payload: Payload;
  expected: Expected;
}

export interface ImportStep {
  kind: 'import';
  hub: Hub;
  enterprise: string;
  general: number;
  reason: string;
}

export type Step = TransferStep | ImportStep;

export const enterprises = {
  travel: '91350128MA8TP0101N',
  pharmaFiled: '91350128MA8TP0202F',
  pharmaUnfiled: '91350128MA8TP03038',
  hongKongData: '91350105MA8FQ0101P',
  marketplace: '91350206MA8XM01018',
  games: '91350206MA8XM02021',
  dataCentre: '91350211MA8XM03031',
} as const;

export function timeline(people: Identities, at: Date): Step[] {
  const trial = trialRecords(people, 3);
  return [
    // ---- Pingtan: cross-strait hub and international data channel ----
    {
      kind: 'transfer', id: 'P1', hub: 'Pingtan', title: 'travel bookings with travellers IDs to a Taiwan agency',
      enterprise: enterprises.travel, destination: 'tw-travel-agency', purpose: 'contract-necessity', payload: bookings(people, 2),
      expected: { decision: 'allow', mechanism: 'exempt', rule: 'national.art5-1.contract-necessity', status: 200, delivery: 'as sent' },
    },
    {
      kind: 'transfer', id: 'P2', hub: 'Pingtan', title: 'clinical-trial diagnoses to Taiwan, no filing',
      enterprise: enterprises.pharmaUnfiled, destination: 'tw-clinical-partner', dataset: 'clinical-trial', payload: trial,
      expected: { decision: 'deny', mechanism: 'contract-or-certification', rule: 'national.art8.sensitive-under-10k', status: 451, delivery: 'nothing' },
    },
    {
      kind: 'transfer', id: 'P3', hub: 'Pingtan', title: 'the same diagnoses, standard contract filed',
      enterprise: enterprises.pharmaFiled, destination: 'tw-clinical-partner', dataset: 'clinical-trial', payload: trial,
      expected: { decision: 'allow', mechanism: 'contract-or-certification', rule: 'national.art8.sensitive-under-10k', status: 200, delivery: 'as sent', filing: 'standard-contract' },
    },
    { kind: 'import', hub: 'Pingtan', enterprise: enterprises.travel, general: 150_000, reason: 'bookings sent abroad this year before the gateway' },
    {
      kind: 'transfer', id: 'P4', hub: 'Pingtan', title: 'bookings, no purpose, 150,000 this year (draft list)',
      enterprise: enterprises.travel, destination: 'tw-travel-agency', payload: bookings(people, 2),
      expected: {
        decision: 'deny', mechanism: 'contract-or-certification', rule: 'national.art8.non-sensitive-100k', status: 451, delivery: 'nothing',
        ruleAbsent: 'pingtan.art6-off-list',
      },
    },

    // ---- Fuzhou: Hong Kong data processed in Fujian (港数闽算) ----
    {
      kind: 'transfer', id: 'F1', hub: 'Fuzhou', title: 'HK bank records (HKID, +852) back to Hong Kong',
      enterprise: enterprises.hongKongData, destination: 'hk-bank', purpose: 'foreign-collected-reexport', payload: hongKongCustomers(people, 3),
      expected: { decision: 'allow', mechanism: 'exempt', rule: 'national.art4.foreign-collected-reexport', status: 200, delivery: 'as sent' },
    },
    {
      kind: 'transfer', id: 'F2', hub: 'Fuzhou', title: 'the same with a mainland resident ID, few this year',
      enterprise: enterprises.hongKongData, destination: 'hk-bank', purpose: 'foreign-collected-reexport',
      payload: hongKongCustomers(people, 3, { mainlandResident: true }),
      expected: { decision: 'allow', mechanism: 'exempt', rule: 'national.art5-4.under-100k', status: 200, delivery: 'as sent' },
    },
    { kind: 'import', hub: 'Fuzhou', enterprise: enterprises.hongKongData, general: 120_000, reason: 'records exported this year before the gateway' },
    {
      kind: 'transfer', id: 'F3', hub: 'Fuzhou', title: 'the same with a mainland resident ID, 120,000 this year',
      enterprise: enterprises.hongKongData, destination: 'hk-bank', purpose: 'foreign-collected-reexport',
      payload: hongKongCustomers(people, 3, { mainlandResident: true }),
      expected: { decision: 'deny', mechanism: 'contract-or-certification', rule: 'national.art8.non-sensitive-100k', status: 451, delivery: 'nothing' },
    },

    // ---- Xiamen: data port, cross-border e-commerce, games going abroad ----
    {
      kind: 'transfer', id: 'X1', hub: 'Xiamen', title: 'orders to an overseas marketplace',
      enterprise: enterprises.marketplace, destination: 'sg-marketplace', purpose: 'contract-necessity', payload: orders(people, 2),
      expected: { decision: 'allow', mechanism: 'exempt', rule: 'national.art5-1.contract-necessity', status: 200, delivery: 'as sent' },
    },
    {
      kind: 'transfer', id: 'X2', hub: 'Xiamen', title: 'game studio players, one a minor',
      enterprise: enterprises.games, destination: 'jp-game-publisher', payload: players(people, 3, 1, at),
      expected: { decision: 'mask', mechanism: 'exempt', rule: 'national.art8.sensitive-under-10k', status: 200, delivery: 'masked' },
    },
    { kind: 'import', hub: 'Xiamen', enterprise: enterprises.dataCentre, general: 99_996, reason: 'customer records exported this year before the gateway' },
    {
      kind: 'transfer', id: 'X3', hub: 'Xiamen', title: 'data centre export, 99,998 this year',
      enterprise: enterprises.dataCentre, destination: 'us-cloud-customer', payload: customerExport(people, 2),
      expected: { decision: 'allow', mechanism: 'exempt', rule: 'national.art5-4.under-100k', status: 200, delivery: 'as sent' },
    },
    {
      kind: 'transfer', id: 'X4', hub: 'Xiamen', title: 'data centre export crossing 100,000',
      enterprise: enterprises.dataCentre, destination: 'us-cloud-customer', payload: customerExport(people, 2),
      expected: {
        decision: 'allow', mechanism: 'contract-or-certification', rule: 'national.art8.non-sensitive-100k', status: 200, delivery: 'as sent',
        filing: 'standard-contract',
      },
    },
    // A later import replaces the year's imported total (src/audit/counters.ts importIn): the recount of the
    // systems that exported before the gateway brings the year to 999,998 with the 4 people sent through it.
    { kind: 'import', hub: 'Xiamen', enterprise: enterprises.dataCentre, general: 999_994, reason: 'recount of the exports made before the gateway' },
    {
      kind: 'transfer', id: 'X5', hub: 'Xiamen', title: 'data centre export crossing 1,000,000',
      enterprise: enterprises.dataCentre, destination: 'us-cloud-customer', payload: customerExport(people, 2),
      expected: { decision: 'deny', mechanism: 'security-assessment', rule: 'national.art7-2.non-sensitive-1m', status: 451, delivery: 'nothing' },
    },
  ];
}

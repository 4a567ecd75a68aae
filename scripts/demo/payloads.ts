/**
 * The bodies of the hub scenarios, shaped like policies/tests/payloads/*.json but generated: each
 * call brings new people. `values` lists every personal value put in, so the demo can check that
 * none of them reached a recipient that should have received a masked body.
 */
import type { Identities } from './identities.ts';

export interface Payload {
  body: string;
  /** Every personal value in the body (names, identifiers, phones, e-mails). */
  values: string[];
  /** Records holding a child under 14 (the Xiamen masking policy drops them whole). */
  minors: number;
  records: number;
}

function payload(document: unknown, values: string[], records: number, minors = 0): Payload {
  return { body: JSON.stringify(document), values, minors, records };
}

/** Pingtan: air-ticket and hotel bookings; travellers carry a resident ID or a passport. */
export function bookings(people: Identities, count: number): Payload {
  const values: string[] = [];
  const list = Array.from({ length: count }, (_, i) => {
    const name = people.chineseName();
    const mobile = people.mobile();
    const document = i % 2 === 0 ? { idNo: people.residentId('350102', people.adultBirth()) } : { passportNo: people.passport() };
    values.push(name, mobile, ...Object.values(document));
    return {
      traveller: { name, ...document, mobile },
      flight: { no: 'CI7771', from: 'FOC', to: 'TPE', date: '2026-12-18' },
      hotel: { code: 'TPE-H018', checkIn: '2026-12-18', nights: 3 },
    };
  });
  return payload({ agency: 'tw-travel-agency', bookings: list }, values, count);
}

/** Pingtan: clinical-trial records — a trial number and a diagnosis (health: sensitive PI, PIPL Art. 28). */
export function trialRecords(people: Identities, count: number): Payload {
  const diagnoses = ['2型糖尿病', '高血压', '慢性阻塞性肺疾病', '类风湿关节炎'];
  const values: string[] = [];
  const subjects = Array.from({ length: count }, (_, i) => {
    const name = people.chineseName();
    values.push(name);
    return { subjectNo: `S${String(i + 1).padStart(3, '0')}`, name, diagnosis: diagnoses[i % diagnoses.length], visit: 1 + (i % 4) };
  });
  return payload({ trial: 'PT-BIO-2026-01', site: 'pingtan-clinical-site-01', subjects }, values, count);
}

/**
 * Fuzhou: a Hong Kong bank's customers (HKID, +852 number). With `mainlandResident`, one of
 * them carries a mainland resident ID instead: domestic personal information, so Art. 4 no longer fits.
 */
export function hongKongCustomers(people: Identities, count: number, { mainlandResident = false } = {}): Payload {
  const values: string[] = [];
  const customers = Array.from({ length: count }, (_, i) => {
    const name = people.hongKongName();
    const phone = people.hongKongPhone();
    const document = mainlandResident && i === count - 1 ? { idNo: people.residentId('440305', people.adultBirth()) } : { hkid: people.hkid() };
    values.push(name, phone, ...Object.values(document));
    return { name, ...document, phone, segment: 'retail' };
  });
  return payload({ bank: 'hk-bank', batch: `HK-2026-${mainlandResident ? 'M' : 'R'}${people.digits(4)}`, customers }, values, count);
}

/** Xiamen: marketplace orders, each with a buyer's name, mobile and delivery address. */
export function orders(people: Identities, count: number): Payload {
  const values: string[] = [];
  const list = Array.from({ length: count }, (_, i) => {
    const name = people.chineseName();
    const mobile = people.mobile();
    const address = `厦门市思明区某路${i + 1}号`;
    values.push(name, mobile, address);
    return { orderNo: `XM2026${people.digits(8)}`, buyer: { name, mobile, address }, items: [{ sku: `TEA-00${i + 1}`, qty: 1 + i }] };
  });
  return payload({ orders: list }, values, count);
}

/** Xiamen: a game studio's players; the first `minors` are children under 14 by their resident ID's birth date. */
export function players(people: Identities, count: number, minors: number, at: Date): Payload {
  const values: string[] = [];
  const list = Array.from({ length: count }, (_, i) => {
    const name = people.chineseName();
    const idNo = people.residentId('350203', i < minors ? people.childBirth(at) : people.adultBirth());
    values.push(name, idNo);
    return { playerId: `P-${1001 + i}`, nickname: `player-${people.digits(3)}`, name, idNo, level: 5 + 7 * i };
  });
  return payload({ players: list }, values, count, minors);
}

/** Xiamen: an international data centre's customer directory export (name and e-mail). */
export function customerExport(people: Identities, count: number): Payload {
  const values: string[] = [];
  const customers = Array.from({ length: count }, (_, i) => {
    const name = people.chineseName();
    const email = people.email();
    values.push(name, email);
    return { name, email, plan: i % 2 === 0 ? 'enterprise' : 'standard' };
  });
  return payload({ export: 'customer-directory', customers }, values, count);
}

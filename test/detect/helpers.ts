import { residentId, rng } from '../../bench/lib/detect-data.ts';
import type { ScanResult } from '../../src/detect/index.ts';

export const at = new Date('2026-06-01T00:00:00+08:00');
/** GB 11643's own example number. */
export const gbExampleId = '11010519491231002X';
const next = rng(7);
export const idA = residentId(next, 1980);
export const idB = residentId(next, 1992);
/** Born 2016: under 14 on `at`. */
export const minorId = residentId(next, 2016);
export const mobileA = '13812345678';
export const mobileB = '13987654321';

export function finding(result: ScanResult, type: string) {
  return result.findings.find((f) => f.type === type);
}

export const json = { contentType: 'application/json', at };

/** Appends the Luhn check digit. */
export function luhn(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let digit = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) digit *= 2;
    sum += digit > 9 ? digit - 9 : digit;
  }
  return body + ((10 - (sum % 10)) % 10);
}
/** A UnionPay (IIN 62) debit card number with a valid check digit. */
export const unionPayCard = luhn('622202123456789012');

/**
 * Made-up people with identifiers that pass the detectors' checks: GB 11643 resident IDs with
 * their MOD 11-2 check character, HKIDs with their MOD 11 check character, mainland mobiles,
 * Hong Kong numbers. A fixed seed makes every run send the same bodies; every call gives a new
 * person, so each transfer brings people the counters have not seen this year.
 */

/** mulberry32: small, seedable, good enough to vary made-up records. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return function next() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const idWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** GB 11643-1999: ISO 7064 MOD 11-2 over the 17 digits. */
export function residentIdCheck(body17: string): string {
  let sum = 0;
  for (let k = 0; k < 17; k++) sum += Number(body17[k]) * (idWeights[k] ?? 0);
  return '10X98765432'[sum % 11] ?? '';
}

/** HKID: a missing second letter counts 36; weights 9..2; the check makes the sum divisible by 11 (10 is A). */
export function hkidCheck(letter: string, digits6: string): string {
  let sum = 36 * 9 + (letter.charCodeAt(0) - 55) * 8;
  for (let k = 0; k < 6; k++) sum += Number(digits6[k]) * (7 - k);
  const check = (11 - (sum % 11)) % 11;
  return check === 10 ? 'A' : String(check);
}

const surnames = ['陈', '林', '黄', '张', '李', '王', '吴', '刘', '蔡', '杨', '郑', '许'];
const givenNames = ['明', '芳', '伟', '静', '强', '丽', '华', '军', '敏', '磊', '洋', '婷', '杰', '晴'];
const hkSurnames = ['Chan', 'Wong', 'Lee', 'Cheung', 'Lau', 'Ho', 'Ng', 'Leung'];
const hkGivenNames = ['Tai Man', 'Siu Ming', 'Ka Yan', 'Wing Sze', 'Chi Keung', 'Mei Ling', 'Hoi Yan'];

export interface Identities {
  chineseName(): string;
  hongKongName(): string;
  /** An 18-character resident ID; `area` is the six-digit administrative code, `birth` yyyymmdd. */
  residentId(area: string, birth: string): string;
  adultBirth(): string;
  /** A birth date making the holder 6 to 12 years old at `at`: under 14, so a minor (PIPL Art. 28). */
  childBirth(at: Date): string;
  hkid(): string;
  mobile(): string;
  hongKongPhone(): string;
  passport(): string;
  email(): string;
  digits(length: number): string;
}

export function createIdentities(seed = 20_260_601): Identities {
  const random = seeded(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const digits = (length: number): string => Array.from({ length }, () => Math.floor(random() * 10)).join('');
  const between = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
  const pad = (n: number): string => String(n).padStart(2, '0');
  let emails = 0;
  return {
    chineseName: () => pick(surnames) + pick(givenNames) + (random() < 0.5 ? pick(givenNames) : ''),
    hongKongName: () => `${pick(hkSurnames)} ${pick(hkGivenNames)}`,
    residentId(area, birth) {
      const body = `${area}${birth}${digits(3)}`;
      return body + residentIdCheck(body);
    },
    adultBirth: () => `${between(1960, 2000)}${pad(between(1, 12))}${pad(between(1, 28))}`,
    childBirth: (at) => `${at.getUTCFullYear() - between(6, 12)}${pad(between(1, 12))}${pad(between(1, 28))}`,
    hkid() {
      const letter = String.fromCharCode(65 + between(0, 25));
      const six = digits(6);
      return `${letter}${six}(${hkidCheck(letter, six)})`;
    },
    mobile: () => `1${between(3, 9)}${digits(9)}`,
    // Hong Kong mobile numbers start with 5, 6 or 9.
    hongKongPhone: () => `+852 ${pick(['5', '6', '9'])}${digits(3)} ${digits(4)}`,
    passport: () => `E${digits(8)}`,
    email: () => `customer${++emails}.${digits(4)}@example.com`,
    digits,
  };
}

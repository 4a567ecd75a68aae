/**
 * Realistic generated transfer payloads for the detection benchmark and tests: e-commerce
 * orders with names, valid resident IDs, mobiles, addresses, amounts, 18-digit order numbers
 * and 13-digit millisecond timestamps (the decoys that must not be found). Deterministic.
 */

export function rng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

const surnames = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高';
const given = ['伟', '芳', '娜', '秀英', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀兰', '霞'];
const cities = ['福州市鼓楼区五四路', '厦门市思明区湖滨南路', '平潭综合实验区金井湾', '泉州市丰泽区田安路', '漳州市芗城区胜利路'];
const prefixes = ['350102', '350203', '350128', '350503', '110105', '310104', '440305', '810000', '710000'];
const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const checks = '10X98765432';

/** A GB 11643 resident ID with a valid check digit; `year` sets the birth year. */
export function residentId(next: () => number, year = 1950 + Math.floor(next() * 55)): string {
  const prefix = prefixes[Math.floor(next() * prefixes.length)]!;
  const month = 1 + Math.floor(next() * 12);
  const day = 1 + Math.floor(next() * 28);
  const sequence = String(Math.floor(next() * 1000)).padStart(3, '0');
  const body = `${prefix}${year}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}${sequence}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(body[i]) * weights[i]!;
  return body + checks[sum % 11]!;
}

export function mobile(next: () => number): string {
  const second = '3456789'[Math.floor(next() * 7)]!;
  return `1${second}${String(Math.floor(next() * 1e9)).padStart(9, '0')}`;
}

export function personName(next: () => number): string {
  return surnames[Math.floor(next() * surnames.length)]! + given[Math.floor(next() * given.length)]!;
}

export interface Order {
  orderNo: string;
  createdAt: number;
  amount: number;
  status: string;
  buyer: { name: string; idNo: string; mobile: string; address: string };
  items: { sku: string; qty: number; price: number }[];
}

export function order(next: () => number): Order {
  const items = Array.from({ length: 1 + Math.floor(next() * 2) }, () => ({
    sku: `SKU-${Math.floor(next() * 1e6)}`,
    qty: 1 + Math.floor(next() * 5),
    price: Math.round(next() * 100000) / 100,
  }));
  return {
    orderNo: `${2024}${String(Math.floor(next() * 1e14)).padStart(14, '0')}`,
    createdAt: 1_700_000_000_000 + Math.floor(next() * 3e10),
    amount: Math.round(next() * 1_000_000) / 100,
    status: next() < 0.5 ? 'PAID' : 'SHIPPED',
    buyer: {
      name: personName(next),
      idNo: residentId(next),
      mobile: mobile(next),
      address: `${cities[Math.floor(next() * cities.length)]}${1 + Math.floor(next() * 300)}号`,
    },
    items,
  };
}

export const csvHeader = '订单号,下单时间,金额,状态,姓名,身份证号,手机号,地址';

export function csvRow(o: Order): string {
  const address = o.buyer.address.includes(',') ? `"${o.buyer.address.replaceAll('"', '""')}"` : o.buyer.address;
  return `${o.orderNo},${o.createdAt},${o.amount},${o.status},${o.buyer.name},${o.buyer.idNo},${o.buyer.mobile},${address}`;
}

export interface Payloads {
  orders: number;
  json: string;
  ndjson: string;
  csv: string;
  /** `<orders><order>…</order>…</orders>`: each key an element, each list item a repeated one. */
  xml: string;
}

const escapeXml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;');

/** An element per key; a list's items repeat the element of the list's own name. */
function toXml(name: string, value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => toXml(name, item)).join('');
  if (value !== null && typeof value === 'object') return `<${name}>${Object.entries(value).map(([key, item]) => toXml(key, item)).join('')}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** Orders until the JSON form reaches `bytes` (UTF-8), in the three formats. */
export function payloads(bytes: number, seed = 42): Payloads {
  const next = rng(seed);
  const orders: Order[] = [];
  let size = 2;
  while (size < bytes) {
    const o = order(next);
    orders.push(o);
    size += Buffer.byteLength(JSON.stringify(o)) + 1;
  }
  return {
    orders: orders.length,
    json: JSON.stringify(orders),
    ndjson: orders.map((o) => JSON.stringify(o)).join('\n') + '\n',
    csv: [csvHeader, ...orders.map(csvRow)].join('\r\n') + '\r\n',
    xml: `<?xml version="1.0" encoding="UTF-8"?>\n<orders>${orders.map((o) => `\n  ${toXml('order', o)}`).join('')}\n</orders>\n`,
  };
}

/**
 * The traveller export bench/gateway.ts sends through the gateway: `{"orders":[...]}` of about
 * `bytes` bytes, each traveller a name, a valid resident ID (born one day after the last) and a
 * mobile. Personal information is dense here: 569 people in 64 KB, each with two identifiers.
 */
export function travellersBody(bytes: number): string {
  const birthId = (n: number) => {
    const birth = new Date(Date.UTC(1970, 0, 1) + n * 86400_000).toISOString().slice(0, 10).replaceAll('-', '');
    const body = `350102${birth}${String(100 + (n % 900)).padStart(3, '0')}`;
    let sum = 0;
    for (let i = 0; i < 17; i++) sum += Number(body[i]) * weights[i]!;
    return body + checks[sum % 11]!;
  };
  const travellers: unknown[] = [];
  let n = 0;
  while (JSON.stringify({ orders: travellers }).length < bytes - 120) {
    travellers.push({ orderNo: `PT2026${String(n).padStart(6, '0')}`, name: '陈晓明', idNo: birthId(n), mobile: `139${String(10000000 + n * 7919).slice(-8)}`, seats: 2, fare: 1280.5 });
    n++;
  }
  return JSON.stringify({ orders: travellers });
}

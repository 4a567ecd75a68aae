/**
 * Values a recipient's parser restores but a plain byte scan would not see: character references
 * and CDATA in XML / HTML. Whatever way a value is written, the scan finds it once, and evidence
 * spans cover the value as it stands in the body (for the masker).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scan, scanWithEvidence } from '../../src/detect/index.ts';
import { at, finding, idA, idB, mobileA } from './helpers.ts';

const runs = { numRuns: 200 };
const markupTypes = ['application/xml', 'text/xml', 'application/soap+xml', 'text/html; charset=utf-8', 'application/xhtml+xml'];

/** One character as an XML / HTML parser reads it back. */
const encodedChar = (c: string) =>
  fc.constantFrom(
    c,
    `&#${c.codePointAt(0)};`,
    `&#x${c.codePointAt(0)!.toString(16)};`,
    `&#X${c.codePointAt(0)!.toString(16).toUpperCase()};`,
    `&#000${c.codePointAt(0)};`,
    `<![CDATA[${c}]]>`,
    `${c}<!-- ${idB.slice(0, 4)} -->`,
    `${c}<?pi x?>`,
  );

const encodedValue = (value: string) => fc.tuple(...[...value].map(encodedChar)).map((chars) => chars.join(''));

describe('XML and HTML bodies: references, CDATA and comments do not hide a value', () => {
  it('finds a resident ID written with character references, CDATA sections and comments in any mix', async () => {
    await fc.assert(
      fc.asyncProperty(encodedValue(idA), fc.constantFrom(...markupTypes), async (encoded, contentType) => {
        const body = `<?xml version="1.0"?><people><p><idNo>${encoded}</idNo><note>ok</note></p></people>`;
        const result = await scan(body, { contentType, at });
        expect(finding(result, 'cn_resident_id')?.count).toBe(1);
        // XML is read element by element (xml.ts); HTML as text.
        expect(finding(result, 'cn_resident_id')!.paths).toEqual([contentType.includes('html') ? 'text' : '/people/p/idNo']);
      }),
      runs,
    );
  });

  it('reads the values of attributes and named entities as the parser does', async () => {
    const email = 'zhang.san@example.com';
    const body = `<a title="&#49;&#51;&#56;${mobileA.slice(3)}">zhang&period;san&commat;example&#46;com &amp; more</a>`;
    const result = await scan(body, { contentType: 'text/html', at });
    expect(finding(result, 'cn_mobile')?.count).toBe(1);
    expect(finding(result, 'email')?.count).toBe(1);
    expect(JSON.stringify(result)).not.toContain(email);
  });

  it('still finds a value inside a comment, once, beside the value that the comment splits', async () => {
    const split = `${idA.slice(0, 6)}<!-- ${idB} -->${idA.slice(6)}`;
    const result = await scan(`<r><id>${split}</id></r>`, { contentType: 'application/xml', at });
    expect(finding(result, 'cn_resident_id')?.count).toBe(2);
  });

  it('keeps spans on the value as written, references and CDATA included', async () => {
    const encoded = [...idA].map((c, k) => (k % 3 === 0 ? `&#${c.codePointAt(0)};` : k % 3 === 1 ? `<![CDATA[${c}]]>` : c)).join('');
    const body = `<r><id>${encoded}</id><m>${mobileA}</m></r>`;
    const { result, evidence } = await scanWithEvidence(body, { contentType: 'application/xml', at });
    expect(finding(result, 'cn_resident_id')?.count).toBe(1);
    const id = evidence.spans.find((s) => s.type === 'cn_resident_id')!;
    expect(body.slice(id.start, id.end)).toBe(encoded);
    const mobile = evidence.spans.find((s) => s.type === 'cn_mobile')!;
    expect(body.slice(mobile.start, mobile.end)).toBe(mobileA);
  });

  it('reads a streamed XML body whole, so a reference cut between chunks still decodes', async () => {
    const body = Buffer.from(`<r><id>${[...idA].map((c) => `&#${c.codePointAt(0)};`).join('')}</id></r>`);
    async function* chunks(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < body.length; i += 7) yield body.subarray(i, i + 7);
    }
    const result = await scan(chunks(), { contentType: 'text/xml', at });
    expect(finding(result, 'cn_resident_id')?.count).toBe(1);
  });

  it('keeps values in separate elements apart, as before', async () => {
    const result = await scan(`<r><m>${mobileA}</m><m>${mobileA.replace('138', '139')}</m></r>`, { contentType: 'application/xml', at });
    expect(finding(result, 'cn_mobile')?.count).toBe(2);
  });
});

/** One character as a JSON parser reads it back from a `\uXXXX` escape (any letter case). */
const escapedChar = (c: string) => {
  const hex = c.codePointAt(0)!.toString(16).padStart(4, '0');
  return fc.constantFrom(c, `\\u${hex}`, `\\u${hex.toUpperCase()}`);
};

describe('text bodies: \\uXXXX escapes do not hide a value', () => {
  it('finds a resident ID and a mobile written with JSON escapes in a text/plain body', async () => {
    const value = (s: string) => fc.tuple(...[...s].map(escapedChar)).map((chars) => chars.join(''));
    await fc.assert(
      fc.asyncProperty(value(idA), value(mobileA), async (id, mobile) => {
        const body = `{"idNo":"${id}","tel":"${mobile}","note":"\\ud83d\\ude00 \\n ok"}`;
        const result = await scan(body, { contentType: 'text/plain; charset=utf-8', at });
        expect(finding(result, 'cn_resident_id')?.count).toBe(1);
        expect(finding(result, 'cn_mobile')?.count).toBe(1);
      }),
      runs,
    );
  });

  it('counts a value once whether escaped or not, and spans cover it as written', async () => {
    const escaped = [...idA].map((c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`).join('');
    const body = `身份证号码：${idB}；备用 ${escaped}，手机 ${mobileA}`;
    const { result, evidence } = await scanWithEvidence(body, { contentType: 'text/plain', at });
    expect(finding(result, 'cn_resident_id')?.count).toBe(2);
    expect(finding(result, 'cn_mobile')?.count).toBe(1);
    const ids = evidence.spans.filter((s) => s.type === 'cn_resident_id').map((s) => evidence.text!.slice(s.start, s.end));
    expect(ids).toEqual([idB, escaped]);
    expect(evidence.text!.slice(...spanOf(evidence.spans, 'cn_mobile'))).toBe(mobileA);
  });

  it('reads escapes in a streamed text body and in the rest of malformed JSON', async () => {
    const escaped = [...idA].map((c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`).join('');
    const body = Buffer.from(`line one\n{"idNo":"${escaped}"}\nline three\n`);
    async function* chunks(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < body.length; i += 5) yield body.subarray(i, i + 5);
    }
    expect(finding(await scan(chunks(), { contentType: 'text/plain', at }), 'cn_resident_id')?.count).toBe(1);
    const xml = await scan(`<payload>${body.toString()}</payload>`, { contentType: 'application/xml', at });
    expect(finding(xml, 'cn_resident_id')?.count).toBe(1);
    const malformed = await scan(`{"a": 1, oops "idNo":"${escaped}"}`, { contentType: 'application/json', at });
    expect(malformed.parseError).not.toBeNull();
    expect(finding(malformed, 'cn_resident_id')?.count).toBe(1);
  });
});

function spanOf(spans: readonly { type: string; start: number; end: number }[], type: string): [number, number] {
  const span = spans.find((s) => s.type === type)!;
  return [span.start, span.end];
}

describe('multipart bodies: text outside the parts is scanned', () => {
  const boundary = 'XBb0undary7';
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const type = `multipart/form-data; boundary=${boundary}`;

  it('finds values in the preamble and the epilogue, with spans on them', async () => {
    const body = `身份证 ${idA}\r\n${field('note', 'hello')}--${boundary}--\r\n手机 ${mobileA}\r\n`;
    const { result, evidence } = await scanWithEvidence(body, { contentType: type, at });
    expect(finding(result, 'cn_resident_id')?.count).toBe(1);
    expect(finding(result, 'cn_resident_id')!.paths).toEqual(['preamble']);
    expect(finding(result, 'cn_mobile')!.paths).toEqual(['epilogue']);
    expect(evidence.text!.slice(...spanOf(evidence.spans, 'cn_resident_id'))).toBe(idA);
    expect(evidence.text!.slice(...spanOf(evidence.spans, 'cn_mobile'))).toBe(mobileA);
    // The fields and the text around them are one form: one record, one person.
    expect(result.records).toBe(1);
    expect(result.subjects).toBe(1);
  });

  it('reads escapes in the epilogue and text after a closing delimiter on its line', async () => {
    const escaped = [...idA].map((c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`).join('');
    const result = await scan(`${field('a', 'x')}--${boundary}--${escaped}`, { contentType: type, at });
    expect(finding(result, 'cn_resident_id')?.count).toBe(1);
  });

  it('scans a last part whose headers never end rather than dropping it', async () => {
    const body = `${field('a', 'x')}--${boundary}\r\nContent-Disposition: form-data; name="b"\r\n${idA}`;
    const result = await scan(body, { contentType: type, at });
    expect(finding(result, 'cn_resident_id')?.count).toBe(1);
  });

  it('adds no record for a preamble or epilogue that carries nothing', async () => {
    const order = `--${boundary}\r\nContent-Disposition: form-data; name="o"; filename="o.json"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify([{ name: '甲', mobile: mobileA }])}\r\n--${boundary}--\r\n`;
    const plain = await scan(order, { contentType: type, at });
    const wrapped = await scan(`This is a multi-part message in MIME format.\r\n${order}bye\r\n`, { contentType: type, at });
    expect({ ...wrapped, bytes: plain.bytes }).toEqual(plain);
  });
});

/** `%XX` of every byte of `s`, `times` times over (a percent sign encodes as %25). */
function percentEncoded(s: string, times: number): string {
  let out = s;
  for (let k = 0; k < times; k++) out = [...Buffer.from(out)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  return out;
}

describe('form bodies and query strings: percent-encoding twice over does not hide a value', () => {
  const form = { contentType: 'application/x-www-form-urlencoded', at };

  it('finds values whose characters are percent-encoded up to four times each', async () => {
    const value = (s: string) => fc.tuple(...[...s].map((c) => fc.integer({ min: 0, max: 4 }).map((n) => percentEncoded(c, n)))).map((cs) => cs.join(''));
    await fc.assert(
      fc.asyncProperty(value(idA), value(mobileA), async (id, mobile) => {
        const result = await scan(`a=1&m=${mobile}&x=${id}&b=`, form);
        expect(finding(result, 'cn_resident_id')?.count).toBe(1);
        expect(finding(result, 'cn_mobile')?.count).toBe(1);
        expect(result.records).toBe(1);
      }),
      runs,
    );
  });

  it('reads a doubly encoded key for its meaning and keeps spans on the value as written', async () => {
    const encoded = percentEncoded(mobileA, 2);
    const body = `${percentEncoded('诊断', 2)}=${percentEncoded('高血压', 2)}&tel=${encoded}`;
    const { result, evidence } = await scanWithEvidence(body, form);
    expect(finding(result, 'health')?.count).toBe(1);
    expect(finding(result, 'cn_mobile')!.paths).toEqual(['form.tel']);
    expect(evidence.text!.slice(...spanOf(evidence.spans, 'cn_mobile'))).toBe(encoded);
  });

  it('stops decoding after a few rounds, whatever the depth', async () => {
    const deep = `x=${'%25'.repeat(20_000)}31`;
    const started = performance.now();
    await scan(deep, form);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

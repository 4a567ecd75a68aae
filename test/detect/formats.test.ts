import { describe, expect, it } from 'vitest';
import { scan, scanWithEvidence } from '../../src/detect/index.ts';
import { at, finding, idA, idB, mobileA, mobileB } from './helpers.ts';

const csvType = { contentType: 'text/csv', at };

describe('body formats', () => {
  it('walks NDJSON line by line, with paths like JSON paths over the lines', async () => {
    const body = [{ buyer: { name: '甲', idNo: idA } }, { buyer: { name: '乙', idNo: idB } }, {}]
      .map((r) => JSON.stringify(r))
      .join('\r\n');
    const result = await scan(body, { contentType: 'application/x-ndjson', at });
    expect(result.records).toBe(3);
    expect(result.subjects).toBe(2);
    expect(finding(result, 'cn_resident_id')!.paths).toEqual(['$[*].buyer.idNo']);
    expect(result.parseError).toBeNull();
  });

  it('scans a malformed NDJSON line as text and names the line', async () => {
    const body = `${JSON.stringify({ idNo: idA })}\n{"idNo": "${idB}", oops ${mobileA}\n`;
    const result = await scan(body, { contentType: 'application/jsonl', at });
    expect(result.parseError).toMatch(/^line 2: /);
    expect(finding(result, 'cn_resident_id')!.count).toBe(2);
    expect(finding(result, 'cn_mobile')!.count).toBe(1);
  });

  it('reads CSV with RFC 4180 quoting: commas, quotes and newlines inside fields', async () => {
    const body = [
      '姓名,备注,身份证号,地址',
      `张三,"line one\nline two, with ${mobileA}",${idA},"福州市""五四路"", 1号"`,
      `李四,,"${idB}",`,
      '',
    ].join('\r\n');
    const { result, evidence } = await scanWithEvidence(body, csvType);
    expect(result.records).toBe(2);
    expect(result.subjects).toBe(2);
    expect(result.identifiable).toBe(2);
    expect(finding(result, 'cn_resident_id')!.paths).toEqual(['$[*].身份证号']);
    expect(finding(result, 'cn_mobile')!.paths).toEqual(['$[*].备注']);
    expect(finding(result, 'address')!.count).toBe(1);
    const spans = evidence.spans.filter((s) => s.type === 'cn_resident_id');
    expect(spans.map((s) => body.slice(s.start, s.end))).toEqual([idA, idB]);
    expect(spans.map((s) => s.path)).toEqual(['$[0].身份证号', '$[1].身份证号']);
  });

  it('gives a CSV column meaning from its header even when its values are tokens', async () => {
    const body = `身份证号,金额\ntok_8f3a9c2e77,12.50\n`;
    const result = await scan(body, csvType);
    expect(finding(result, 'cn_resident_id')!.count).toBe(1);
  });

  it('reads a CSV whose first row is data rather than a header', async () => {
    const body = `${idA},${mobileA}\n${idB},${mobileB}\n`;
    const result = await scan(body, csvType);
    expect(result.records).toBe(2);
    expect(finding(result, 'cn_resident_id')!.count).toBe(2);
    expect(JSON.stringify(result)).not.toContain(idA);
  });

  it('walks a form body by key, decoding percent-escapes', async () => {
    const body = `name=%E5%BC%A0%E4%B8%89&idNo=${idA}&note=${encodeURIComponent(`手机 ${mobileA}`)}&diagnosis=`;
    const { result, evidence } = await scanWithEvidence(body, { contentType: 'application/x-www-form-urlencoded; charset=utf-8', at });
    expect(result.records).toBe(1);
    expect(result.subjects).toBe(1);
    expect(finding(result, 'cn_resident_id')!.paths).toEqual(['form.idNo']);
    expect(finding(result, 'cn_mobile')!.paths).toEqual(['form.note']);
    expect(finding(result, 'health')).toBeUndefined();
    const mobile = evidence.spans.find((s) => s.type === 'cn_mobile')!;
    expect(body.slice(mobile.start, mobile.end)).toBe(encodeURIComponent(`手机 ${mobileA}`));
  });

  it('reads the rest of a form value as UTF-8 when one escape in it is malformed (a trailing "100%")', async () => {
    // The passport number counts only beside its hotword (CLARIFICATIONS 2), which must survive.
    for (const tail of ['', '%20100%', '%zz']) {
      const body = `note=${encodeURIComponent('护照号码 E12345678 折扣')}${tail}`;
      const result = await scan(body, { contentType: 'application/x-www-form-urlencoded', at });
      expect(finding(result, 'cn_passport'), tail).toMatchObject({ count: 1, paths: ['form.note'] });
    }
  });

  it('walks multipart part by part with each part its own type; binary files are unscanned', async () => {
    const boundary = 'XBORDERb0undary';
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="idNo"\r\n\r\n${idA}\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="order"; filename="o.json"\r\nContent-Type: application/json\r\n\r\n`),
      Buffer.from(JSON.stringify({ receiver: { name: '李四', mobile: mobileB } })),
      Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.png"\r\nContent-Type: image/png\r\n\r\n`),
      png,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const { result, evidence } = await scanWithEvidence(body, { contentType: `multipart/form-data; boundary=${boundary}`, at });
    expect(finding(result, 'cn_resident_id')!.paths).toEqual(['part:idNo']);
    expect(finding(result, 'cn_mobile')!.paths).toEqual(['part:order$.receiver.mobile']);
    expect(finding(result, 'unscanned_binary')).toMatchObject({ count: 1, paths: ['part:photo'] });
    expect(result.subjects).toBe(2);
    const mobile = evidence.spans.find((s) => s.type === 'cn_mobile')!;
    expect(evidence.text!.slice(mobile.start, mobile.end)).toBe(mobileB);
  });

  it('reads a quoted-printable part as its recipient decodes it, and leaves a part in a transfer encoding it cannot read unscanned', async () => {
    const boundary = 'XBORDERb0undary';
    const part = (encoding: string, value: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n${value}\r\n`;
    const qp = [...mobileB].map((c) => `=${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');
    const body = `${part('quoted-printable', `${mobileA.slice(0, 5)}=\r\n${mobileA.slice(5)}`)}${part('Quoted-Printable', qp)}--${boundary}--\r\n`;
    const result = await scan(body, { contentType: `multipart/form-data; boundary=${boundary}`, at });
    expect(finding(result, 'cn_mobile')?.count).toBe(2);
    const unknown = await scan(`${part('x-uuencode', 'begin 644 n')}--${boundary}--\r\n`, { contentType: `multipart/form-data; boundary=${boundary}`, at });
    expect(finding(unknown, 'unscanned_binary')).toMatchObject({ count: 1, paths: ['part:note'] });
  });

  it('never shows a part name that is itself an ID or a mobile in the paths (CLARIFICATIONS 14)', async () => {
    const boundary = 'XBORDERb0undary';
    const body = [
      `--${boundary}\r\nContent-Disposition: form-data; name="${idA}"\r\n\r\n王小明 ${mobileA}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="${mobileB}"; filename="a.json"\r\nContent-Type: application/json\r\n\r\n{"diagnosis":"2型糖尿病"}\r\n`,
      `--${boundary}--\r\n`,
    ].join('');
    const result = await scan(body, { contentType: `multipart/form-data; boundary=${boundary}`, at });
    const paths = result.findings.flatMap((f) => f.paths);
    expect(finding(result, 'cn_mobile')!.paths).toContain('part:<cn_resident_id>');
    expect(paths.some((path) => path.startsWith('part:<cn_mobile>$'))).toBe(true);
    for (const path of paths) {
      expect(path).not.toContain(idA);
      expect(path).not.toContain(mobileB);
    }
  });

  it('scans each part\'s header lines: a file name or a part name that carries a value leaves with the part', async () => {
    const boundary = 'XBORDERb0undary';
    const body = [
      `--${boundary}\r\nContent-Disposition: form-data; name="scan"; filename="${mobileA}.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\u0000\u0001\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="${idA}"\r\n\r\nok\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n`,
      `--${boundary}--\r\n`,
    ].join('');
    const { result, evidence } = await scanWithEvidence(body, { contentType: `multipart/form-data; boundary=${boundary}`, at });
    expect(finding(result, 'cn_mobile')).toMatchObject({ count: 1, paths: ['part:scan:headers'] });
    expect(finding(result, 'cn_resident_id')).toMatchObject({ count: 1, paths: ['part:<cn_resident_id>:headers'] });
    // Spans point into the body, so a masker can star the file name.
    const mobile = evidence.spans.find((span) => span.type === 'cn_mobile')!;
    expect(body.slice(mobile.start, mobile.end)).toBe(mobileA);
    // An ordinary header block adds nothing.
    const plain = await scan(`--${boundary}\r\nContent-Disposition: form-data; name="note"; filename="notes-2026.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${boundary}--\r\n`, { contentType: `multipart/form-data; boundary=${boundary}`, at });
    expect(plain.findings).toEqual([]);
  });

  it('scans any text/* as text, with hotwords', async () => {
    const result = await scan(`客户：张三，身份证号码：${idA}，联系电话 ${mobileA}。`, { contentType: 'text/markdown', at });
    expect(result.records).toBe(1);
    expect(result.subjects).toBe(1);
    expect(finding(result, 'cn_resident_id')!.paths).toEqual(['text']);
  });

  it('decodes a GB18030 body when the charset says so', async () => {
    // 姓名,身份证号 in GBK/GB18030 bytes.
    const header = Buffer.from('d0d5c3fb2cc9edb7ddd6a4bac5', 'hex');
    const body = Buffer.concat([header, Buffer.from(`\r\nx,tok_0123456789\r\ny,${idA}\r\n`)]);
    for (const charset of ['gb18030', 'GBK', 'gb2312']) {
      const result = await scan(body, { contentType: `text/csv; charset=${charset}`, at });
      expect(finding(result, 'cn_resident_id')).toMatchObject({ count: 2, paths: ['$[*].身份证号'] });
    }
  });

  it('reports a binary body as unscanned_binary with its size, never silently', async () => {
    const bytes = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 1, 2, 3]);
    for (const contentType of ['application/octet-stream', 'application/zip', 'image/jpeg']) {
      const result = await scan(bytes, { contentType, at });
      expect(result.unscanned).toEqual({ reason: 'binary', bytes: 9 });
      expect(finding(result, 'unscanned_binary')!.count).toBe(1);
    }
    // A binary labelled as JSON is not read as JSON either.
    expect((await scan(bytes, { contentType: 'application/json', at })).unscanned).toEqual({ reason: 'binary', bytes: 9 });
  });

  it('finds a short IPv6 address (::1) as an array item and in a column without meaning, as under a JSON key', async () => {
    for (const items of [['::1', '1::2'], { peers: [['::1', '1::2']] }]) {
      const asItem = await scan(JSON.stringify(items), { contentType: 'application/json', at });
      expect(finding(asItem, 'ipv6')?.count).toBe(2);
    }
    const inColumn = await scan('host,peer\n::1,1::2\n', csvType);
    expect(finding(inColumn, 'ipv6')?.count).toBe(2);
  });

  it('reads +json types as JSON and textual application types as text', async () => {
    const problem = await scan(JSON.stringify({ detail: { idNo: idA } }), { contentType: 'application/problem+json', at });
    expect(finding(problem, 'cn_resident_id')!.paths).toEqual(['$.detail.idNo']);
    const xml = await scan(`<p><id>${idA}</id></p>`, { contentType: 'application/xml', at });
    expect(finding(xml, 'cn_resident_id')!.paths).toEqual(['/p/id']);
  });
});

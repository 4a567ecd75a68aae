/**
 * Inspection cannot be bypassed quietly (CLARIFICATIONS 14): whatever reaches the recipient was
 * read by the scan as the recipient reads it, or it does not leave.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredRecord } from '../../src/audit/index.ts';
import { enterprises, send, startGateway, type TestGateway } from './helpers.ts';

let t: TestGateway;
let token: string;

beforeAll(async () => {
  // An upstream that tries to speak for the gateway when asked to (path /spoof).
  t = await startGateway({
    answer: (received) => (received.url.endsWith('/spoof') ? { headers: { 'x-xborder-enforced': 'false', 'x-xborder-decision': 'allow', 'x-xborder-warning': 'none' } } : {}),
  });
  token = await t.token('enterprise', enterprises.pingtan);
});
afterAll(() => t.close());

const people = 'mobile,idNo\n13812345678,11010519491231002X\n';

function post(body: string | Buffer, headers: Record<string, string>, path = '/x/partner/people') {
  return send(t.url, { path, headers: { authorization: `Bearer ${token}`, ...headers }, body });
}

async function decisionOf(decisionId: string): Promise<StoredRecord | undefined> {
  const { records } = await t.gateway.context.store.query({ decisionId, kind: 'decision' }, { limit: 1 });
  return records[0];
}

function utf32le(text: string): Buffer {
  const out = Buffer.alloc(text.length * 4);
  let at = 0;
  for (const character of text) at = out.writeUInt32LE(character.codePointAt(0)!, at);
  return out.subarray(0, at);
}

describe('a body declared in a charset the scan cannot read as the recipient does', () => {
  it.each([
    // ASCII bytes read as UTF-16 become CJK characters to the scan; a recipient that ignores the charset (most CSV readers) reads the digits.
    ['text/csv; charset=utf-16le', Buffer.from(people)],
    ['text/plain; charset=UTF-16', Buffer.from(people)],
    // Node has no UTF-32 or UTF-7 decoder: the scan read these as UTF-8 and saw NULs or base64, a Java or Python recipient reads the digits.
    ['text/plain; charset=utf-32', utf32le(people)],
    ['text/plain; charset="utf-7"', Buffer.from('mobile +ADEAMwA4ADEAMgAzADQANQA2ADcAOA-')],
    // A second charset parameter: the scan reads the first (UTF-16, no digits), a recipient may read the last.
    ['text/plain; charset=utf-16le; charset=utf-8', Buffer.from(people)],
  ])('refuses %s with a recorded 415 and forwards nothing', async (contentType, body) => {
    const before = t.upstream.received.length;
    const response = await post(body, { 'content-type': contentType });
    expect(response.status).toBe(415);
    const problem = response.json<{ code: string; decisionId: string }>();
    expect(problem.code).toBe('XB_ERR_UNSUPPORTED_ENCODING');
    expect(await decisionOf(problem.decisionId)).toMatchObject({ kind: 'decision', decision: 'deny', error: 'XB_ERR_UNSUPPORTED_ENCODING' });
    expect(t.upstream.received.length).toBe(before);
  });

  it.each(['text/csv; charset=gbk', 'text/csv; charset=GB18030', 'text/csv; charset=iso-8859-1', 'text/csv; charset=utf-8', 'text/csv'])(
    'still inspects and forwards a body in %s, where ASCII reads as ASCII',
    async (contentType) => {
      const before = t.upstream.received.length;
      const response = await post(Buffer.from(people), { 'content-type': contentType });
      expect(response.status).toBe(200);
      const decision = await decisionOf(String(response.headers['x-xborder-decision-id']));
      const types = decision && 'findings' in decision ? decision.findings.map((finding) => finding.type) : [];
      expect(types).toEqual(expect.arrayContaining(['cn_mobile', 'cn_resident_id']));
      expect(t.upstream.received.length).toBe(before + 1);
    },
  );
});

describe('a body whose bytes read differently in its declared charset and in UTF-8', () => {
  // RFC 8259: JSON is UTF-8 and its recipients ignore a charset parameter; the scan honoured it,
  // so UTF-8 keys such as 诊断 read as mojibake and the health data went unnoticed.
  const patients = JSON.stringify({ patients: [{ name: '张三', idNo: '11010519491231002X', mobile: '13812345678', 诊断: '高血压' }] });
  // 诊断 (diagnosis) and 高血压 (hypertension) in GBK bytes.
  const gbk = Buffer.concat([Buffer.from('mobile,'), Buffer.from([0xd5, 0xef, 0xb6, 0xcf]), Buffer.from('\n13812345678,'), Buffer.from([0xb8, 0xdf, 0xd1, 0xaa, 0xd1, 0xb9]), Buffer.from('\n')]);

  it('is refused as uninspectable when it is UTF-8 declared in a legacy charset (415, recorded, nothing forwarded)', async () => {
    const { gzipSync } = await import('node:zlib');
    for (const [body, headers] of [
      [Buffer.from(patients), { 'content-type': 'application/json; charset=windows-1252' }],
      [gzipSync(Buffer.from(patients)), { 'content-type': 'application/json; charset=iso-8859-1', 'content-encoding': 'gzip' }],
      [Buffer.from(patients), { 'content-type': 'text/plain; charset=gbk' }],
    ] as const) {
      const before = t.upstream.received.length;
      const response = await post(body, headers);
      expect(response.status, headers['content-type']).toBe(415);
      const problem = response.json<{ code: string; decisionId: string }>();
      expect(problem.code).toBe('XB_ERR_UNSUPPORTED_ENCODING');
      expect(await decisionOf(problem.decisionId)).toMatchObject({ decision: 'deny', error: 'XB_ERR_UNSUPPORTED_ENCODING' });
      expect(t.upstream.received.length).toBe(before);
    }
  });

  it('is refused when two charset parameters disagree: the scan read the first, a recipient may honour the last', async () => {
    // Read as UTF-8 the GBK column name is replacement characters; a recipient honouring gbk reads 诊断.
    const response = await post(gbk, { 'content-type': 'text/csv; charset=utf-8; charset=gbk' });
    expect(response.status).toBe(415);
    expect(response.json()).toMatchObject({ code: 'XB_ERR_UNSUPPORTED_ENCODING' });
  });

  it('is still inspected when it is truly in its legacy charset (GBK bytes are not UTF-8)', async () => {
    // The scan reads the health column and the transfer is denied on it.
    expect(new TextDecoder('gbk').decode(gbk)).toBe('mobile,诊断\n13812345678,高血压\n');
    const response = await post(gbk, { 'content-type': 'text/csv; charset=gbk' });
    expect(response.status).toBe(451);
  });
});

describe('a multipart body with two boundary parameters', () => {
  it('is refused: the scan splits on the first, a recipient may split on the last and read parts the scan never saw', async () => {
    const part = (boundary: string, name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    // Under boundary a: one harmless part, then an epilogue. Under boundary b: a diagnosis and an ID.
    const body = `${part('a', 'note', 'hello')}--a--\r\n${part('b', '诊断', '高血压')}${part('b', 'idNo', '11010519491231002X')}--b--\r\n`;
    const before = t.upstream.received.length;
    const response = await post(body, { 'content-type': 'multipart/form-data; boundary=a; boundary=b' });
    expect(response.status).toBe(415);
    const problem = response.json<{ code: string; decisionId: string }>();
    expect(problem.code).toBe('XB_ERR_UNSUPPORTED_ENCODING');
    expect(await decisionOf(problem.decisionId)).toMatchObject({ decision: 'deny', error: 'XB_ERR_UNSUPPORTED_ENCODING' });
    expect(t.upstream.received.length).toBe(before);
  });
});

describe('the headers a body was inspected under', () => {
  it('reach the recipient even when the Connection header nominates them', async () => {
    const { gzipSync } = await import('node:zlib');
    const before = t.upstream.received.length;
    const response = await post(gzipSync(Buffer.from('{"greeting":"hello"}')), {
      'content-type': 'application/json; charset=utf-8',
      'content-encoding': 'gzip',
      connection: 'keep-alive, content-type, content-encoding',
    });
    expect(response.status).toBe(200);
    const [hit] = t.upstream.received.slice(before);
    expect(hit?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(hit?.headers['content-encoding']).toBe('gzip');
  });
});

describe('the path under the destination', () => {
  // Tomcat, Jetty and Spring drop `;parameters` from a segment before resolving dot segments,
  // so `/api/v1/..;/private` is `/private` to them.
  it.each(['/x/partner/..;/private/x', '/x/partner/..;jsessionid=1/x', '/x/partner/%2e%2e;a/x', '/x/partner/.;/x', '/x/partner/a/..%3B/x'])(
    'refuses %s: a dot segment with path parameters (400, nothing forwarded)',
    async (path) => {
      const before = t.upstream.received.length + t.other.received.length;
      const response = await post('{}', { 'content-type': 'application/json' }, path);
      expect(response.status).toBe(400);
      expect(response.json()).toMatchObject({ code: 'XB_ERR_PATH_REJECTED' });
      expect(t.upstream.received.length + t.other.received.length).toBe(before);
    },
  );

  // An upstream that folds compatibility characters (NFKC, a Windows best-fit code page) reads
  // full-width dots and slashes, and look-alikes of them, as the real ones.
  it.each([
    ['．．', '/x/partner/%EF%BC%8E%EF%BC%8E/private'],
    ['‥ (two dot leader)', '/x/partner/%E2%80%A5/private'],
    ['．．;x', '/x/partner/%EF%BC%8E%EF%BC%8E;x/private'],
    ['a／b', '/x/partner/a%EF%BC%8Fb'],
    ['a＼b', '/x/partner/a%EF%BC%BCb'],
    ['a∕b (division slash)', '/x/partner/a%E2%88%95b'],
    ['a∖b (set minus)', '/x/partner/a%E2%88%96b'],
    ['％２ｅ％２ｅ', '/x/partner/%EF%BC%85%EF%BC%92%EF%BD%85%EF%BC%85%EF%BC%92%EF%BD%85/private'],
  ])('refuses %s: a separator once full-width and look-alike characters are folded (400, nothing forwarded)', async (_, path) => {
    const before = t.upstream.received.length + t.other.received.length;
    const response = await post('{}', { 'content-type': 'application/json' }, path);
    expect(response.status).toBe(400);
    expect(response.json<{ code: string; detail: string }>()).toMatchObject({ code: 'XB_ERR_PATH_REJECTED', detail: expect.stringContaining('folding full-width') });
    expect(t.upstream.received.length + t.other.received.length).toBe(before);
  });

  it('forwards full-width letters and digits, which fold to no separator', async () => {
    const before = t.upstream.received.length;
    const response = await post('{}', { 'content-type': 'application/json' }, '/x/partner/%EF%BD%8F%EF%BD%92%EF%BD%84%EF%BD%85%EF%BD%92%EF%BD%93/%EF%BC%94%EF%BC%92');
    expect(response.status).toBe(200);
    expect(t.upstream.received.slice(before).map((hit) => hit.url)).toEqual(['/api/v1/%EF%BD%8F%EF%BD%92%EF%BD%84%EF%BD%85%EF%BD%92%EF%BD%93/%EF%BC%94%EF%BC%92']);
  });

  it('still forwards path parameters on ordinary segments', async () => {
    const before = t.upstream.received.length;
    const response = await post('{}', { 'content-type': 'application/json' }, '/x/partner/orders;v=2/42');
    expect(response.status).toBe(200);
    expect(t.upstream.received.slice(before).map((hit) => hit.url)).toEqual(['/api/v1/orders;v=2/42']);
  });
});

describe('the answer passed back to the caller', () => {
  it("never carries the recipient's own X-Xborder-* headers: only the gateway speaks for the decision", async () => {
    const response = await post('{"greeting":"hello"}', { 'content-type': 'application/json' }, '/x/partner/spoof');
    expect(response.status).toBe(200);
    expect(response.headers['x-upstream']).toBe('yes');
    expect(response.headers['x-xborder-decision']).toBe('allow');
    expect(response.headers['x-xborder-enforced']).toBeUndefined();
    expect(response.headers['x-xborder-warning']).toBeUndefined();
  });
});

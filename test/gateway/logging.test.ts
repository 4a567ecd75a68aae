/** What reaches the logs: never a value a caller sent (README: no payload value is ever logged). */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enterprises, send, startGateway, type TestGateway } from './helpers.ts';

let t: TestGateway;
const lines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  t = await startGateway({ options: { logger: pino({ level: 'info' }, sink) } });
});
afterAll(() => t.close());

describe('the per-request log line', () => {
  it('names the route, not the path a caller sent, so a value in a mistyped or API path is not logged', async () => {
    const token = await t.token('enterprise', enterprises.pingtan);
    for (const path of ['/X/partner/patients/11010519491231002X', '//x/partner/13812345678', '/audit/records/13812345678']) {
      const response = await send(t.url, { method: 'GET', path, headers: { authorization: `Bearer ${token}` } });
      expect(response.status, path).toBe(404);
    }
    const logged = lines.join('');
    expect(logged).toContain('"route":"/audit/records/:id"');
    expect(logged).not.toContain('11010519491231002X');
    expect(logged).not.toContain('13812345678');
  });
});

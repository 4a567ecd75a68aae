/**
 * A caller that trickles its request never gets to hold a connection and its buffered body for
 * good: past `requestTimeoutMs` the gateway answers 408 and closes, and nothing is forwarded.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enterprises, startGateway, type TestGateway } from './helpers.ts';

let t: TestGateway;
beforeAll(async () => {
  t = await startGateway({ settings: { requestTimeoutMs: 1_000 } });
});
afterAll(() => t.close());

/** Sends the head and part of the body, then nothing; resolves with what came back and when the socket closed. */
function trickle(url: string, head: string, part: string): Promise<{ answer: string; afterMs: number }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let answer = '';
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(head + part));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve({ answer, afterMs: performance.now() - started }));
  });
}

describe('a slow upload', () => {
  it('is cut off with 408 after requestTimeoutMs, and nothing reaches the recipient', { timeout: 15_000 }, async () => {
    const token = await t.token('enterprise', enterprises.pingtan);
    const body = JSON.stringify({ travellers: [{ name: '赵六', idNo: '11010519491231002X' }] });
    const head = [
      'POST /x/partner/orders HTTP/1.1',
      'Host: 127.0.0.1',
      `Authorization: Bearer ${token}`,
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      '',
    ].join('\r\n');
    const { answer, afterMs } = await trickle(t.url, head, body.slice(0, 10));
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeGreaterThanOrEqual(900);
    expect(afterMs).toBeLessThan(5_000);
    expect(t.upstream.received).toHaveLength(0);
  });
});

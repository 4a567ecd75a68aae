/**
 * The readiness ping answers even when PostgreSQL does not: a database whose host vanished
 * without a reset (a partition, a dead VM) leaves `SELECT 1` waiting until TCP gives up, minutes
 * later, and `/readyz` with it, so a load balancer kept sending transfers to a node that could
 * record none.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type AuditStore } from '../../src/audit/index.ts';
import { decisionRecord, dropSchema, fixedClock, pgUrl, postgresAvailable } from './helpers.ts';

/**
 * A TCP relay to PostgreSQL. `freeze` stops passing bytes on, holding them, until `thaw` (a
 * stall). `cut` loses every connection open then or opened before `restore`, for good: their
 * bytes go nowhere and nothing resets them (a database host that vanished, replaced at the same
 * address by one that answers new connections).
 */
async function relay(): Promise<{ url: string; freeze(): void; thaw(): void; cut(): void; restore(): void; close(): Promise<void> }> {
  const target = new URL(pgUrl);
  let frozen = false;
  let cut = false;
  const held: [Socket, Buffer][] = [];
  const sockets = new Set<Socket>();
  const lost = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      if (cut) lost.add(from);
      from.on('data', (chunk: Buffer) => {
        if (lost.has(from)) return;
        if (frozen) held.push([to, chunk]);
        else to.write(chunk);
      });
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(pgUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    freeze: () => void (frozen = true),
    thaw() {
      frozen = false;
      for (const [to, chunk] of held.splice(0)) to.write(chunk);
    },
    cut() {
      cut = true;
      for (const socket of sockets) lost.add(socket);
    },
    restore: () => void (cut = false),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe.runIf(await postgresAvailable())('the readiness ping of a PostgreSQL store', () => {
  const schema = `xb_audit_readiness_${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'xb-readiness-'));
  let store: AuditStore | null = null;
  let network: Awaited<ReturnType<typeof relay>> | null = null;
  afterAll(async () => {
    network?.thaw();
    await store?.close();
    await network?.close();
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('says the store does not answer when the database stops answering, and is ready again when it answers', { timeout: 20_000 }, async () => {
    network = await relay();
    store = await openStore({ nodeId: 'ping-node', dataDir: dir, databaseUrl: network.url, schema, checkpointIntervalMs: 0, clock: fixedClock });
    await store.append(decisionRecord());
    await store.ping();
    network.freeze();
    // Without a bound of its own the ping waits for ever here: the relay never closes.
    await expect(store.ping()).rejects.toMatchObject({ code: 'XB_ERR_AUDIT_UNAVAILABLE', message: expect.stringContaining('does not answer') });
    network.thaw();
    await store.ping();
  });

  it('is ready again once the database answers new connections, though the old ones never answer again', { timeout: 30_000 }, async () => {
    network?.thaw();
    await store?.close();
    await network?.close();
    network = await relay();
    store = await openStore({ nodeId: 'ping-node', dataDir: dir, databaseUrl: network.url, schema, checkpointIntervalMs: 0, clock: fixedClock });
    // The reading pool warm, as regulators' queries leave it: its 4 connections open and idle.
    await Promise.all(Array.from({ length: 4 }, () => store!.ping()));
    network.cut();
    // A probe for each of them: each query waits on a connection that will never answer.
    for (let probe = 0; probe < 4; probe++) await expect(store.ping()).rejects.toMatchObject({ code: 'XB_ERR_AUDIT_UNAVAILABLE' });
    network.restore();
    // Connections opened during the cut give up after the pool's 5 s connect timeout; a probe
    // every half second is what a load balancer does.
    let ready = false;
    for (let probe = 0; probe < 20 && !ready; probe++) {
      ready = await store.ping().then(() => true, () => false);
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(ready).toBe(true);
  });
});

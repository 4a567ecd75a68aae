/**
 * A node that stops in the middle of transfers (killed, or its store failing between a decision
 * and its outcome) finishes them when it opens its store again: a reservation must not hold its
 * people as `reserved` for good. Never sent (no decision record, an enforced deny) → released;
 * decided to go → counted, with an outcome record saying the outcome is unknown.
 */
import { describe, expect, it } from 'vitest';
import { newDecisionId, outcomeUnknown, type AuditStore, type OpenStoreOptions } from '../../src/audit/index.ts';
import { at, decisionRecord, postgresAvailable, postgresBackend, runCli, sqliteBackend, storesPerTest, type Backend } from './helpers.ts';

const backends: Backend[] = [sqliteBackend()];
if (await postgresAvailable()) backends.push(postgresBackend('recover'));

const none = { nonSensitive: 0, sensitive: 0 };
const people = (...hashes: string[]) => hashes.map((hash) => ({ hashes: [hash], sensitive: false }));

describe.each(backends)('unfinished transfers on $name', (backend) => {
  const open = storesPerTest(backend);

  /** Opens the store, runs `before`, closes it as a killed node would have left it, and opens it again. */
  const restarted = async (before: (s: AuditStore) => Promise<void>, options: Partial<OpenStoreOptions> = {}) => {
    const first = await open(options);
    await before(first);
    await first.close();
    return open(options);
  };
  const reserve = (s: AuditStore, hashes: string[], decisionId = newDecisionId(at)) =>
    s.reserveSubjects({ enterprise: 'E1', year: 2026, decisionId, subjects: people(...hashes), unkeyed: none }).then(() => decisionId);
  const tallies = async (s: AuditStore) => (await s.counters('E1', 2026)).byTally.nonSensitive;

  it('releases a reservation whose transfer was never decided: its people count as new again', async () => {
    const s = await restarted(async (s) => void (await reserve(s, ['a', 'b'])));
    expect(s.recovered).toEqual({ settled: 0, released: 1 });
    expect(await tallies(s)).toEqual({ regulated: 0, exempt: 0, reserved: 0, imported: 0 });
    const next = await s.reserveSubjects({ enterprise: 'E1', year: 2026, decisionId: newDecisionId(at), subjects: people('a'), unkeyed: none });
    expect(next.counts.nonSensitive).toEqual({ before: 0, new: 1 });
  });

  it('releases a reservation whose transfer was denied and records no outcome for it', async () => {
    let decisionId = '';
    const s = await restarted(async (s) => {
      decisionId = await reserve(s, ['a']);
      await s.append(decisionRecord({ decisionId, enterprise: 'E1', decision: 'deny', mechanism: 'contract-or-certification' }));
    });
    expect(s.recovered).toEqual({ settled: 0, released: 1 });
    expect(await tallies(s)).toMatchObject({ regulated: 0, reserved: 0 });
    expect((await s.query({ decisionId }, { limit: 10 })).records.map((r) => r.kind)).toEqual(['decision']);
  });

  it('counts the people of a transfer decided to go, in its tally, and records that its outcome is unknown', async () => {
    let decisionId = '';
    const s = await restarted(async (s) => {
      decisionId = await reserve(s, ['a', 'b']);
      await s.append(decisionRecord({ decisionId, enterprise: 'E1', tally: 'exempt' }));
    });
    expect(s.recovered).toEqual({ settled: 1, released: 0 });
    expect(await tallies(s)).toEqual({ regulated: 0, exempt: 2, reserved: 0, imported: 0 });
    const { records } = await s.query({ decisionId, kind: 'outcome' }, { limit: 10 });
    expect(records).toEqual([expect.objectContaining({ kind: 'outcome', decisionId, enterprise: 'E1', zone: 'pingtan', status: null, error: outcomeUnknown })]);
    await s.close();
    const verify = await runCli('audit verify', backend.flags());
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('counts a report-only transfer the policy would have denied: it was forwarded', async () => {
    const s = await restarted(async (s) => {
      const decisionId = await reserve(s, ['a']);
      await s.append(decisionRecord({ decisionId, enterprise: 'E1', decision: 'deny', enforced: false, tally: 'regulated' }));
    });
    expect(s.recovered).toEqual({ settled: 1, released: 0 });
    expect(await tallies(s)).toMatchObject({ regulated: 1, reserved: 0 });
  });

  it('judges a mask as the gateway does: sent only if its masking was applied', async () => {
    const s = await restarted(async (s) => {
      const unmasked = await reserve(s, ['a']);
      await s.append(decisionRecord({ decisionId: unmasked, enterprise: 'E1', decision: 'mask', masking: null, tally: 'regulated' }));
      const masked = await reserve(s, ['b']);
      await s.append(decisionRecord({ decisionId: masked, enterprise: 'E1', decision: 'mask', masking: { redact: ['cn_mobile'], drop: [], dropMinorRecords: true }, tally: 'regulated' }));
    });
    expect(s.recovered).toEqual({ settled: 1, released: 1 });
    expect(await tallies(s)).toMatchObject({ regulated: 1, reserved: 0 });
  });

  it('hands a released transfer’s people to the one waiting on them before finishing that one too', async () => {
    const s = await restarted(async (s) => {
      await reserve(s, ['a']); // stopped before deciding
      const waiting = await reserve(s, ['a', 'b']); // met `a` while the first one held it
      await s.append(decisionRecord({ decisionId: waiting, enterprise: 'E1', tally: 'regulated' }));
    });
    expect(s.recovered).toEqual({ settled: 1, released: 1 });
    // `a` and `b` were sent once, by the second transfer: counted once each, nothing left reserved.
    expect(await tallies(s)).toEqual({ regulated: 2, exempt: 0, reserved: 0, imported: 0 });
  });

  it('leaves finished transfers and other nodes’ open reservations alone', async () => {

    const s = await restarted(async (s) => {
      const finished = await reserve(s, ['a']);
      await s.append(decisionRecord({ decisionId: finished, enterprise: 'E1', tally: 'regulated' }));
      await s.finishTransfer(finished, 'regulated', { kind: 'outcome', decisionId: finished, at, status: 200, error: null, latencyMs: 3, bytesReturned: 2 });
      const b = await open({ nodeId: 'node-b' });
      await reserve(b, ['b']);
      await b.close();
    });
    expect(s.recovered).toEqual({ settled: 0, released: 0 });
    expect(await tallies(s)).toMatchObject({ regulated: 1, reserved: 1 });
    await s.close();
    // node-b finishes its own when it starts again.
    const b = await open({ nodeId: 'node-b' });
    expect(b.recovered).toEqual({ settled: 0, released: 1 });
    expect((await b.counters('E1', 2026)).byTally.nonSensitive).toMatchObject({ regulated: 1, reserved: 0 });
  });
});

/**
 * A forwarded transfer ends in one transaction (CLARIFICATIONS 7, 16): its reservation settled
 * when the first byte left, or released when nothing did, together with its outcome record.
 */
import { describe, expect, it } from 'vitest';
import { newDecisionId, type AuditStore } from '../../src/audit/index.ts';
import { at, decisionRecord, postgresAvailable, postgresBackend, sqliteBackend, storesPerTest, type Backend } from './helpers.ts';

const backends: Backend[] = [sqliteBackend()];
if (await postgresAvailable()) backends.push(postgresBackend('finish'));

const none = { nonSensitive: 0, sensitive: 0 };
const outcome = (decisionId: string, status: number | null = 200, error: string | null = null) =>
  ({ kind: 'outcome', decisionId, at, status, error, latencyMs: 12, bytesReturned: 64 }) as const;

describe.each(backends)('finishing a transfer on $name', (backend) => {
  const open = storesPerTest(backend);

  const decided = async (s: AuditStore, hashes: string[]) => {
    const decisionId = newDecisionId(at);
    const reservation = await s.reserveSubjects({ enterprise: 'E1', year: 2026, decisionId, subjects: hashes.map((hash) => ({ hashes: [hash], sensitive: false })), unkeyed: none });
    await s.append(decisionRecord({ decisionId, enterprise: 'E1' }));
    return { decisionId, reservation };
  };

  it('settles a sent transfer and appends its outcome with the decision’s enterprise and zone', async () => {
    const s = await open();
    const { decisionId } = await decided(s, ['a', 'b']);
    const appended = await s.finishTransfer(decisionId, 'regulated', outcome(decisionId));
    expect((await s.counters('E1', 2026)).byTally.nonSensitive).toEqual({ regulated: 2, exempt: 0, reserved: 0, imported: 0 });
    const record = await s.getRecord(appended.id);
    expect(record).toMatchObject({ kind: 'outcome', decisionId, enterprise: 'E1', zone: 'pingtan', status: 200 });
    // Settled people stay counted: a later transfer of them finds nobody new.
    const again = await decided(s, ['a', 'b']);
    expect(again.reservation.counts.nonSensitive).toEqual({ before: 2, new: 0 });
  });

  it('releases a transfer that never left and still records its outcome', async () => {
    const s = await open();
    const { decisionId } = await decided(s, ['a', 'b']);
    await s.finishTransfer(decisionId, 'release', outcome(decisionId, null, 'ECONNREFUSED'));
    expect((await s.counters('E1', 2026)).total.nonSensitive).toBe(0);
    const { records } = await s.query({ decisionId }, { limit: 10 });
    expect(records.map((r) => r.kind).sort()).toEqual(['decision', 'outcome']);
    expect((await decided(s, ['a'])).reservation.counts.nonSensitive).toEqual({ before: 0, new: 1 });
  });

  it('refuses an invalid outcome without settling anything', async () => {
    const s = await open();
    const { decisionId } = await decided(s, ['a']);
    await expect(s.finishTransfer(decisionId, 'regulated', outcome(decisionId, 42))).rejects.toMatchObject({ code: 'XB_ERR_BAD_INPUT' });
    expect((await s.counters('E1', 2026)).byTally.nonSensitive).toMatchObject({ regulated: 0, reserved: 1 });
  });
});

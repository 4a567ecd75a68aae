/**
 * The writer remembers claims it saw settled and skips their SQL when a recurring person comes
 * back: the counts must be exactly those of the database alone (a restarted writer, whose memory
 * is empty, answers the same), and a new identifier of a known person is still learned.
 */
import { describe, expect, it } from 'vitest';
import { newDecisionId, type AuditStore } from '../../src/audit/index.ts';
import { postgresAvailable, postgresBackend, sqliteBackend, storesPerTest, type Backend } from './helpers.ts';

const backends: Backend[] = [sqliteBackend()];
if (await postgresAvailable()) backends.push(postgresBackend('settled'));

const none = { nonSensitive: 0, sensitive: 0 };
const person = (hashes: string[], sensitive = false) => ({ hashes, sensitive });

describe.each(backends)('settled claims on $name', (backend) => {
  const open = storesPerTest(backend);

  const sent = async (s: AuditStore, subjects: ReturnType<typeof person>[]) => {
    const decisionId = newDecisionId();
    const { counts } = await s.reserveSubjects({ enterprise: 'E1', year: 2026, decisionId, subjects, unkeyed: none });
    await s.settleSubjects(decisionId, 'regulated');
    return counts;
  };

  it('counts recurring people as the database alone would, before and after a restart', async () => {
    const script = async (s: AuditStore) => [
      await sent(s, [person(['id-a', 'mob-a'], true), person(['id-b'])]),
      // a is known (its claims were settled); its new e-mail is learned all the same.
      await sent(s, [person(['id-a', 'mail-a'], true), person(['id-c'])]),
      await sent(s, [person(['mail-a'])]),
      await sent(s, [person(['id-b']), person(['id-c']), person(['id-d'])]),
    ];
    const s = await open();
    const warm = await script(s);
    expect(warm).toEqual([
      { nonSensitive: { before: 0, new: 2 }, sensitive: { before: 0, new: 1 } },
      { nonSensitive: { before: 2, new: 1 }, sensitive: { before: 1, new: 0 } },
      { nonSensitive: { before: 3, new: 0 }, sensitive: { before: 1, new: 0 } },
      { nonSensitive: { before: 3, new: 1 }, sensitive: { before: 1, new: 0 } },
    ]);
    // A restarted writer has forgotten every settled claim: the database gives the same answers.
    await s.close();
    const restarted = await open();
    const again = await script(restarted);
    expect(again.map((counts) => counts.nonSensitive.new)).toEqual([0, 0, 0, 0]);
    expect((await restarted.counters('E1', 2026)).byTally.nonSensitive).toEqual({ regulated: 4, exempt: 0, reserved: 0, imported: 0 });
  });
});

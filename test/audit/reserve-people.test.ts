/**
 * store.reservePeople hashes the identifiers with the store's subject key where the writer runs
 * (the SQLite writer thread, or beside the PostgreSQL writer) and counts exactly as hashing them
 * first and reserving the hashes would (CLARIFICATIONS 1, 8, 19).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashSubjects, loadSubjectKey, newDecisionId, type SubjectKey } from '../../src/audit/index.ts';
import { postgresAvailable, postgresBackend, sqliteBackend, storesPerTest, type Backend } from './helpers.ts';

const backends: Backend[] = [sqliteBackend()];
if (await postgresAvailable()) backends.push(postgresBackend('people'));

const keyDir = mkdtempSync(join(tmpdir(), 'xb-people-key-'));
const key: SubjectKey = await loadSubjectKey({ dataDir: keyDir, env: { XBORDER_SUBJECT_KEY: 'ef'.repeat(32) } });
afterAll(() => rmSync(keyDir, { recursive: true, force: true }));

const people = [
  { identifiers: ['cn_resident_id:110105194912310021', 'cn_mobile:13812345678'], sensitive: false },
  { identifiers: ['cn_mobile:13812345678', 'email:a@example.com'], sensitive: true },
  { identifiers: ['cn_mobile:13900000000'], sensitive: false },
  { identifiers: [], sensitive: true },
];

describe.each(backends)('reserving people on $name', (backend) => {
  const open = storesPerTest(backend);

  it('counts people as reserving their hashes would, and recognises them by hash later', async () => {
    const s = await open({ subjectKey: key });
    const first = await s.reservePeople({ enterprise: 'E1', year: 2026, decisionId: newDecisionId(), people });
    // Two keyed people (the first two share a mobile), one more keyed, one without identifiers.
    expect(first.counts).toEqual({ nonSensitive: { before: 0, new: 3 }, sensitive: { before: 0, new: 2 } });
    const hashed = hashSubjects(key, [{ identifiers: ['cn_mobile:13900000000'], sensitive: false, categories: [] }]);
    const again = await s.reserveSubjects({ enterprise: 'E1', year: 2026, decisionId: newDecisionId(), ...hashed });
    expect(again.counts.nonSensitive).toEqual({ before: 3, new: 0 });
  });

  it('refuses to reserve people without a subject key to hash them with', async () => {
    const s = await open();
    await expect(s.reservePeople({ enterprise: 'E1', year: 2026, decisionId: newDecisionId(), people })).rejects.toMatchObject({ code: 'XB_ERR_CONFIG_INVALID' });
  });
});

/**
 * Distinct subjects per enterprise and calendar year (CLARIFICATIONS 1, 3, 5, 7, 8): exact,
 * safe under concurrency, released per decision, and keyed by a secret the store remembers.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashSubjects, loadSubjectKey, newDecisionId, openStore, type AuditStore } from '../../src/audit/index.ts';
import { postgresAvailable, postgresBackend, runCli, sqliteBackend, storesPerTest, type Backend } from './helpers.ts';

const backends: Backend[] = [sqliteBackend()];
if (await postgresAvailable()) backends.push(postgresBackend('counters'));

const none = { nonSensitive: 0, sensitive: 0 };
const person = (hashes: string[], sensitive = false) => ({ hashes, sensitive });

describe.each(backends)('subject counters on $name', (backend) => {
  const open = storesPerTest(backend);
  const reserve = (s: AuditStore, subjects: ReturnType<typeof person>[], unkeyed = none, decisionId = newDecisionId()) =>
    s.reserveSubjects({ enterprise: 'E1', year: 2026, decisionId, subjects, unkeyed }).then((result) => ({ ...result, decisionId }));

  it('counts a person once a year, in nonSensitive always and in sensitive when sensitive', async () => {
    const s = await open();
    const first = await reserve(s, [person(['id-a', 'mob-a'], true), person(['id-b'])]);
    expect(first.counts).toEqual({ nonSensitive: { before: 0, new: 2 }, sensitive: { before: 0, new: 1 } });
    await s.settleSubjects(first.decisionId, 'regulated');
    const again = await reserve(s, [person(['id-a'], true), person(['id-c'])]);
    expect(again.counts).toEqual({ nonSensitive: { before: 2, new: 1 }, sensitive: { before: 1, new: 0 } });
    const other = await s.reserveSubjects({ enterprise: 'E1', year: 2027, decisionId: newDecisionId(), subjects: [person(['id-a'])], unkeyed: none });
    expect(other.counts.nonSensitive).toEqual({ before: 0, new: 1 });
  });

  it('recognises a person later seen by only one of its identifiers, and learns new aliases', async () => {
    const s = await open();
    await reserve(s, [person(['id-a', 'mob-a'])]);
    expect((await reserve(s, [person(['mob-a'])])).counts.nonSensitive.new).toBe(0);
    // mob-a is known: the person is not new, and its e-mail is now known too.
    expect((await reserve(s, [person(['mob-a', 'mail-a'])])).counts.nonSensitive.new).toBe(0);
    expect((await reserve(s, [person(['mail-a'])])).counts.nonSensitive.new).toBe(0);
  });

  it('counts people without identifiers every time (never de-duplicated)', async () => {
    const s = await open();
    expect((await reserve(s, [], { nonSensitive: 2, sensitive: 1 })).counts).toEqual({ nonSensitive: { before: 0, new: 2 }, sensitive: { before: 0, new: 1 } });
    expect((await reserve(s, [], { nonSensitive: 2, sensitive: 1 })).counts).toEqual({ nonSensitive: { before: 2, new: 2 }, sensitive: { before: 1, new: 1 } });
  });

  it('releasing a decision drops only its own claims', async () => {
    const s = await open();
    const kept = await reserve(s, [person(['a']), person(['b'])]);
    const dropped = await reserve(s, [person(['b']), person(['c']), person(['d'])]);
    expect(dropped.counts.nonSensitive).toEqual({ before: 2, new: 2 });
    await s.releaseSubjects(dropped.decisionId);
    await s.settleSubjects(kept.decisionId, 'regulated');
    expect((await s.counters('E1', 2026)).byTally.nonSensitive).toEqual({ regulated: 2, exempt: 0, reserved: 0, imported: 0 });
    // c and d were released: they are new again; b stays counted.
    expect((await reserve(s, [person(['b']), person(['c']), person(['d'])])).counts.nonSensitive).toEqual({ before: 2, new: 2 });
    await s.releaseSubjects(kept.decisionId);
    expect((await s.counters('E1', 2026)).byTally.nonSensitive.regulated).toBe(2);
  });

  it('hands a refused transfer\'s people to the transfer that met them meanwhile, so someone sent is counted', async () => {
    const s = await open();
    const tally = async () => (await s.counters('E1', 2026)).byTally;
    // Y meets a and b while X has only reserved them: X counts them, Y does not.
    const x = await reserve(s, [person(['a'], true), person(['b'])]);
    const y = await reserve(s, [person(['a'], true), person(['b'])]);
    expect(y.counts).toEqual({ nonSensitive: { before: 2, new: 0 }, sensitive: { before: 1, new: 0 } });
    await s.settleSubjects(y.decisionId, 'regulated');
    await s.releaseSubjects(x.decisionId);
    expect((await tally()).nonSensitive).toEqual({ regulated: 2, exempt: 0, reserved: 0, imported: 0 });
    expect((await tally()).sensitive).toEqual({ regulated: 1, exempt: 0, reserved: 0, imported: 0 });
    expect((await reserve(s, [person(['a'], true), person(['b'])])).counts.nonSensitive).toEqual({ before: 2, new: 0 });
  });

  it('passes a released claim down the line of waiting transfers, still pending or sent', async () => {
    const s = await open();
    const x = await reserve(s, [person(['a'])]);
    const y1 = await reserve(s, [person(['a'])]);
    const y2 = await reserve(s, [person(['a'])]);
    await s.releaseSubjects(x.decisionId);
    // y1 holds a now, still reserved: the reserved tally keeps counting it once.
    expect((await s.counters('E1', 2026)).byTally.nonSensitive).toMatchObject({ reserved: 1, regulated: 0 });
    await s.releaseSubjects(y1.decisionId);
    await s.settleSubjects(y2.decisionId, 'exempt');
    expect((await s.counters('E1', 2026)).byTally.nonSensitive).toEqual({ regulated: 0, exempt: 1, reserved: 0, imported: 0 });
  });

  it('counts a waiting person with several identifiers only once all of them are its transfer\'s', async () => {
    const s = await open();
    const x = await reserve(s, [person(['id-a'])]);
    const z = await reserve(s, [person(['mob-a'])]);
    const y = await reserve(s, [person(['id-a', 'mob-a', 'mail-a'])]);
    expect(y.counts.nonSensitive.new).toBe(0);
    await s.settleSubjects(y.decisionId, 'regulated');
    await s.releaseSubjects(x.decisionId);
    // mob-a is still z's: the person may yet be z's to count.
    expect((await s.counters('E1', 2026)).total.nonSensitive).toBe(1);
    await s.releaseSubjects(z.decisionId);
    expect((await s.counters('E1', 2026)).byTally.nonSensitive).toEqual({ regulated: 1, exempt: 0, reserved: 0, imported: 0 });
    const known = await reserve(s, [person(['mob-a'])]);
    expect(known.counts.nonSensitive).toEqual({ before: 1, new: 0 });
  });

  it('leaves a waiting person uncounted by its transfer once another holder of it was sent', async () => {
    const s = await open();
    const x = await reserve(s, [person(['id-a'])]);
    const z = await reserve(s, [person(['mob-a'])]);
    const y = await reserve(s, [person(['id-a', 'mob-a'])]);
    await s.settleSubjects(z.decisionId, 'regulated');
    await s.settleSubjects(y.decisionId, 'regulated');
    await s.releaseSubjects(x.decisionId);
    expect((await s.counters('E1', 2026)).byTally.nonSensitive).toEqual({ regulated: 1, exempt: 0, reserved: 0, imported: 0 });
  });

  it('keeps exempt transfers in their own tally and reports it apart (CLARIFICATIONS 5)', async () => {
    const s = await open();
    const exempt = await reserve(s, [person(['a']), person(['b'])]);
    await s.settleSubjects(exempt.decisionId, 'exempt');
    const next = await reserve(s, [person(['c'])]);
    expect(next.counts.nonSensitive).toEqual({ before: 2, new: 1 });
    expect(next.exemptBefore).toEqual({ nonSensitive: 2, sensitive: 0 });
  });

  it('seeds totals by import, replaces on re-import, and records the import in the log', async () => {
    const s = await open();
    await s.importCounters({ enterprise: 'E1', year: 2026, counts: { nonSensitive: 90_000, sensitive: 5 }, reason: 'before the gateway' });
    await s.importCounters({ enterprise: 'E1', year: 2026, counts: { nonSensitive: 95_000, sensitive: 7 }, reason: 'corrected' });
    const totals = await s.counters('E1', 2026);
    expect(totals.total).toEqual({ nonSensitive: 95_000, sensitive: 7 });
    expect((await reserve(s, [person(['a'])])).counts.nonSensitive).toEqual({ before: 95_000, new: 1 });
    const { records } = await s.query({ kind: 'counter-import' }, { limit: 10 });
    expect(records.map((r) => r.kind === 'counter-import' && r.counts.nonSensitive)).toEqual([90_000, 95_000]);
  });

  it('never double counts under concurrent reservations of overlapping people', async () => {
    const s = await open();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, t) => reserve(s, Array.from({ length: 25 }, (_, i) => person([`p${(t * 7 + i) % 120}`], i % 3 === 0)))),
    );
    const counted = results.reduce((sum, r) => sum + r.counts.nonSensitive.new, 0);
    expect(counted).toBe(120);
    expect((await s.counters('E1', 2026)).total.nonSensitive).toBe(120);
  });

  it('shows and imports counters from the command line', async () => {
    await (await open()).close();
    const imported = await runCli('counters import', [...backend.flags(), '--enterprise', 'E9', '--year', '2026', '--general', '1200', '--sensitive', '3', '--reason', 'seed']);
    expect(imported.stdout).toContain('imported 1200 general and 3 sensitive subjects for E9 2026');
    const shown = await runCli('counters show', [...backend.flags(), '--enterprise', 'E9', '--year', '2026']);
    expect(shown.stdout).toMatch(/nonSensitive\s+1200 .*imported 1200/);
    expect(shown.stdout).toMatch(/sensitive\s+3 /);
  });
});

describe('the subject key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xb-subject-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is created once under dataDir with 0600 and says so, then read back', async () => {
    const created = await loadSubjectKey({ dataDir: dir, env: {} });
    expect(created.created).toBe(true);
    expect(statSync(join(dir, 'subject.key')).mode & 0o777).toBe(0o600);
    const again = await loadSubjectKey({ dataDir: dir, env: {} });
    expect(again.created).toBe(false);
    expect(again.fingerprint).toBe(created.fingerprint);
  });

  it('comes from XBORDER_SUBJECT_KEY (hex or base64) and refuses a short one', async () => {
    const hex = await loadSubjectKey({ dataDir: dir, env: { XBORDER_SUBJECT_KEY: 'ab'.repeat(32) } });
    const b64 = await loadSubjectKey({ dataDir: dir, env: { XBORDER_SUBJECT_KEY: Buffer.alloc(32, 0xab).toString('base64') } });
    expect(hex.fingerprint).toBe(b64.fingerprint);
    await expect(loadSubjectKey({ dataDir: dir, env: { XBORDER_SUBJECT_KEY: 'abcd' } })).rejects.toMatchObject({ code: 'XB_ERR_CONFIG_INVALID' });
  });

  it('merges people sharing an identifier and hashes each identifier once', async () => {
    const key = await loadSubjectKey({ dataDir: dir, env: { XBORDER_SUBJECT_KEY: 'cd'.repeat(32) } });
    const hashed = hashSubjects(key, [
      { identifiers: ['cn_resident_id:110105194912310021', 'cn_mobile:13812345678'], sensitive: false, categories: [] },
      { identifiers: ['cn_mobile:13812345678', 'email:a@example.com'], sensitive: true, categories: ['health'] },
      { identifiers: ['cn_mobile:13900000000'], sensitive: false, categories: [] },
      { identifiers: [], sensitive: true, categories: ['health'] },
    ]);
    expect(hashed.subjects.map((s) => [s.hashes.length, s.sensitive])).toEqual([[3, true], [1, false]]);
    expect(hashed.unkeyed).toEqual({ nonSensitive: 1, sensitive: 1 });
    expect(JSON.stringify(hashed)).not.toContain('13812345678');
    expect(hashed.subjects[0]!.hashes[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps people who share no identifier apart, each identifier hashed once and in order, also when hashed again', async () => {
    const key = await loadSubjectKey({ dataDir: dir, env: { XBORDER_SUBJECT_KEY: 'cd'.repeat(32) } });
    const hmac = (identifier: string) => createHmac('sha256', key.secret).update(identifier).digest('hex');
    const people = [
      { identifiers: ['cn_resident_id:110105194912310021', 'cn_mobile:13812345678'], sensitive: false, categories: [] },
      { identifiers: ['email:陈@例子.中国'], sensitive: true, categories: ['health'] },
      { identifiers: ['cn_mobile:13900000000', 'cn_mobile:13900000000'], sensitive: false, categories: [] },
    ];
    const expected = [
      { hashes: [hmac('cn_resident_id:110105194912310021'), hmac('cn_mobile:13812345678')], sensitive: false },
      { hashes: [hmac('email:陈@例子.中国')], sensitive: true },
      { hashes: [hmac('cn_mobile:13900000000')], sensitive: false },
    ];
    expect(hashSubjects(key, people).subjects).toEqual(expected);
    // The second time the hashes come from the writer's memory of recent identifiers.
    expect(hashSubjects(key, people).subjects).toEqual(expected);
  });

  it('a store counted with one key refuses another (XB_ERR_SUBJECT_KEY_MISMATCH)', async () => {
    const backend = sqliteBackend();
    try {
      const first = await loadSubjectKey({ dataDir: dir, env: { XBORDER_SUBJECT_KEY: '11'.repeat(32) } });
      const other = await loadSubjectKey({ dataDir: dir, env: { XBORDER_SUBJECT_KEY: '22'.repeat(32) } });
      await (await openStore(backend.options({ subjectKey: first }))).close();
      await (await openStore(backend.options({ subjectKey: first }))).close();
      await expect(openStore(backend.options({ subjectKey: other }))).rejects.toMatchObject({ code: 'XB_ERR_SUBJECT_KEY_MISMATCH' });
    } finally {
      await backend.dispose();
    }
  });
});

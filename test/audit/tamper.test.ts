/**
 * Tampering with the log is found, and the report names the first bad record or checkpoint:
 * the regulator's `xborder audit verify`, on SQLite and PostgreSQL.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, CompactSign, type JWK } from 'jose';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openStore, recordLeafHash, rootOf, type SignedCheckpoint } from '../../src/audit/index.ts';
import { fromHex, inclusionRanges, rangeRoot, toHex } from '../../src/audit/merkle.ts';
import { loadSigningKey, signCheckpoint } from '../../src/audit/checkpoint.ts';
import { openDriver } from '../../src/audit/store.ts';
import type { SqlConn, SqlDriver } from '../../src/audit/sql.ts';
import { decisionRecord, postgresAvailable, postgresBackend, runCli, sqliteBackend, zoneOf, type Backend } from './helpers.ts';

const backends: Backend[] = [sqliteBackend()];
if (await postgresAvailable()) backends.push(postgresBackend('tamper'));

describe.each(backends)('tampering with the audit log on $name', (backend) => {
  /** A log of 30 records in three zones, checkpoints at 10, 20 and 30. */
  async function seededLog(): Promise<{ driver: SqlDriver; checkpoints: SignedCheckpoint[] }> {
    const store = await openStore(backend.options({ checkpointEvery: 10 }));
    for (let i = 0; i < 30; i++) await store.append(decisionRecord({ zone: zoneOf(i), bytes: 1000 + i }));
    await store.close();
    const driver = await openDriver(backend.options());
    const checkpoints = (await driver.reader.all<{ size: number; root: string; time: string; kid: string; jws: string }>('SELECT * FROM audit_checkpoints ORDER BY size')).map(
      (row) => ({ origin: 'node-a', size: Number(row.size), root: row.root, time: row.time, kid: row.kid, jws: row.jws }),
    );
    return { driver, checkpoints };
  }
  const sql = (driver: SqlDriver, text: string, params: unknown[] = []) => driver.transaction((tx) => tx.run(text, params));
  const verify = (extra: string[] = []) => runCli('audit verify', [...backend.flags(), ...extra]);
  let open: SqlDriver | null = null;
  afterEach(async () => {
    await open?.close();
    open = null;
    await backend.reset();
  });
  afterAll(() => backend.dispose());

  it('passes an untouched log', async () => {
    ({ driver: open } = await seededLog());
    const result = await verify();
    expect(result.stdout).toContain('ok   node node-a: 30 records recomputed (RFC 6962), 3 checkpoint signatures and roots, 2 consistency proofs');
    expect(result.code).toBe(0);
  });

  it('names the record whose field was changed', async () => {
    const driver = (open = (await seededLog()).driver);
    await sql(driver, "UPDATE audit_records SET body = REPLACE(body, '\"decision\":\"allow\"', '\"decision\":\"deny\"') WHERE leaf_index = 7");
    const result = await verify();
    expect(result.stdout).toMatch(/FAIL node node-a at leafIndex 7 \(fuzhou seq 3\): .*does not match its leaf hash/);
    expect(result.code).toBe(1);
  });

  it('names the checkpoint range when the leaf hash was rewritten along with the record', async () => {
    const driver = (open = (await seededLog()).driver);
    const rows = await driver.reader.all<{ body: string }>('SELECT body FROM audit_records WHERE leaf_index = 13');
    const changed = { ...JSON.parse(rows[0]!.body), bytes: 1 };
    await sql(driver, 'UPDATE audit_records SET body = ?, leaf_hash = ? WHERE leaf_index = 13', [JSON.stringify(changed), recordLeafHash(changed).toString('hex')]);
    const result = await verify();
    expect(result.stdout).toMatch(/FAIL node node-a at leafIndex 10: the recomputed tree of size 20 does not match its signed checkpoint.*between leafIndex 10 and 19/);
    expect(result.code).toBe(1);
  });

  it('names a deleted record', async () => {
    open = (await seededLog()).driver;
    await sql(open, 'DELETE FROM audit_records WHERE leaf_index = 12');
    const result = await verify();
    expect(result.stdout).toMatch(/FAIL node node-a at leafIndex 12: record leafIndex 12 is missing \(deleted\)/);
    expect(result.code).toBe(1);
  });

  it('names the first of two swapped records', async () => {
    open = (await seededLog()).driver;
    const rows = await open.reader.all<{ leaf_index: number; body: string; leaf_hash: string }>('SELECT leaf_index, body, leaf_hash FROM audit_records WHERE leaf_index IN (4, 5) ORDER BY leaf_index');
    await sql(open, 'UPDATE audit_records SET body = ?, leaf_hash = ? WHERE leaf_index = 4', [rows[1]!.body, rows[1]!.leaf_hash]);
    await sql(open, 'UPDATE audit_records SET body = ?, leaf_hash = ? WHERE leaf_index = 5', [rows[0]!.body, rows[0]!.leaf_hash]);
    const result = await verify();
    expect(result.stdout).toMatch(/FAIL node node-a at leafIndex 4 .*says it is node-a leafIndex 5 \(records moved or swapped\)/);
    expect(result.code).toBe(1);
  });

  it('names the first missing record of a truncated log', async () => {
    open = (await seededLog()).driver;
    await sql(open, 'DELETE FROM audit_records WHERE leaf_index >= 25');
    const result = await verify();
    expect(result.stdout).toMatch(/FAIL node node-a at leafIndex 25: log truncated: checkpoint of size 30 .* first missing leafIndex 25/);
    expect(result.code).toBe(1);
  });

  it('refuses a checkpoint re-signed with another key', async () => {
    const { driver, checkpoints } = await seededLog();
    open = driver;
    const forged = checkpoints[1]!;
    const impostor = generateKeyPairSync('ed25519').privateKey;
    const claims = { origin: forged.origin, size: forged.size, root: forged.root, time: forged.time };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader({ alg: 'EdDSA', kid: forged.kid }).sign(impostor);
    await sql(driver, 'UPDATE audit_checkpoints SET jws = ? WHERE size = 20', [jws]);
    const result = await verify();
    expect(result.stdout).toMatch(/FAIL node node-a: checkpoint of size 20 .*signature does not verify/);
    expect(result.code).toBe(1);
    // The impostor's own kid, stored with the checkpoint: no published key of the node has it.
    const kid = await calculateJwkThumbprint(createPublicKey(impostor).export({ format: 'jwk' }) as JWK);
    const own = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader({ alg: 'EdDSA', kid }).sign(impostor);
    await sql(driver, 'UPDATE audit_checkpoints SET jws = ?, kid = ? WHERE size = 10', [own, kid]);
    const unknown = await verify();
    expect(unknown.stdout).toMatch(new RegExp(`FAIL node node-a: checkpoint of size 10 .*unknown key ${kid}`));
    expect(unknown.code).toBe(1);
  });

  /**
   * The operator holds the node's key: rewrites one record, rehashes everything and signs a
   * fresh checkpoint of the head, dropping the old checkpoints or only the old head's.
   */
  async function rewriteLog(driver: SqlDriver, leafIndex: number, { keepOldCheckpoints }: { keepOldCheckpoints: boolean }): Promise<void> {
    const rows = await driver.reader.all<{ leaf_index: number; body: string }>('SELECT leaf_index, body FROM audit_records ORDER BY leaf_index');
    const leaves = [];
    for (const row of rows) {
      const record = JSON.parse(row.body);
      if (Number(row.leaf_index) === leafIndex) record.decision = 'deny';
      const hash = recordLeafHash(record);
      leaves.push(hash);
      await sql(driver, 'UPDATE audit_records SET body = ?, leaf_hash = ? WHERE leaf_index = ?', [JSON.stringify(record), hash.toString('hex'), row.leaf_index]);
    }
    const key = await loadSigningKey(backend.options().dataDir, 'node-a');
    const fresh = await signCheckpoint(key, { origin: 'node-a', size: leaves.length, root: rootOf(leaves).toString('hex'), time: '2026-03-02T00:00:00.000Z' });
    await sql(driver, keepOldCheckpoints ? 'DELETE FROM audit_checkpoints WHERE size = ?' : 'DELETE FROM audit_checkpoints WHERE size <= ?', [leaves.length]);
    await sql(driver, 'INSERT INTO audit_checkpoints (node, size, root, time, kid, jws) VALUES (?, ?, ?, ?, ?, ?)', [fresh.origin, fresh.size, fresh.root, fresh.time, fresh.kid, fresh.jws]);
  }

  it('finds a rewritten log re-signed with a fresh checkpoint through the checkpoint the regulator kept, naming where', async () => {
    const { driver, checkpoints } = await seededLog();
    open = driver;
    const trustedFile = join(backend.options().dataDir, 'trusted.json');
    writeFileSync(trustedFile, JSON.stringify([checkpoints[1]]));
    await rewriteLog(driver, 3, { keepOldCheckpoints: false });
    // On its own the rewritten log is self-consistent …
    expect((await verify()).code).toBe(0);
    // … but not against what the regulator kept.
    const result = await verify(['--trusted-checkpoints', trustedFile]);
    expect(result.stdout).toMatch(/FAIL node node-a at leafIndex 0: the log was rewritten: a record between leafIndex 0 and 19 differs from the trusted checkpoint of size 20/);
    expect(result.code).toBe(1);
  });

  it('narrows a rewritten record down by the smallest trusted checkpoint it breaks, in whatever order they were kept', async () => {
    const { driver, checkpoints } = await seededLog();
    open = driver;
    const trustedFile = join(backend.options().dataDir, 'trusted.json');
    writeFileSync(trustedFile, JSON.stringify([checkpoints[2], checkpoints[0], checkpoints[1]]));
    await rewriteLog(driver, 13, { keepOldCheckpoints: false });
    const result = await verify(['--trusted-checkpoints', trustedFile]);
    expect(result.stdout).toMatch(/FAIL node node-a at leafIndex 10: the log was rewritten: a record between leafIndex 10 and 19 differs from the trusted checkpoint of size 20/);
    expect(result.code).toBe(1);
  });

  it('finds a rewritten log whose fresh checkpoint sits beside the old ones, naming the first old one it breaks', async () => {
    const { driver } = await seededLog();
    open = driver;
    await rewriteLog(driver, 13, { keepOldCheckpoints: true });
    const result = await verify();
    expect(result.stdout).toMatch(/FAIL node node-a at leafIndex 10: the recomputed tree of size 20 does not match its signed checkpoint.*between leafIndex 10 and 19/);
    expect(result.code).toBe(1);
  });

  it("finds a node's whole log deleted through the checkpoint the regulator kept", async () => {
    const { driver, checkpoints } = await seededLog();
    open = driver;
    const trustedFile = join(backend.options().dataDir, 'trusted.json');
    writeFileSync(trustedFile, JSON.stringify([checkpoints[1]]));
    await sql(driver, "DELETE FROM audit_records WHERE node = 'node-a'");
    await sql(driver, "DELETE FROM audit_checkpoints WHERE node = 'node-a'");
    const result = await verify(['--trusted-checkpoints', trustedFile]);
    expect(result.stdout).toMatch(/FAIL node node-a at leafIndex 0: log truncated below the trusted checkpoint of size 20/);
    expect(result.code).toBe(1);
  });

  it('finds a record changed inside an export file, offline', async () => {
    open = (await seededLog()).driver;
    const out = join(backend.options().dataDir, 'export.ndjson');
    expect((await runCli('audit export', [...backend.flags(), '--out', out])).code).toBe(0);
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(out, 'utf8').split('\n');
    const i = lines.findIndex((line) => line.includes('"leafIndex":17'));
    lines[i] = lines[i]!.replace('"bytes":1017', '"bytes":1');
    writeFileSync(out, lines.join('\n'));
    const result = await runCli('audit verify', ['--export', out]);
    expect(result.stdout).toMatch(/FAIL node node-a at leafIndex 17 \(xiamen seq 6\)/);
    expect(result.code).toBe(1);
  });
  it('finds a record changed in a selection whose inclusion proof was stripped, though a signed checkpoint covers it', async () => {
    open = (await seededLog()).driver;
    const out = join(backend.options().dataDir, 'pingtan.ndjson');
    expect((await runCli('audit export', [...backend.flags(), '--zone', 'pingtan', '--out', out])).code).toBe(0);
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    const i = lines.findIndex((line) => line.includes('"leafIndex":3,'));
    const entry = JSON.parse(lines[i]!) as { record: Parameters<typeof recordLeafHash>[0] & { bytes: number }; proof?: unknown };
    entry.record.bytes = 1;
    lines[i] = JSON.stringify({ type: 'record', record: entry.record, leafHash: recordLeafHash(entry.record).toString('hex') });
    writeFileSync(out, `${lines.join('\n')}\n`);
    const result = await runCli('audit verify', ['--export', out]);
    expect(result.stdout).toMatch(/FAIL node node-a at leafIndex 3 .*no inclusion proof/);
    expect(result.code).toBe(1);
  });

  it("refuses a log re-signed under a key the writer of the log added, against the nodes' keys the regulator kept", async () => {
    const { driver } = await seededLog();
    open = driver;
    const dir = backend.options().dataDir;
    // The regulator's copy of /audit/keys, taken on an earlier visit.
    const reader = await openStore({ ...backend.options(), nodeId: 'audit-cli', readOnly: true });
    const keysFile = join(dir, 'kept-jwks.json');
    writeFileSync(keysFile, JSON.stringify(await reader.jwks()));
    await reader.close();
    expect((await verify(['--trusted-keys', keysFile])).stdout).toContain('ok   node node-a: 30 records recomputed');

    // Someone who can write the database but has no node's private key: changes record 3,
    // rehashes every leaf, adds a key of their own for node-a and signs the checkpoints anew.
    const privateKey = generateKeyPairSync('ed25519').privateKey;
    const base = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(base);
    const forger = { kid, privateKey, publicJwk: { ...base, kid, alg: 'EdDSA', use: 'sig' } };
    await sql(driver, 'INSERT INTO audit_keys (kid, node, jwk, created_at) VALUES (?, ?, ?, ?)', [kid, 'node-a', JSON.stringify(forger.publicJwk), '2026-03-02T00:00:00.000Z']);
    const rows = await driver.reader.all<{ leaf_index: number; body: string }>('SELECT leaf_index, body FROM audit_records ORDER BY leaf_index');
    const leaves = [];
    for (const row of rows) {
      const record = JSON.parse(row.body);
      if (Number(row.leaf_index) === 3) record.decision = 'deny';
      leaves.push(recordLeafHash(record));
      await sql(driver, 'UPDATE audit_records SET body = ?, leaf_hash = ? WHERE leaf_index = ?', [JSON.stringify(record), leaves.at(-1)!.toString('hex'), row.leaf_index]);
    }
    await sql(driver, 'DELETE FROM audit_checkpoints');
    for (const size of [10, 20, 30]) {
      const fresh = await signCheckpoint(forger, { origin: 'node-a', size, root: rootOf(leaves.slice(0, size)).toString('hex'), time: '2026-03-02T00:00:00.000Z' });
      await sql(driver, 'INSERT INTO audit_checkpoints (node, size, root, time, kid, jws) VALUES (?, ?, ?, ?, ?, ?)', [fresh.origin, fresh.size, fresh.root, fresh.time, fresh.kid, fresh.jws]);
    }
    // On its own keys the forged log verifies; against the kept keys, its first checkpoint fails.
    expect((await verify()).code).toBe(0);
    const result = await verify(['--trusted-keys', keysFile]);
    expect(result.stdout).toContain(`checkpoints checked against the 1 trusted keys of ${keysFile}, not the keys the log holds`);
    expect(result.stdout).toMatch(new RegExp(`FAIL node node-a: checkpoint of size 10 .*unknown key ${kid}`));
    expect(result.code).toBe(1);
    // The same offline, though the export carries the forger's key.
    const out = join(dir, 'forged.ndjson');
    expect((await runCli('audit export', [...backend.flags(), '--out', out])).code).toBe(0);
    expect((await runCli('audit verify', ['--export', out])).code).toBe(0);
    const offline = await runCli('audit verify', ['--export', out, '--trusted-keys', keysFile]);
    expect(offline.stdout).toMatch(new RegExp(`FAIL node node-a: checkpoint of size 10 .*unknown key ${kid}`));
    expect(offline.code).toBe(1);
    // A file that is not a kept JWKS is a usage error naming it (exit 2), never a pass.
    writeFileSync(keysFile, JSON.stringify({ keys: [] }));
    await expect(verify(['--trusted-keys', keysFile])).rejects.toThrow(`--trusted-keys ${keysFile}: the JWKS holds no keys`);
    writeFileSync(keysFile, JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AAAA', kid: kid }] }));
    await expect(verify(['--trusted-keys', keysFile])).rejects.toThrow(/key 1 is not an Ed25519 key of a node .*xborder-node/);
  });

  it('finds records changed in an export whose newest checkpoints were removed, whole or selected', async () => {
    const driver = (open = (await seededLog()).driver);
    const { readFileSync } = await import('node:fs');
    // The forger changes record 25, recomputes its leaf hash, and removes what would expose it:
    // the checkpoint of size 30, and in a selection its consistency proof and the records'
    // proofs, proving the older records against the checkpoint of size 20 instead.
    const leaves = (await driver.reader.all<{ leaf_hash: string }>("SELECT leaf_hash FROM audit_records WHERE node = 'node-a' AND leaf_index < 20 ORDER BY leaf_index")).map((row) => fromHex(row.leaf_hash));
    const proofAt20 = (index: number) => ({ treeSize: 20, path: inclusionRanges(index, 20).map(([start, end]) => toHex(rangeRoot(leaves, start, end))) });
    const forge = async (extra: string[], file: string) => {
      const out = join(backend.options().dataDir, file);
      expect((await runCli('audit export', [...backend.flags(), ...extra, '--out', out])).code).toBe(0);
      const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
      const kept = lines
        .filter((line) => !(line.startsWith('{"type":"checkpoint"') && line.includes('"size":30')))
        .filter((line) => !(line.startsWith('{"type":"consistency"') && line.includes('"to":30')))
        .map((line) => {
          if (!line.startsWith('{"type":"record"')) return line;
          const entry = JSON.parse(line) as { record: Parameters<typeof recordLeafHash>[0] & { bytes: number; leafIndex: number }; leafHash: string; proof?: unknown };
          if (entry.record.leafIndex < 20) return entry.proof ? JSON.stringify({ ...entry, proof: proofAt20(entry.record.leafIndex) }) : line;
          if (entry.record.leafIndex === 25) entry.record.bytes = 1;
          return JSON.stringify({ type: 'record', record: entry.record, leafHash: recordLeafHash(entry.record).toString('hex') });
        });
      writeFileSync(out, `${kept.join('\n')}\n`);
      return runCli('audit verify', ['--export', out]);
    };
    const whole = await forge([], 'whole.ndjson');
    // The first record no checkpoint left covers is named, in the zone's sequence as well.
    expect(whole.stdout).toMatch(/FAIL node node-a at leafIndex 20 \(\w+ seq \d+\): no signed checkpoint covers the record/);
    expect(whole.code).toBe(1);
    const selected = await forge(['--zone', zoneOf(25)], 'selected.ndjson');
    expect(selected.stdout).toMatch(/FAIL node node-a at leafIndex 2\d .*carries no inclusion proof: xborder exports only records their node has signed/);
    expect(selected.code).toBe(1);
  });

  it('exports only what its node has signed, says what it left out, and the file verifies', async () => {
    // No timer: the node signs at 10 and 20 records only, so 5 records stay unsigned while open.
    const store = await openStore(backend.options({ checkpointEvery: 10, checkpointIntervalMs: 0 }));
    try {
      for (let i = 0; i < 25; i++) await store.append(decisionRecord({ zone: zoneOf(i), bytes: 1000 + i }));
      for (let tries = 0; (await store.checkpoints()).length < 2; tries++) {
        expect(tries).toBeLessThan(200);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      for (const [extra, file, count] of [[[], 'whole.ndjson', 20], [['--zone', zoneOf(0)], 'zone.ndjson', 7]] as const) {
        const out = join(backend.options().dataDir, file);
        const exported = await runCli('audit export', [...backend.flags(), ...extra, '--out', out]);
        expect(exported.stdout).toContain(`wrote ${count} records`);
        expect(exported.stdout).toMatch(/left out \d records of node node-a newer than its latest signed checkpoint \(size 20\)/);
        const verified = await runCli('audit verify', ['--export', out]);
        expect(verified.stdout).not.toContain('not yet under a signed checkpoint');
        expect(verified.code).toBe(0);
      }
    } finally {
      await store.close();
    }
  });

  it('finds a field added to a record, in the database or an export, though the leaf hash was left as it was', async () => {
    const driver = (open = (await seededLog()).driver);
    const { readFileSync } = await import('node:fs');
    // A field the record schema does not know is dropped by parsing: the leaf hash must be taken
    // of the record as written, or the added field passes unhashed.
    const added = (text: string) => text.replace('"decision":"allow"', '"approvedBy":"regulator","decision":"allow"');
    for (const [extra, file] of [[[], 'whole.ndjson'], [['--zone', zoneOf(7)], 'zone.ndjson']] as const) {
      const out = join(backend.options().dataDir, file);
      expect((await runCli('audit export', [...backend.flags(), ...extra, '--out', out])).code).toBe(0);
      const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
      const i = lines.findIndex((line) => line.includes('"leafIndex":7,'));
      lines[i] = added(lines[i]!);
      writeFileSync(out, `${lines.join('\n')}\n`);
      const result = await runCli('audit verify', ['--export', out]);
      expect(result.stdout).toMatch(/FAIL node node-a at leafIndex 7 .*does not match its leaf hash/);
      expect(result.code).toBe(1);
    }
    const rows = await driver.reader.all<{ body: string }>('SELECT body FROM audit_records WHERE leaf_index = 7');
    await sql(driver, 'UPDATE audit_records SET body = ? WHERE leaf_index = 7', [added(rows[0]!.body)]);
    const result = await verify();
    expect(result.stdout).toMatch(/FAIL node node-a at leafIndex 7 .*does not match its leaf hash/);
    expect(result.code).toBe(1);
  });

  it('exports a file that verifies though a node starts with a new key and signs between the reads of keys and checkpoints', async () => {
    const driver = (open = (await seededLog()).driver);
    const { writeExport, verifyExport } = await import('../../src/audit/export.ts');
    // Node b starts for the first time (or with a rotated key) just as the export has read the
    // keys: its key and its first checkpoint land between the export's two reads.
    let started = false;
    const reader: SqlConn = {
      all: async <T>(text: string, params?: readonly unknown[]) => {
        const rows = await driver.reader.all<T>(text, params);
        if (!started && text.includes('FROM audit_keys')) {
          started = true;
          const store = await openStore(backend.options({ nodeId: 'node-b' }));
          await store.append(decisionRecord());
          await store.close();
        }
        return rows;
      },
      run: (text, params) => driver.reader.run(text, params),
      insertRows: (...args) => driver.reader.insertRows(...args),
    };
    const out = join(backend.options().dataDir, 'export.ndjson');
    const { heldBack } = await writeExport(reader, {}, out);
    expect(started).toBe(true);
    const report = await verifyExport(out);
    expect(report.failure).toBeNull();
    // Whether node b's checkpoint is in the file depends on which read it followed: here the
    // checkpoints were read first, so its record waits for the next export.
    expect(report.nodes.map((node) => node.node)).toEqual(['node-a']);
    expect(heldBack).toEqual([{ node: 'node-b', records: 1, signedSize: 0 }]);
  });

  it('reads an export file as its lines come, and names a line it cannot read instead of failing', async () => {
    open = (await seededLog()).driver;
    const out = join(backend.options().dataDir, 'export.ndjson');
    expect((await runCli('audit export', [...backend.flags(), '--out', out])).code).toBe(0);
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    const records = lines.findIndex((line) => line.startsWith('{"type":"record"'));
    const check = async (changed: string[]) => {
      writeFileSync(out, `${changed.join('\n')}\n`);
      return runCli('audit verify', ['--export', out]);
    };
    const cut = await check([...lines.slice(0, records + 3), '{"type":"record","record":{"kind"', ...lines.slice(records + 3)]);
    expect(cut.stdout).toContain(`FAIL node -: export line ${records + 4} is not JSON`);
    expect(cut.code).toBe(1);
    const late = await check([...lines, lines[1]!]);
    expect(late.stdout).toContain('FAIL node -: a key line after the records');
    expect(late.code).toBe(1);
    const headless = await check(lines.slice(1));
    expect(headless.stdout).toContain('no header line');
    expect(headless.code).toBe(1);
  });
});

/**
 * `xborder audit verify | export | proof` and `xborder counters show | import`. The database is
 * `--db FILE` (SQLite, default ./data/xborder.db) or `--database-url` / XBORDER_DATABASE_URL.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { decisionKinds, mechanisms, shanghaiYear, zones, type Zone } from '../domain.ts';
import { XborderError } from '../errors.ts';
import { defaultPolicyDir, findEnterprise, loadPolicy } from '../policy/index.ts';
import { UsageError, parseOptions, usage, type Command, type CommandIo } from '../shared/cli-support.ts';
import { keptKeys, signedCheckpointSchema, type PublicKeyEntry, type SignedCheckpoint } from './checkpoint.ts';
import { verifyExport, writeExport } from './export.ts';
import { timeBound } from './query.ts';
import { verifyStore } from './sources.ts';
import { openDriver, openStore } from './store.ts';
import type { AuditQuery } from './types.ts';
import { formatReport } from './verify.ts';

const storeOptions = {
  db: { type: 'string' },
  'database-url': { type: 'string' },
  schema: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

const storeSynopsis = '[--db FILE | --database-url URL [--schema NAME]] [--data-dir DIR]';
const storeLines = [
  ['--db FILE', 'the SQLite audit database; default: DIR/xborder.db'],
  ['--database-url URL', 'a PostgreSQL audit database instead; default: $XBORDER_DATABASE_URL, unless --db is given'],
  ['--schema NAME', "the PostgreSQL schema; default: $XBORDER_DATABASE_SCHEMA, else the connection's search_path"],
  ['--data-dir DIR', "the node's data folder (xborder.db, keys); default: ./data"],
] as const;

interface StoreFlags {
  db?: string | undefined;
  'database-url'?: string | undefined;
  schema?: string | undefined;
  'data-dir'?: string | undefined;
}

function location(values: StoreFlags, io: CommandIo, mustExist = true) {
  const at = (path: string): string => (isAbsolute(path) ? path : resolve(io.cwd, path));
  const dataDir = at(values['data-dir'] ?? 'data');
  const databaseUrl = values['database-url'] ?? (values.db ? undefined : io.env.XBORDER_DATABASE_URL);
  const sqliteFile = at(values.db ?? join(dataDir, 'xborder.db'));
  if (mustExist && !databaseUrl && !existsSync(sqliteFile)) throw new UsageError(`no audit database at ${sqliteFile} (use --db FILE or --database-url URL)`);
  return { dataDir, databaseUrl, sqliteFile, schema: values.schema ?? io.env.XBORDER_DATABASE_SCHEMA };
}

/** A file an option names, resolved: what is wrong with it is a usage error naming the option, not an ENOENT stack trace. */
async function inputFile(option: string, file: string, io: CommandIo): Promise<string> {
  const path = isAbsolute(file) ? file : resolve(io.cwd, file);
  const info = await stat(path).catch(() => null);
  if (info === null) throw new UsageError(`--${option} ${file}: no such file`);
  if (!info.isFile()) throw new UsageError(`--${option} ${file}: not a file`);
  return path;
}

async function readTrusted(file: string, io: CommandIo): Promise<SignedCheckpoint[]> {
  const text = await readFile(await inputFile('trusted-checkpoints', file, io), 'utf8');
  let items: unknown[];
  try {
    const whole: unknown = JSON.parse(text);
    items = Array.isArray(whole) ? whole : [whole];
  } catch {
    items = text.split('\n').flatMap((line, i) => {
      if (line.trim() === '') return [];
      try {
        return [JSON.parse(line) as unknown];
      } catch {
        throw new UsageError(`--trusted-checkpoints ${file}: line ${i + 1} is not JSON`);
      }
    });
  }
  // Accepts bare checkpoints, `/audit/checkpoints` pages, `audit proof` output and export lines.
  const flat = items.flatMap((item) => {
    if (typeof item !== 'object' || item === null) return [item];
    const value = item as { checkpoints?: unknown[]; checkpoint?: unknown; type?: string };
    if (Array.isArray(value.checkpoints)) return value.checkpoints;
    if (value.checkpoint) return [value.checkpoint];
    return value.type && value.type !== 'checkpoint' ? [] : [item];
  });
  // An empty file (a failed download) would check nothing and still report ok.
  if (flat.length === 0) throw new UsageError(`--trusted-checkpoints ${file}: holds no checkpoints`);
  return flat.map((item, i) => {
    const parsed = signedCheckpointSchema.safeParse(item);
    if (!parsed.success) throw new UsageError(`--trusted-checkpoints: entry ${i + 1} is not a signed checkpoint`);
    return parsed.data;
  });
}

async function readTrustedKeys(file: string, io: CommandIo): Promise<PublicKeyEntry[]> {
  const text = await readFile(await inputFile('trusted-keys', file, io), 'utf8');
  try {
    return keptKeys(JSON.parse(text));
  } catch (error) {
    throw new UsageError(`--trusted-keys ${file}: ${error instanceof SyntaxError ? 'is not JSON' : (error as Error).message}`);
  }
}

const verify: Command = {
  summary: 'recompute the audit trees and check every signed checkpoint (or an export file, offline)',
  usage: usage(`[--export FILE | ${storeSynopsis} [--node ID]] [--trusted-checkpoints FILE] [--trusted-keys FILE]`, [
    ['--export FILE', 'verify this export file (from audit export) offline instead of a database'],
    ...storeLines,
    ['--node ID', "verify only this node's tree; default: every node's"],
    ['--trusted-checkpoints FILE', 'signed checkpoints kept elsewhere (JSON or NDJSON: checkpoints, /audit/checkpoints pages, audit proof output, export lines) to check the log against; default: none'],
    ['--trusted-keys FILE', "the nodes' public keys kept elsewhere (the JWKS of /audit/keys): checkpoints must be signed with one of these, not merely with a key the log holds; default: the log's keys"],
  ]),
  async run(argv, io) {
    const { values } = parseOptions(argv, { ...storeOptions, node: { type: 'string' }, 'trusted-checkpoints': { type: 'string' }, 'trusted-keys': { type: 'string' }, export: { type: 'string' } }, false);
    if (values.export) {
      // An export is verified whole and offline: --node or a database beside it would be ignored
      // while the operator believes that is what was checked.
      const ignored = (['node', 'db', 'database-url', 'schema', 'data-dir'] as const).find((option) => values[option] !== undefined);
      if (ignored) throw new UsageError(`--${ignored} does not apply to --export (the file is verified on its own)`);
    }
    const trusted = values['trusted-checkpoints'] ? await readTrusted(values['trusted-checkpoints'], io) : [];
    const trustedKeys = values['trusted-keys'] ? await readTrustedKeys(values['trusted-keys'], io) : undefined;
    if (trustedKeys) io.stdout(`checkpoints checked against the ${trustedKeys.length} trusted keys of ${values['trusted-keys']}, not the keys the log holds\n`);
    if (values.export) {
      const report = await verifyExport(await inputFile('export', values.export, io), trusted, trustedKeys);
      io.stdout(`export ${values.export} (${report.complete ? 'whole log, recomputed' : 'selection, checked by inclusion proofs'}), ${trusted.length} trusted checkpoints\n`);
      io.stdout(formatReport(report));
      return report.ok ? 0 : 1;
    }
    const report = await verifyStore(location(values, io), { node: values.node, trusted, trustedKeys });
    io.stdout(formatReport(report));
    return report.ok ? 0 : 1;
  },
};

const filterOptions = {
  enterprise: { type: 'string' },
  zone: { type: 'string', multiple: true },
  destination: { type: 'string' },
  decision: { type: 'string' },
  'data-type': { type: 'string' },
  mechanism: { type: 'string' },
  node: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
} as const;

const exportCommand: Command = {
  summary: 'write records, checkpoints and public keys to one NDJSON file (--out FILE)',
  usage: usage(
    `--out FILE [--enterprise ID] [--zone Z]... [--destination ID] [--decision D] [--data-type T] [--mechanism M] [--node ID] [--from TIME] [--to TIME] ${storeSynopsis}`,
    [
      ['--out FILE', 'the NDJSON file to write; required'],
      ['--enterprise ID', "only this enterprise's records; default: every enterprise"],
      ['--zone Z', `only records of this zone (repeatable): ${zones.join(', ')}; default: every zone`],
      ['--destination ID', 'only transfers to this destination; default: every destination'],
      ['--decision D', `only this decision: ${decisionKinds.join(', ')}; default: every decision`],
      ['--data-type T', 'only decisions whose findings include this data type; default: every type'],
      ['--mechanism M', `only this legal mechanism: ${mechanisms.join(', ')}; default: every mechanism`],
      ['--node ID', "only this gateway node's records; default: every node"],
      ['--from TIME', 'only records at or after this ISO 8601 time with its offset, or from the start of this date in China Standard Time; default: the first'],
      ['--to TIME', 'only records before this ISO 8601 time with its offset, or before the start of this date in China Standard Time; default: the last'],
      ...storeLines,
    ],
  ),
  async run(argv, io) {
    const { values } = parseOptions(argv, { ...storeOptions, ...filterOptions, out: { type: 'string' } }, false);
    if (!values.out) throw new UsageError('audit export needs --out FILE');
    for (const zone of values.zone ?? []) if (!zones.includes(zone as Zone)) throw new UsageError(`unknown zone ${zone}`);
    // A misspelt value matches nothing: the export would be an empty file that verifies.
    if (values.decision !== undefined && !(decisionKinds as readonly string[]).includes(values.decision)) throw new UsageError(`unknown decision ${values.decision} (${decisionKinds.join(', ')})`);
    if (values.mechanism !== undefined && !(mechanisms as readonly string[]).includes(values.mechanism)) throw new UsageError(`unknown mechanism ${values.mechanism} (${mechanisms.join(', ')})`);
    for (const bound of [values.from, values.to]) {
      if (bound === undefined) continue;
      try {
        timeBound(bound);
      } catch (error) {
        throw new UsageError((error as Error).message.replace(/^xborder: /, ''));
      }
    }
    const filter: AuditQuery = {
      enterprise: values.enterprise,
      zone: values.zone as Zone[] | undefined,
      destination: values.destination,
      decision: values.decision,
      dataType: values['data-type'],
      mechanism: values.mechanism,
      node: values.node,
      from: values.from,
      to: values.to,
    };
    const out = isAbsolute(values.out) ? values.out : resolve(io.cwd, values.out);
    // The export's write stream reports these as an 'error' event no one awaits yet: an uncaught
    // ENOENT or EISDIR stack trace.
    if ((await stat(dirname(out)).catch(() => null))?.isDirectory() !== true) throw new UsageError(`--out ${values.out}: no folder ${dirname(out)}`);
    if ((await stat(out).catch(() => null))?.isDirectory()) throw new UsageError(`--out ${values.out}: is a folder`);
    const driver = await openDriver(location(values, io));
    try {
      const { records, heldBack } = await writeExport(driver.reader, filter, out);
      io.stdout(`wrote ${records} records with checkpoints and public keys to ${values.out}\n`);
      for (const { node, records: left, signedSize } of heldBack) {
        io.stdout(
          `left out ${left} records of node ${node} newer than its latest signed checkpoint (${signedSize === 0 ? 'it has none yet' : `size ${signedSize}`}): ` +
            'a running gateway signs within its checkpoint interval (1 s by default), a stopped one when it starts again; export again to include them\n',
        );
      }
      return 0;
    } finally {
      await driver.close();
    }
  },
};

const proof: Command = {
  summary: 'print the inclusion proof of a decision against the latest signed checkpoint (JSON)',
  usage: usage(`--id DECISION_ID ${storeSynopsis}`, [['--id DECISION_ID', 'the decision to prove; required'], ...storeLines]),
  async run(argv, io) {
    const { values } = parseOptions(argv, { ...storeOptions, id: { type: 'string' } }, false);
    if (!values.id) throw new UsageError('audit proof needs --id DECISION_ID');
    const store = await openStore({ nodeId: 'audit-cli', readOnly: true, ...location(values, io) });
    try {
      const found = await store.inclusionProof(values.id);
      io.stdout(`${JSON.stringify({ algorithm: 'RFC 9162 §2.1.3 (RFC 6962 hashing)', hash: 'SHA-256', ...found }, null, 2)}\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};

function count(value: string | undefined, name: string): number {
  if (value === undefined) return 0;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number`);
  return Number(value);
}

/** The bounds of a counter-import record's year: beyond them show prints zeros and import fails after opening the store. */
function yearOption(value: string): number {
  const year = count(value, 'year');
  if (year < 2000 || year > 9999) throw new UsageError(`--year ${value}: a year from 2000 to 9999`);
  return year;
}

const countersShow: Command = {
  summary: "show an enterprise's distinct subjects this year, per class and tally",
  usage: usage(`--enterprise ID [--year Y] [--json] ${storeSynopsis}`, [
    ['--enterprise ID', 'the enterprise (its USCC); required'],
    ['--year Y', 'the calendar year (Asia/Shanghai), 2000 to 9999; default: this year'],
    ['--json', 'print the totals as JSON; default: one line per class'],
    ...storeLines,
  ]),
  async run(argv, io) {
    const { values } = parseOptions(argv, { ...storeOptions, enterprise: { type: 'string' }, year: { type: 'string' }, json: { type: 'boolean' } }, false);
    if (!values.enterprise) throw new UsageError('counters show needs --enterprise ID');
    const year = values.year ? yearOption(values.year) : shanghaiYear(new Date());
    const store = await openStore({ nodeId: 'audit-cli', readOnly: true, ...location(values, io) });
    try {
      const totals = await store.counters(values.enterprise, year);
      if (values.json) io.stdout(`${JSON.stringify(totals, null, 2)}\n`);
      else {
        io.stdout(`enterprise ${totals.enterprise}, ${year} (Asia/Shanghai calendar year)\n`);
        for (const cls of ['nonSensitive', 'sensitive'] as const) {
          const t = totals.byTally[cls];
          io.stdout(`  ${cls.padEnd(12)} ${String(totals.total[cls]).padStart(9)}  (regulated ${t.regulated}, exempt ${t.exempt}, pending ${t.reserved}, imported ${t.imported})\n`);
        }
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};

const countersImport: Command = {
  summary: 'seed this year\'s totals counted before the gateway (recorded in the audit log)',
  usage: usage(`--enterprise ID --year Y [--general N] [--sensitive N] [--reason TEXT] [--zone Z | --policies DIR] [--node ID] ${storeSynopsis}`, [
    ['--enterprise ID', 'the enterprise (its USCC); required'],
    ['--zone Z', `the enterprise's zone, whose regulators see the audit record: ${zones.join(', ')}; default: its zone in the policy`],
    ['--policies DIR', 'the policy naming the enterprise\'s zone; default: $XBORDER_POLICIES, else the policies shipped with xborder'],
    ['--year Y', 'the calendar year (Asia/Shanghai) the totals belong to, 2000 to 9999; required'],
    ['--general N', 'distinct subjects already sent abroad this year (every class); default: 0'],
    ['--sensitive N', 'of those, subjects carrying sensitive personal information; default: 0'],
    ['--reason TEXT', 'why, kept in the audit record; default: none'],
    ['--node ID', 'the node whose key signs the audit record; default: $XBORDER_NODE_ID, else admin-cli'],
    ...storeLines,
  ]),
  async run(argv, io) {
    const { values } = parseOptions(
      argv,
      {
        ...storeOptions,
        enterprise: { type: 'string' },
        year: { type: 'string' },
        general: { type: 'string' },
        sensitive: { type: 'string' },
        reason: { type: 'string' },
        zone: { type: 'string' },
        policies: { type: 'string' },
        node: { type: 'string' },
      },
      false,
    );
    if (!values.enterprise || !values.year) throw new UsageError('counters import needs --enterprise ID --year Y');
    if (values.zone !== undefined && !zones.includes(values.zone as Zone)) throw new UsageError(`unknown zone ${values.zone}`);
    // Checked before the store opens: inside its try a usage error came out as an audit failure
    // (exit 1), after a database had been created where none was.
    const year = yearOption(values.year);
    const counts = { nonSensitive: count(values.general, 'general'), sensitive: count(values.sensitive, 'sensitive') };
    // --general counts every subject, the sensitive ones among them (CLARIFICATIONS 3).
    if (counts.sensitive > counts.nonSensitive) throw new UsageError(`--sensitive ${counts.sensitive} is more than --general ${counts.nonSensitive}, which counts every subject`);
    const zone = (values.zone as Zone | undefined) ?? (await zoneInPolicy(values.enterprise, values.policies, io));
    const where = location(values, io, false);
    const store = await openStore({ nodeId: values.node ?? io.env.XBORDER_NODE_ID ?? 'admin-cli', checkpointIntervalMs: 0, ...where });
    try {
      const appended = await store.importCounters({ enterprise: values.enterprise, year, counts, reason: values.reason ?? null, zone });
      io.stdout(`imported ${counts.nonSensitive} general and ${counts.sensitive} sensitive subjects for ${values.enterprise} ${values.year} (audit record ${appended.id})\n`);
      return 0;
    } catch (error) {
      if (error instanceof XborderError) throw error;
      throw new XborderError('XB_ERR_AUDIT_UNAVAILABLE', `xborder: counters import failed: ${String(error)}`, { cause: error });
    } finally {
      await store.close();
    }
  },
};

/**
 * Regulators see the records of their zones only: an import record without a zone would show to
 * none of them, though it raises the totals `GET /counters` shows them.
 */
async function zoneInPolicy(enterprise: string, option: string | undefined, io: CommandIo): Promise<Zone | null> {
  const dir = option !== undefined ? resolve(io.cwd, option) : defaultPolicyDir(io.env);
  const consequence = "the audit record names no zone and no regulator's query shows it (pass --zone Z or --policies DIR)";
  let found: ReturnType<typeof findEnterprise>;
  try {
    found = findEnterprise(await loadPolicy(dir, { env: io.env }), enterprise);
  } catch (error) {
    io.stderr(`xborder: warning: the policy under ${dir} could not be read (${error instanceof Error ? error.message : String(error)}): ${consequence}\n`);
    return null;
  }
  if (!found) io.stderr(`xborder: warning: enterprise ${enterprise} is not in the policy under ${dir}: ${consequence}\n`);
  return found?.zone ?? null;
}

export const auditCommands: Record<string, Command> = {
  'audit verify': verify,
  'audit export': exportCommand,
  'audit proof': proof,
  'counters show': countersShow,
  'counters import': countersImport,
};

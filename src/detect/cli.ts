/**
 * `xborder scan [--content-type T] [--content-encoding E] [--at YYYY-MM-DD] [--bare-id-sensitive] [FILE|-]`
 * Prints the scan result as JSON. Files are streamed from disk, so NDJSON, CSV and text of any
 * size are scanned in bounded memory (CLARIFICATIONS 20).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { z } from 'zod';
import { isCalendarDay } from '../domain.ts';
import { parseOptions, usage, UsageError, type Command } from '../shared/cli-support.ts';
import { scan } from './index.ts';

const typesByExtension: Record<string, string> = {
  '.json': 'application/json',
  '.ndjson': 'application/x-ndjson',
  '.jsonl': 'application/x-ndjson',
  '.csv': 'text/csv',
  '.txt': 'text/plain',
};

/** JSON and form files are buffered to be walked, and encoded files decoded up to this; NDJSON, CSV and text stream unbounded. */
const cliMaxBufferedBytes = 512 * 1024 * 1024;

const atSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')
  .refine(isCalendarDay, 'not a calendar date')
  .transform((value) => new Date(`${value}T00:00:00+08:00`));

const scanCommand: Command = {
  summary: 'scan a file (or stdin) for personal information and print the findings as JSON',
  usage: usage('[--content-type TYPE] [--content-encoding ENC] [--at YYYY-MM-DD] [--bare-id-sensitive] [FILE|-]', [
    ['--content-type TYPE', "the body's media type (application/json, application/x-ndjson, text/csv, text/plain, ...); default: from FILE's extension (.json .ndjson .jsonl .csv .txt), text/plain for stdin"],
    ['--content-encoding ENC', 'decode the body first: gzip, deflate or br (comma-separated, in the order applied); default: none'],
    ['--at YYYY-MM-DD', 'the scan date (Asia/Shanghai) that ages, and so minors, are computed against; default: today'],
    ['--bare-id-sensitive', 'a bare resident ID number makes its holder a sensitive subject; default: off'],
    ['FILE|-', 'the file to scan, streamed from disk; default: - (standard input)'],
  ]),
  async run(argv, io) {
    const { values, positionals } = parseOptions(argv, {
      'content-type': { type: 'string' },
      'content-encoding': { type: 'string' },
      at: { type: 'string' },
      'bare-id-sensitive': { type: 'boolean' },
    });
    if (positionals.length > 1) throw new UsageError('scan takes one FILE (or - for stdin)');
    const file = positionals[0] ?? '-';
    let at: Date | undefined;
    if (values.at !== undefined) {
      const parsed = atSchema.safeParse(values.at);
      if (!parsed.success) throw new UsageError(`--at ${values.at}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      at = parsed.data;
    }
    let contentType = values['content-type'];
    let body: AsyncIterable<Uint8Array>;
    if (file === '-') {
      body = io.stdin as AsyncIterable<Uint8Array>;
      contentType ??= 'text/plain';
    } else {
      const path = resolve(io.cwd, file);
      const info = await stat(path).catch(() => null);
      if (info === null) throw new UsageError(`no such file: ${file}`);
      if (!info.isFile()) throw new UsageError(`not a file: ${file}`);
      contentType ??= typesByExtension[extname(path).toLowerCase()];
      if (contentType === undefined) {
        throw new UsageError(`cannot tell the content type of ${file}; pass --content-type`);
      }
      body = createReadStream(path, { highWaterMark: 1024 * 1024 });
    }
    const result = await scan(body, {
      contentType,
      contentEncoding: values['content-encoding'],
      at,
      bareResidentIdSensitive: values['bare-id-sensitive'] ?? false,
      maxDecodedBytes: cliMaxBufferedBytes,
    });
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    if (io.env.XBORDER_REPORT_RSS === '1') io.stderr(`maxRSS ${process.resourceUsage().maxRSS} KiB\n`);
    return 0;
  },
};

export const detectCommands: Record<string, Command> = { scan: scanCommand };

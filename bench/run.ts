/**
 * `npm run bench`: runs every bench/*.ts except this one, in sequence (the machine is shared;
 * parallel benchmarks would measure each other), each in its own tsx process. Exits non-zero
 * when one fails.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
const benches = readdirSync(here)
  .filter((name) => name.endsWith('.ts') && name !== self)
  .sort();
const failed: string[] = [];
for (const name of benches) {
  console.log(`\n== bench/${name}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(here, name)], { stdio: 'inherit', env: process.env });
  if (run.status !== 0) failed.push(`${name} (${run.signal ?? `exit ${run.status}`})`);
}
if (failed.length > 0) {
  console.error(`\nbenchmarks failed: ${failed.join(', ')}`);
  process.exit(1);
}
console.log(`\n${benches.length} benchmarks passed`);

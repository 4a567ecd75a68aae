/**
 * The child of the crash specification: appends decision records (and reserves their people)
 * from many concurrent writers until it is killed, printing `ok <decisionId> <leafIndex>` only
 * after each append resolved. Run as `node --import tsx crash-writer.ts '<OpenStoreOptions JSON>'`.
 */
import { newDecisionId, openStore, type OpenStoreOptions } from '../../src/audit/index.ts';
import { decisionRecord } from './helpers.ts';

const options = JSON.parse(process.argv[2]!) as OpenStoreOptions;
const store = await openStore(options);
process.stdout.write('ready\n');
let n = 0;
await Promise.all(
  Array.from({ length: 64 }, async () => {
    for (;;) {
      const decisionId = newDecisionId();
      const person = n++ % 500;
      await store.reserveSubjects({ enterprise: 'E-crash', year: 2026, decisionId, subjects: [{ hashes: [`p${person}`], sensitive: false }], unkeyed: { nonSensitive: 0, sensitive: 0 } });
      const appended = await store.append(decisionRecord({ decisionId, enterprise: 'E-crash' }));
      // A pipe write is synchronous on Linux: once written, the parent has it even if we die next.
      process.stdout.write(`ok ${decisionId} ${appended.leafIndex}\n`);
    }
  }),
);

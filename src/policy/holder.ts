/**
 * The active policy, swapped atomically on reload: a bad file never replaces a good policy
 * (DESIGN.md §5). Readers take `current()` once per transfer, so one transfer sees one version.
 */
import { loadPolicy, type LoadOptions } from './load.ts';
import type { LoadedPolicy } from './types.ts';

export interface PolicyHolder {
  current(): LoadedPolicy;
  /** Loads the files again; on success swaps and returns the new policy, on error keeps the old one and throws. */
  reload(): Promise<LoadedPolicy>;
  readonly dir: string;
}

export async function createPolicyHolder(dir: string, options: LoadOptions = {}): Promise<PolicyHolder> {
  let active = await loadPolicy(dir, options);
  // Reloads are serialised so two overlapping SIGHUPs cannot install an older read last.
  let pending: Promise<LoadedPolicy> | null = null;
  return {
    dir,
    current: function currentPolicy() {
      return active;
    },
    reload: function reloadPolicy() {
      const run = (pending ?? Promise.resolve(active))
        .catch(() => active)
        .then(() => loadPolicy(dir, options))
        .then((next) => {
          active = next;
          return next;
        });
      pending = run;
      return run;
    },
  };
}

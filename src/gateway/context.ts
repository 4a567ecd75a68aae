/** What every gateway handler shares: settings, the policy holder, the store, and instruments. */
import type { Logger } from 'pino';
import type { AuditStore } from '../audit/index.ts';
import type { PolicyHolder } from '../policy/index.ts';
import type { Settings } from '../config.ts';
import type { Authenticate } from './auth.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { Upstreams } from './upstream.ts';

export interface GatewayContext {
  settings: Settings;
  policies: PolicyHolder;
  store: AuditStore;
  authenticate: Authenticate;
  upstreams: Upstreams;
  metrics: GatewayMetrics;
  logger: Logger;
  clock: () => Date;
  /** Transfers in flight, awaited on shutdown so none is cut mid-way. */
  inflight: Set<Promise<unknown>>;
  state: { shuttingDown: boolean };
}

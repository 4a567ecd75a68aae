/**
 * createGateway(): wires settings, the policy holder, the audit store, auth and the upstream
 * pools into one hono app, and gives it a server that starts and stops cleanly (SIGTERM: stop
 * accepting, finish transfers in flight, flush the audit log).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:http';
import { getRequestListener, RequestError } from '@hono/node-server';
import { Hono } from 'hono';
import { routePath } from 'hono/route';
import pino, { type Logger } from 'pino';
import { loadSubjectKey, newDecisionId, openStore, type AuditStore, type SubjectKey } from '../audit/index.ts';
import { createPolicyHolder, type PolicyHolder } from '../policy/index.ts';
import { loadSettings, trustsDevIssuer, type LoadSettingsOptions, type Settings } from '../config.ts';
import { XborderError } from '../errors.ts';
import { auditRoutes, counterRoutes } from './audit-routes.ts';
import { createAuthenticator } from './auth.ts';
import type { GatewayContext } from './context.ts';
import { loadDevIssuerKey } from './dev-issuer.ts';
import { exchangeOf, rawTargetOf, type NodeBindings } from './exchange.ts';
import { createGatewayMetrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { opsRoutes, reloadPolicy, showPolicyVersion } from './ops-routes.ts';
import { asXborderError, problemResponse } from './problem.ts';
import { handleTransfer, type TransferLog } from './transfer.ts';
import { transferPrefix } from './route.ts';
import { createUpstreams } from './upstream.ts';

export interface GatewayOptions extends LoadSettingsOptions {
  /** Ready settings (skips xborder.yaml and the environment). */
  settings?: Settings;
  clock?: () => Date;
  /** A pino logger, or false for none (tests). */
  logger?: Logger | false;
  /** An already open store (tests inject one; the gateway then does not close it). */
  store?: AuditStore;
  /** PostgreSQL schema for the store (tests use one per file). */
  schema?: string;
}

export interface Gateway {
  app: Hono<{ Bindings: NodeBindings }>;
  context: GatewayContext;
  /** Listens on settings.host:settings.port (0 = any free port). */
  start(): Promise<{ port: number; host: string; url: string }>;
  /** Stops accepting, waits for transfers in flight, closes pools and the store. */
  stop(): Promise<void>;
  reload(): Promise<void>;
}

/** Never a payload value in a log line; credentials are redacted wherever they might appear. */
export const redactPaths = [
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'upstreamHeaders',
  '*.upstreamHeaders',
  'token',
];

export async function createGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const settings = options.settings ?? loadSettings(options);
  const env = options.env ?? process.env;
  const clock = options.clock ?? (() => new Date());
  const logs = { stopped: false };
  const logger =
    options.logger === false
      ? pino({ level: 'silent' })
      : (options.logger ?? pino({ level: settings.logLevel, redact: { paths: redactPaths, censor: '[redacted]' } }, stdoutDestination(logs)));

  const policies: PolicyHolder = await createPolicyHolder(settings.policies, { env });
  const subjectKey: SubjectKey = await loadSubjectKey({ dataDir: settings.dataDir, env });
  if (subjectKey.created) logger.warn({ file: `${settings.dataDir}/subject.key` }, 'created a new subject key: back it up — without it every person counts as new');
  const ownsStore = options.store === undefined;
  const store =
    options.store ??
    (await openStore({
      nodeId: settings.nodeId,
      dataDir: settings.dataDir,
      ...(settings.databaseUrl ? { databaseUrl: settings.databaseUrl } : {}),
      ...(options.schema ? { schema: options.schema } : {}),
      ...(settings.checkpoint.every ? { checkpointEvery: settings.checkpoint.every } : {}),
      ...(settings.checkpoint.intervalMs ? { checkpointIntervalMs: settings.checkpoint.intervalMs } : {}),
      clock,
      subjectKey,
    }));
  const { settled, released } = store.recovered;
  if (settled + released > 0) {
    logger.warn(
      { settled, released },
      'finished the transfers this node left open when it last stopped: people of those that may have been sent are counted, with an outcome record saying the outcome is unknown; the others were released',
    );
  }
  const devKey = trustsDevIssuer(settings) ? await loadDevIssuerKey(settings.dataDir) : null;
  const { issuer, jwksFile, jwksUrl } = settings.token;
  const authenticate = await createAuthenticator({
    audience: settings.token.audience,
    clockToleranceSec: settings.token.clockToleranceSec,
    devKey,
    clock,
    ...(issuer && (jwksFile || jwksUrl) ? { operator: { issuer, ...(jwksFile ? { jwksFile } : {}), ...(jwksUrl ? { jwksUrl } : {}) } } : {}),
  });
  const context: GatewayContext = {
    settings,
    policies,
    store,
    authenticate,
    upstreams: createUpstreams(settings.upstream),
    metrics: createGatewayMetrics(),
    logger,
    clock,
    inflight: new Set(),
    state: { shuttingDown: false },
  };
  showPolicyVersion(context, policies.current());
  for (const warning of policies.current().warnings) logger.warn({ policyVersion: policies.current().version }, `policy: ${warning}`);
  const app = buildApp(context);

  let server: Server | null = null;
  let stopping: Promise<void> | null = null;
  return {
    app,
    context,
    start: function startGateway() {
      return new Promise((resolve, reject) => {
        const started = createServer(
          // Node checks request timeouts every connectionsCheckingInterval (30 s by default):
          // a tenth of the timeout keeps a short one close to what it says.
          { requestTimeout: settings.requestTimeoutMs, connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(settings.requestTimeoutMs / 10))) },
          getRequestListener(app.fetch, { hostname: settings.host, errorHandler: malformedRequest }),
        );
        started.once('error', reject);
        started.listen(settings.port, settings.host, () => {
          const info = started.address() as AddressInfo;
          const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
          logger.info({ port: info.port, host: info.address, node: settings.nodeId, policyVersion: policies.current().version }, 'xborder gateway listening');
          resolve({ port: info.port, host: info.address, url: `http://${host}:${info.port}` });
        });
        started.keepAliveTimeout = 5_000;
        server = started;
      });
    },
    stop: function stopGateway() {
      stopping ??= (async () => {
        context.state.shuttingDown = true;
        const closed = server ? new Promise<void>((resolve) => server!.close(() => resolve())) : Promise.resolve();
        server?.closeIdleConnections();
        const grace = new Promise<void>((resolve) => setTimeout(resolve, settings.shutdownGraceMs).unref());
        await Promise.race([Promise.allSettled([...context.inflight]), grace]);
        server?.closeAllConnections();
        await closed;
        // Past the grace, an upstream still holding a transfer is cut (pool.close() would wait for
        // it up to the headers or body timeout): the transfer then records its outcome under this
        // code, its people counted as sent, before the store closes.
        await context.upstreams.close(new XborderError('XB_ERR_SHUTTING_DOWN', 'the gateway stopped before the upstream answered'));
        await Promise.allSettled([...context.inflight]);
        if (ownsStore) await store.close();
        logger.info('xborder gateway stopped; audit log flushed');
        logs.stopped = true;
      })();
      return stopping;
    },
    reload: async function reload() {
      await reloadPolicy(context);
    },
  };
}

/**
 * The log lines' stdout. While the gateway runs, a pipe whose reader is slow is waited for
 * (sonic-boom retries EAGAIN). Once it stopped, a reader that no longer reads (a paused pager, a
 * stuck collector) must not hold the process: sonic-boom's retry timer would keep the event loop
 * alive for ever and SIGTERM would seem ignored. What is left is then dropped, as after EPIPE.
 */
function stdoutDestination(logs: { stopped: boolean }) {
  const destination = pino.destination({ dest: 1, sync: false, retryEAGAIN: () => !logs.stopped });
  destination.on('error', function dropLogs() {
    destination.write = () => true;
    destination.flushSync = () => {};
    destination.end = () => {};
  });
  return destination;
}

/** Requests the HTTP adapter cannot even turn into a URL (a backslash in the path, a bad Host): refused as problem+json. */
function malformedRequest(error: unknown): Response {
  const detail = error instanceof RequestError ? error.message : 'malformed request';
  return problemResponse(new XborderError('XB_ERR_PATH_REJECTED', detail), { headers: { 'x-xborder-decision': 'refused', 'x-xborder-decision-id': newDecisionId() } });
}

/** An absolute-form target (`http://host/x/…`) aimed at the transfer routes: refused by route.ts, never routed. */
function isAbsoluteTarget(rawTarget: string, normalisedPath: string): boolean {
  return !rawTarget.startsWith('/') && normalisedPath.startsWith(transferPrefix);
}

export function buildApp(ctx: GatewayContext): Hono<{ Bindings: NodeBindings }> {
  const app = new Hono<{ Bindings: NodeBindings }>();
  app.onError((error) => {
    const problem = asXborderError(error);
    if (problem.code === 'XB_ERR_INTERNAL') ctx.logger.error({ err: error }, 'request failed');
    return problemResponse(problem);
  });
  app.notFound((c) => problemResponse(new XborderError('XB_ERR_NOT_FOUND', `no route ${c.req.method} ${c.req.path}`)));

  // Transfers are recognised on the raw request target, before any URL normalisation would turn
  // `/x/a/%2e%2e/b` into `/x/b`: the path checks of route.ts must see what the caller sent.
  app.use('*', async (c, next) => {
    const rawTarget = rawTargetOf(c);
    if (!rawTarget.startsWith(transferPrefix) && !isAbsoluteTarget(rawTarget, c.req.path)) return next();
    const started = performance.now();
    const log: TransferLog = { decisionId: '' };
    const work = handleTransfer(ctx, exchangeOf(c), log);
    ctx.inflight.add(work);
    try {
      const response = await work;
      const status = log.status ?? response.status;
      const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
      ctx.metrics.requestSeconds.observe({ route: 'transfer' }, latencyMs / 1000);
      ctx.logger.info({ ...log, status, latencyMs, method: c.req.method }, 'transfer');
      return response;
    } finally {
      ctx.inflight.delete(work);
    }
  });
  // One log line per API request too (transfers log theirs above); never a query value or a token.
  // It names the matched route (`/audit/records/:id`, `*` for none), not the path: a path is the
  // caller's text, and a mistyped transfer (`/X/partner/…`) carries the transfer's values in it.
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
    ctx.metrics.requestSeconds.observe({ route: 'api' }, latencyMs / 1000);
    if (c.req.path !== '/metrics' && c.req.path !== '/healthz' && c.req.path !== '/readyz') {
      ctx.logger.info({ method: c.req.method, route: routePath(c, -1) || '*', status: c.res.status, latencyMs }, 'api');
    }
  });
  app.route('/audit', auditRoutes(ctx));
  app.route('/counters', counterRoutes(ctx));
  app.route('/', opsRoutes(ctx));
  app.get('/openapi.json', (c) => c.json(openApiDocument(ctx.policies.current().version)));
  return app;
}

/**
 * Operations: liveness, readiness (a policy and a reachable store), Prometheus metrics, and the
 * atomic policy reload (also on SIGHUP): a bad policy is refused with its issues and the old one
 * keeps serving (DESIGN.md §5).
 */
import { Hono } from 'hono';
import { isXborderError, XborderError } from '../errors.ts';
import type { LoadedPolicy } from '../policy/index.ts';
import { requireRole } from './auth.ts';
import type { GatewayContext } from './context.ts';
import { problemResponse } from './problem.ts';

export function showPolicyVersion(ctx: GatewayContext, policy: LoadedPolicy): void {
  ctx.metrics.policyVersion.reset();
  ctx.metrics.policyVersion.set({ version: policy.version }, 1);
}

/** Reloads the policy files; on failure the active policy is unchanged and the error is rethrown. */
export async function reloadPolicy(ctx: GatewayContext): Promise<LoadedPolicy> {
  const previous = ctx.policies.current().version;
  try {
    const policy = await ctx.policies.reload();
    showPolicyVersion(ctx, policy);
    ctx.metrics.policyReloads.inc({ result: 'ok' });
    ctx.logger.info({ policyVersion: policy.version, previous }, 'policy reloaded');
    return policy;
  } catch (error) {
    ctx.metrics.policyReloads.inc({ result: 'refused' });
    ctx.logger.error({ code: isXborderError(error) ? error.code : undefined, detail: (error as Error).message, policyVersion: previous }, 'policy reload refused; the active policy keeps serving');
    throw error;
  }
}

export function opsRoutes(ctx: GatewayContext): Hono {
  const app = new Hono();
  // Alive unless the audit store can never write again in this process (a dead writer thread,
  // a failed fsync, a lost PostgreSQL writer connection): then only a restart recovers, and a
  // supervisor's liveness probe is what restarts it. A store merely unreachable is `/readyz`'s.
  app.get('/healthz', (c) => {
    const failure = ctx.store.failure();
    if (failure) return c.json({ status: 'failed', node: ctx.settings.nodeId, code: failure.code, detail: failure.message }, 503);
    return c.json({ status: 'ok', node: ctx.settings.nodeId });
  });

  app.get('/readyz', async (c) => {
    const policy = ctx.policies.current();
    let store = 'ok';
    try {
      await ctx.store.ping();
    } catch {
      store = 'unreachable';
    }
    const ready = store === 'ok' && !ctx.state.shuttingDown;
    return c.json(
      { ready, node: ctx.settings.nodeId, policyVersion: policy.version, store, shuttingDown: ctx.state.shuttingDown },
      ready ? 200 : 503,
    );
  });

  app.get('/metrics', (c) =>
    c.body(ctx.metrics.registry.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
  );

  app.post('/admin/reload', async (c) => {
    requireRole(await ctx.authenticate(c.req.header('authorization')), 'admin');
    const previous = ctx.policies.current().version;
    try {
      const policy = await reloadPolicy(ctx);
      return c.json({ reloaded: true, policyVersion: policy.version, previous, warnings: policy.warnings });
    } catch (error) {
      const refused = isXborderError(error) ? error : new XborderError('XB_ERR_POLICY_INVALID', (error as Error).message, { cause: error });
      return problemResponse(refused, { extensions: { activePolicyVersion: previous } });
    }
  });
  return app;
}

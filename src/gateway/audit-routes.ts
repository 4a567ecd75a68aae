/**
 * The regulator API (DESIGN.md §1): records with filters and cursor pagination, streamed
 * exports, inclusion and consistency proofs, checkpoints, keys, and the subject counters.
 * Scope: a regulator token sees the zones of its `zones` claim, an enterprise token only its
 * own records; any other token is refused.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { formatRecords, type AuditQuery, type StoredRecord } from '../audit/index.ts';
import { decisionKinds, mechanisms, shanghaiYear, zones, type Zone } from '../domain.ts';
import { XborderError } from '../errors.ts';
import type { Principal } from './auth.ts';
import type { GatewayContext } from './context.ts';

const instant = z.iso.datetime({ offset: true }).or(z.iso.date());
// PostgreSQL refuses a NUL in a text parameter, which failed the query as a 500; no enterprise,
// destination, node, type or decision id holds a control character.
const plain = (max: number) => z.string().max(max).regex(/^\P{Cc}*$/u, 'must not contain control characters');

export const recordsQuerySchema = z
  .object({
    enterprise: plain(64).optional(),
    zone: z.enum(zones).optional(),
    destination: plain(128).optional(),
    decision: z.enum(decisionKinds).optional(),
    dataType: plain(64).optional(),
    mechanism: z.enum(mechanisms).optional(),
    node: plain(64).optional(),
    kind: z.enum(['decision', 'outcome', 'counter-import']).optional(),
    decisionId: plain(64).optional(),
    from: instant.optional().describe('inclusive lower bound on the record time; a bare date is its start in China Standard Time'),
    to: instant.optional().describe('exclusive upper bound on the record time; a bare date is its start in China Standard Time'),
    cursor: z.string().max(512).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export const consistencyQuerySchema = z
  .object({ node: plain(64).optional(), from: z.coerce.number().int().min(0), to: z.coerce.number().int().min(0) })
  .strict()
  .refine((query) => query.from <= query.to, { message: 'from must not exceed to', path: ['from'] });

export const nodeQuerySchema = z.object({ node: plain(64).optional() }).strict();

export const countersQuerySchema = z
  .object({ enterprise: plain(64).optional(), year: z.coerce.number().int().min(2000).max(9999).optional() })
  .strict();

export const recordIdSchema = plain(256).min(1);

export function parseQuery<T extends z.ZodType>(schema: T, c: Context): z.output<T> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'query'}: ${issue.message}`);
    throw new XborderError('XB_ERR_BAD_INPUT', problems.join('; '), { details: { problems } });
  }
  return parsed.data;
}

/** Narrows a filter to what the token may see; refuses a filter outside it. */
export function scopeFilter(principal: Principal, filter: AuditQuery): AuditQuery {
  if (principal.role === 'enterprise') {
    if (filter.enterprise !== undefined && filter.enterprise !== principal.sub) throw forbidden('an enterprise token sees only its own records');
    return { ...filter, enterprise: principal.sub };
  }
  if (principal.role === 'regulator') {
    if (principal.zones.length === 0) throw forbidden('the regulator token names no zones');
    const asked = filter.zone === undefined ? [] : Array.isArray(filter.zone) ? filter.zone : [filter.zone];
    if (asked.some((zone) => !principal.zones.includes(zone))) throw forbidden('the regulator token does not cover that zone');
    return { ...filter, zone: asked.length > 0 ? asked : principal.zones };
  }
  throw forbidden('the audit API needs a regulator or enterprise token');
}

export function maySee(principal: Principal, record: StoredRecord): boolean {
  const zone = 'zone' in record ? (record.zone as Zone | null | undefined) : undefined;
  const enterprise = 'enterprise' in record ? record.enterprise : undefined;
  if (principal.role === 'enterprise') return enterprise === principal.sub;
  if (principal.role === 'regulator') return zone !== undefined && zone !== null && principal.zones.includes(zone);
  return false;
}

function forbidden(message: string): XborderError {
  return new XborderError('XB_ERR_FORBIDDEN', message);
}

type AuthedEnv = { Variables: { principal: Principal } };

export function auditRoutes(ctx: GatewayContext): Hono<AuthedEnv> {
  const app = new Hono<AuthedEnv>();
  // Public keys are public: anyone holding a checkpoint may verify its signature.
  app.get('/keys', async (c) => c.json(await ctx.store.jwks()));

  app.use('*', async (c, next) => {
    const principal = await ctx.authenticate(c.req.header('authorization'));
    if (principal.role !== 'regulator' && principal.role !== 'enterprise') throw forbidden('the audit API needs a regulator or enterprise token');
    c.set('principal', principal);
    await next();
  });

  app.get('/records', async (c) => {
    const { cursor, limit, ...filter } = parseQuery(recordsQuerySchema, c);
    const scoped = scopeFilter(c.get('principal'), filter);
    const accept = c.req.header('accept') ?? '';
    const format = accept.includes('application/x-ndjson') ? 'ndjson' : accept.includes('text/csv') ? 'csv' : null;
    if (format) return exportRecords(ctx, scoped, format);
    const page = await ctx.store.query(scoped, { cursor: cursor ?? null, limit });
    return c.json(page);
  });

  app.get('/records/:id', async (c) => {
    const parsed = recordIdSchema.safeParse(c.req.param('id'));
    if (!parsed.success) throw new XborderError('XB_ERR_BAD_INPUT', `record id: ${parsed.error.issues[0]?.message}`);
    const id = parsed.data;
    const record = await ctx.store.getRecord(id);
    // Out of scope reads as absent: the API does not confirm other zones' records exist.
    if (!record || !maySee(c.get('principal'), record)) throw new XborderError('XB_ERR_NOT_FOUND', `no record ${id} in your scope`);
    const proof = await ctx.store.inclusionProof(record.id);
    return c.json({ record, proof });
  });

  app.get('/checkpoints', async (c) => {
    const { node } = parseQuery(nodeQuerySchema, c);
    return c.json({ checkpoints: await ctx.store.checkpoints(node) });
  });

  app.get('/consistency', async (c) => {
    const { node, from, to } = parseQuery(consistencyQuerySchema, c);
    const target = node ?? ctx.settings.nodeId;
    // A proof reaches only as far as the node signed (this node signs on demand, as for inclusion
    // proofs). Past it the store finds leaves missing and reports tampering: a 500 that would
    // tell a regulator the log was rewritten when the request merely asked too far.
    let signed = to === 0 ? null : await ctx.store.latestCheckpoint(target);
    if (to > 0 && (!signed || signed.size < to) && target === ctx.settings.nodeId) signed = await ctx.store.checkpointNow();
    if (to > 0 && (!signed || signed.size < to)) throw new XborderError('XB_ERR_NOT_FOUND', `no signed checkpoint of node ${target} covers tree size ${to}`);
    return c.json({ node: target, from, to, proof: await ctx.store.consistencyProof(target, from, to) });
  });
  return app;
}

function exportRecords(ctx: GatewayContext, filter: AuditQuery, format: 'ndjson' | 'csv'): Response {
  async function* pages(): AsyncGenerator<StoredRecord> {
    let cursor: string | null = null;
    do {
      const page: { records: StoredRecord[]; nextCursor: string | null } = await ctx.store.query(filter, { cursor, limit: 1000 });
      yield* page.records;
      cursor = page.nextCursor;
    } while (cursor);
  }
  const lines = formatRecords(pages(), format);
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await lines.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
  const type = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson';
  return new Response(stream, { headers: { 'content-type': type, 'content-disposition': `attachment; filename="xborder-audit.${format === 'csv' ? 'csv' : 'ndjson'}"` } });
}

/** `GET /counters`: an enterprise its own totals, a regulator those of its zones' enterprises (CLARIFICATIONS 6). */
export function counterRoutes(ctx: GatewayContext): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    const principal = await ctx.authenticate(c.req.header('authorization'));
    const query = parseQuery(countersQuerySchema, c);
    const year = query.year ?? shanghaiYear(ctx.clock());
    const policy = ctx.policies.current();
    let ids: string[];
    if (principal.role === 'enterprise') {
      if (query.enterprise !== undefined && query.enterprise !== principal.sub) throw forbidden('an enterprise token sees only its own counters');
      ids = [principal.sub];
    } else if (principal.role === 'regulator') {
      const inScope = [...policy.enterprises.values()].filter((enterprise) => principal.zones.includes(enterprise.zone)).map((enterprise) => enterprise.id);
      if (query.enterprise !== undefined && !inScope.includes(query.enterprise)) throw forbidden('that enterprise is not in your zones');
      ids = query.enterprise !== undefined ? [query.enterprise] : inScope;
    } else throw forbidden('counters need an enterprise or regulator token');
    const enterprises = await Promise.all(
      ids.map(async (id) => {
        const totals = await ctx.store.counters(id, year);
        return { ...totals, zone: policy.enterprises.get(id)?.zone ?? null, warnings: thresholdWarnings(totals.total) };
      }),
    );
    return c.json({ year, enterprises });
  });
  return app;
}

/** 90% of each statutory threshold (Arts. 5(4), 7(2), 8: 100,000 / 1,000,000 non-sensitive, 10,000 sensitive). */
export function thresholdWarnings(total: { nonSensitive: number; sensitive: number }): string[] {
  const warnings: string[] = [];
  for (const [limit, article] of [
    [1_000_000, 'Art. 7(2) security assessment'],
    [100_000, 'Art. 8 standard contract or certification'],
  ] as const) {
    if (total.nonSensitive >= 0.9 * limit) {
      warnings.push(`${total.nonSensitive} non-sensitive subjects: at or past 90% of ${limit} (${article})`);
      break;
    }
  }
  if (total.sensitive >= 0.9 * 10_000) warnings.push(`${total.sensitive} sensitive subjects: at or past 90% of 10000 (Art. 7(2) security assessment)`);
  return warnings;
}

/**
 * The OpenAPI 3.1 document of the whole HTTP surface, generated from the same zod schemas that
 * validate the inputs, so the document cannot drift from what the gateway accepts.
 */
import { z } from 'zod';
import { decisionRecordSchema, outcomeRecordSchema } from '../audit/index.ts';
import { errorCodes } from '../errors.ts';
import { consistencyQuerySchema, countersQuerySchema, nodeQuerySchema, recordsQuerySchema } from './audit-routes.ts';
import { transferHeadersSchema, transferMethods } from './transfer.ts';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** Query or header parameters from a zod object schema. */
function parametersOf(schema: z.ZodType, where: 'query' | 'header'): JsonSchema[] {
  const json = schemaOf(schema);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: required.has(name) && property.default === undefined,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

const problem = { $ref: '#/components/schemas/Problem' };
const problemResponses = (...codes: (keyof typeof errorCodes)[]) =>
  Object.fromEntries(
    [...new Set(codes.map((code) => errorCodes[code].status))].map((status) => [
      String(status),
      {
        description: codes.filter((code) => errorCodes[code].status === status).join(', '),
        content: { 'application/problem+json': { schema: problem } },
      },
    ]),
  );
const bearer = [{ bearer: [] }];
const json = (schema: JsonSchema, description = 'OK') => ({ description, content: { 'application/json': { schema } } });

export function openApiDocument(version: string): JsonSchema {
  const transfer = {
    summary: 'Send a transfer to a registered destination (inspected, decided, recorded, then forwarded)',
    security: bearer,
    parameters: [
      { name: 'destination', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' } },
      { name: 'path', in: 'path', required: true, schema: { type: 'string' }, description: 'Path under the destination base URL' },
      ...parametersOf(transferHeadersSchema, 'header'),
    ],
    requestBody: { required: false, content: { '*/*': { schema: {} } } },
    responses: {
      default: { description: "The upstream's answer, with X-Xborder-Decision and X-Xborder-Decision-Id" },
      '451': { description: 'Transfer refused under the cross-border data rules', content: { 'application/problem+json': { schema: problem } } },
      ...problemResponses(
        'XB_ERR_BAD_INPUT',
        'XB_ERR_PATH_REJECTED',
        'XB_ERR_UNAUTHENTICATED',
        'XB_ERR_FORBIDDEN',
        'XB_ERR_UNKNOWN_ENTERPRISE',
        'XB_ERR_UNKNOWN_DESTINATION',
        'XB_ERR_BODY_TOO_LARGE',
        'XB_ERR_DECODE_LIMIT',
        'XB_ERR_UNSUPPORTED_ENCODING',
        'XB_ERR_UPSTREAM',
        'XB_ERR_AUDIT_UNAVAILABLE',
      ),
    },
  };
  const paths: Record<string, unknown> = {
    '/x/{destination}/{path}': Object.fromEntries(transferMethods.map((method) => [method.toLowerCase(), { ...transfer, operationId: `transfer${method}` }])),
    '/audit/records': {
      get: {
        summary: 'Audit records in scope (JSON page, or an NDJSON / CSV export by Accept)',
        security: bearer,
        parameters: parametersOf(recordsQuerySchema, 'query'),
        responses: {
          '200': {
            description: 'A page of records with nextCursor, or the whole export',
            content: {
              'application/json': { schema: { type: 'object', properties: { records: { type: 'array', items: { $ref: '#/components/schemas/Record' } }, nextCursor: { type: ['string', 'null'] } } } },
              'application/x-ndjson': { schema: { type: 'string' } },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          ...problemResponses('XB_ERR_BAD_INPUT', 'XB_ERR_UNAUTHENTICATED', 'XB_ERR_FORBIDDEN'),
        },
      },
    },
    '/audit/records/{id}': {
      get: {
        summary: 'One record with its inclusion proof against a signed checkpoint',
        security: bearer,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'node:leafIndex or a decision id' }],
        responses: { '200': json({ type: 'object', properties: { record: { $ref: '#/components/schemas/Record' }, proof: { type: 'object' } } }), ...problemResponses('XB_ERR_NOT_FOUND', 'XB_ERR_UNAUTHENTICATED') },
      },
    },
    '/audit/checkpoints': { get: { summary: 'Signed checkpoints (JWS)', security: bearer, parameters: parametersOf(nodeQuerySchema, 'query'), responses: { '200': json({ type: 'object' }) } } },
    '/audit/consistency': {
      get: { summary: 'Consistency proof between two tree sizes of a node', security: bearer, parameters: parametersOf(consistencyQuerySchema, 'query'), responses: { '200': json({ type: 'object' }), ...problemResponses('XB_ERR_BAD_INPUT') } },
    },
    '/audit/keys': { get: { summary: "Every node's checkpoint signing keys (JWKS)", responses: { '200': json({ type: 'object' }) } } },
    '/counters': { get: { summary: "This year's distinct subjects (an enterprise its own, a regulator its zones)", security: bearer, parameters: parametersOf(countersQuerySchema, 'query'), responses: { '200': json({ type: 'object' }), ...problemResponses('XB_ERR_FORBIDDEN') } } },
    '/admin/reload': { post: { summary: 'Reload the policy atomically (admin)', security: bearer, responses: { '200': json({ type: 'object' }), ...problemResponses('XB_ERR_POLICY_INVALID', 'XB_ERR_FORBIDDEN') } } },
    '/healthz': { get: { summary: 'Liveness: failed only when the audit store can never write again in this process (restart it)', responses: { '200': json({ type: 'object' }), '503': json({ type: 'object' }, 'Restart the process') } } },
    '/readyz': { get: { summary: 'Readiness: a policy and a reachable store; shows the policy version', responses: { '200': json({ type: 'object' }), '503': json({ type: 'object' }, 'Not ready') } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text/plain; version=0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    '/openapi.json': { get: { summary: 'This document', responses: { '200': json({ type: 'object' }) } } },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'xborder gateway', version, description: 'Cross-border data flow compliance gateway (China (Fujian) Pilot FTZ)' },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (EdDSA, ES256 or RS256)' } },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail', 'code'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'string', enum: Object.keys(errorCodes) },
            decisionId: { type: 'string' },
          },
        },
        Record: { oneOf: [schemaOf(decisionRecordSchema, 'output'), schemaOf(outcomeRecordSchema, 'output')] },
      },
    },
  };
}

/**
 * The gateway's whole public face: the hono app with its server, the process runner, the
 * development token issuer, and the pieces other tools reuse (masking, path safety, metrics).
 */
export { createGateway, buildApp, redactPaths, type Gateway, type GatewayOptions } from './app.ts';
export { serve, type Serving } from './serve.ts';
export { createAuthenticator, acceptedAlgorithms, type Principal, type Authenticate, type AuthOptions } from './auth.ts';
export { devIssuer, loadDevIssuerKey, mintDevToken, parseTtl, roles, type DevIssuerKey, type MintRequest, type Role } from './dev-issuer.ts';
export { applyMaskingPlan, maskValue, type MaskOutcome, type MaskingPlanLike } from './mask.ts';
export { parseTransferTarget, upstreamTarget, type TransferRoute, type UpstreamTarget } from './route.ts';
export { createGatewayMetrics, Registry, Counter, Gauge, Histogram, type GatewayMetrics } from './metrics.ts';
export { openApiDocument } from './openapi.ts';
export { toProblem, problemResponse, problemType, problemContentType, type Problem } from './problem.ts';
export { transferHeadersSchema, transferMethods } from './transfer.ts';
export type { GatewayContext } from './context.ts';

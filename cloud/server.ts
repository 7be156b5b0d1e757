/**
 * The cloud HTTP application: `build(deps)` wires routes, auth, limits and metrics onto a Fastify
 * instance without listening, so unit tests use inject() and the CLI calls listen().
 */
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../shared/logger.js';
import { ERROR_CODES } from '../shared/protocol.js';
import { TLS_SERVER_OPTIONS } from '../shared/tls-policy.js';
import { Authenticator } from './auth/authenticator.js';
import { AuthFailureRecorder } from './auth/auth-failures.js';
import { RateLimiter } from './auth/rate-limit.js';
import type { CloudConfig } from './config/config.js';
import type { CloudContext } from './http/context.js';
import { registerAuth } from './http/auth-hook.js';
import { registerJsonParser } from './http/body.js';
import { installErrorHandlers } from '../shared/http-errors.js';
import { CloudMetrics } from './metrics/metrics.js';
import { fleetRoutes } from './routes/fleet.js';
import { fleetViewRoutes } from './routes/fleet-view.js';
import { healthRoutes } from './routes/health.js';
import { heartbeatRoute } from './routes/heartbeat.js';
import { ingestRoute } from './routes/ingest.js';
import { readRoutes } from './routes/reads.js';
import type { CloudStore } from './store/store.js';

export interface CloudDeps {
  config: CloudConfig;
  store: CloudStore;
  log: Logger;
  clock?: () => number;
  metrics?: CloudMetrics;
  version?: string;
}

export interface CloudApp {
  app: FastifyInstance;
  ctx: CloudContext;
}

/** A JSON API: nothing to frame, sniff or cache. */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cache-control': 'no-store',
  'cross-origin-resource-policy': 'same-origin',
};

/** Fastify's own 4xx errors mapped to the contract's codes. */
const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: ERROR_CODES.payloadTooLarge, message: 'request body too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: ERROR_CODES.unsupportedMediaType, message: 'Content-Type must be application/json' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: ERROR_CODES.invalidEncoding, message: 'body is empty' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: ERROR_CODES.invalidRequest, message: 'Content-Length does not match the body' },
};

export function build(deps: CloudDeps): CloudApp {
  const { config, store, log } = deps;
  const clock = deps.clock ?? Date.now;
  const metrics = deps.metrics ?? new CloudMetrics();
  const ctx: CloudContext = {
    config,
    store,
    log,
    clock,
    metrics,
    auth: new Authenticator({ store, cacheTtlMs: config.auth.cacheTtlMs, clock, log }),
    limiter: new RateLimiter({ ...config.auth.rateLimit, clock }),
    authFailures: new AuthFailureRecorder(store, clock, log),
    version: deps.version ?? '0.0.0',
    startedAt: clock(),
  };

  const common = {
    loggerInstance: log,
    // Per-request log lines at hundreds of batches per second cost more than they tell; errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.http.bodyLimitBytes,
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 256 },
    // Node enforces headersTimeout/requestTimeout only every connectionsCheckingInterval (30 s by default), so a
    // slow-header client would keep its socket up to 40 s; check every second so the timeouts bite when set.
    http: { connectionsCheckingInterval: 1_000 },
  };
  const tls = config.http.tls;
  const app = (
    tls
      ? Fastify({ ...common, https: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), ...TLS_SERVER_OPTIONS, connectionsCheckingInterval: 1_000,
        handshakeTimeout: tls.handshakeTimeoutMs } })
      : Fastify(common)
  ) as unknown as FastifyInstance;
  // Node reports a handshake timeout (or failure) here but leaves the socket open: close it.
  if (tls) app.server.on('tlsClientError', (_err: Error, socket: Duplex) => socket.destroy());
  // Slow-header clients are cut off long before Node's 60 s default (must not exceed requestTimeout).
  app.server.headersTimeout = Math.min(config.http.headersTimeoutMs, config.http.requestTimeoutMs);

  const securityHeaders = tls ? { ...SECURITY_HEADERS, 'strict-transport-security': 'max-age=31536000' } : SECURITY_HEADERS;
  app.addHook('onRequest', async (_req, reply) => {
    reply.headers(securityHeaders);
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    metrics.requestDuration.observe({ route }, reply.elapsedTime / 1000);
  });

  registerJsonParser(app, config.http);
  registerAuth(app, ctx);

  installErrorHandlers(app, {
    notFound: ERROR_CODES.notFound,
    invalidRequest: ERROR_CODES.invalidRequest,
    internal: ERROR_CODES.internal,
    fastify: FASTIFY_CODES,
  });

  ingestRoute(app, ctx);
  heartbeatRoute(app, ctx);
  fleetRoutes(app, ctx);
  fleetViewRoutes(app);
  readRoutes(app, ctx);
  healthRoutes(app, ctx);
  return { app, ctx };
}

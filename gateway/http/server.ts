/**
 * The gateway's HTTP server (health, metrics, read API; later the status page and the origin's API).
 * build() is apart from listen() so tests can use inject().
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { SignInThrottle } from '../auth/sign-in-throttle.js';
import { installAccessControl } from './support/access.js';
import { installGatewayErrorHandlers } from './support/errors.js';
import { installHostCheck } from './support/host-check.js';
import { installHttpHardening } from './support/hardening.js';
import { registerHealthRoutes } from './routes/health.js';
import type { GatewayHttpDeps } from './support/http-deps.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerReadingRoutes } from './routes/readings.js';

export type { GatewayHttpDeps } from './support/http-deps.js';

export async function buildGatewayHttp(deps: GatewayHttpDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: 1_048_576,
    // Lower than Node's defaults: a slow client must not hold a socket for minutes.
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 10_000,
    // Node checks the headers/request timeouts only every connectionsCheckingInterval (30 s by default): a
    // slow-header client would hold its socket for up to 40 s instead of the 10 s set in hardening.ts.
    http: { connectionsCheckingInterval: 1_000 },
  });
  installGatewayErrorHandlers(app);
  installHttpHardening(app);
  installHostCheck(app, deps.access.allowedHosts);
  installAccessControl(app, { ...deps.access, throttle: new SignInThrottle(deps.access.throttle, deps.clock) });
  registerHealthRoutes(app, deps);
  registerMetricsRoute(app, deps);
  registerReadingRoutes(app, deps);
  for (const plugin of deps.plugins ?? []) await plugin(app);
  return app;
}

/**
 * The gateway's HTTP server (health, metrics, read API; later the status page and the origin's API).
 * build() is apart from listen() so tests can use inject().
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ClientInfo } from '../broker/broker.js';
import type { IngestPipeline } from '../ingest/pipeline.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Outbox } from '../outbox/outbox.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import type { SignInThrottleConfig } from '../sign-in-throttle.js';
import { SignInThrottle } from '../sign-in-throttle.js';
import { installAccessControl } from './access.js';
import { installErrorHandlers } from './errors.js';
import { installHostCheck } from './host-check.js';
import { installHttpHardening } from './hardening.js';
import { registerHealthRoutes, type PartHealth } from './routes/health.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerReadingRoutes } from './routes/readings.js';

export interface GatewayHttpDeps {
  log: Logger;
  clock: () => number;
  info: { gatewayId: string; startedAt: number; durability: string };
  sqliteVersion: string;
  outbox: Outbox;
  pipeline: IngestPipeline;
  broker: { listening: boolean; port: number; clientCount: number; clients(): ClientInfo[] };
  metrics: GatewayMetrics;
  /** Readings not yet synced to the cloud. */
  pendingReadings: () => number;
  /** Refreshes gauges computed on demand, before /metrics is rendered. */
  beforeMetrics?: () => void;
  /** Further components' health (sync, models), shown in /health/detailed. */
  extraHealth?: Record<string, () => PartHealth>;
  /** Who may call what (access.ts): the technician password (null: none, loopback only) and the device registry. */
  access: {
    password: { check(authorization: string | undefined): Promise<boolean> } | null;
    devices: DeviceRegistry;
    /** The sign-in throttle policy MQTT uses too (mqtt.authThrottle). */
    throttle: SignInThrottleConfig;
    /** http.allowedHosts: names besides IP addresses and localhost that the Host header may carry. */
    allowedHosts: readonly string[];
  };
  /** Routes added by other components (the origin API, the status page). */
  plugins?: Array<(app: FastifyInstance) => void | Promise<void>>;
}

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
  installErrorHandlers(app);
  installHttpHardening(app);
  installHostCheck(app, deps.access.allowedHosts);
  installAccessControl(app, { ...deps.access, throttle: new SignInThrottle(deps.access.throttle, deps.clock) });
  registerHealthRoutes(app, deps);
  registerMetricsRoute(app, deps);
  registerReadingRoutes(app, deps);
  for (const plugin of deps.plugins ?? []) await plugin(app);
  return app;
}

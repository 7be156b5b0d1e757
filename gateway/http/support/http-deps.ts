/** What the gateway's HTTP server and its routes are given by the composition root. */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { SignInThrottleConfig } from '../../auth/sign-in-throttle.js';
import type { ClientInfo } from '../../broker/broker.js';
import type { DeviceRegistry } from '../../devices/device-registry.js';
import type { IngestPipeline } from '../../ingest/pipeline.js';
import type { GatewayMetrics } from '../../metrics/metrics.js';
import type { Outbox } from '../../outbox/outbox.js';

/** One part's answer in /health/detailed. */
export interface PartHealth {
  healthy: boolean;
  [key: string]: unknown;
}

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

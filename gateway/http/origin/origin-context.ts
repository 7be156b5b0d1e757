/** What the origin API's route modules share: its config slice, stores and collaborators. */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../config/config.js';
import type { DeviceMetrics } from '../../devices/device-metrics.js';
import type { DeviceRegistry } from '../../devices/device-registry.js';
import type { OriginLimits } from '../../ingest/origin-decode.js';
import type { IngestPipeline } from '../../ingest/pipeline.js';
import type { GatewayMetrics } from '../../metrics/metrics.js';
import type { SystemMonitor } from '../../metrics/system-monitor.js';
import type { HttpEventStore } from '../../outbox/http-events.js';
import type { Outbox } from '../../outbox/outbox.js';
import type { ModelService } from '../../scoring/model-service.js';
import type { IdempotencyKeys } from '../support/idempotency.js';
import type { OriginApiStats } from './origin-metrics.js';

/** Everything the route modules use. */
export interface OriginApiContext {
  config: GatewayConfig['api'];
  gatewayId: string;
  decodeLimits: OriginLimits;
  outbox: Outbox;
  pipeline: IngestPipeline;
  events: HttpEventStore;
  idempotency: IdempotencyKeys;
  devices: DeviceRegistry;
  deviceMetrics: DeviceMetrics;
  gatewayMetrics: GatewayMetrics;
  stats: OriginApiStats;
  monitor: SystemMonitor;
  broker: { listening: boolean; port: number; clientCount: number };
  models: () => ModelService | undefined;
  log: Logger;
  clock: () => number;
  startedAt: () => number;
  /** Retry-After sent with 429 while the outbox refuses data under its budget. */
  retryAfterFullSeconds: number;
}

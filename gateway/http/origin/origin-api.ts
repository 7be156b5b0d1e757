/**
 * The origin system's HTTP API on the gateway (docs/origin-api.md): ingestion on the same pipeline as
 * MQTT, the ML endpoints over the scoring engine, and the ops endpoints. A component: the constructor assigns;
 * start() opens the HTTP event store on the outbox, starts the event-loop monitor and the Idempotency-Key pruning
 * timer; stop() clears them. `plugin` is handed to buildGatewayHttp.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../config/config.js';
import type { DeviceRegistry } from '../../devices/device-registry.js';
import type { DeviceMetrics } from '../../devices/device-metrics.js';
import type { OriginApiContext } from './origin-context.js';
import { registerOriginIngest } from './origin-ingest.js';
import { registerOriginMl } from './origin-ml.js';
import { registerOriginOps } from './origin-ops.js';
import { IdempotencyKeys } from '../support/idempotency.js';
import { HttpEventStore } from '../../outbox/http-events.js';
import type { OriginLimits } from '../../ingest/origin-decode.js';
import type { IngestPipeline } from '../../ingest/pipeline.js';
import type { GatewayMetrics } from '../../metrics/metrics.js';
import type { Outbox } from '../../outbox/outbox.js';
import { OriginApiStats } from './origin-metrics.js';
import type { ModelService } from '../../scoring/model-service.js';
import { SystemMonitor } from '../../metrics/system-monitor.js';
import type { RateMeter } from '../../ingest/rate-meter.js';

export interface OriginApiDeps {
  config: Pick<GatewayConfig, 'gatewayId' | 'dataDir' | 'api' | 'telemetry'>;
  outbox: Outbox;
  pipeline: IngestPipeline;
  devices: DeviceRegistry;
  metrics: GatewayMetrics;
  broker: { listening: boolean; port: number; clientCount: number };
  /** When the gateway started (uptime in the ops endpoints). */
  startedAt: () => number;
  /** Readings committed by the pipeline (the gateway's meter, fed by its commit listener). */
  storedReadings: RateMeter;
  /** The scoring engine once it is running; the ML endpoints answer 503 while this returns undefined. */
  models?: () => ModelService | undefined;
  log: Logger;
  clock: () => number;
}

export type { OriginApiContext } from './origin-context.js';

const PRUNE_INTERVAL_MS = 60_000;

export class OriginApi {
  readonly context: OriginApiContext;
  #pruneTimer: NodeJS.Timeout | undefined;

  constructor(deps: OriginApiDeps) {
    const events = new HttpEventStore({ outbox: deps.outbox });
    this.context = {
      config: deps.config.api,
      gatewayId: deps.config.gatewayId,
      decodeLimits: {
        maxPayloadBytes: deps.config.api.maxBodyBytes,
        maxReadingsPerMessage: deps.config.telemetry.maxReadingsPerMessage,
        maxFutureSkewMs: deps.config.telemetry.maxFutureSkewMs,
        maxBatchItems: deps.config.api.maxBatchItems,
      },
      outbox: deps.outbox,
      pipeline: deps.pipeline,
      events,
      idempotency: new IdempotencyKeys({ store: events, windowMs: deps.config.api.idempotencyWindowMs, clock: deps.clock }),
      devices: deps.devices,
      deviceMetrics: deps.devices.metrics,
      gatewayMetrics: deps.metrics,
      stats: new OriginApiStats(deps.metrics.registry, deps.clock, deps.storedReadings),
      monitor: new SystemMonitor({ dataDir: deps.config.dataDir, clock: deps.clock }),
      broker: deps.broker,
      models: deps.models ?? (() => undefined),
      log: deps.log,
      clock: deps.clock,
      startedAt: deps.startedAt,
      retryAfterFullSeconds: 30,
    };
  }

  /** Points the ML endpoints at a scoring engine (the composition root, or a test's fake). */
  setModelService(models: () => ModelService | undefined): void {
    this.context.models = models;
  }

  /** Call after the outbox is open. */
  start(): void {
    if (this.#pruneTimer !== undefined) return; // started already
    this.context.events.open();
    this.context.monitor.start();
    this.#pruneTimer = setInterval(() => {
      const failed = (err: unknown): void => this.context.log.warn({ err }, 'pruning idempotency keys failed');
      try {
        this.context.idempotency.prune().catch(failed);
      } catch (err) {
        failed(err);
      }
    }, PRUNE_INTERVAL_MS);
    this.#pruneTimer.unref();
  }

  stop(): void {
    if (this.#pruneTimer !== undefined) clearInterval(this.#pruneTimer);
    this.#pruneTimer = undefined;
    this.context.monitor.stop();
  }

  readonly plugin = (app: FastifyInstance): void => {
    registerOriginIngest(app, this.context);
    registerOriginMl(app, this.context);
    registerOriginOps(app, this.context);
  };
}

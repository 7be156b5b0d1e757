/**
 * The composition root of the gateway daemon: config → components → start order → stop order.
 * Components only assign in their constructors; all work happens in start()/stop().
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { MqttBroker } from './broker/broker.js';
import type { GatewayConfig } from './config.js';
import { buildGatewayHttp, type GatewayHttpDeps } from './http/server.js';
import { MqttTelemetryIngest } from './ingest/mqtt-ingest.js';
import { IngestPipeline } from './ingest/pipeline.js';
import { TopicMatcher } from './ingest/topics.js';
import { GatewayMetrics } from './metrics.js';
import { Outbox } from './outbox/outbox.js';

export interface GatewayDeps {
  config: GatewayConfig;
  log: Logger;
  clock?: () => number;
}

export class Gateway {
  readonly config: GatewayConfig;
  readonly log: Logger;
  readonly clock: () => number;
  readonly metrics: GatewayMetrics;
  readonly outbox: Outbox;
  readonly pipeline: IngestPipeline;
  readonly mqttIngest: MqttTelemetryIngest;
  readonly broker: MqttBroker;
  #http: FastifyInstance | undefined;
  #httpPort = 0;
  #startedAt = 0;
  #state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(deps: GatewayDeps) {
    const { config, log } = deps;
    this.config = config;
    this.log = log;
    this.clock = deps.clock ?? Date.now;
    this.metrics = new GatewayMetrics();
    this.outbox = new Outbox({ dataDir: config.dataDir, durability: config.outbox.durability, log: log.child({ component: 'outbox' }) });
    this.pipeline = new IngestPipeline({
      outbox: this.outbox,
      metrics: this.metrics,
      log: log.child({ component: 'pipeline' }),
      config: config.outbox,
      clock: this.clock,
    });
    this.mqttIngest = new MqttTelemetryIngest({
      matcher: new TopicMatcher(config.telemetry.topics),
      pipeline: this.pipeline,
      hasRedelivery: (c, p, d, s) => this.outbox.hasRedelivery(c, p, d, s),
      metrics: this.metrics,
      log: log.child({ component: 'ingest' }),
      clock: this.clock,
      config: { ...config.telemetry, deadLetterPayloadCap: config.outbox.deadLetterPayloadCap, dedupWindowMs: config.outbox.dedupWindowMs },
    });
    this.broker = new MqttBroker({
      config: config.mqtt,
      log: log.child({ component: 'broker' }),
      metrics: this.metrics,
      ingest: this.mqttIngest,
      clock: this.clock,
    });
  }

  get mqttPort(): number {
    return this.broker.port;
  }

  get httpPort(): number {
    return this.#httpPort;
  }

  get http(): FastifyInstance {
    if (!this.#http) throw new Error('gateway not started');
    return this.#http;
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error(`cannot start a gateway that is ${this.#state}`);
    this.#state = 'starting';
    this.#startedAt = this.clock();
    try {
      this.outbox.open();
      const httpDeps: GatewayHttpDeps = {
        // Per-request lines are debug noise at 10k req/s: the http child logs warnings and errors unless debugging.
        log: this.log.child({ component: 'http' }, { level: this.log.levelVal < 30 ? this.log.level : 'warn' }),
        clock: this.clock,
        info: { gatewayId: this.config.gatewayId, startedAt: this.#startedAt, durability: this.config.outbox.durability },
        sqliteVersion: await sqliteVersion(),
        outbox: this.outbox,
        pipeline: this.pipeline,
        broker: this.broker,
        metrics: this.metrics,
        pendingReadings: () => this.outbox.stats().readings,
      };
      await this.broker.start();
      this.#http = await buildGatewayHttp(httpDeps);
      await this.#http.listen({ port: this.config.http.port, host: this.config.http.host });
      const address = this.#http.server.address();
      this.#httpPort = typeof address === 'object' && address !== null ? address.port : this.config.http.port;
      this.log.info({ port: this.#httpPort, host: this.config.http.host }, 'http listening');
      this.#state = 'running';
      this.log.info({ gatewayId: this.config.gatewayId, mqttPort: this.mqttPort, httpPort: this.#httpPort }, 'gateway started');
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /**
   * Graceful stop: no new connections; commit what is queued (so in-flight QoS 1 messages get their PUBACK);
   * disconnect clients; commit anything that arrived meanwhile; close the database.
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') return;
    this.#state = 'stopping';
    this.broker.stopAccepting();
    const http = this.#http;
    const httpClosed = http ? http.close().catch((err: unknown) => this.log.warn({ err }, 'http close failed')) : Promise.resolve();
    this.pipeline.flush();
    await this.broker.stop();
    this.pipeline.stop();
    await httpClosed;
    this.outbox.close();
    this.#state = 'stopped';
    this.log.info('gateway stopped');
  }
}

async function sqliteVersion(): Promise<string> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(':memory:');
  try {
    return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  } finally {
    db.close();
  }
}

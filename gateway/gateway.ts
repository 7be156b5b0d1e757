/**
 * The composition root of the gateway daemon: config → components → start order → stop order.
 * Components only assign in their constructors; all work happens in start()/stop().
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { OriginApi } from './http/origin/origin-api.js';
import { MqttBroker } from './broker/broker.js';
import type { GatewayConfig } from './config/config.js';
import { DeviceRegistry } from './devices/device-registry.js';
import { MqttAccess } from './devices/mqtt-access.js';
import { buildGatewayHttp, type GatewayHttpDeps } from './http/server.js';
import { MqttTelemetryIngest } from './ingest/mqtt-ingest.js';
import { IngestPipeline } from './ingest/pipeline.js';
import { TopicMatcher } from './ingest/topics.js';
import { GatewayMetrics } from './metrics/metrics.js';
import { Outbox } from './outbox/outbox.js';
import { DiskBudget } from './outbox/budget.js';
import { Checkpointer } from './outbox/checkpointer.js';
import { RetentionPruner } from './outbox/retention.js';
import { ScoreStore } from './outbox/score-store.js';
import { SyncStore } from './outbox/sync-store.js';
import { RateMeter } from './ingest/rate-meter.js';
import { SyncEngine } from './sync/engine.js';
import { HeartbeatSender } from './sync/heartbeat.js';
import { KeySource } from './sync/key-source.js';
import { ScoringEngine } from './scoring/engine.js';
import { ScoringStage } from './scoring/scoring-stage.js';
import { productVersion } from '../shared/version.js';
import { StatusFeed } from './status/status-feed.js';
import { registerStatusPageRoutes } from './http/routes/status-page.js';
import { PasswordCheck } from './auth/password.js';
import { UPLINK_KINDS, uplinkHealth, uplinkView } from './status/uplink-words.js';

export interface GatewayDeps {
  config: GatewayConfig;
  log: Logger;
  clock?: () => number;
  /** The API key itself, from SMARTMAINT_API_KEY (never from argv). */
  apiKey?: string | undefined;
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
  readonly devices: DeviceRegistry;
  readonly originApi: OriginApi;
  readonly syncStore: SyncStore;
  readonly sync: SyncEngine;
  readonly retention: RetentionPruner;
  readonly budget: DiskBudget;
  readonly checkpointer: Checkpointer;
  /** Local ONNX scoring; undefined when scoring.enabled is false. */
  readonly scoring: ScoringEngine | undefined;
  readonly scoringStage: ScoringStage | undefined;
  readonly ingestRate: RateMeter;
  readonly statusPage: StatusFeed;
  readonly #keys: KeySource;
  #heartbeat: HeartbeatSender | undefined;
  #http: FastifyInstance | undefined;
  #httpPort = 0;
  readonly #technicianPassword: PasswordCheck | null;
  #startedAt = 0;
  #state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(deps: GatewayDeps) {
    const { config, log } = deps;
    this.config = config;
    this.log = log;
    this.clock = deps.clock ?? Date.now;
    this.metrics = new GatewayMetrics();
    this.outbox = new Outbox({
      dataDir: config.dataDir, durability: config.outbox.durability, log: log.child({ component: 'outbox' }),
      checkpointInWorker: config.outbox.checkpointInWorker,
    });
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
      metrics: this.metrics,
      log: log.child({ component: 'ingest' }),
      clock: this.clock,
      config: { ...config.telemetry, deadLetterPayloadCap: config.outbox.deadLetterPayloadCap, dedupWindowMs: config.outbox.dedupWindowMs },
    });
    this.devices = new DeviceRegistry({
      dataDir: config.dataDir, pollIntervalMs: config.devices.pollIntervalMs, log: log.child({ component: 'devices' }), registry: this.metrics.registry,
    });
    this.broker = new MqttBroker({
      config: config.mqtt,
      log: log.child({ component: 'broker' }),
      metrics: this.metrics,
      ingest: this.mqttIngest,
      clock: this.clock,
      knownDevice: (id) => this.devices.get(id) !== undefined,
      access: new MqttAccess({
        devices: this.devices, allowAnonymous: config.mqtt.allowAnonymous, anonymousAllow: config.mqtt.anonymousAllow,
        log: log.child({ component: 'mqtt-access' }), clock: this.clock,
      }),
    });
    this.ingestRate = new RateMeter(this.clock);
    this.originApi = new OriginApi({
      config, outbox: this.outbox, pipeline: this.pipeline, devices: this.devices, metrics: this.metrics, broker: this.broker,
      storedReadings: this.ingestRate, startedAt: () => this.#startedAt,
      log: log.child({ component: 'origin-api' }), clock: this.clock, models: () => this.scoring,
    });
    if (config.scoring.enabled) {
      const { enabled: _enabled, modelsDir, ...scoringConfig } = config.scoring;
      this.scoring = new ScoringEngine({ modelsDir, log, clock: this.clock, registry: this.metrics.registry, config: scoringConfig });
      this.scoringStage = new ScoringStage({
        engine: this.scoring,
        store: new ScoreStore({ outbox: this.outbox }),
        lastSeq: () => this.outbox.stats().lastSeq,
        publish: (topic, payload) => this.broker.aedes.publish(
          { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: true, dup: false },
          (err) => { if (err) this.log.warn({ err, topic }, 'alert publish failed'); },
        ),
        onScored: () => this.sync.wake(),
        log: log.child({ component: 'scoring-stage' }),
        maxBatch: config.scoring.maxBatch,
        batchDelayMs: config.scoring.batchDelayMs,
      });
    }
    this.checkpointer = new Checkpointer({ dataDir: config.dataDir, outbox: this.outbox, log: log.child({ component: 'checkpointer' }) });
    this.syncStore = new SyncStore({ outbox: this.outbox });
    this.#keys = new KeySource({ file: config.sync.apiKeyFile, envKey: deps.apiKey });
    this.sync = new SyncEngine({
      store: this.syncStore,
      outbox: this.outbox,
      keys: this.#keys,
      config: config.sync,
      gatewayId: config.gatewayId,
      // Readings are sent once their scores are stored, so the cloud knows which model said what.
      // Only what the commit listeners (scoring) have seen: the writer's rows are visible a moment before that.
      readableUpTo: () => Math.min(this.scoringStage?.scoredUpTo ?? Number.MAX_SAFE_INTEGER, this.pipeline.announcedUpTo),
      metrics: this.metrics,
      log: log.child({ component: 'sync' }),
      clock: this.clock,
    });
    this.retention = new RetentionPruner({ outbox: this.outbox, config: config.retention, log: log.child({ component: 'retention' }), clock: this.clock });
    this.statusPage = new StatusFeed({ source: this, log: log.child({ component: 'status-page' }), clock: this.clock, version: productVersion });
    this.#technicianPassword = config.http.password ? new PasswordCheck(config.http.password, this.clock) : null;
    this.budget = new DiskBudget({
      outbox: this.outbox,
      sync: this.syncStore,
      pipeline: this.pipeline,
      isClaimed: (seq) => this.sync.isClaimed(seq),
      holdSync: (held) => this.sync.hold(held),
      config: config.outbox,
      metrics: this.metrics,
      log: log.child({ component: 'budget' }),
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

  /** The health snapshot sent to the cloud (shared/protocol.ts heartbeatSchema). */
  heartbeatSnapshot() {
    const status = this.sync.status();
    const now = this.clock();
    return {
      v: 1 as const,
      ts: now,
      version: productVersion,
      uptimeS: Math.round((now - this.#startedAt) / 1000),
      backlog: { pending: status.pending, oldestPendingAgeMs: status.oldestPendingAgeMs },
      sync: { state: status.state, lastSuccessTs: status.lastSuccessAt },
      brokerClients: this.broker.clientCount,
      models: (this.scoring?.list() ?? []).filter((m) => m.status === 'active' || m.status === 'shadow').map((m) => ({ model: m.name, version: m.version })),
      ingestRate: Math.round(this.ingestRate.perSecond(10) * 10) / 10,
      disk: { usedBytes: this.budget.enabled ? this.budget.usedBytes() : this.outbox.fileBytes(), budgetBytes: this.config.outbox.maxBytes },
    };
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error(`cannot start a gateway that is ${this.#state}`);
    this.#state = 'starting';
    this.#startedAt = this.clock();
    try {
      await this.outbox.open();
      this.pipeline.announce(this.outbox.stats().lastSeq);
      this.syncStore.open();
      if (this.config.outbox.checkpointInWorker) this.checkpointer.start();
      this.scoringStage?.start();
      await this.scoring?.start();
      this.devices.start();
      this.originApi.start();
      this.pipeline.onCommit((entries) => {
        this.syncStore.onCommitted(entries);
        this.scoringStage?.onCommitted(entries);
        let n = 0;
        for (const e of entries) n += e.readings?.length ?? 0;
        this.ingestRate.add(n);
        this.sync.wake();
      });
      const httpDeps: GatewayHttpDeps = {
        // Per-request lines are debug noise at 10k req/s: the http child logs warnings and errors unless debugging.
        log: this.log.child({ component: 'http' }, { level: this.log.levelVal < 30 ? this.log.level : 'warn' }),
        clock: this.clock,
        info: { gatewayId: this.config.gatewayId, startedAt: this.#startedAt, durability: this.config.outbox.durability },
        sqliteVersion: this.outbox.sqliteVersion(),
        outbox: this.outbox,
        pipeline: this.pipeline,
        broker: this.broker,
        metrics: this.metrics,
        pendingReadings: () => this.syncStore.pending,
        beforeMetrics: () => {
          const oldest = this.syncStore.oldestPending();
          this.metrics.oldestPendingAge.set(oldest ? Math.max(0, this.clock() - oldest.receivedAt) / 1000 : 0);
          const uplink = uplinkView(this.sync.status(), this.clock(), null).kind;
          for (const kind of UPLINK_KINDS) this.metrics.syncState.set({ state: kind }, kind === uplink ? 1 : 0);
        },
        access: { password: this.#technicianPassword, devices: this.devices, throttle: this.config.mqtt.authThrottle, allowedHosts: this.config.http.allowedHosts },
        plugins: [this.originApi.plugin, (app) => registerStatusPageRoutes(app, this.statusPage)],
        extraHealth: {
          sync: () => uplinkHealth(this.sync.status(), this.clock()),
        },
      };
      await this.broker.start();
      this.#http = await buildGatewayHttp(httpDeps);
      await this.#http.listen({ port: this.config.http.port, host: this.config.http.host });
      const address = this.#http.server.address();
      this.#httpPort = typeof address === 'object' && address !== null ? address.port : this.config.http.port;
      this.log.info({ port: this.#httpPort, host: this.config.http.host }, 'http listening');
      this.sync.start();
      const client = this.sync.client;
      if (client) {
        this.#heartbeat = new HeartbeatSender({
          schedule: this.config.sync.heartbeatSchedule,
          client,
          keys: this.#keys,
          gatewayId: this.config.gatewayId,
          snapshot: () => this.heartbeatSnapshot(),
          onResult: (result) => this.sync.heartbeatResult(result),
          metrics: this.metrics,
          log: this.log.child({ component: 'heartbeat' }),
        });
        this.#heartbeat.start();
      }
      this.retention.start();
      this.statusPage.start();
      this.budget.start();
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
    this.statusPage.stop();
    const http = this.#http;
    const httpClosed = http ? http.close().catch((err: unknown) => this.log.warn({ err }, 'http close failed')) : Promise.resolve();
    // Sync first: it reads the outbox, and must not wake on the final commits below.
    await this.#heartbeat?.stop();
    await this.sync.stop();
    this.retention.stop();
    await this.pipeline.flush();
    await this.budget.stop();
    await this.scoringStage?.stop();
    await this.scoring?.stop();
    await this.broker.stop();
    await this.pipeline.stop();
    await httpClosed;
    await this.checkpointer.stop();
    this.originApi.stop();
    this.devices.stop();
    await this.outbox.close();
    this.#state = 'stopped';
    this.log.info('gateway stopped');
  }
}

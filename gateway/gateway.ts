/**
 * The composition root of the gateway daemon: config → components → how a reading travels → start order.
 * Components only assign in their constructors; all work happens in start()/stop(). They stop in the reverse of
 * the start order (shared/lifecycle.ts), after every one of them has quiesced (stopped taking new work).
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
import { Lifecycle, type Component } from '../shared/lifecycle.js';
import { productVersion } from '../shared/version.js';
import { createGatewayBus, type GatewayBus } from './events/gateway-events.js';
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
  /** committed → scored → alert → synced: how a stored reading travels on (see #wire). */
  readonly bus: GatewayBus;
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
  readonly #heartbeat: HeartbeatSender | undefined;
  readonly #technicianPassword: PasswordCheck | null;
  readonly #lifecycle: Lifecycle;
  #http: FastifyInstance | undefined;
  #httpClosed: Promise<void> | undefined;
  #httpPort = 0;
  #startedAt = 0;
  #state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(deps: GatewayDeps) {
    const { config, log } = deps;
    this.config = config;
    this.log = log;
    this.clock = deps.clock ?? Date.now;
    this.metrics = new GatewayMetrics();
    this.bus = createGatewayBus(log.child({ component: 'events' }));
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
      bus: this.bus,
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
      const stage: ScoringStage = new ScoringStage({
        engine: this.scoring,
        store: new ScoreStore({ outbox: this.outbox }),
        lastSeq: () => this.outbox.stats().lastSeq,
        publish: (topic, payload) => this.bus.emit('alert', { topic, payload }),
        onScored: () => this.bus.emit('scored', stage.scoredUpTo),
        log: log.child({ component: 'scoring-stage' }),
        maxBatch: config.scoring.maxBatch,
        batchDelayMs: config.scoring.batchDelayMs,
      });
      this.scoringStage = stage;
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
      bus: this.bus,
    });
    const client = this.sync.client;
    this.#heartbeat = client && new HeartbeatSender({
      schedule: config.sync.heartbeatSchedule,
      client,
      keys: this.#keys,
      gatewayId: config.gatewayId,
      snapshot: () => this.heartbeatSnapshot(),
      onResult: (result) => this.sync.heartbeatResult(result),
      metrics: this.metrics,
      log: log.child({ component: 'heartbeat' }),
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
    this.#wire();
    this.#lifecycle = new Lifecycle(this.#components(), log);
  }

  /**
   * The path of a reading after the broker (or the HTTP API) has handed it to the pipeline and the group commit
   * has stored it, in the order the listeners run.
   */
  #wire(): void {
    const bus = this.bus;
    bus.on('committed', (entries) => this.syncStore.onCommitted(entries)); // sync's pending count and lanes
    bus.on('committed', (entries) => this.scoringStage?.onCommitted(entries)); // feature windows, a scoring batch
    bus.on('committed', (entries) => this.ingestRate.add(readingCount(entries)));
    bus.on('committed', (entries) => this.statusPage.onCommitted(entries)); // the technician's charts
    bus.on('committed', () => this.sync.wake()); // live lane (without scoring, readings may go at once)
    bus.on('scored', () => this.sync.wake()); // readings wait for their scores before they are sent
    bus.on('alert', ({ topic, payload }) => this.broker.publishRetained(topic, payload)); // alerts/{asset}, offline too
    bus.on('synced', () => this.budget.nudge()); // synced readings may be pruned when the disk is at its budget
  }

  /** Start order; stop runs it backwards, so each component's collaborators outlive it. */
  #components(): Component[] {
    const list: Array<Component | false | undefined> = [
      { name: 'outbox', start: () => this.outbox.open(), stop: () => this.outbox.close() },
      {
        name: 'pipeline',
        start: () => this.pipeline.announce(this.outbox.stats().lastSeq),
        // Commit what is queued, so in-flight QoS 1 messages get their PUBACK before clients are disconnected.
        quiesce: () => this.pipeline.flush(),
        // Commit anything that arrived meanwhile.
        stop: () => this.pipeline.stop(),
      },
      { name: 'sync-store', start: () => this.syncStore.open(), stop: () => undefined },
      this.config.outbox.checkpointInWorker && { name: 'checkpointer', start: () => this.checkpointer.start(), stop: () => this.checkpointer.stop() },
      this.scoring && { name: 'scoring', start: (signal) => this.scoring!.start(signal), stop: () => this.scoring!.stop() },
      this.scoringStage && { name: 'scoring-stage', start: () => this.scoringStage!.start(), stop: () => this.scoringStage!.stop() },
      { name: 'devices', start: () => this.devices.start(), stop: () => this.devices.stop() },
      { name: 'origin-api', start: () => this.originApi.start(), stop: () => this.originApi.stop() },
      { name: 'broker', start: () => this.broker.start(), quiesce: () => this.broker.stopAccepting(), stop: () => this.broker.stop() },
      { name: 'http', start: () => this.#startHttp(), quiesce: () => this.#closeHttp(), stop: () => this.#httpClosed },
      // Sync reads the outbox: it stops before the final commits, so it does not wake on them.
      { name: 'sync', start: () => this.sync.start(), stop: () => this.sync.stop() },
      this.#heartbeat && { name: 'heartbeat', start: () => this.#heartbeat!.start(), stop: () => this.#heartbeat!.stop() },
      { name: 'retention', start: () => this.retention.start(), stop: () => this.retention.stop() },
      { name: 'status-feed', start: () => this.statusPage.start(), stop: () => this.statusPage.stop() },
      { name: 'budget', start: () => this.budget.start(), stop: () => this.budget.stop() },
    ];
    return list.filter((c): c is Component => Boolean(c));
  }

  get components(): string[] {
    return this.#lifecycle.names;
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
      await this.#lifecycle.start();
    } catch (err) {
      this.#state = 'stopped';
      throw err;
    }
    this.#state = 'running';
    this.log.info({ gatewayId: this.config.gatewayId, mqttPort: this.mqttPort, httpPort: this.#httpPort }, 'gateway started');
  }

  /**
   * Graceful stop: no new connections; commit what is queued (so in-flight QoS 1 messages get their PUBACK);
   * then every component in reverse start order — clients are disconnected, anything that arrived meanwhile is
   * committed, the database closes last.
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') return;
    this.#state = 'stopping';
    await this.#lifecycle.stop();
    this.#state = 'stopped';
    this.log.info('gateway stopped');
  }

  async #startHttp(): Promise<void> {
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
    this.#http = await buildGatewayHttp(httpDeps);
    try {
      await this.#http.listen({ port: this.config.http.port, host: this.config.http.host });
    } catch (err) {
      // Not started, so the lifecycle will not stop it: release what build() opened.
      await this.#http.close().catch(() => undefined);
      throw err;
    }
    const address = this.#http.server.address();
    this.#httpPort = typeof address === 'object' && address !== null ? address.port : this.config.http.port;
    this.log.info({ port: this.#httpPort, host: this.config.http.host }, 'http listening');
  }

  /** Starts closing at once (no new requests; live streams end) and lets stop() wait for it. */
  #closeHttp(): void {
    this.#httpClosed ??= this.#http?.close().catch((err: unknown) => this.log.warn({ err }, 'http close failed'));
  }
}

function readingCount(entries: readonly { readings?: readonly unknown[] | null }[]): number {
  let n = 0;
  for (const e of entries) n += e.readings?.length ?? 0;
  return n;
}

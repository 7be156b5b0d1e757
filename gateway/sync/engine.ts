/**
 * The store-and-forward sync engine: outbox → gzip batches → cloud, with nothing lost and nothing doubled.
 *
 * - Rows are marked synced only after a 2xx; until then they stay pending and are resent (the cloud stores
 *   (gatewayId, epoch, seq) once, so a resend is harmless). Several batches may be in flight.
 * - What to send next, and which rows are on their way: lanes.ts. What an answer means: outcome.ts. Recording it
 *   on the outbox: outcome-recorder.ts. This file schedules: slots, timers, the sync state and its failures.
 * - Failures: retryable ones back off with full jitter (or Retry-After) and resume at once when a probe shows the
 *   cloud answers again; auth failures park sync in `auth-failed`, re-reading the key file.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { Outbox } from '../outbox/outbox.js';
import type { SyncStore } from '../outbox/sync-store.js';
import type { GatewayBus } from '../events/gateway-events.js';
import { relabelAsBacklog, type Batch } from './batch.js';
import { DrainLog } from './drain-log.js';
import { SyncLanes } from './lanes.js';
import { OutcomeRecorder } from './outcome-recorder.js';
import { Backoff } from './backoff.js';
import { encodeBatchBody } from './batch-body.js';
import { CloudClient } from './cloud-client.js';
import { isInsecureRemote, redactUrl } from '../config/cloud-url.js';
import type { KeySource } from './key-source.js';
import { classifyError, classifyStatus, type BatchOutcome } from './outcome.js';
import { CloudContact, contactResultOf, type ContactSnapshot } from './contact.js';

export type SyncState = 'disabled' | 'idle' | 'syncing' | 'retrying' | 'auth-failed';

export interface SyncConfig {
  batchMaxReadings: number;
  batchMaxBytes: number;
  maxInFlight: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  authRetryMs: number;
  probeIntervalMs: number;
  backlogShare: number;
  drainLogIntervalMs: number;
}

export interface SyncStatus {
  state: SyncState;
  cloudUrl: string | null;
  lastSuccessAt: number | null;
  lastFailure: { at: number; reason: string } | null;
  failingSince: number | null;
  authFailure: { at: number; status: number; code: string } | null;
  nextAttemptAt: number | null;
  inFlight: number;
  queuedRetries: number;
  pending: number;
  oldestPendingAgeMs: number | null;
  backlogUpToSeq: number;
  readingsSynced: number;
  bytesSent: number;
  /** The last contact with the cloud of any kind (batch or heartbeat): what the uplink words are built from. */
  contact: ContactSnapshot;
}

export class SyncEngine {
  readonly #store: SyncStore;
  readonly #outbox: Outbox;
  readonly #client: CloudClient | undefined;
  readonly #keys: KeySource;
  readonly #config: SyncConfig;
  readonly #gatewayId: string;
  readonly #cloudUrl: string | null;
  readonly #metrics: GatewayMetrics;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #backoff: Backoff;
  readonly #lanes: SyncLanes;
  readonly #recorder: OutcomeRecorder;
  readonly #drainLog: DrainLog;
  readonly #bus: GatewayBus | undefined;
  #state: SyncState = 'disabled';
  #running = false;
  #inFlight = new Set<Batch>();
  #nextAttemptAt = 0;
  #wakeTimer: NodeJS.Timeout | undefined;
  #probeTimer: NodeJS.Timeout | undefined;
  #pumpScheduled: NodeJS.Immediate | undefined;
  #probing = false;
  #idleWaiters: Array<() => void> = [];
  readonly #contact = new CloudContact();
  #status = {
    lastSuccessAt: null as number | null,
    lastFailure: null as { at: number; reason: string } | null,
    failingSince: null as number | null,
    authFailure: null as { at: number; status: number; code: string } | null,
    readingsSynced: 0,
    bytesSent: 0,
  };

  constructor(deps: {
    store: SyncStore;
    outbox: Outbox;
    keys: KeySource;
    config: SyncConfig & { cloudUrl?: string | undefined; caFile?: string | undefined; requestTimeoutMs: number; connectTimeoutMs: number };
    gatewayId: string;
    /** Highest seq that may be sent yet (readings wait for their scores). */
    readableUpTo?: () => number;
    metrics: GatewayMetrics;
    log: Logger;
    clock: () => number;
    /** Where `synced` is announced. */
    bus?: GatewayBus;
  }) {
    this.#bus = deps.bus;
    this.#lanes = new SyncLanes({ store: deps.store, config: deps.config, readableUpTo: deps.readableUpTo ?? (() => Number.MAX_SAFE_INTEGER) });
    this.#recorder = new OutcomeRecorder({ store: deps.store, lanes: this.#lanes, metrics: deps.metrics, log: deps.log, clock: deps.clock });
    this.#drainLog = new DrainLog({ store: deps.store, log: deps.log, clock: deps.clock, intervalMs: deps.config.drainLogIntervalMs });
    this.#store = deps.store;
    this.#outbox = deps.outbox;
    this.#keys = deps.keys;
    this.#config = deps.config;
    this.#gatewayId = deps.gatewayId;
    // Logged and shown on the status page: never with the credentials a URL may carry.
    this.#cloudUrl = deps.config.cloudUrl === undefined ? null : redactUrl(deps.config.cloudUrl);
    this.#metrics = deps.metrics;
    this.#log = deps.log;
    this.#clock = deps.clock;
    this.#backoff = new Backoff({ initialMs: deps.config.backoffInitialMs, maxMs: deps.config.backoffMaxMs });
    this.#client = deps.config.cloudUrl ? new CloudClient({ config: { ...deps.config, cloudUrl: deps.config.cloudUrl }, clock: deps.clock }) : undefined;
  }

  get state(): SyncState {
    return this.#state;
  }

  get client(): CloudClient | undefined {
    return this.#client;
  }

  start(): void {
    if (!this.#client) {
      this.#setState('disabled', true);
      this.#log.info('no cloud URL configured: running standalone, everything is kept locally');
      return;
    }
    if (!this.#keys.configured) this.#log.warn('no API key configured (--api-key-file or SMARTMAINT_API_KEY): the cloud will refuse sync');
    this.#client.start();
    this.#running = true;
    this.#lanes.reset(this.#outbox.stats().lastSeq);
    this.#setState('idle');
    if (this.#cloudUrl !== null && isInsecureRemote(this.#cloudUrl)) {
      this.#log.warn({ cloudUrl: this.#cloudUrl }, 'cloud URL is plain http to another host (sync.allowInsecureHttp): the API key crosses the network in clear');
    }
    this.#log.info({ cloudUrl: this.#cloudUrl, backlogUpToSeq: this.#lanes.liveStart }, 'sync started');
    this.#drainLog.start(this.#lanes.liveStart);
    this.wake();
  }

  /** New data was committed (or the link may be back): look for work soon. */
  wake(): void {
    if (!this.#running || this.#pumpScheduled) return;
    this.#pumpScheduled = setImmediate(() => {
      this.#pumpScheduled = undefined;
      this.#safePump();
    });
  }

  /** A heartbeat's answer (HTTP status) or transport failure: contact with the cloud like any batch. */
  heartbeatResult(result: { status: number } | { error: string }): void {
    const at = this.#clock();
    if ('status' in result) {
      this.#contact.record({ at, via: 'heartbeat', result: contactResultOf(result.status), detail: `http-${result.status}` });
      if (result.status < 500) this.linkUp();
    } else {
      this.#contact.record({ at, via: 'heartbeat', result: 'failed', detail: result.error });
    }
  }

  /** Evidence the cloud answers (a heartbeat got through): stop waiting for the backoff timer. */
  linkUp(): void {
    if (this.#state === 'retrying') {
      this.#nextAttemptAt = 0;
      this.wake();
    }
  }

  status(): SyncStatus {
    const oldest = this.#store.oldestPending();
    return {
      state: this.#state,
      cloudUrl: this.#cloudUrl,
      ...this.#status,
      nextAttemptAt: this.#nextAttemptAt > this.#clock() ? this.#nextAttemptAt : null,
      inFlight: this.#inFlight.size,
      queuedRetries: this.#lanes.queuedRetries,
      pending: this.#store.pending,
      oldestPendingAgeMs: oldest ? Math.max(0, this.#clock() - oldest.receivedAt) : null,
      backlogUpToSeq: this.#lanes.liveStart,
      contact: this.#contact.snapshot(),
    };
  }

  /**
   * While held, no new batch reads pending readings (retries of batches already built still go). The disk budget
   * holds sync between choosing unclaimed readings to drop or fold and the writer having done it, so a reading
   * is never both sent and recorded as dropped.
   */
  hold(held: boolean): void {
    this.#lanes.hold(held);
    if (!held) this.wake();
  }

  /** True while the reading is part of a batch being sent or awaiting a retry. */
  isClaimed(seq: number): boolean {
    return this.#lanes.isClaimed(seq);
  }

  /** Resolves when nothing is pending or in flight (tests and benchmarks). */
  whenIdle(): Promise<void> {
    if (this.#isDrained()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    if (this.#pumpScheduled) clearImmediate(this.#pumpScheduled);
    this.#wakeTimer = this.#probeTimer = this.#pumpScheduled = undefined;
    // In-flight requests are abandoned: their rows stay pending and are resent after restart.
    await this.#client?.stop();
  }

  // --- scheduling ---------------------------------------------------------------------------------------------

  /** Timers and callbacks enter here: a storage error must not become an uncaught exception. */
  #safePump(): void {
    try {
      this.#pump();
    } catch (err) {
      if (!this.#running) return;
      this.#log.error({ err }, 'sync scheduling failed; retrying');
      this.#fail('internal', undefined);
    }
  }

  #pump(): void {
    if (!this.#running) return;
    const now = this.#clock();
    const failing = this.#state === 'retrying' || this.#state === 'auth-failed';
    if (failing && now < this.#nextAttemptAt) {
      this.#armWake(this.#nextAttemptAt - now);
      return;
    }
    // While failing, a single batch probes the cloud; the rest wait for its answer.
    const slots = failing ? 1 : this.#config.maxInFlight;
    while (this.#inFlight.size < slots) {
      const batch = this.#lanes.next(this.#inFlight.size);
      if (!batch) break;
      this.#send(batch);
    }
    if (this.#inFlight.size === 0 && this.#lanes.queuedRetries === 0 && !failing) {
      this.#setState('idle');
      if (this.#isDrained()) this.#notifyIdle();
    }
  }

  // --- sending ------------------------------------------------------------------------------------------------

  #send(batch: Batch): void {
    const client = this.#client!;
    // A batch that probes a failing cloud holds data that piled up during the outage.
    if (batch.lane === 'live' && (this.#state === 'retrying' || this.#state === 'auth-failed')) relabelAsBacklog(batch);
    this.#inFlight.add(batch);
    this.#lanes.sent(batch);
    this.#metrics.syncInFlight.set(this.#inFlight.size);
    if (this.#state === 'idle') this.#setState('syncing');
    batch.attempts++;
    const key = this.#keys.key(this.#state === 'auth-failed') ?? '';
    void (async () => {
      let outcome: BatchOutcome;
      let body: any = null;
      try {
        batch.gz ??= await CloudClient.gzip(this.#serialize(batch));
        this.#metrics.syncBytes.inc(batch.gz.length);
        this.#status.bytesSent += batch.gz.length;
        const res = await client.postBatch(batch.gz, key, batch.id);
        body = res.body;
        outcome = classifyStatus(res.status, res.body, res.retryAfterMs);
      } catch (err) {
        outcome = classifyError(err);
      }
      // The batch counts as in flight until its outcome is recorded on the outbox's writer thread, so nothing
      // reports the lanes drained while its rows are still marked pending.
      try {
        if (this.#running) await this.#handle(batch, outcome, body);
      } catch (err) {
        // A storage error while recording: keep the batch, its rows are still pending.
        this.#log.error({ err, batchId: batch.id }, 'recording a sync outcome failed; will resend');
        this.#lanes.requeue(batch);
        this.#fail('record-failed', undefined);
      }
      this.#inFlight.delete(batch);
      this.#lanes.returned(batch);
      this.#metrics.syncInFlight.set(this.#inFlight.size);
      if (!this.#running) return;
      this.#safePump();
    })();
  }

  #serialize(batch: Batch): string {
    return encodeBatchBody({
      gatewayId: this.#gatewayId, epoch: this.#outbox.epoch, batchId: batch.id, readings: batch.readings, alerts: batch.alerts,
      gaps: batch.gaps.map(({ id: _id, ...g }) => g),
    });
  }

  async #handle(batch: Batch, outcome: BatchOutcome, body: any): Promise<void> {
    const now = this.#clock();
    this.#metrics.syncBatches.inc({ result: outcome.kind });
    this.#contact.record({
      at: now, via: 'batch',
      result: outcome.kind === 'retry' ? 'failed' : outcome.kind === 'auth' ? 'key-rejected' : 'ok',
      detail: outcome.kind === 'retry' ? outcome.reason : outcome.kind === 'auth' ? `http-${outcome.status}` : outcome.kind,
    });
    switch (outcome.kind) {
      case 'ok': {
        const accepted = await this.#recorder.accepted(batch, body);
        this.#status.readingsSynced += accepted;
        this.#status.lastSuccessAt = now;
        this.#metrics.syncLastSuccess.set(now / 1000);
        this.#recovered();
        this.#bus?.emit('synced', { readings: accepted, at: now });
        return;
      }
      case 'retry':
        this.#lanes.requeue(batch);
        this.#fail(outcome.reason, outcome.retryAfterMs);
        return;
      case 'auth':
        this.#lanes.requeue(batch);
        this.#authFailed(outcome.status, outcome.code);
        return;
      case 'rekey':
        batch.id = randomUUID();
        batch.gz = undefined;
        this.#lanes.requeue(batch);
        return;
      case 'split':
        await this.#recorder.split(batch, outcome);
        return;
    }
  }

  // --- state --------------------------------------------------------------------------------------------------

  #recovered(): void {
    const wasFailing = this.#state === 'retrying' || this.#state === 'auth-failed';
    this.#backoff.reset();
    this.#nextAttemptAt = 0;
    if (wasFailing) {
      const downMs = this.#status.failingSince === null ? 0 : this.#clock() - this.#status.failingSince;
      this.#status.failingSince = null;
      this.#status.authFailure = null;
      // Fresh data first: what piled up during the outage (and batches read meanwhile) becomes backlog.
      this.#lanes.outageOver(this.#outbox.stats().lastSeq);
      this.#log.info({ downMs, pending: this.#store.pending, backlogUpToSeq: this.#lanes.liveStart }, 'cloud reachable again; draining backlog behind live data');
      this.#drainLog.start(this.#lanes.liveStart);
    }
    this.#drainLog.progress(this.#lanes.liveStart);
    this.#setState(this.#inFlight.size > 0 || this.#lanes.queuedRetries > 0 ? 'syncing' : 'idle');
  }

  #fail(reason: string, retryAfterMs: number | undefined): void {
    if (!this.#running) return; // stopped meanwhile: no timers that outlive stop()
    const now = this.#clock();
    this.#status.lastFailure = { at: now, reason };
    this.#status.failingSince ??= now;
    if (this.#state === 'auth-failed') return; // the key problem dominates; keep its slower schedule
    const delay = retryAfterMs ?? this.#backoff.next();
    this.#nextAttemptAt = now + delay;
    if (this.#state !== 'retrying') this.#log.warn({ reason, retryInMs: delay }, 'sync failed; retrying with backoff');
    else this.#log.debug({ reason, retryInMs: delay, attempt: this.#backoff.attempt }, 'sync retry failed');
    this.#setState('retrying');
    this.#armWake(delay);
    this.#armProbe();
  }

  #authFailed(status: number, code: string): void {
    const now = this.#clock();
    this.#status.lastFailure = { at: now, reason: `auth-${status}` };
    this.#status.failingSince ??= now;
    this.#status.authFailure = { at: now, status, code };
    this.#nextAttemptAt = now + this.#config.authRetryMs;
    // Loud on every refusal: this is exactly how the origin system failed, silently.
    this.#log.error({ status, code, retryInMs: this.#config.authRetryMs }, 'API KEY REJECTED by the cloud: sync is stopped until a valid key is configured (readings are kept)');
    this.#setState('auth-failed');
    this.#armWake(this.#config.authRetryMs);
  }

  #armWake(delayMs: number): void {
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      this.#safePump();
    }, Math.max(0, delayMs));
  }

  /** While retrying, ask the cloud's /health now and then; any answer means the link is back. */
  #armProbe(): void {
    if (this.#probeTimer || !this.#client) return;
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = undefined;
      if (!this.#running || this.#state !== 'retrying' || this.#probing) return;
      this.#probing = true;
      void this.#client!.probe(this.#config.probeIntervalMs).then((up) => {
        this.#probing = false;
        if (!this.#running || this.#state !== 'retrying') return;
        if (up && this.#inFlight.size === 0) {
          this.#log.info('cloud answers again; retrying now');
          this.#nextAttemptAt = 0;
          this.#safePump();
        } else {
          this.#armProbe();
        }
      });
    }, this.#config.probeIntervalMs);
  }

  #setState(state: SyncState, force = false): void {
    if (state === this.#state && !force) return;
    this.#state = state;
  }

  #isDrained(): boolean {
    return this.#store.pending === 0 && this.#inFlight.size === 0 && this.#lanes.queuedRetries === 0
      && this.#store.pendingAlerts(1).length === 0 && this.#store.pendingGaps(1).length === 0;
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}

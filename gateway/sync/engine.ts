/**
 * The store-and-forward sync engine: outbox → gzip batches → cloud, with nothing lost and nothing doubled.
 *
 * - Rows are marked synced only after a 2xx; until then they stay pending and are resent (the cloud stores
 *   (gatewayId, epoch, seq) once, so a resend is harmless). Several batches may be in flight; each owns its
 *   seqs ("claimed") so no two batches carry the same reading, and completion order does not matter.
 * - Lanes: `priority` (alerts, gaps, anomalous readings) > `live` (seq > liveStart) > `backlog`
 *   (seq <= liveStart, marked historical). liveStart moves to the newest seq whenever sync (re)starts after
 *   start-up or an outage, so fresh data overtakes what piled up. The backlog may use `backlogShare` of the
 *   in-flight slots while live data flows, and all of them when the live lane is idle.
 * - Failures: see outcome.ts. Retryable ones back off with full jitter (or Retry-After) and resume at once when a
 *   probe shows the cloud answers again; auth failures park sync in `auth-failed`, re-reading the key file.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Alert, Gap, Reading } from '../../shared/protocol.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { Outbox } from '../outbox/outbox.js';
import type { PendingReading, SyncStore } from '../outbox/sync-store.js';
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

type Lane = 'priority' | 'live' | 'backlog';

interface Batch {
  id: string;
  lane: Lane;
  readings: PendingReading[];
  alerts: Alert[];
  gaps: Array<Gap & { id: number }>;
  gz: Buffer | undefined;
  attempts: number;
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
  readonly #readableUpTo: () => number;
  #state: SyncState = 'disabled';
  #running = false;
  #inFlight = new Set<Batch>();
  #held = false;
  #retryQueue: Batch[] = [];
  #claimed = new Set<number>();
  #alertClaimed = new Set<string>();
  #gapClaimed = new Set<number>();
  #cursor = { priority: 0, live: 0, backlog: 0 };
  #liveStart = 0;
  #backlogInFlight = 0;
  #nextAttemptAt = 0;
  #wakeTimer: NodeJS.Timeout | undefined;
  #probeTimer: NodeJS.Timeout | undefined;
  #pumpScheduled: NodeJS.Immediate | undefined;
  #probing = false;
  #idleWaiters: Array<() => void> = [];
  readonly #contact = new CloudContact();
  /** Progress of a backlog being drained, for the log; null while there is none. */
  #drain: { since: number; readings: number; at: number; pending: number } | null = null;
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
  }) {
    this.#readableUpTo = deps.readableUpTo ?? (() => Number.MAX_SAFE_INTEGER);
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
    this.#resetLanes();
    this.#setState('idle');
    if (this.#cloudUrl !== null && isInsecureRemote(this.#cloudUrl)) {
      this.#log.warn({ cloudUrl: this.#cloudUrl }, 'cloud URL is plain http to another host (sync.allowInsecureHttp): the API key crosses the network in clear');
    }
    this.#log.info({ cloudUrl: this.#cloudUrl, backlogUpToSeq: this.#liveStart }, 'sync started');
    this.#startDrainLog();
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
      queuedRetries: this.#retryQueue.length,
      pending: this.#store.pending,
      oldestPendingAgeMs: oldest ? Math.max(0, this.#clock() - oldest.receivedAt) : null,
      backlogUpToSeq: this.#liveStart,
      contact: this.#contact.snapshot(),
    };
  }

  /** True while the reading is part of a batch being sent or awaiting a retry. */
  /**
   * While held, no new batch reads pending readings (retries of batches already built still go). The disk budget
   * holds sync between choosing unclaimed readings to drop or fold and the writer having done it, so a reading
   * is never both sent and recorded as dropped.
   */
  hold(held: boolean): void {
    this.#held = held;
    if (!held) this.wake();
  }

  isClaimed(seq: number): boolean {
    return this.#claimed.has(seq);
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

  #resetLanes(): void {
    const last = this.#outbox.stats().lastSeq;
    // Everything pending now is backlog; what arrives from here on is live. The backlog cursor starts at 0:
    // synced rows are skipped by the pending index and claimed rows are filtered.
    this.#liveStart = last;
    this.#cursor = { priority: 0, live: last, backlog: 0 };
  }

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
      const batch = this.#nextBatch();
      if (!batch) break;
      this.#send(batch);
    }
    if (this.#inFlight.size === 0 && this.#retryQueue.length === 0 && !failing) {
      this.#setState('idle');
      if (this.#isDrained()) this.#notifyIdle();
    }
  }

  #nextBatch(): Batch | undefined {
    const retry = this.#retryQueue.shift();
    if (retry) return retry;
    const priority = this.#buildPriority();
    if (priority) return priority;
    // Slots are shared: the backlog is guaranteed its share, live data the rest; a lane with nothing to send
    // lends its slots to the other.
    const max = this.#config.maxInFlight;
    const backlogSlots = Math.max(1, Math.floor(max * this.#config.backlogShare));
    const liveSlots = Math.max(1, max - backlogSlots);
    const liveInFlight = this.#inFlight.size - this.#backlogInFlight;
    let liveIdle = false;
    if (liveInFlight < liveSlots) {
      const live = this.#build('live', this.#cursor.live, this.#readableUpTo());
      if (live) return live;
      liveIdle = true; // nothing live to send now: the backlog may borrow the free slots
    }
    if (this.#cursor.backlog < this.#liveStart && (this.#backlogInFlight < backlogSlots || liveIdle)) {
      return this.#build('backlog', this.#cursor.backlog, Math.min(this.#liveStart, this.#readableUpTo()));
    }
    return undefined;
  }

  #buildPriority(): Batch | undefined {
    if (this.#held) return undefined;
    const alerts = this.#store.pendingAlerts(500).filter((a) => !this.#alertClaimed.has(`${a.id}/${a.state}`));
    const gaps = this.#store.pendingGaps(500).filter((g) => !this.#gapClaimed.has(g.id));
    const readings = this.#readLane('priority', this.#cursor.priority, this.#readableUpTo());
    if (alerts.length === 0 && gaps.length === 0 && readings.length === 0) return undefined;
    for (const a of alerts) this.#alertClaimed.add(`${a.id}/${a.state}`);
    for (const g of gaps) this.#gapClaimed.add(g.id);
    return this.#newBatch('priority', readings, alerts, gaps);
  }

  #build(lane: 'live' | 'backlog', after: number, upTo: number): Batch | undefined {
    if (this.#held) return undefined;
    const readings = this.#readLane(lane, after, upTo);
    if (readings.length === 0) return undefined;
    return this.#newBatch(lane, readings, [], []);
  }

  /** Reads the next unclaimed pending readings of a lane and advances its cursor past everything it looked at. */
  #readLane(lane: Lane, after: number, upTo: number): PendingReading[] {
    const out: PendingReading[] = [];
    let cursor = after;
    let bytes = 0;
    // A few rounds at most: claimed rows (already in another batch) are skipped, not sent twice.
    for (let round = 0; round < 4 && out.length < this.#config.batchMaxReadings; round++) {
      const rows = this.#store.readLane(lane, cursor, upTo, this.#config.batchMaxReadings - out.length, this.#config.batchMaxBytes - bytes);
      if (rows.length === 0) break;
      for (const r of rows) {
        cursor = r.seq;
        if (this.#claimed.has(r.seq)) continue;
        out.push(r);
        bytes += r.sizeEstimate;
      }
      if (bytes >= this.#config.batchMaxBytes) break;
    }
    this.#cursor[lane] = cursor;
    for (const r of out) this.#claimed.add(r.seq);
    return out;
  }

  #newBatch(lane: Lane, readings: PendingReading[], alerts: Alert[], gaps: Array<Gap & { id: number }>): Batch {
    return { id: randomUUID(), lane, readings, alerts, gaps, gz: undefined, attempts: 0 };
  }

  // --- sending ------------------------------------------------------------------------------------------------

  #send(batch: Batch): void {
    const client = this.#client!;
    // A batch that probes a failing cloud holds data that piled up during the outage.
    if (batch.lane === 'live' && (this.#state === 'retrying' || this.#state === 'auth-failed')) relabelAsBacklog(batch);
    this.#inFlight.add(batch);
    if (batch.lane === 'backlog') this.#backlogInFlight++;
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
        this.#requeue(batch);
        this.#fail('record-failed', undefined);
      }
      this.#inFlight.delete(batch);
      if (batch.lane === 'backlog') this.#backlogInFlight--;
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
        const rejected = new Map<number, string>();
        for (const r of Array.isArray(body?.rejected) ? body.rejected : []) {
          if (typeof r?.seq === 'number') rejected.set(r.seq, String(r.reason ?? 'rejected'));
        }
        const accepted: number[] = [];
        const refused: Array<{ reading: Reading; reason: string; status: number }> = [];
        for (const r of batch.readings) {
          const reason = rejected.get(r.seq);
          if (reason === undefined) accepted.push(r.seq);
          else refused.push({ reading: stripEstimate(r), reason, status: 200 });
        }
        await this.#store.recordOutcome({ accepted, refused, alerts: batch.alerts, gapIds: batch.gaps.map((g) => g.id), at: now });
        this.#release(batch);
        const duplicates = typeof body?.duplicates === 'number' ? body.duplicates : 0;
        this.#metrics.syncReadings.inc(accepted.length);
        this.#metrics.syncDuplicates.inc(duplicates);
        if (refused.length > 0) {
          this.#metrics.syncRefused.inc(refused.length);
          this.#log.warn({ batchId: batch.id, refused: refused.length, example: refused[0]?.reason }, 'cloud refused readings; kept as dead letters');
        }
        this.#status.readingsSynced += accepted.length;
        this.#status.lastSuccessAt = now;
        this.#metrics.syncLastSuccess.set(now / 1000);
        this.#recovered();
        return;
      }
      case 'retry':
        this.#requeue(batch);
        this.#fail(outcome.reason, outcome.retryAfterMs);
        return;
      case 'auth':
        this.#requeue(batch);
        this.#authFailed(outcome.status, outcome.code);
        return;
      case 'rekey':
        batch.id = randomUUID();
        batch.gz = undefined;
        this.#requeue(batch);
        return;
      case 'split':
        await this.#split(batch, outcome);
        return;
    }
  }

  /** A batch the cloud cannot take as is: refuse the readings it names, or halve until the culprits are alone. */
  async #split(batch: Batch, outcome: Extract<BatchOutcome, { kind: 'split' }>): Promise<void> {
    const now = this.#clock();
    const named = new Set<number>();
    const refused: Array<{ reading: Reading; reason: string; status: number }> = [];
    outcome.readingIssues.forEach((message, index) => {
      const r = batch.readings[index];
      if (r) {
        named.add(r.seq);
        refused.push({ reading: stripEstimate(r), reason: `${outcome.code}: ${message}`, status: outcome.status });
      }
    });
    if (refused.length === 0 && batch.readings.length <= 1) {
      for (const r of batch.readings) refused.push({ reading: stripEstimate(r), reason: `${outcome.code}: ${outcome.message}`, status: outcome.status });
      if (batch.readings.length === 0 && (batch.alerts.length > 0 || batch.gaps.length > 0)) {
        this.#log.error({ batchId: batch.id, status: outcome.status, code: outcome.code }, 'cloud refused alerts/gaps; dropping them from sync');
      }
      await this.#store.recordOutcome({ accepted: [], refused, alerts: batch.alerts, gapIds: batch.gaps.map((g) => g.id), at: now });
      this.#metrics.syncRefused.inc(refused.length);
      this.#release(batch);
      return;
    }
    if (refused.length > 0) {
      await this.#store.recordOutcome({ accepted: [], refused, alerts: [], gapIds: [], at: now });
      this.#metrics.syncRefused.inc(refused.length);
      for (const seq of named) this.#claimed.delete(seq);
      this.#log.warn({ batchId: batch.id, refused: refused.length, status: outcome.status, code: outcome.code }, 'cloud refused readings; kept as dead letters');
      const rest = batch.readings.filter((r) => !named.has(r.seq));
      this.#retryQueue.unshift({ ...batch, id: randomUUID(), readings: rest, gz: undefined, attempts: 0 });
      return;
    }
    // Nothing named: halve. log2(n) requests isolate one bad reading.
    const mid = Math.ceil(batch.readings.length / 2);
    const first: Batch = { ...batch, id: randomUUID(), readings: batch.readings.slice(0, mid), gz: undefined, attempts: 0 };
    const second: Batch = { ...batch, id: randomUUID(), readings: batch.readings.slice(mid), alerts: [], gaps: [], gz: undefined, attempts: 0 };
    this.#retryQueue.unshift(first, second);
  }

  #requeue(batch: Batch): void {
    this.#retryQueue.push(batch);
  }

  #release(batch: Batch): void {
    for (const r of batch.readings) this.#claimed.delete(r.seq);
    for (const a of batch.alerts) this.#alertClaimed.delete(`${a.id}/${a.state}`);
    for (const g of batch.gaps) this.#gapClaimed.delete(g.id);
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
      // Fresh data first: what piled up during the outage becomes backlog.
      this.#liveStart = Math.max(this.#liveStart, this.#outbox.stats().lastSeq);
      this.#cursor.live = this.#liveStart;
      this.#cursor.backlog = 0;
      // Batches read while the cloud was away carry outage data: re-label them as backlog.
      for (const b of this.#retryQueue) if (b.lane === 'live') relabelAsBacklog(b);
      this.#log.info({ downMs, pending: this.#store.pending, backlogUpToSeq: this.#liveStart }, 'cloud reachable again; draining backlog behind live data');
      this.#startDrainLog();
    }
    this.#logDrain();
    this.#setState(this.#inFlight.size > 0 || this.#retryQueue.length > 0 ? 'syncing' : 'idle');
  }

  #startDrainLog(): void {
    const pending = this.#store.pending;
    const oldest = this.#store.oldestPending();
    // A backlog is what was pending when sync (re)started: the readings up to liveStart.
    if (this.#drain || !oldest || oldest.seq > this.#liveStart) return;
    const now = this.#clock();
    this.#drain = { since: now, readings: pending, at: now, pending };
  }

  /** On each accepted batch: every drainLogIntervalMs, readings left, net rate and time to empty; then "drained". */
  #logDrain(): void {
    const d = this.#drain;
    if (!d) return;
    const now = this.#clock();
    const oldest = this.#store.oldestPending();
    const pending = this.#store.pending;
    if (!oldest || oldest.seq > this.#liveStart) {
      this.#log.info({ readings: d.readings, durationMs: now - d.since, pending }, 'backlog drained');
      this.#drain = null;
      return;
    }
    if (now - d.at < this.#config.drainLogIntervalMs) return;
    const ratePerS = ((d.pending - pending) * 1000) / (now - d.at);
    this.#log.info({ pending, ratePerS: Math.round(ratePerS * 10) / 10, etaS: ratePerS > 0 ? Math.ceil(pending / ratePerS) : null },
      'draining backlog');
    d.at = now;
    d.pending = pending;
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
    return this.#store.pending === 0 && this.#inFlight.size === 0 && this.#retryQueue.length === 0
      && this.#store.pendingAlerts(1).length === 0 && this.#store.pendingGaps(1).length === 0;
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}

/** Marks a batch's readings historical; a new body needs a new Idempotency-Key. */
function relabelAsBacklog(b: Batch): void {
  b.lane = 'backlog';
  for (const r of b.readings) r.historical = true;
  b.id = randomUUID();
  b.gz = undefined;
}

function stripEstimate(r: PendingReading): Reading {
  const { sizeEstimate: _s, ...reading } = r;
  return reading;
}

/**
 * Group commit between the broker (and HTTP ingest) and the outbox's writer thread.
 *
 * A QoS 1 PUBACK (or an HTTP 200) means "on disk": such entries carry a callback that runs only after their
 * transaction committed. There is no fixed timer on that path: an entry with a callback schedules a flush on
 * setImmediate. One commit is in flight at a time, on the writer thread, while the next batch fills here: a
 * commit takes "whatever arrived while the last one ran", so batches grow with the load and the event loop never
 * waits for inserts or fsync. QoS 0 entries wait at most `flushIntervalMs` or until `maxBatchReadings` rows are
 * queued.
 *
 * Backpressure: when queued-but-uncommitted readings exceed `maxQueuedReadings` (or their estimated bytes
 * `maxQueuedBytes`), ingest pauses (QoS 0 publishers wait in `whenResumed`, so their sockets are not read; HTTP
 * ingest answers 503) until the queue drains below half of both bounds. Nothing queued is dropped.
 */
import type { Logger } from 'pino';
import { OutboxFullError, ShuttingDownError } from '../../shared/errors.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { Outbox, OutboxEntry } from '../outbox/outbox.js';
import { createGatewayBus, type GatewayBus } from '../events/gateway-events.js';

export type CommitCallback = (err: Error | null) => void;
export type CommitListener = (entries: readonly OutboxEntry[]) => void;

export interface PipelineConfig {
  maxBatchReadings: number;
  flushIntervalMs: number;
  /** Queued, uncommitted readings (and their estimated bytes) past which ingest pauses. */
  maxQueuedReadings: number;
  maxQueuedBytes: number;
}

export interface CommitHealth {
  lastCommitAt: number | null;
  lastError: { at: number; code: string; message: string } | null;
}

/** Bytes a queued entry holds, estimated without walking its strings twice. */
function entryBytes(e: OutboxEntry): number {
  let n = 64;
  if (e.readings !== null) {
    for (const r of e.readings) n += 80 + r.asset.length + r.sensor.length;
  }
  if (e.deadLetter !== null) n += e.deadLetter.payload.length + e.deadLetter.topic.length + e.deadLetter.detail.length;
  return n;
}

export class IngestPipeline {
  readonly #outbox: Outbox;
  readonly #metrics: GatewayMetrics;
  readonly #log: Logger;
  readonly #config: PipelineConfig;
  readonly #clock: () => number;
  #entries: OutboxEntry[] = [];
  #callbacks: Array<CommitCallback | undefined> = [];
  /** Estimated bytes of each queued entry, kept so a commit gives back exactly what its entries took. */
  #sizes: number[] = [];
  #rows = 0;
  #bytes = 0;
  #immediate: NodeJS.Immediate | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #draining: Promise<void> | null = null;
  /** Entries submitted and entries whose commit was settled, for flush() barriers. */
  #submitted = 0;
  #settled = 0;
  #barriers: Array<{ upTo: number; resolve: () => void }> = [];
  /** Readings up to this seq were committed and every commit listener has seen them. */
  #announcedUpTo = 0;
  #resumeWaiters: Array<() => void> = [];
  #paused = false;
  #pausedAt = 0;
  #health: CommitHealth = { lastCommitAt: null, lastError: null };
  /** Set by the disk budget under the reject-new policy: receives the readings it refuses without a callback. */
  #refusing: ((entry: OutboxEntry) => void) | null = null;

  readonly #bus: GatewayBus;

  constructor(deps: {
    outbox: Outbox; metrics: GatewayMetrics; log: Logger; config: PipelineConfig; clock: () => number;
    /** Where `committed` is announced (the gateway's bus; a bus of its own when none is given). */
    bus?: GatewayBus;
  }) {
    this.#bus = deps.bus ?? createGatewayBus(deps.log);
    this.#outbox = deps.outbox;
    this.#metrics = deps.metrics;
    this.#log = deps.log;
    this.#config = deps.config;
    this.#clock = deps.clock;
  }

  get health(): CommitHealth {
    return this.#health;
  }

  /** Readings queued and not yet committed (the one commit in flight included). */
  get queuedRows(): number {
    return this.#rows;
  }

  /**
   * Readings up to this seq are committed and their commit listeners (scoring among them) have run: what sync may
   * read. The writer commits before its answer is handled here, so the table can hold newer rows for a moment.
   */
  get announcedUpTo(): number {
    return this.#announcedUpTo;
  }

  /** Rows committed outside the group commit (the budget's aggregates, the outbox at open) are announced here. */
  announce(upTo: number): void {
    this.#announcedUpTo = Math.max(this.#announcedUpTo, upTo);
  }

  /** Whether ingest is paused because too much waits for the writer. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Whether new readings are refused (disk budget, reject-new policy). */
  get refusing(): boolean {
    return this.#refusing !== null;
  }

  /**
   * Refuse new readings (null to accept again). Entries with a callback (QoS 1, HTTP) are told OutboxFullError,
   * so the device keeps the message; the others (QoS 0) go to `onDropped` to be counted and accounted for.
   */
  setRefusing(onDropped: ((entry: OutboxEntry) => void) | null): void {
    this.#refusing = onDropped;
  }

  /** Called after every successful commit with the committed entries (seqs assigned). Returns the unsubscribe. */
  onCommit(listener: CommitListener): () => void {
    return this.#bus.on('committed', listener);
  }


  /**
   * Runs `go` at once, or when ingest resumes if it is paused. MQTT QoS 0 holds Aedes' authorizePublish callback
   * here: Aedes reads a connection's next batch of packets only once every packet of the last one was handled,
   * so a held callback stops reading that socket and TCP pushes back on the device. (QoS 1 needs nothing: its
   * callback already waits for the commit.)
   */
  whenResumed(go: () => void): void {
    if (this.#paused) this.#resumeWaiters.push(go);
    else go();
  }

  /**
   * Queue an entry. With `done`, the caller is told once it is durable (or why it is not); without it
   * (QoS 0) the entry is committed within flushIntervalMs and a failure is counted as lost.
   */
  submit(entry: OutboxEntry, done?: CommitCallback): void {
    if (this.#stopped) {
      const err = new ShuttingDownError('ingest pipeline');
      if (done) done(err);
      else this.#metrics.readingsLost.inc({ reason: 'shutting-down' }, entry.readings?.length ?? 0);
      return;
    }
    if (this.#refusing !== null && entry.readings !== null) {
      if (done) done(new OutboxFullError());
      else this.#refusing(entry);
      return;
    }
    const size = entryBytes(entry);
    this.#entries.push(entry);
    this.#callbacks.push(done);
    this.#sizes.push(size);
    this.#submitted++;
    this.#rows += entry.readings?.length ?? 1;
    this.#bytes += size;
    if (!this.#paused && (this.#rows > this.#config.maxQueuedReadings || this.#bytes > this.#config.maxQueuedBytes)) this.#setPaused(true);
    if (this.#draining !== null) return; // the drain loop takes it after the commit in flight
    if (done !== undefined || this.#rows >= this.#config.maxBatchReadings) {
      if (this.#immediate === undefined) this.#immediate = setImmediate(this.#flushSoon);
    } else if (this.#timer === undefined && this.#immediate === undefined) {
      this.#timer = setTimeout(this.#flushSoon, this.#config.flushIntervalMs);
    }
  }

  readonly #flushSoon = (): void => {
    void this.flush();
  };

  /**
   * Commit everything queued, in transactions of at most maxBatchReadings rows, one at a time. Resolves once every
   * entry queued before the call was committed (or failed) and its callbacks have run — a barrier, so clients
   * that keep publishing cannot hold it open; never rejects.
   */
  flush(): Promise<void> {
    if (this.#immediate !== undefined) { clearImmediate(this.#immediate); this.#immediate = undefined; }
    if (this.#timer !== undefined) { clearTimeout(this.#timer); this.#timer = undefined; }
    const upTo = this.#submitted;
    const barrier = this.#settled >= upTo ? Promise.resolve() : new Promise<void>((resolve) => this.#barriers.push({ upTo, resolve }));
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = null;
      // Submitted while the last commit's answer was being handled: not to be left waiting for the next submit.
      if (this.#entries.length > 0 && this.#immediate === undefined) this.#immediate = setImmediate(this.#flushSoon);
    });
    return barrier;
  }

  async #drain(): Promise<void> {
    while (this.#entries.length > 0) {
      const entries: OutboxEntry[] = [];
      const callbacks: Array<CommitCallback | undefined> = [];
      let rows = 0;
      let bytes = 0;
      let i = 0;
      for (; i < this.#entries.length && (rows === 0 || rows < this.#config.maxBatchReadings); i++) {
        const e = this.#entries[i]!;
        entries.push(e);
        callbacks.push(this.#callbacks[i]);
        rows += e.readings?.length ?? 1;
        bytes += this.#sizes[i]!;
      }
      this.#entries = this.#entries.slice(i);
      this.#callbacks = this.#callbacks.slice(i);
      this.#sizes = this.#sizes.slice(i);
      await this.#commit(entries, callbacks);
      this.#settled += entries.length;
      if (this.#barriers.length > 0) {
        const open: Array<{ upTo: number; resolve: () => void }> = [];
        for (const b of this.#barriers) {
          if (this.#settled >= b.upTo) b.resolve();
          else open.push(b);
        }
        this.#barriers = open;
      }
      this.#rows -= rows;
      this.#bytes -= bytes;
      if (this.#paused && this.#rows <= this.#config.maxQueuedReadings / 2 && this.#bytes <= this.#config.maxQueuedBytes / 2) {
        this.#setPaused(false);
      }
    }
  }

  #setPaused(paused: boolean): void {
    this.#paused = paused;
    this.#metrics.ingestPaused.set(paused ? 1 : 0);
    const now = this.#clock();
    if (paused) {
      this.#pausedAt = now;
      this.#log.warn({ queuedRows: this.#rows, queuedBytes: this.#bytes }, 'ingest paused: the outbox writer is behind');
    } else {
      this.#metrics.ingestPausedSeconds.inc(Math.max(0, now - this.#pausedAt) / 1000);
      this.#log.info({ queuedRows: this.#rows, pausedMs: now - this.#pausedAt }, 'ingest resumed');
    }
    if (!paused) {
      for (const go of this.#resumeWaiters.splice(0)) {
        try {
          go();
        } catch (err) {
          this.#log.error({ err }, 'resuming a held publish failed');
        }
      }
    }
  }

  async #commit(entries: OutboxEntry[], callbacks: Array<CommitCallback | undefined>): Promise<void> {
    const started = process.hrtime.bigint();
    let error: Error | null = null;
    let stored = 0;
    try {
      const result = await this.#outbox.write(entries);
      stored = result.readings;
      this.#health.lastCommitAt = this.#clock();
    } catch (err) {
      error = err as Error;
      this.#health.lastError = { at: this.#clock(), code: (err as { code?: string }).code ?? 'UNKNOWN', message: error.message };
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.#metrics.commitSeconds.observe(seconds);
    this.#metrics.commitRows.observe(entries.length);
    if (error === null) {
      this.#metrics.readingsStored.inc(stored);
      // Redeliveries of messages already stored are acknowledged like the rest, but nobody else is told of them.
      let committed: OutboxEntry[] = entries;
      const deduplicated = entries.reduce((n, e) => n + (e.deduplicated === true ? 1 : 0), 0);
      if (deduplicated > 0) {
        this.#metrics.readingsDeduplicated.inc(deduplicated);
        committed = entries.filter((e) => e.deduplicated !== true);
      }
      this.#bus.emit('committed', committed);
      for (const e of committed) {
        if (e.firstSeq !== undefined && e.readings !== null) this.#announcedUpTo = Math.max(this.#announcedUpTo, e.firstSeq + e.readings.length - 1);
      }
    } else {
      let lost = 0;
      for (let i = 0; i < entries.length; i++) if (callbacks[i] === undefined) lost += entries[i]!.readings?.length ?? 0;
      if (lost > 0) this.#metrics.readingsLost.inc({ reason: 'storage-failed' }, lost);
      this.#log.error({ err: error, entries: entries.length, qos0Lost: lost }, 'outbox commit failed; acknowledgements withheld');
    }
    for (const cb of callbacks) {
      if (cb === undefined) continue;
      try {
        cb(error);
      } catch (err) {
        this.#log.error({ err }, 'commit callback failed');
      }
    }
  }

  /** Commit what is queued, then refuse new entries (and commit anything that arrived meanwhile). */
  async stop(): Promise<void> {
    if (this.#paused) this.#setPaused(false);
    await this.flush();
    this.#stopped = true;
    await this.flush();
  }
}

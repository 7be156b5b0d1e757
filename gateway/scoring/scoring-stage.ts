/**
 * Scoring in the gateway's pipeline. It runs after the group commit, not before: the PUBACK path stays free of
 * model latency. Each committed micro-batch is scored in order; scores, alerts and the priority mark
 * of readings that raised an alert are written in one transaction; alerts are then published on
 * `alerts/{asset}` (retained) so a local HMI or PLC can react with the uplink down.
 * `scoredUpTo` tells sync how far readings carry their scores, so nothing is sent before it is scored.
 * Committed readings wait up to `batchDelayMs` to be scored together: per micro-batch costs (one run() per model,
 * the worker hand-off, one score commit) are then shared by many readings instead of by one group commit's few.
 */
import type { Logger } from 'pino';
import type { OutboxEntry } from '../outbox/outbox.js';
import type { ScoreStore } from '../outbox/score-store.js';
import type { AlertEvent, ScoringEngine } from './engine.js';
import { ScoringBatch } from './scoring-batch.js';

export interface OpenAlert extends AlertEvent {}

export class ScoringStage {
  readonly #engine: ScoringEngine;
  readonly #store: ScoreStore;
  readonly #lastSeq: () => number;
  readonly #publish: (topic: string, payload: string) => void;
  readonly #onScored: () => void;
  readonly #log: Logger;
  readonly #maxBatch: number;
  readonly #batchDelayMs: number;
  #timer: NodeJS.Timeout | undefined;
  // Two batches in turn: one fills from commits while the other is being scored.
  #queue = new ScoringBatch();
  #spare = new ScoringBatch();
  /** Seqs of every reading committed into the queue (scored or not): what scoring covers once it is done. */
  #spanFrom = Number.POSITIVE_INFINITY;
  #spanTo = 0;
  #running = false;
  #stopped = false;
  #scoredUpTo = 0;
  #idle: Promise<void> = Promise.resolve();
  #started = false;
  readonly #open = new Map<string, Map<string, AlertEvent>>();
  errors = 0;

  constructor(deps: {
    engine: ScoringEngine;
    store: ScoreStore;
    /** The outbox's last committed seq: readings before start() count as scored. */
    lastSeq: () => number;
    publish: (topic: string, payload: string) => void;
    onScored: () => void;
    log: Logger;
    /** scoring.maxBatch and scoring.batchDelayMs of the gateway config. */
    maxBatch: number;
    batchDelayMs: number;
  }) {
    this.#engine = deps.engine;
    this.#store = deps.store;
    this.#lastSeq = deps.lastSeq;
    this.#publish = deps.publish;
    this.#onScored = deps.onScored;
    this.#log = deps.log;
    this.#maxBatch = deps.maxBatch;
    this.#batchDelayMs = deps.batchDelayMs;
  }

  /** Readings up to this seq have their scores stored (or were committed before scoring started). */
  get scoredUpTo(): number {
    return this.#running || this.#queue.length > 0 ? this.#scoredUpTo : Number.MAX_SAFE_INTEGER;
  }

  /** Open (raised, not cleared) alerts per asset. */
  openAlerts(asset?: string): AlertEvent[] {
    const out: AlertEvent[] = [];
    for (const [a, m] of this.#open) if (asset === undefined || a === asset) out.push(...m.values());
    return out;
  }

  start(): void {
    this.#started = true;
    this.#scoredUpTo = this.#lastSeq();
  }

  /** Commit listener: queue the committed readings for scoring. */
  onCommitted(entries: readonly OutboxEntry[]): void {
    if (this.#stopped || !this.#started) return;
    const q = this.#queue;
    for (const e of entries) {
      if (e.readings === null || e.firstSeq === undefined || e.source === 'aggregate' || e.readings.length === 0) continue;
      let seq = e.firstSeq;
      this.#spanFrom = Math.min(this.#spanFrom, seq);
      this.#spanTo = Math.max(this.#spanTo, seq + e.readings.length - 1);
      for (const r of e.readings) {
        // Readings of sensors no loaded model reads are never scored: not queued (a C-MAPSS message carries 24
        // values, the default models read 14).
        if (this.#engine.wants(r.sensor)) q.push(seq, r.ts, r.asset, r.sensor, r.value);
        seq++;
      }
    }
    if (!this.#running) this.#coverUnscoredSpan();
    this.#schedule();
  }

  /** A span whose readings are all of sensors no model reads needs no scoring: it counts as scored as it is. */
  #coverUnscoredSpan(): void {
    if (this.#queue.length > 0 || this.#spanFrom === Number.POSITIVE_INFINITY) return;
    this.#scoredUpTo = Math.max(this.#scoredUpTo, this.#spanTo);
    this.#spanFrom = Number.POSITIVE_INFINITY;
  }

  /** Drains now when the queue is full (or no delay is set), else once batchDelayMs has passed. */
  #schedule(): void {
    if (this.#running || this.#stopped || this.#queue.length === 0) return;
    if (this.#batchDelayMs > 0 && this.#queue.length < this.#maxBatch) {
      this.#timer ??= setTimeout(() => this.#drainNow(), this.#batchDelayMs);
      return;
    }
    this.#drainNow();
  }

  #drainNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#running || this.#queue.length === 0) return;
    this.#running = true;
    this.#idle = this.#drain();
  }

  async #drain(): Promise<void> {
    // Take what is queued; readings committed meanwhile fill the other batch, scored on the next round.
    const all = this.#queue;
    const from = this.#spanFrom;
    const to = this.#spanTo;
    this.#queue = this.#spare;
    this.#spanFrom = Number.POSITIVE_INFINITY;
    try {
      for (let i = 0; i < all.length && !this.#stopped; i += this.#maxBatch) {
        const end = Math.min(all.length, i + this.#maxBatch);
        await this.#scoreBatch(all, i, end, from, end === all.length ? to : all.seq[end - 1]!);
      }
    } finally {
      all.clear();
      this.#spare = all;
      this.#coverUnscoredSpan();
      this.#running = false;
      this.#onScored();
      this.#schedule();
    }
  }

  /**
   * Scores the readings [start, end) of a micro-batch; `from`..`last` is the span of committed seqs it covers
   * (sensors no model reads too).
   */
  async #scoreBatch(batch: ScoringBatch, start: number, end: number, from: number, last: number): Promise<void> {
    try {
      const { scores, alerts } = await this.#engine.score(batch, start, end);
      if (this.#stopped || !this.#store.isOpen) return;
      await this.#store.write(scores, alerts, from, last);
      for (const a of alerts) this.#announce(a);
    } catch (err) {
      this.errors++;
      this.#log.error({ err, firstSeq: from, lastSeq: last }, 'scoring a batch failed; readings stay stored without scores');
    } finally {
      this.#scoredUpTo = Math.max(this.#scoredUpTo, last);
    }
  }

  #announce(a: AlertEvent): void {
    let open = this.#open.get(a.asset);
    if (!open) this.#open.set(a.asset, (open = new Map()));
    const key = `${a.model}/${a.output}`;
    if (a.state === 'raised') open.set(key, a);
    else open.delete(key);
    this.#log.warn({ asset: a.asset, model: a.model, output: a.output, severity: a.severity, value: a.value, threshold: a.threshold }, `alert ${a.state}`);
    try {
      this.#publish(`alerts/${a.asset}`, JSON.stringify({ ...a, open: [...open.values()] }));
    } catch (err) {
      this.#log.error({ err, asset: a.asset }, 'publishing an alert failed');
    }
  }

  /** Finish what is queued (so stored readings get their scores) and stop. */
  async stop(): Promise<void> {
    while (this.#running || this.#queue.length > 0) {
      this.#drainNow();
      await this.#idle;
    }
    clearTimeout(this.#timer);
    this.#stopped = true;
  }
}

/**
 * The outbox's disk budget. Checked on a timer: when the live pages of the database reach `maxBytes`, synced
 * readings go first (they are only kept for the status page and exports); if unsynced data alone is over the
 * budget, the `whenFull` policy applies:
 *   reject-new   new QoS 1 / HTTP readings are refused (no PUBACK, 429), so devices keep them; QoS 0 readings are
 *                dropped and counted;
 *   drop-oldest  the oldest unsynced readings are deleted;
 *   downsample   the oldest normal (not anomalous) readings are folded into per-window aggregates
 *                (<sensor> = mean, <sensor>:min, <sensor>:max, <sensor>:count); anomalous readings stay raw.
 * Every reading dropped or folded is recorded in a gap {fromTs, toTs, count, reason} that is synced, so the cloud
 * knows exactly what it will never get: received = stored + dropped + folded. Readings in an in-flight sync batch
 * are never touched (they may already be in the cloud). Candidates are read on the outbox's reading connection;
 * deletions, aggregates and gaps are written on the writer thread (`budgetWrites`), each step one transaction.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { OutboxWrites } from './outbox-writes.js';
import { databaseOf, type Outbox } from './outbox.js';
import type { PackedEntries } from './packed-entries.js';
import { toRanges, type SyncStore } from './sync-store.js';
import type { ReadingRow, OutboxEntry, FoldResult, GapRow, BatchResult, SeqRange } from './rows.js';

export type { FoldResult, GapRow } from './rows.js';

export interface BudgetConfig {
  maxBytes: number | null;
  whenFull: 'reject-new' | 'drop-oldest' | 'downsample';
  downsampleWindowMs: number;
  budgetCheckIntervalMs: number;
}

type Statement = Database.Statement<unknown[]>;

interface Candidate { seq: number; ts: number; asset: string; sensor: string; value: number; unit: string | null }

/** The writer thread's half of the budget: each call one transaction. */
export interface BudgetWrites {
  /** Deletes the oldest synced chunk (below the oldest pending reading); returns rows deleted. */
  pruneSynced(chunk: number): number;
  /** Deletes unsynced seq ranges and records their gap; returns rows deleted. */
  drop(ranges: readonly SeqRange[], gap: Omit<GapRow, 'count'>): number;
  /** Replaces unsynced ranges by aggregate readings and records the gap; deleted -1 (nothing written) if rows changed meanwhile. */
  fold(ranges: readonly SeqRange[], expected: number, aggregates: PackedEntries, gap: Omit<GapRow, 'count'>): FoldResult;
  gap(gap: GapRow): void;
}

export function budgetWrites(db: Database.Database, writes: OutboxWrites): BudgetWrites {
  // Below the oldest pending reading everything is synced: a chunk there is found without scanning the table.
  const oldestSynced = db.prepare(`SELECT max(seq) AS upTo, count(*) AS n FROM (SELECT seq FROM readings
    WHERE seq < coalesce((SELECT min(seq) FROM readings WHERE synced = 0), 9007199254740991) ORDER BY seq LIMIT ?)`);
  const deleteSynced = db.prepare('DELETE FROM readings WHERE seq <= ? AND synced <> 0');
  const deleteRange = db.prepare('DELETE FROM readings WHERE seq BETWEEN ? AND ? AND synced = 0');
  // Folding takes normal readings only: one that scoring marked anomalous since it was chosen makes the count differ.
  const deleteNormalRange = db.prepare('DELETE FROM readings WHERE seq BETWEEN ? AND ? AND synced = 0 AND priority = 0');
  const deleteScores = db.prepare('DELETE FROM scores WHERE seq BETWEEN ? AND ?');
  const insertGap = db.prepare('INSERT INTO gaps (from_ts, to_ts, count, reason, created_at) VALUES (?, ?, ?, ?, ?)');
  const deleteRanges = (ranges: readonly SeqRange[], normalOnly = false): number => {
    let deleted = 0;
    for (const range of ranges) {
      deleted += (normalOnly ? deleteNormalRange : deleteRange).run(range.from, range.to).changes;
      deleteScores.run(range.from, range.to);
    }
    return deleted;
  };
  class RowsChanged extends Error {}
  const fold = db.transaction((ranges: readonly SeqRange[], expected: number, aggregates: PackedEntries, gap: Omit<GapRow, 'count'>): FoldResult => {
    const deleted = deleteRanges(ranges, true);
    if (deleted !== expected) throw new RowsChanged(); // rolls back; retried next pass
    const batch = writes.write(aggregates);
    insertGap.run(gap.fromTs, gap.toTs, deleted, gap.reason, gap.createdAt);
    return { deleted, batch };
  });
  return {
    pruneSynced: db.transaction((chunk: number): number => {
      const { upTo, n } = oldestSynced.get(chunk) as { upTo: number | null; n: number };
      if (!upTo || n === 0) return 0;
      const d = deleteSynced.run(upTo).changes;
      deleteScores.run(0, upTo);
      return d;
    }),
    drop: db.transaction((ranges: readonly SeqRange[], gap: Omit<GapRow, 'count'>): number => {
      const d = deleteRanges(ranges);
      insertGap.run(gap.fromTs, gap.toTs, d, gap.reason, gap.createdAt);
      return d;
    }),
    fold: (ranges, expected, aggregates, gap) => {
      try {
        // The aggregates take seqs inside the transaction: a rollback gives them back.
        return writes.atomically(() => fold(ranges, expected, aggregates, gap));
      } catch (err) {
        if (err instanceof RowsChanged) return { deleted: -1, batch: null };
        throw err;
      }
    },
    gap: (g) => { insertGap.run(g.fromTs, g.toTs, g.count, g.reason, g.createdAt); },
  };
}

/** Free down to this share of the budget once over it, so the policy does not flap at the limit. */
const LOW_WATER = 0.9;
const CHUNK = 2_000;

/**
 * Where new readings come in (the ingest pipeline): the budget switches it to refusing and back, and announces the
 * aggregates it commits itself so that sync may read them.
 */
export interface RefusableIntake {
  readonly refusing: boolean;
  setRefusing(onDropped: ((entry: OutboxEntry) => void) | null): void;
  announce(upTo: number): void;
}

export class DiskBudget {
  readonly #outbox: Outbox;
  readonly #sync: SyncStore;
  readonly #pipeline: RefusableIntake;
  readonly #isClaimed: (seq: number) => boolean;
  readonly #holdSync: (held: boolean) => void;
  #checking: Promise<void> | null = null;
  #stopped = false;
  /** The last pass found more bytes in use than the budget allows. */
  #overBudget = false;
  readonly #config: BudgetConfig;
  readonly #metrics: GatewayMetrics;
  readonly #log: Logger;
  readonly #clock: () => number;
  #timer: NodeJS.Timeout | undefined;
  #s: Record<'pageCount' | 'freeCount' | 'oldestPending' | 'oldestNormal', Statement> | undefined;
  #pageSize = 4096;
  #refused: { fromTs: number; toTs: number; count: number } | null = null;
  readonly totals = { dropped: 0, folded: 0, refusedQos0: 0, prunedSynced: 0 };

  constructor(deps: {
    outbox: Outbox; sync: SyncStore; pipeline: RefusableIntake; isClaimed: (seq: number) => boolean;
    /** Stops sync from reading new batches while a chosen set of readings is being dropped or folded. */
    holdSync?: (held: boolean) => void;
    config: BudgetConfig; metrics: GatewayMetrics; log: Logger; clock: () => number;
  }) {
    this.#outbox = deps.outbox;
    this.#sync = deps.sync;
    this.#pipeline = deps.pipeline;
    this.#isClaimed = deps.isClaimed;
    this.#holdSync = deps.holdSync ?? (() => {});
    this.#config = deps.config;
    this.#metrics = deps.metrics;
    this.#log = deps.log;
    this.#clock = deps.clock;
  }

  get enabled(): boolean {
    return this.#config.maxBytes !== null;
  }

  start(): void {
    if (this.#config.maxBytes === null) return;
    const db = databaseOf(this.#outbox);
    this.#pageSize = db.pragma('page_size', { simple: true }) as number;
    this.#s = {
      pageCount: db.prepare('PRAGMA page_count'),
      freeCount: db.prepare('PRAGMA freelist_count'),
      oldestPending: db.prepare('SELECT seq, ts, asset, sensor, value, unit FROM readings WHERE synced = 0 ORDER BY seq LIMIT ?'),
      oldestNormal: db.prepare('SELECT seq, ts, asset, sensor, value, unit FROM readings WHERE synced = 0 AND priority = 0 ORDER BY seq LIMIT ?'),
    };
    this.#schedule();
  }

  /** Live pages of the database: what the data occupies, whatever the file's high-water size. */
  usedBytes(): number {
    const s = this.#s;
    if (!s) return this.#outbox.fileBytes();
    const pages = (s.pageCount.get() as { page_count: number }).page_count;
    const free = (s.freeCount.get() as { freelist_count: number }).freelist_count;
    return (pages - free) * this.#pageSize;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pass();
    }, this.#config.budgetCheckIntervalMs);
  }

  #pass(): void {
    this.#checking = this.check().catch((err: unknown) => this.#log.error({ err }, 'disk budget check failed'))
      .finally(() => {
        this.#checking = null;
        if (!this.#stopped) this.#schedule();
      });
  }

  /**
   * Readings were synced, so they may be pruned: when the last pass found the outbox over its budget, pass again
   * now rather than at the next tick.
   */
  nudge(): void {
    if (!this.#overBudget || this.#stopped || this.#checking !== null || this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pass();
  }

  /** One budget pass (also called by tests). */
  async check(): Promise<void> {
    const max = this.#config.maxBytes;
    if (max === null || !this.#s || !this.#outbox.isOpen) return;
    let used = this.usedBytes();
    this.#overBudget = used >= max;
    if (this.#pipeline.refusing && used < max * LOW_WATER) {
      this.#pipeline.setRefusing(null);
      this.#log.info({ usedBytes: used, maxBytes: max }, 'outbox below its disk budget again; accepting readings');
    }
    if (used >= max) {
      const started = Date.now();
      // Synced readings are expendable: they are in the cloud already.
      while (used >= max * LOW_WATER && Date.now() - started < 50 && await this.#pruneSynced() > 0) used = this.usedBytes();
      if (used >= max) await this.#applyPolicy(max, started);
    }
    await this.#flushRefusedGap();
  }

  async #applyPolicy(max: number, started: number): Promise<void> {
    const policy = this.#config.whenFull;
    if (policy === 'reject-new') {
      if (!this.#pipeline.refusing) {
        this.#log.warn({ usedBytes: this.usedBytes(), maxBytes: max }, 'outbox at its disk budget: refusing new readings (reject-new)');
        this.#pipeline.setRefusing((entry) => this.#noteRefused(entry));
      }
      return;
    }
    let used = this.usedBytes();
    while (used >= max * LOW_WATER && Date.now() - started < 100) {
      const n = policy === 'drop-oldest' ? await this.#dropOldest() : await this.#fold();
      if (n === 0) {
        if (policy === 'downsample') {
          // Only anomalous (or in-flight) readings are left: they are the valuable ones; refuse new data instead.
          if (!this.#pipeline.refusing) {
            this.#log.warn({ usedBytes: used, maxBytes: max }, 'nothing left to downsample: refusing new readings until sync frees space');
            this.#pipeline.setRefusing((entry) => this.#noteRefused(entry));
          }
        }
        break;
      }
      used = this.usedBytes();
    }
  }

  async #pruneSynced(): Promise<number> {
    const deleted = await this.#outbox.writer.budgetPruneSynced(CHUNK);
    this.#outbox.noteDeleted(deleted);
    this.totals.prunedSynced += deleted;
    return deleted;
  }

  #unclaimed(rows: Candidate[]): Candidate[] {
    return rows.filter((r) => !this.#isClaimed(r.seq));
  }

  /** Runs `step` with sync held, so the readings it chose cannot be claimed by a new batch meanwhile. */
  async #withSyncHeld<T>(step: () => Promise<T>): Promise<T> {
    this.#holdSync(true);
    try {
      return await step();
    } finally {
      this.#holdSync(false);
    }
  }

  #dropOldest(): Promise<number> {
    return this.#withSyncHeld(() => this.#dropOldestHeld());
  }

  async #dropOldestHeld(): Promise<number> {
    const s = this.#s!;
    const rows = this.#unclaimed(s.oldestPending.all(CHUNK) as Candidate[]);
    if (rows.length === 0) return 0;
    const ts = rows.map((r) => r.ts);
    const deleted = await this.#outbox.writer.budgetDrop(toRanges(rows.map((r) => r.seq)),
      { fromTs: Math.min(...ts), toTs: Math.max(...ts), reason: 'dropped-oldest', createdAt: this.#clock() });
    this.#accountDeleted(deleted);
    this.totals.dropped += deleted;
    this.#metrics.readingsLost.inc({ reason: 'dropped-oldest' }, deleted);
    this.#log.warn({ dropped: deleted }, 'outbox at its disk budget: dropped the oldest unsynced readings (gap recorded)');
    return deleted;
  }

  #fold(): Promise<number> {
    return this.#withSyncHeld(() => this.#foldHeld());
  }

  async #foldHeld(): Promise<number> {
    const s = this.#s!;
    const rows = this.#unclaimed(s.oldestNormal.all(CHUNK) as Candidate[]);
    const window = this.#config.downsampleWindowMs;
    const groups = new Map<string, Candidate[]>();
    for (const r of rows) {
      // Aggregates are never folded again.
      if (r.sensor.includes(':')) continue;
      const key = `${r.asset}\u0000${r.sensor}\u0000${Math.floor(r.ts / window)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(r);
    }
    // Four aggregate rows replace a group: only worth it for larger groups.
    const foldable = [...groups.values()].filter((g) => g.length > 4);
    if (foldable.length === 0) return 0;
    const now = this.#clock();
    const entries: OutboxEntry[] = [];
    const folded: Candidate[] = [];
    for (const g of foldable) {
      let min = Infinity, max = -Infinity, sum = 0;
      for (const r of g) { min = Math.min(min, r.value); max = Math.max(max, r.value); sum += r.value; }
      const first = g[0]!;
      const ts = Math.floor(first.ts / window) * window;
      const base = { ts, receivedAt: now, asset: first.asset, unit: first.unit, quality: 'aggregate' };
      const readings: ReadingRow[] = [
        { ...base, sensor: first.sensor, value: sum / g.length },
        { ...base, sensor: `${first.sensor}:min`, value: min },
        { ...base, sensor: `${first.sensor}:max`, value: max },
        { ...base, sensor: `${first.sensor}:count`, value: g.length, unit: null },
      ];
      entries.push({ source: 'aggregate', clientId: null, packetId: null, digest: null, readings, deadLetter: null });
      folded.push(...g);
    }
    const ts = folded.map((r) => r.ts);
    const { deleted, lastSeq } = await this.#outbox.fold(toRanges(folded.map((r) => r.seq)), folded.length, entries,
      { fromTs: Math.min(...ts), toTs: Math.max(...ts), reason: 'downsampled', createdAt: now });
    if (deleted < 0) return 0; // rows changed under the pass (synced or marked anomalous meanwhile): tried again next pass
    this.#pipeline.announce(lastSeq); // the aggregates may be synced
    this.#accountDeleted(deleted);
    this.#sync.onCommitted(entries);
    this.totals.folded += deleted;
    this.#metrics.readingsLost.inc({ reason: 'downsampled' }, deleted);
    this.#log.warn({ folded: deleted, aggregates: entries.length * 4 }, 'outbox at its disk budget: folded old normal readings into aggregates (gap recorded)');
    return deleted;
  }

  #accountDeleted(n: number): void {
    this.#outbox.noteDeleted(n);
    this.#sync.onPendingDeleted(n);
  }

  #noteRefused(entry: OutboxEntry): void {
    const readings = entry.readings ?? [];
    if (readings.length === 0) return;
    this.totals.refusedQos0 += readings.length;
    this.#metrics.readingsLost.inc({ reason: 'rejected-full' }, readings.length);
    const r = (this.#refused ??= { fromTs: Infinity, toTs: -Infinity, count: 0 });
    for (const x of readings) {
      r.fromTs = Math.min(r.fromTs, x.ts);
      r.toTs = Math.max(r.toTs, x.ts);
    }
    r.count += readings.length;
  }

  async #flushRefusedGap(): Promise<void> {
    const r = this.#refused;
    if (!r || !this.#s || !this.#outbox.isOpen) return;
    this.#refused = null;
    try {
      await this.#outbox.writer.gap({ fromTs: r.fromTs, toTs: r.toTs, count: r.count, reason: 'rejected-full', createdAt: this.#clock() });
    } catch (err) {
      // Not lost: merged into the next gap record.
      const next = (this.#refused ??= { fromTs: Infinity, toTs: -Infinity, count: 0 });
      next.fromTs = Math.min(next.fromTs, r.fromTs);
      next.toTs = Math.max(next.toTs, r.toTs);
      next.count += r.count;
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stopped = true; // no further pass is scheduled
    await this.#checking;
    try {
      await this.#flushRefusedGap();
    } catch (err) {
      this.#log.error({ err }, 'could not record the last gap');
    }
    this.#s = undefined;
  }
}

/**
 * The store-and-forward outbox: readings and dead letters in one SQLite database. Writes are group commits
 * (one synchronous transaction for a whole micro-batch); statements are prepared once in open().
 *
 * The outbox owns its database: every statement on it lives in this folder (the sibling stores: sync lanes,
 * scores, HTTP events, budget, retention, checkpoints), and other folders use their methods. The handle is
 * reachable only through `databaseOf`, which nothing outside gateway/outbox/ imports (a test holds the line).
 */
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { StorageError } from '../../shared/errors.js';

import { openOutboxDatabase, outboxPath, type Durability, type OutboxDatabase } from './database.js';

import { packEntries } from './packed-entries.js';

import { OutboxWriter } from './writer.js';
import type { ReadingSource, OutboxEntry, StoredReading, StoredDeadLetter, ReadingQuery, OutboxStats, WriteResult, DeadLetterSummary, GapRow, BatchResult, HttpEventRecord, SeqRange } from './rows.js';

export type { ReadingSource, ReadingRow, OutboxEntry, DeadLetterRow, StoredReading, StoredDeadLetter, ReadingQuery, OutboxStats, WriteResult, DeadLetterSummary } from './rows.js';

/**
 * WAL checkpoints on the writer thread this often while it writes, between commits. Measured at 10,000 QoS 1
 * msgs/s: a checkpoint holds the next commit for the pages it copies, so small frequent ones (250 ms) gave a lower
 * PUBACK p99 than one a second (13–14 against 18–28 ms) or every 5 s (43–62 ms).
 */
const CHECKPOINT_INTERVAL_MS = 250;

/** The outbox's connection, for the stores of this folder that share its file and transactions. */
export let databaseOf: (outbox: Outbox) => OutboxDatabase;

type Statement = Database.Statement<unknown[]>;

interface Prepared {
  recentDeadLetters: Statement;
}

interface RawReading {
  seq: number; ts: number; received_at: number; asset: string; sensor: string; value: number;
  unit: string | null; quality: string | number | null; source: ReadingSource; client_id: string | null;
}

export class Outbox {
  readonly #dataDir: string;
  readonly #durability: Durability;
  readonly #checkpoints: boolean;
  readonly #log: Logger;
  #db: OutboxDatabase | undefined;
  #writer: OutboxWriter | undefined;
  #stmts: Prepared | undefined;
  #closing = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #epoch = '';
  #lastSeq = 0;
  #readingCount = 0;
  #deadLetterCount = 0;

  static {
    databaseOf = (outbox) => outbox.#requireDb();
  }

  constructor(deps: { dataDir: string; durability: Durability; log: Logger; checkpointInWorker?: boolean }) {
    this.#dataDir = deps.dataDir;
    this.#durability = deps.durability;
    this.#checkpoints = deps.checkpointInWorker !== true;
    this.#log = deps.log;
  }

  /** Opens the reading connection (migrating the schema), then starts the writer thread. */
  async open(): Promise<void> {
    const db = openOutboxDatabase(this.#dataDir, this.#durability);
    this.#db = db;
    const meta = (key: string) => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string }).value;
    this.#epoch = meta('epoch');
    const maxSeq = (db.prepare('SELECT max(seq) AS m FROM readings').get() as { m: number | null }).m ?? 0;
    this.#lastSeq = Math.max(maxSeq, Number(meta('seq_hwm')));
    this.#readingCount = (db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
    this.#deadLetterCount = (db.prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n;
    this.#stmts = {
      recentDeadLetters: db.prepare('SELECT id, received_at, topic, client_id, reason, detail FROM dead_letters ORDER BY id DESC LIMIT ?'),
    };
    this.#closing = false;
    try {
      this.#writer = await this.#startWriter();
    } catch (err) {
      db.close();
      this.#db = undefined;
      throw new StorageError(`outbox writer did not start: ${(err as Error).message}`, err);
    }
    this.#log.info({ file: outboxPath(this.#dataDir), epoch: this.#epoch, nextSeq: this.#lastSeq + 1,
      readings: this.#readingCount, durability: this.#durability }, 'outbox open');
  }

  async #startWriter(): Promise<OutboxWriter> {
    const writer = await OutboxWriter.start({
      file: outboxPath(this.#dataDir), synchronous: this.#durability === 'power-loss' ? 'full' : 'normal',
      checkpoints: this.#checkpoints, checkpointIntervalMs: CHECKPOINT_INTERVAL_MS,
    }, this.#log);
    void writer.ended.then(() => {
      if (this.#writer === writer && !this.#closing) this.#restartWriter(0);
    });
    return writer;
  }

  /**
   * A writer thread that ended unasked (a crash) is started again: its seq counter is rebuilt from the disk, and
   * whatever it held was failed, so no caller was told "stored". Until it is back, writes are refused.
   */
  #restartWriter(attempt: number): void {
    const delayMs = Math.min(30_000, 100 * 2 ** attempt);
    this.#log.error({ attempt, delayMs }, 'outbox writer thread ended unexpectedly; restarting it');
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#closing) return;
      this.#startWriter().then(async (writer) => {
        if (this.#closing) {
          await writer.close();
          return;
        }
        this.#writer = writer;
        this.#log.info('outbox writer thread restarted');
      }, (err: unknown) => {
        this.#log.error({ err }, 'restarting the outbox writer thread failed');
        this.#restartWriter(attempt + 1);
      });
    }, delayMs);
  }

  get epoch(): string {
    return this.#epoch;
  }

  get isOpen(): boolean {
    return this.#db?.open === true && this.#writer?.running === true;
  }

  /** The writer thread, for the stores of this folder. */
  get writer(): OutboxWriter {
    if (!this.#writer?.running) throw new StorageError('outbox is not open');
    return this.#writer;
  }

  /**
   * One transaction for all entries, on the writer thread; resolves once it committed (fsynced under power-loss
   * durability), with each entry's `firstSeq` set. Rejects with StorageError; then nothing of the batch is stored.
   */
  async write(entries: readonly OutboxEntry[]): Promise<WriteResult> {
    const result = await this.writer.write(packEntries(entries));
    return this.#committed(entries, result);
  }

  /**
   * The disk budget's downsampling: unsynced seq ranges replaced by aggregate entries, with the gap, in one
   * transaction. Resolves with the rows replaced (-1 when they changed meanwhile: nothing written) and the last
   * seq the aggregates took.
   */
  async fold(ranges: readonly SeqRange[], expected: number, aggregates: readonly OutboxEntry[], gap: Omit<GapRow, 'count'>): Promise<{ deleted: number; lastSeq: number }> {
    const { deleted, batch } = await this.writer.budgetFold(ranges, expected, packEntries(aggregates), gap);
    if (batch !== null) this.#committed(aggregates, batch);
    return { deleted, lastSeq: batch?.lastSeq ?? this.#lastSeq };
  }

  #committed(entries: readonly OutboxEntry[], result: BatchResult): WriteResult {
    for (const i of result.deduplicated) entries[i]!.deduplicated = true;
    let seq = result.firstSeq;
    for (const e of entries) {
      if (e.readings === null || e.deduplicated === true) continue;
      e.firstSeq = seq;
      seq += e.readings.length;
    }
    this.#lastSeq = Math.max(this.#lastSeq, result.lastSeq);
    this.#readingCount += result.readings;
    this.#deadLetterCount += result.deadLetters;
    return { readings: result.readings, deadLetters: result.deadLetters };
  }

  /** Readings deleted by retention or the disk budget. */
  noteDeleted(readings: number): void {
    this.#readingCount = Math.max(0, this.#readingCount - readings);
  }

  queryReadings(q: ReadingQuery): StoredReading[] {
    const db = this.#requireDb();
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.asset !== undefined) { where.push('asset = ?'); args.push(q.asset); }
    if (q.sensor !== undefined) { where.push('sensor = ?'); args.push(q.sensor); }
    if (q.from !== undefined) { where.push('ts >= ?'); args.push(q.from); }
    if (q.to !== undefined) { where.push('ts < ?'); args.push(q.to); }
    if (q.afterSeq !== undefined) { where.push('seq > ?'); args.push(q.afterSeq); }
    const sql = `SELECT seq, ts, received_at, asset, sensor, value, unit, quality, source, client_id FROM readings
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ?`;
    const rows = db.prepare(sql).all(...args, q.limit) as RawReading[];
    return rows.map(toStoredReading);
  }

  queryDeadLetters(q: { afterId?: number | undefined; reason?: string | undefined; limit: number }): StoredDeadLetter[] {
    const db = this.#requireDb();
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.reason !== undefined) { where.push('reason = ?'); args.push(q.reason); }
    if (q.afterId !== undefined) { where.push('id > ?'); args.push(q.afterId); }
    const sql = `SELECT id, received_at, source, topic, client_id, reason, detail, payload, payload_size FROM dead_letters
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    const rows = db.prepare(sql).all(...args, q.limit) as Array<{
      id: number; received_at: number; source: string; topic: string; client_id: string | null; reason: string;
      detail: string; payload: Buffer; payload_size: number;
    }>;
    return rows.map((r) => ({
      id: r.id,
      receivedAt: r.received_at,
      source: r.source,
      topic: r.topic,
      ...(r.client_id === null ? {} : { clientId: r.client_id }),
      reason: r.reason,
      detail: r.detail,
      payloadSize: r.payload_size,
      payload: r.payload.toString('base64'),
      payloadTruncated: r.payload.length < r.payload_size,
    }));
  }

  /** The newest dead letters, newest first, without their payloads. */
  recentDeadLetters(limit: number): DeadLetterSummary[] {
    const stmt = this.#stmts?.recentDeadLetters;
    if (!stmt) return [];
    const rows = stmt.all(limit) as Array<{ id: number; received_at: number; topic: string; client_id: string | null; reason: string; detail: string }>;
    return rows.map((r) => ({ id: r.id, receivedAt: r.received_at, topic: r.topic, clientId: r.client_id, reason: r.reason, detail: r.detail }));
  }

  /** The SQLite library's version, for the health report. */
  sqliteVersion(): string {
    return (this.#requireDb().prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  }

  stats(): OutboxStats {
    return {
      epoch: this.#epoch,
      readings: this.#readingCount,
      deadLetters: this.#deadLetterCount,
      lastSeq: this.#lastSeq,
      bytes: this.fileBytes(),
    };
  }

  /** Database + WAL size on disk. */
  fileBytes(): number {
    const base = outboxPath(this.#dataDir);
    let total = 0;
    for (const f of [base, `${base}-wal`]) {
      try {
        total += statSync(f).size;
      } catch {
        // the WAL may not exist between checkpoints
      }
    }
    return total;
  }

  /**
   * A write probe for /health/db: the writer commits a no-op update, so a read-only or failing disk shows; a
   * writer that does not answer within `timeoutMs` (stuck on the disk) counts as a failure too.
   */
  async probeWritable(timeoutMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StorageError(`the outbox writer did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.writer.probe(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Lets the writer finish every write asked of it (folding the WAL in), then closes both connections. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    const writer = this.#writer;
    this.#writer = undefined;
    await writer?.close();
    if (this.#db?.open) {
      this.#db.close();
      this.#log.info({ lastSeq: this.#lastSeq }, 'outbox closed');
    }
    this.#stmts = undefined;
  }

  #requireDb(): OutboxDatabase {
    if (!this.#db?.open) throw new StorageError('outbox is not open');
    return this.#db;
  }
}

function toStoredReading(r: RawReading): StoredReading {
  return {
    seq: r.seq,
    ts: r.ts,
    receivedAt: r.received_at,
    asset: r.asset,
    sensor: r.sensor,
    value: r.value,
    ...(r.unit === null ? {} : { unit: r.unit }),
    ...(r.quality === null ? {} : { quality: r.quality }),
    source: r.source,
    ...(r.client_id === null ? {} : { clientId: r.client_id }),
  };
}

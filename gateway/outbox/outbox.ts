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
import type { HttpEventRecord } from './http-events.js';
import { openOutboxDatabase, outboxPath, type Durability, type OutboxDatabase } from './database.js';
import { WalSync, type DurableCallback } from './wal-sync.js';

/** Where a reading came from; `aggregate` rows are written by the disk budget's downsample policy. */
export type ReadingSource = 'mqtt' | 'http' | 'aggregate';

export interface ReadingRow {
  ts: number;
  receivedAt: number;
  asset: string;
  sensor: string;
  value: number;
  unit: string | null;
  quality: string | number | null;
}

/** One message's worth of work for a group commit: its readings, or its dead letter. */
export interface OutboxEntry {
  source: ReadingSource;
  clientId: string | null;
  /** MQTT QoS 1 packet id and payload digest, kept to recognise redeliveries. */
  packetId: number | null;
  digest: number | null;
  readings: readonly ReadingRow[] | null;
  deadLetter: DeadLetterRow | null;
  /** Filled in by write(): the seq of the first reading of this entry. */
  firstSeq?: number;
  /** HTTP ingest: event ids, origin metadata and the Idempotency-Key record, written in the same transaction. */
  http?: HttpEventRecord;
}

/** Runs inside write()'s transaction after the entries' rows are inserted (firstSeq set); a throw rolls it all back. */
export type WriteHook = (entries: readonly OutboxEntry[]) => void;

export interface DeadLetterRow {
  receivedAt: number;
  topic: string;
  reason: string;
  detail: string;
  payload: Buffer;
  payloadSize: number;
}

export interface StoredReading {
  seq: number;
  ts: number;
  receivedAt: number;
  asset: string;
  sensor: string;
  value: number;
  unit?: string;
  quality?: string | number;
  source: ReadingSource;
  clientId?: string;
}

export interface StoredDeadLetter {
  id: number;
  receivedAt: number;
  source: string;
  topic: string;
  clientId?: string;
  reason: string;
  detail: string;
  payloadSize: number;
  /** Base64 of the kept bytes (capped). */
  payload: string;
  payloadTruncated: boolean;
}

export interface ReadingQuery {
  asset?: string | undefined;
  sensor?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  afterSeq?: number | undefined;
  limit: number;
}

export interface OutboxStats {
  epoch: string;
  readings: number;
  deadLetters: number;
  lastSeq: number;
  bytes: number;
}

export interface WriteResult {
  readings: number;
  deadLetters: number;
}

/** A dead letter as the status page lists it (no payload). */
export interface DeadLetterSummary {
  id: number;
  receivedAt: number;
  topic: string;
  clientId: string | null;
  reason: string;
  detail: string;
}

/** The outbox's connection, for the stores of this folder that share its file and transactions. */
export let databaseOf: (outbox: Outbox) => OutboxDatabase;

type Statement = Database.Statement<unknown[]>;

interface Prepared {
  insertReading: Statement;
  insertDeadLetter: Statement;
  setHwm: Statement;
  findRedelivery: Statement;
  recentDeadLetters: Statement;
}

interface RawReading {
  seq: number; ts: number; received_at: number; asset: string; sensor: string; value: number;
  unit: string | null; quality: string | number | null; source: ReadingSource; client_id: string | null;
}

export class Outbox {
  readonly #dataDir: string;
  readonly #durability: Durability;
  readonly #log: Logger;
  readonly #observeSync: ((seconds: number) => void) | undefined;
  #walSync: WalSync | undefined;
  #db: OutboxDatabase | undefined;
  #stmts: Prepared | undefined;
  #writeTx: ((entries: readonly OutboxEntry[]) => WriteResult) | undefined;
  #epoch = '';
  #nextSeq = 1;
  #readingCount = 0;
  #deadLetterCount = 0;
  readonly #writeHooks: WriteHook[] = [];

  static {
    databaseOf = (outbox) => outbox.#requireDb();
  }

  constructor(deps: { dataDir: string; durability: Durability; log: Logger; observeSync?: (seconds: number) => void }) {
    this.#dataDir = deps.dataDir;
    this.#durability = deps.durability;
    this.#log = deps.log;
    this.#observeSync = deps.observeSync;
  }

  open(): void {
    const db = openOutboxDatabase(this.#dataDir, this.#durability);
    this.#db = db;
    const meta = (key: string) => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string }).value;
    this.#epoch = meta('epoch');
    const maxSeq = (db.prepare('SELECT max(seq) AS m FROM readings').get() as { m: number | null }).m ?? 0;
    this.#nextSeq = Math.max(maxSeq, Number(meta('seq_hwm'))) + 1;
    this.#readingCount = (db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
    this.#deadLetterCount = (db.prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n;
    this.#stmts = {
      insertReading: db.prepare(
        `INSERT INTO readings (seq, ts, received_at, asset, sensor, value, unit, quality, source, client_id, packet_id, digest)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertDeadLetter: db.prepare(
        `INSERT INTO dead_letters (received_at, source, topic, client_id, reason, detail, payload, payload_size)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      setHwm: db.prepare("UPDATE meta SET value = ? WHERE key = 'seq_hwm'"),
      findRedelivery: db.prepare(
        `SELECT 1 FROM readings
         WHERE client_id = ? AND packet_id = ? AND digest = ? AND received_at >= ? AND received_at < ? LIMIT 1`,
      ),
      recentDeadLetters: db.prepare('SELECT id, received_at, topic, client_id, reason, detail FROM dead_letters ORDER BY id DESC LIMIT ?'),
    };
    const stmts = this.#stmts;
    this.#writeTx = db.transaction((entries: readonly OutboxEntry[]): WriteResult => {
      let seq = this.#nextSeq;
      let readings = 0;
      let deadLetters = 0;
      for (const e of entries) {
        if (e.readings !== null) {
          e.firstSeq = seq;
          for (const r of e.readings) {
            stmts.insertReading.run(seq++, r.ts, r.receivedAt, r.asset, r.sensor, r.value, r.unit, r.quality,
              e.source, e.clientId, e.packetId, e.digest);
            readings++;
          }
        }
        if (e.deadLetter !== null) {
          const d = e.deadLetter;
          stmts.insertDeadLetter.run(d.receivedAt, e.source, d.topic, e.clientId, d.reason, d.detail, d.payload, d.payloadSize);
          deadLetters++;
        }
      }
      if (readings > 0) stmts.setHwm.run(String(seq - 1));
      for (const hook of this.#writeHooks) hook(entries);
      // Only advance the in-memory counter once the statements succeeded; a throw rolls the transaction back.
      this.#nextSeq = seq;
      return { readings, deadLetters };
    });
    if (this.#durability === 'power-loss') {
      const walSync = new WalSync({ dbPath: outboxPath(this.#dataDir), ...(this.#observeSync ? { observe: this.#observeSync } : {}) });
      try {
        walSync.open(this.#nextSeq - 1);
      } catch (err) {
        db.close();
        throw new StorageError(`cannot sync the outbox WAL: ${(err as Error).message}`, err);
      }
      this.#walSync = walSync;
    }
    this.#log.info({ file: outboxPath(this.#dataDir), epoch: this.#epoch, nextSeq: this.#nextSeq,
      readings: this.#readingCount, durability: this.#durability }, 'outbox open');
  }

  /** Sibling stores that must commit with the readings (HTTP idempotency keys) add their rows here. */
  addWriteHook(hook: WriteHook): void {
    this.#writeHooks.push(hook);
  }

  get epoch(): string {
    return this.#epoch;
  }

  get isOpen(): boolean {
    return this.#db?.open === true;
  }

  /** One transaction for all entries. Throws StorageError; on error nothing of the batch is stored. */
  write(entries: readonly OutboxEntry[]): WriteResult {
    const tx = this.#writeTx;
    if (!tx) throw new StorageError('outbox is not open');
    const seqBefore = this.#nextSeq;
    try {
      const result = tx(entries);
      this.#readingCount += result.readings;
      this.#deadLetterCount += result.deadLetters;
      return result;
    } catch (err) {
      this.#nextSeq = seqBefore;
      for (const e of entries) delete e.firstSeq;
      throw new StorageError(`outbox write failed: ${(err as Error).message}`, err);
    }
  }

  /**
   * `done` runs once everything committed so far is durable as `outbox.durability` promises: at once for
   * process-crash (the OS has the writes), after the WAL's next fsync for power-loss.
   */
  whenDurable(done: DurableCallback): void {
    if (this.#walSync === undefined) done(this.isOpen ? null : new StorageError('outbox is not open'));
    else this.#walSync.request(this.#nextSeq - 1, done);
  }

  /** Readings up to this seq are as durable as `outbox.durability` promises; sync never sends past it. */
  get durableUpTo(): number {
    return this.#walSync?.durableUpTo ?? this.#nextSeq - 1;
  }

  /** Whether a durability wait is outstanding. */
  get syncing(): boolean {
    return this.#walSync?.busy === true;
  }

  /** Readings deleted by retention or the disk budget. */
  noteDeleted(readings: number): void {
    this.#readingCount = Math.max(0, this.#readingCount - readings);
  }

  /**
   * True if this client had a message with the same packet id and content stored in [sinceMs, beforeMs). A commit
   * in the very millisecond a connection began counts as that connection's: the rare miss stores a duplicate,
   * never drops a reading.
   */
  hasRedelivery(clientId: string, packetId: number, digest: number, sinceMs: number, beforeMs: number): boolean {
    return this.#stmts?.findRedelivery.get(clientId, packetId, digest, sinceMs, beforeMs) !== undefined;
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
      lastSeq: this.#nextSeq - 1,
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

  /** A write probe for /health/db: commits a no-op update, so a read-only or failing disk shows. */
  probeWritable(): void {
    const db = this.#requireDb();
    db.transaction(() => {
      db.prepare("UPDATE meta SET value = value WHERE key = 'epoch'").run();
    })();
  }

  close(): void {
    this.#walSync?.close();
    this.#walSync = undefined;
    if (this.#db?.open) {
      this.#db.close();
      this.#log.info({ lastSeq: this.#nextSeq - 1 }, 'outbox closed');
    }
    this.#writeTx = undefined;
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

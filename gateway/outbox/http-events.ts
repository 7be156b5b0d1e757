/**
 * The HTTP side of the outbox: per-event rows (event id, correlation id, origin metadata) and Idempotency-Key
 * records, written by the writer thread inside the same transaction as the readings (`httpEventWrites`), so
 * "200 event_published" and "the key is remembered" are one fact on disk and survive a restart together. Also
 * the read queries the origin API needs (latest readings of an asset, values of a window for drift), on the
 * outbox's reading connection.
 */
import type Database from 'better-sqlite3';
import { StorageError } from '../../shared/errors.js';
import { databaseOf, type Outbox } from './outbox.js';
import type { HttpEventRecord, StoredIdempotency, RecentReading } from './rows.js';

export type { HttpEvent, HttpEventRecord, StoredIdempotency, RecentReading } from './rows.js';

type Stmt = Database.Statement<unknown[]>;

const MAX_SENSORS = 200;

interface Statements {
  findKey: Stmt; countKeys: Stmt; recentSensor: Stmt; values: Stmt; sensors: Stmt;
}

/** The writer thread's half: an entry's HTTP record after its readings got seqs, and the keys' pruning. */
export function httpEventWrites(db: Database.Database): { record(firstSeq: number, h: HttpEventRecord): void; prune(before: number): number } {
  const insertEvent = db.prepare('INSERT INTO http_events (seq, count, event_id, correlation_id, sensor_id, device_id, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const upsertKey = db.prepare('INSERT OR REPLACE INTO idempotency_keys (device_id, key, request_hash, response, created_at) VALUES (?, ?, ?, ?, ?)');
  const pruneKeys = db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?');
  return {
    record(firstSeq, h) {
      let seq = firstSeq;
      for (const ev of h.events) {
        insertEvent.run(seq, ev.readings, ev.eventId, ev.correlationId, ev.sensorId, h.deviceId, ev.metadata);
        seq += ev.readings;
      }
      const k = h.idempotency;
      if (k !== null) upsertKey.run(h.deviceId ?? '', k.key, k.requestHash, k.response, k.createdAt);
    },
    prune: (before) => pruneKeys.run(before).changes,
  };
}

export class HttpEventStore {
  readonly #outbox: Outbox;
  #stmts: Statements | undefined;

  constructor(deps: { outbox: Outbox }) {
    this.#outbox = deps.outbox;
  }

  /** Prepares the read statements on the open outbox. Call after outbox.open(). */
  open(): void {
    if (this.#stmts) return;
    const db = databaseOf(this.#outbox);
    this.#stmts = {
      findKey: db.prepare('SELECT request_hash, response, created_at FROM idempotency_keys WHERE device_id = ? AND key = ? AND created_at >= ?'),
      countKeys: db.prepare('SELECT count(*) AS n FROM idempotency_keys'),
      recentSensor: db.prepare(`SELECT seq, ts, sensor, value, unit, quality, source FROM readings WHERE asset = ? AND sensor = ?
        ORDER BY ts DESC, seq DESC LIMIT ?`),
      values: db.prepare('SELECT value FROM readings WHERE asset = ? AND sensor = ? AND ts >= ? AND ts < ? LIMIT ?'),
      // A skip scan over the (asset, sensor, ts) index: one seek per distinct sensor, not a walk over every reading.
      sensors: db.prepare(`WITH RECURSIVE s(sensor, n) AS (
          SELECT (SELECT min(sensor) FROM readings WHERE asset = @asset), 1
          UNION ALL
          SELECT (SELECT min(sensor) FROM readings WHERE asset = @asset AND sensor > s.sensor), n + 1 FROM s
          WHERE s.sensor IS NOT NULL AND n < @max)
        SELECT sensor FROM s WHERE sensor IS NOT NULL`),
    };
  }

  get isOpen(): boolean {
    return this.#stmts !== undefined && this.#outbox.isOpen;
  }

  findIdempotency(deviceId: string, key: string, since: number): StoredIdempotency | undefined {
    const row = this.#require().findKey.get(deviceId, key, since) as { request_hash: string; response: string; created_at: number } | undefined;
    return row ? { requestHash: row.request_hash, response: row.response, createdAt: row.created_at } : undefined;
  }

  /** Forget keys older than `before`; resolves with how many. */
  pruneIdempotency(before: number): Promise<number> {
    this.#require();
    return this.#outbox.writer.pruneIdempotency(before);
  }

  idempotencyCount(): number {
    return (this.#require().countKeys.get() as { n: number }).n;
  }

  /** The latest readings of an asset (of one sensor, or of each of its sensors merged), newest first. */
  recent(asset: string, sensor: string | undefined, limit: number): RecentReading[] {
    const s = this.#require();
    if (sensor !== undefined) return s.recentSensor.all(asset, sensor, limit) as RecentReading[];
    const rows: RecentReading[] = [];
    for (const name of this.sensorsOf(asset)) rows.push(...(s.recentSensor.all(asset, name, limit) as RecentReading[]));
    rows.sort((a, b) => b.ts - a.ts || b.seq - a.seq);
    return rows.slice(0, limit);
  }

  values(asset: string, sensor: string, from: number, to: number, limit: number): number[] {
    return (this.#require().values.all(asset, sensor, from, to, limit) as Array<{ value: number }>).map((r) => r.value);
  }

  /** The sensors an asset has readings of (at most MAX_SENSORS). */
  sensorsOf(asset: string): string[] {
    return (this.#require().sensors.all({ asset, max: MAX_SENSORS }) as Array<{ sensor: string }>).map((r) => r.sensor);
  }

  #require(): Statements {
    if (!this.#stmts || !this.#outbox.isOpen) throw new StorageError('outbox is not open');
    return this.#stmts;
  }
}

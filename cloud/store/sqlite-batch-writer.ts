/**
 * Writes ingest batches into the SQLite cloud database: one transaction per group of batches, exact
 * accepted/duplicate counts per batch (`changes` of each ON CONFLICT DO NOTHING insert). A batch sent under an
 * Idempotency-Key is claimed in the same transaction, and answers recorded since the last group are written
 * at its start: no transaction (and no WAL commit) of their own. Used on the main thread or inside the writer
 * thread (sqlite-writer-thread.ts); statements are prepared once.
 */
import type Database from 'better-sqlite3';
import type { IdempotencyRequest, IngestOnceResult, IngestResult } from './store.js';
import { NUM_COLS, TEXT_COLS, type PackedReadings, type PackedWrite } from './packed-readings.js';
import { type Completion, SqliteIdempotency } from './sqlite-idempotency.js';

/** A batch to write, and the Idempotency-Key to claim first (null: none). */
export interface GroupItem {
  write: PackedWrite;
  claim: IdempotencyRequest | null;
}

/** At most one write a second of a gateway's last-sync mark, and of a model version's last-seen time. */
const MARK_INTERVAL_MS = 1_000;
/** Rows per multi-row INSERT: fewer statement steps per batch, well under SQLite's parameter limit. */
const CHUNK = 50;
/** Bound parameters per reading row (the id is assigned by SQLite). */
const READING_COLS = 12;
const READING_INSERT_HEAD =
  'INSERT INTO readings (stream_id, seq, ts, received_at, ingested_at, asset, sensor, value, unit, quality, scores, historical, id) VALUES ';
const READING_TAIL = ' ON CONFLICT (stream_id, seq) DO NOTHING';
const ROW = '(?,?,?,?,?,?,?,?,?,?,?,?,NULL)';

type Stmt = Database.Statement;

export class SqliteBatchWriter {
  private readonly findStream: Stmt;
  private readonly insertStream: Stmt;
  private readonly insertChunk: Stmt;
  private readonly insertOne: Stmt;
  private readonly insertAlert: Stmt;
  private readonly insertGap: Stmt;
  private readonly upsertModel: Stmt;
  private readonly touchGateway: Stmt;
  private readonly streams = new Map<string, number>();
  private readonly marks = new Map<string, number>();
  private readonly params = new Array<unknown>(CHUNK * READING_COLS);
  private readonly one = new Array<unknown>(READING_COLS);
  /** One transaction: the completions, then each item's claim and write, in order. */
  readonly writeGroup: (items: GroupItem[], completions: Completion[]) => IngestOnceResult[];

  constructor(db: Database.Database, idem: SqliteIdempotency) {
    this.findStream = db.prepare('SELECT id FROM streams WHERE gateway_id = ? AND epoch = ?');
    this.insertStream = db.prepare('INSERT INTO streams (gateway_id, epoch) VALUES (?, ?)');
    this.insertChunk = db.prepare(READING_INSERT_HEAD + new Array(CHUNK).fill(ROW).join(',') + READING_TAIL);
    this.insertOne = db.prepare(READING_INSERT_HEAD + ROW + READING_TAIL);
    this.insertAlert = db.prepare(
      `INSERT INTO alerts (gateway_id, alert_id, asset, model, version, output, severity, state, value, threshold, ts)
       VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
    );
    this.insertGap = db.prepare(
      `INSERT INTO gaps (gateway_id, epoch, from_ts, to_ts, count, reason, received_at) VALUES (?,?,?,?,?,?,?)
       ON CONFLICT DO NOTHING`,
    );
    this.upsertModel = db.prepare(
      `INSERT INTO model_versions (gateway_id, model, version, first_seen, last_seen) VALUES (?,?,?,?,?)
       ON CONFLICT DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`,
    );
    this.touchGateway = db.prepare(
      `INSERT INTO gateways (id, last_sync_at, last_batch_id) VALUES (?,?,?)
       ON CONFLICT (id) DO UPDATE SET last_sync_at = excluded.last_sync_at, last_batch_id = excluded.last_batch_id`,
    );
    const group = db.transaction((items: GroupItem[], completions: Completion[]): IngestOnceResult[] => {
      for (const c of completions) idem.complete(...c);
      return items.map(({ write, claim }) => {
        if (claim) {
          const verdict = idem.claimWithin(claim.scope, claim.key, claim.bodyHash, write.now, claim.staleAfterMs);
          if (verdict.kind !== 'claimed') return verdict;
        }
        return { kind: 'stored', result: this.writeBatch(write) };
      });
    });
    // IMMEDIATE: take the write lock up front. A deferred transaction that first reads (the stream lookup) fails
    // with SQLITE_BUSY_SNAPSHOT, without waiting, if another connection commits before its first write.
    this.writeGroup = (items, completions) => {
      try {
        return group.immediate(items, completions);
      } catch (err) {
        this.forget();
        throw err;
      }
    };
  }

  /**
   * Inside the transaction, so a stream created here disappears with it on rollback; ids are cached (a stream's
   * id never changes) and the cache is dropped with a failed group (forget()).
   */
  private streamId(gatewayId: string, epoch: string): number {
    const key = `${gatewayId}\0${epoch}`;
    let id = this.streams.get(key);
    if (id === undefined) {
      const found = this.findStream.get(gatewayId, epoch) as { id: number } | undefined;
      id = found ? found.id : Number(this.insertStream.run(gatewayId, epoch).lastInsertRowid);
      if (this.streams.size > 100_000) this.streams.clear();
      this.streams.set(key, id);
    }
    return id;
  }

  /**
   * Whether `key` was marked less than MARK_INTERVAL_MS ago (by the batches' clock); if not, notes it now. The
   * gateway's last-sync mark and a model version's last-seen time are written at most once a second each, as
   * the PostgreSQL backend does: every batch rewrote the same rows, one more dirty page per commit.
   */
  private markedRecently(key: string, now: number): boolean {
    const last = this.marks.get(key);
    if (last !== undefined && now >= last && now - last < MARK_INTERVAL_MS) return true;
    if (this.marks.size > 100_000) this.marks.clear();
    this.marks.set(key, now);
    return false;
  }

  /** After a rolled-back group: what was cached or marked in it may not be in the database. */
  readonly forget = (): void => {
    this.streams.clear();
    this.marks.clear();
  };

  private writeBatch(w: PackedWrite): IngestResult {
    const rows = w.readings;
    const n = rows.length;
    const p = this.params;
    const stream = n > 0 ? this.streamId(w.gatewayId, w.epoch) : 0;
    let accepted = 0;
    let i = 0;
    for (; i + CHUNK <= n; i += CHUNK) {
      for (let j = 0; j < CHUNK; j++) fillReading(p, j * READING_COLS, stream, w.now, rows, i + j);
      // Spread, not the array: better-sqlite3 reads an array parameter element by element through V8's generic
      // property lookup; arguments are read directly (measured 2.3–2.7 → 2.0 µs per row with this schema).
      accepted += this.insertChunk.run(...p).changes;
    }
    for (; i < n; i++) {
      fillReading(this.one, 0, stream, w.now, rows, i);
      accepted += this.insertOne.run(...this.one).changes;
    }
    for (const a of w.alerts) {
      this.insertAlert.run(w.gatewayId, a.id, a.asset, a.model, a.version, a.output, a.severity, a.state, a.value, a.threshold, a.ts);
    }
    for (const g of w.gaps) this.insertGap.run(w.gatewayId, w.epoch, g.fromTs, g.toTs, g.count, g.reason, w.now);
    for (const m of w.models) {
      if (!this.markedRecently(`m\0${w.gatewayId}\0${m.model}\0${m.version}`, w.now)) {
        this.upsertModel.run(w.gatewayId, m.model, m.version, w.now, w.now);
      }
    }
    if (!this.markedRecently(`g\0${w.gatewayId}`, w.now)) this.touchGateway.run(w.gatewayId, w.now, w.batchId);
    return { accepted, duplicates: n - accepted };
  }
}

function fillReading(p: unknown[], o: number, stream: number, now: number, rows: PackedReadings, i: number): void {
  const nums = rows.nums;
  const text = rows.text;
  const strings = rows.strings;
  const a = i * NUM_COLS;
  const t = i * TEXT_COLS;
  p[o] = stream;
  p[o + 1] = nums[a];
  p[o + 2] = nums[a + 1];
  p[o + 3] = nums[a + 2];
  p[o + 4] = now;
  p[o + 5] = strings[text[t]!];
  p[o + 6] = strings[text[t + 1]!];
  p[o + 7] = nums[a + 3];
  p[o + 8] = text[t + 2]! < 0 ? null : strings[text[t + 2]!];
  p[o + 9] = text[t + 3]! < 0 ? null : strings[text[t + 3]!];
  p[o + 10] = text[t + 4]! < 0 ? null : strings[text[t + 4]!];
  p[o + 11] = nums[a + 4];
}

/** Most batches committed together by a group commit. */
export const MAX_GROUP = 8;
/** Longest a recorded answer waits for a group commit to ride in. */
export const COMPLETION_WAIT_MS = 20;

export interface Pending {
  item: GroupItem;
  resolve: (r: IngestOnceResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: batches queued while the thread is busy are written in one transaction (one WAL fsync)
 * at the next setImmediate. Each batch still gets its own exact counts, and none is answered before the
 * transaction holding its readings has committed. Completions wait for the next group (or start one): the
 * thread takes messages in order, so a later claim of the same key always finds its answer recorded.
 */
export class GroupCommitter {
  private readonly pending: Pending[] = [];
  private completions: Completion[] = [];
  private scheduled = false;
  private completionTimer: NodeJS.Timeout | undefined;
  private readonly write: (items: GroupItem[], completions: Completion[]) => IngestOnceResult[];

  /**
   * Group commits on `db`; `standalone` records completions in a transaction of their own (drained for a
   * standalone claim or release, or after their group failed); `lost` is told when answers could not be
   * recorded (their claims go stale and are taken over after inFlightTimeoutMs).
   */
  constructor(
    db: Database.Database,
    private readonly standalone: SqliteIdempotency,
    private readonly lost: (err: unknown, count: number) => void,
  ) {
    this.write = new SqliteBatchWriter(db, new SqliteIdempotency(db)).writeGroup;
  }

  submit(p: Pending): void {
    this.pending.push(p);
    this.schedule();
  }

  /**
   * Queues an answer for the next group's transaction. A completion starts no transaction of its own unless no
   * batch comes within COMPLETION_WAIT_MS: one arrives after nearly every ingest, and a commit (with its fsync)
   * for each would double the writer's commits under load.
   */
  complete(c: Completion): void {
    this.completions.push(c);
    if (!this.scheduled && this.completionTimer === undefined) {
      this.completionTimer = setTimeout(() => {
        this.completionTimer = undefined;
        if (this.completions.length > 0) this.schedule();
      }, COMPLETION_WAIT_MS);
    }
  }

  /** Writes pending completions now: for a standalone claim or release that must see them, and before closing. */
  drainCompletions(): void {
    this.cancelCompletionTimer();
    const completions = this.completions;
    this.completions = [];
    this.completeAlone(completions);
  }

  private completeAlone(completions: Completion[]): void {
    if (completions.length === 0) return;
    try {
      this.standalone.completeAll(completions);
    } catch (err) {
      this.lost(err, completions.length);
    }
  }

  private cancelCompletionTimer(): void {
    if (this.completionTimer !== undefined) {
      clearTimeout(this.completionTimer);
      this.completionTimer = undefined;
    }
  }

  private schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    this.cancelCompletionTimer();
    const group = this.pending.splice(0, MAX_GROUP);
    const completions = this.completions;
    this.completions = [];
    if (this.pending.length > 0) this.schedule();
    let results: IngestOnceResult[];
    try {
      results = this.write(group.map((g) => g.item), completions);
    } catch (err) {
      this.completeAlone(completions);
      for (const g of group) g.reject(err);
      return;
    }
    for (let i = 0; i < group.length; i++) group[i]!.resolve(results[i]!);
  }
}

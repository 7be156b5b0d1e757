/**
 * The outbox's group commit, as the writer thread runs it: a packed batch of entries in one transaction —
 * readings with their seqs, dead letters, the HTTP events and Idempotency-Key records of HTTP ingest, the seq
 * high-water mark. The writer owns seq assignment: seqs are never reused (the mark is stored with each commit).
 */
import type Database from 'better-sqlite3';
import { httpEventWrites } from './http-events.js';
import { ENTRY_COLS, type PackedEntries } from './packed-entries.js';
import type { BatchResult } from './rows.js';

export type { BatchResult } from './rows.js';

type Statement = Database.Statement<unknown[]>;

export class OutboxWrites {
  readonly #insertReading: Statement;
  readonly #insertDeadLetter: Statement;
  readonly #setHwm: Statement;
  readonly #findRedelivery: Statement;
  readonly #http: ReturnType<typeof httpEventWrites>;
  readonly #tx: (p: PackedEntries) => BatchResult;
  #nextSeq: number;

  constructor(db: Database.Database) {
    const meta = (key: string): string => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string }).value;
    const maxSeq = (db.prepare('SELECT max(seq) AS m FROM readings').get() as { m: number | null }).m ?? 0;
    this.#nextSeq = Math.max(maxSeq, Number(meta('seq_hwm'))) + 1;
    this.#insertReading = db.prepare(
      `INSERT INTO readings (seq, ts, received_at, asset, sensor, value, unit, quality, source, client_id, packet_id, digest)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#insertDeadLetter = db.prepare(
      `INSERT INTO dead_letters (received_at, source, topic, client_id, reason, detail, payload, payload_size)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#setHwm = db.prepare("UPDATE meta SET value = ? WHERE key = 'seq_hwm'");
    this.#findRedelivery = db.prepare(
      `SELECT 1 FROM readings
       WHERE client_id = ? AND packet_id = ? AND digest = ? AND received_at >= ? AND received_at < ? LIMIT 1`,
    );
    this.#http = httpEventWrites(db);
    this.#tx = db.transaction((p: PackedEntries) => this.#write(p));
  }

  /** One transaction for the whole batch; on a throw nothing of it is stored and no seq is used. */
  write(p: PackedEntries): BatchResult {
    return this.atomically(() => this.#tx(p));
  }

  /** Runs `fn` (a transaction that may write batches); if it throws, the seqs it took are given back. */
  atomically<T>(fn: () => T): T {
    const before = this.#nextSeq;
    try {
      return fn();
    } catch (err) {
      this.#nextSeq = before;
      throw err;
    }
  }

  #write(p: PackedEntries): BatchResult {
    const firstSeq = this.#nextSeq;
    let seq = firstSeq;
    const { nums, text, strings, entryInts, entryText } = p;
    const str = (k: number): string | null => (k < 0 ? null : strings[k]!);
    const firstSeqOf = new Array<number>(p.entries);
    const deduplicated: number[] = [];
    let r = 0;
    for (let i = 0; i < p.entries; i++) {
      const e = i * ENTRY_COLS;
      const count = entryInts[e]!;
      firstSeqOf[i] = seq;
      if (count <= 0) continue;
      const packetId = entryInts[e + 1]!;
      const digest = entryInts[e + 2]!;
      const source = strings[entryText[i * 2]!]!;
      const clientId = str(entryText[i * 2 + 1]!);
      const since = entryInts[e + 3]!;
      // Looked up inside the transaction: an original committed earlier, or earlier in this very batch, is seen.
      if (since >= 0 && packetId >= 0 && this.#findRedelivery.get(clientId, packetId, digest, since, entryInts[e + 4]!) !== undefined) {
        deduplicated.push(i);
        r += count;
        continue;
      }
      for (let k = 0; k < count; k++, r++) {
        const o = r * 4;
        const t = r * 4;
        const qn = nums[o + 3]!;
        this.#insertReading.run(seq++, nums[o]!, nums[o + 1]!, strings[text[t]!]!, strings[text[t + 1]!]!, nums[o + 2]!,
          str(text[t + 2]!), Number.isNaN(qn) ? str(text[t + 3]!) : qn, source, clientId,
          packetId < 0 ? null : packetId, digest < 0 ? null : digest);
      }
    }
    for (const [i, d] of p.deadLetters) {
      // A Buffer crosses threads as a Uint8Array: SQLite stores either as a blob.
      this.#insertDeadLetter.run(d.receivedAt, strings[entryText[i * 2]!]!, d.topic, str(entryText[i * 2 + 1]!), d.reason, d.detail,
        Buffer.from(d.payload.buffer, d.payload.byteOffset, d.payload.byteLength), d.payloadSize);
    }
    for (const [i, h] of p.http) this.#http.record(firstSeqOf[i]!, h);
    const readings = seq - firstSeq;
    if (readings > 0) this.#setHwm.run(String(seq - 1));
    this.#nextSeq = seq;
    return { firstSeq, lastSeq: seq - 1, readings, deadLetters: p.deadLetters.length, deduplicated };
  }
}

/**
 * The SQLite writer thread: its own connection to the cloud database, group-committing ingest batches
 * and keeping Idempotency-Key records, so the event loop that serves HTTP never blocks on inserts,
 * fsyncs or the write lock. Protocol in store-thread.ts. The schema is migrated by the main thread before this
 * thread starts. Messages are handled in arrival order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { GroupCommitter } from './sqlite-batch-writer.js';
import { type Completion, SqliteIdempotency } from './sqlite-idempotency.js';
import type { PackedWrite } from './packed-readings.js';
import type { IdempotencyRequest, IngestOnceResult } from './store.js';
import type { ThreadReply } from '../../shared/store-thread.js';

export interface WriterThreadData {
  file: string;
  synchronous: 'full' | 'normal';
}

export type WriterOp = 'ingest' | 'ingest-once' | 'claim' | 'complete' | 'release' | 'drain';

const port = parentPort;
if (port) {
  const { file, synchronous } = workerData as WriterThreadData;
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -32768');
  // Claims and completions of ingest requests ride in the readings' group transaction (measured: their own
  // two small transactions per batch were a sixth of this thread's time). Standalone claims, completions
  // after a failed group, and releases use their own connection with synchronous=NORMAL: losing the last of
  // these records to a power cut only turns a replayed answer into "duplicates" — exactly-once rests on the
  // readings' unique index, not on these records. Same thread, so the connections never wait for each other.
  const idemDb = new Database(file);
  idemDb.pragma('journal_mode = WAL');
  idemDb.pragma('synchronous = NORMAL');
  idemDb.pragma('busy_timeout = 5000');
  const idem = new SqliteIdempotency(idemDb);
  const reply = (msg: ThreadReply): void => port.postMessage(msg);
  // Nobody waits for a completion: its loss is reported to the main thread's log (id -1, see store-thread.ts).
  const lost = (err: unknown, count: number): void =>
    reply({ id: -1, error: `${count} Idempotency-Key answers not recorded: ${(err as Error)?.message ?? String(err)}` });
  const committer = new GroupCommitter(db, idem, lost);
  const fail = (id: number, err: unknown): void => reply({ id, error: (err as Error)?.message ?? String(err) });
  port.on('message', (msg: { id: number; op: WriterOp; args: unknown[] }) => {
    const { id, op, args } = msg;
    if (op === 'ingest' || op === 'ingest-once') {
      const write = args[0] as PackedWrite;
      const claim = op === 'ingest-once' ? (args[1] as IdempotencyRequest) : null;
      committer.submit({
        item: { write, claim },
        resolve: (result: IngestOnceResult) => reply({ id, result: op === 'ingest' && result.kind === 'stored' ? result.result : result }),
        reject: (err) => fail(id, err),
      });
      return;
    }
    if (op === 'complete') {
      // Answered at once: the completion is queued ahead of every later message, which is all a caller needs.
      committer.complete(args as Completion);
      reply({ id });
      return;
    }
    try {
      committer.drainCompletions();
      if (op === 'drain') {
        reply({ id });
      } else if (op === 'claim') {
        const [scope, key, hash, now, stale] = args as [string, string, string, number, number];
        reply({ id, result: idem.claim(scope, key, hash, now, stale) });
      } else {
        const [scope, key] = args as [string, string];
        idem.release(scope, key);
        reply({ id });
      }
    } catch (err) {
      fail(id, err);
    }
  });
  reply({ id: 0, ready: true });
}

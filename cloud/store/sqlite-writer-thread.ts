/**
 * The SQLite writer thread: its own connection to the cloud database, group-committing ingest batches
 * and keeping Idempotency-Key records, so the event loop that serves HTTP never blocks on inserts,
 * fsyncs or the write lock. Protocol: { id, op, args } in; { id, result } or { id, error } out. The schema
 * is migrated by the main thread before this thread starts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { GroupCommitter, SqliteBatchWriter } from './sqlite-batch-writer.js';
import { SqliteIdempotency } from './sqlite-idempotency.js';
import type { PackedWrite } from './packed-readings.js';
import type { IdempotencyRequest, IngestOnceResult } from './store.js';

export interface WriterThreadData {
  file: string;
  synchronous: 'full' | 'normal';
}

export type WriterOp = 'ingest' | 'ingest-once' | 'claim' | 'complete' | 'release';

export interface WriterReply {
  id: number;
  ready?: boolean;
  result?: unknown;
  error?: string;
}

const port = parentPort;
if (port) {
  const { file, synchronous } = workerData as WriterThreadData;
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -32768');
  const committer = new GroupCommitter(new SqliteBatchWriter(db).writeGroup);
  // Idempotency-Key records get their own connection with synchronous=NORMAL: two extra fsyncs per batch
  // (claim, complete) tripled the cost of an ingest. Losing the last of these records to a power cut only
  // turns a replayed answer into "duplicates" — the readings themselves are committed with FULL, and
  // exactly-once rests on their unique index, not on these records. Same thread, so the two connections
  // never wait for each other's write lock.
  const idemDb = new Database(file);
  idemDb.pragma('journal_mode = WAL');
  idemDb.pragma('synchronous = NORMAL');
  idemDb.pragma('busy_timeout = 5000');
  const idem = new SqliteIdempotency(idemDb);
  const reply = (msg: WriterReply): void => port.postMessage(msg);
  const fail = (id: number, err: unknown): void => reply({ id, error: (err as Error)?.message ?? String(err) });
  port.on('message', (msg: { id: number; op: WriterOp; args: unknown[] }) => {
    const { id, op, args } = msg;
    if (op === 'ingest') {
      committer.submit({ write: args[0] as PackedWrite, resolve: (result) => reply({ id, result }), reject: (err) => fail(id, err) });
      return;
    }
    try {
      if (op === 'ingest-once') {
        const write = args[0] as PackedWrite;
        const { scope, key, bodyHash, staleAfterMs } = args[1] as IdempotencyRequest;
        const claim = idem.claim(scope, key, bodyHash, write.now, staleAfterMs);
        if (claim.kind !== 'claimed') return reply({ id, result: claim satisfies IngestOnceResult });
        committer.submit({
          write,
          resolve: (result) => reply({ id, result: { kind: 'stored', result } satisfies IngestOnceResult }),
          reject: (err) => {
            // The write failed: free the key so the client's retry is processed, not told "in flight".
            try {
              idem.release(scope, key);
            } catch {
              // the claim goes stale and is taken over after inFlightTimeoutMs
            }
            fail(id, err);
          },
        });
      } else if (op === 'claim') {
        const [scope, key, hash, now, stale] = args as [string, string, string, number, number];
        reply({ id, result: idem.claim(scope, key, hash, now, stale) });
      } else if (op === 'complete') {
        const [scope, key, status, body] = args as [string, string, number, string];
        idem.complete(scope, key, status, body);
        reply({ id });
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

/**
 * The outbox's writer thread: it owns the write connection, so the event loop that runs the broker never waits
 * on inserts, the write lock or fsync. Messages are handled in arrival order, one transaction each: group commits
 * of packed entries, scores, sync outcomes, retention and disk-budget steps. WAL checkpoints run here between
 * commits (PASSIVE, when no message waits), never inside one. Protocol in shared/store-thread.ts. The main thread
 * migrates the schema before this thread starts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { ThreadReply } from '../../shared/store-thread.js';
import { budgetWrites } from './budget.js';
import { httpEventWrites } from './http-events.js';
import { OutboxWrites } from './outbox-writes.js';
import { retentionWrites } from './retention.js';
import { scoreWrites } from './score-store.js';
import { syncWrites } from './sync-store.js';
import type { WriterOp, WriterSettings, WriterThreadData } from './writer-protocol.js';

const port = parentPort;
if (port) {
  const data = workerData as WriterThreadData;
  const db = new Database(data.file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${data.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -16000');
  db.pragma('temp_store = MEMORY');
  db.pragma('journal_size_limit = 67108864');
  db.pragma('wal_autocheckpoint = 0');
  const writes = new OutboxWrites(db);
  const scores = scoreWrites(db);
  const outcome = syncWrites(db);
  const prune = retentionWrites(db);
  const budget = budgetWrites(db, writes);
  const http = httpEventWrites(db);
  const probe = db.prepare("UPDATE meta SET value = value WHERE key = 'epoch'");
  let checkpoints = data.checkpoints;
  let dirtySince = 0;
  let checkpointDue: NodeJS.Immediate | undefined;
  let closed = false;
  const reply = (msg: ThreadReply): void => port.postMessage(msg);
  const checkpoint = (): void => {
    checkpointDue = undefined;
    if (closed || !checkpoints || dirtySince === 0) return;
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
      dirtySince = 0;
    } catch (err) {
      reply({ id: -1, error: `WAL checkpoint failed: ${(err as Error)?.message ?? String(err)}` });
    }
  };
  const wrote = (): void => {
    const now = Date.now();
    if (dirtySince === 0) dirtySince = now;
    // setImmediate: after any message already waiting, so a checkpoint never delays a commit that is queued.
    if (checkpoints && checkpointDue === undefined && now - dirtySince >= data.checkpointIntervalMs) checkpointDue = setImmediate(checkpoint);
  };
  const handlers: Record<WriterOp, (args: unknown[]) => unknown> = {
    'write': ([p]) => writes.write(p as Parameters<OutboxWrites['write']>[0]),
    'scores': ([s, a, from, last]) => scores(s as never, a as never, from as number, last as number),
    'sync-outcome': ([o]) => outcome(o as never),
    'prune': ([cutoff, chunk, budgetMs]) => prune(cutoff as number, chunk as number, budgetMs as number),
    'budget-prune-synced': ([chunk]) => budget.pruneSynced(chunk as number),
    'budget-drop': ([ranges, gap]) => budget.drop(ranges as never, gap as never),
    'budget-fold': ([ranges, expected, packed, gap]) => budget.fold(ranges as never, expected as number, packed as never, gap as never),
    'gap': ([gap]) => budget.gap(gap as never),
    'prune-idempotency': ([before]) => http.prune(before as number),
    'probe': () => { db.transaction(() => probe.run())(); },
    'checkpoints': ([on]) => { checkpoints = on === true; },
    'settings': (): WriterSettings => ({
      synchronous: db.pragma('synchronous', { simple: true }) as number,
      walAutocheckpoint: db.pragma('wal_autocheckpoint', { simple: true }) as number,
      checkpoints,
    }),
    'close': () => {
      closed = true;
      if (checkpointDue !== undefined) clearImmediate(checkpointDue);
      // A last TRUNCATE checkpoint folds the WAL into the database before the connection closes.
      try {
        if (checkpoints) db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        db.close();
      }
    },
  };
  port.on('message', (msg: { id: number; op: WriterOp; args: unknown[] }) => {
    const { id, op, args } = msg;
    if (closed) {
      reply({ id, error: 'outbox writer is closed' });
      return;
    }
    try {
      const result = handlers[op](args);
      reply(result === undefined ? { id } : { id, result });
      if (op !== 'close' && op !== 'probe' && op !== 'checkpoints' && op !== 'settings') wrote();
    } catch (err) {
      reply({ id, error: (err as Error)?.message ?? String(err) });
    }
  });
  // Checkpoints when writes pause: the interval check above only runs when something is written.
  const idleTimer = setInterval(() => { if (checkpoints && dirtySince !== 0 && checkpointDue === undefined) checkpointDue = setImmediate(checkpoint); },
    data.checkpointIntervalMs);
  idleTimer.unref();
  reply({ id: 0, ready: true });
}

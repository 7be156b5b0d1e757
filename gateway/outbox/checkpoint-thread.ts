/**
 * The checkpoint thread (started by checkpointer.ts): its own connection to the outbox database and a timer of
 * PASSIVE WAL checkpoints, which never block the writer. Each result goes back to the main thread; on stop it runs
 * a last checkpoint and closes the connection. Messages in checkpoint-protocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointReport, CheckpointStop, CheckpointThreadData } from './checkpoint-protocol.js';

const port = parentPort;
if (port) {
  const data = workerData as CheckpointThreadData;
  const db = new Database(data.file);
  db.pragma('busy_timeout = 1000');
  const report = (m: CheckpointReport): void => port.postMessage(m);
  const tick = (): void => {
    try {
      const [r] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
      report({ ok: true, busy: r!.busy, log: r!.log, checkpointed: r!.checkpointed });
    } catch (err) {
      report({ ok: false, message: (err as Error)?.message ?? String(err) });
    }
  };
  const timer = setInterval(tick, data.intervalMs);
  port.on('message', (m: CheckpointStop) => {
    if (m.op !== 'stop') return;
    clearInterval(timer);
    tick();
    db.close();
    port.close();
  });
}

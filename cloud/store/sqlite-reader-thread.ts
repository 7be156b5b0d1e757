/**
 * The SQLite reader thread: its own connection to the cloud database, running the read queries of the API
 * (reading pages), so a page that walks thousands of index entries never holds up the event loop that serves
 * ingestion and health. WAL readers never wait for the writer. Rows are read as arrays (raw mode) and the page
 * goes back as JSON text, one string to pass instead of a structure to clone. Protocol as in store-thread.ts:
 * { id, op: 'readings-page', args: [sql, params, limit] } → { json, last }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type ReadingRawRow, readingsPageJson } from './rows.js';
import type { ThreadReply } from '../../shared/store-thread.js';

export interface ReaderThreadData {
  file: string;
}

const port = parentPort;
if (port) {
  const { file } = workerData as ReaderThreadData;
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -32768');
  db.pragma('query_only = ON');
  const statements = new Map<string, Database.Statement>();
  const reply = (msg: ThreadReply): void => port.postMessage(msg);
  port.on('message', (msg: { id: number; op: 'readings-page'; args: [string, unknown[], number] }) => {
    const [sql, params, limit] = msg.args;
    try {
      let stmt = statements.get(sql);
      if (!stmt) {
        stmt = db.prepare(sql).raw(true);
        if (statements.size > 256) statements.clear();
        statements.set(sql, stmt);
      }
      reply({ id: msg.id, result: readingsPageJson(stmt.all(...params) as ReadingRawRow[], limit) });
    } catch (err) {
      reply({ id: msg.id, error: (err as Error)?.message ?? String(err) });
    }
  });
  reply({ id: 0, ready: true });
}

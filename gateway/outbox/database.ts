/**
 * Opens the outbox SQLite database: WAL, the durability the operator chose, schema migrations, and the
 * database's epoch (a random id created with it, so a recreated database never reuses a reading's name).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StorageError } from '../../shared/errors.js';
import { makePrivateDbFile, makePrivateDir } from '../../shared/private-files.js';
import { migrations, type Migration } from './migrations.js';

export type OutboxDatabase = Database.Database;
export type Durability = 'power-loss' | 'process-crash';

export const OUTBOX_FILE = 'outbox.db';

export function outboxPath(dataDir: string): string {
  return join(dataDir, OUTBOX_FILE);
}

export function openOutboxDatabase(dataDir: string, durability: Durability): OutboxDatabase {
  try {
    makePrivateDir(dataDir);
    makePrivateDbFile(outboxPath(dataDir));
  } catch (err) {
    throw new StorageError(`cannot create data directory ${dataDir}: ${(err as Error).message}`, err);
  }
  const db = new Database(outboxPath(dataDir));
  try {
    db.pragma('journal_mode = WAL');
    // FULL fsyncs the WAL on every commit (survives power loss); NORMAL fsyncs only at checkpoints, which in WAL
    // mode still survives a process crash but may lose the last commits on power loss. See README "Durability".
    // The outbox writes on its writer thread's connection (same setting); this one migrates, then mostly reads.
    db.pragma(`synchronous = ${durability === 'power-loss' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Larger cache and in-memory temp storage: the outbox is written far more than it is read.
    db.pragma('cache_size = -16000');
    db.pragma('temp_store = MEMORY');
    // After a checkpoint the WAL file is truncated back to this size, so a burst does not leave a huge file.
    db.pragma('journal_size_limit = 67108864');
    migrate(db, migrations);
    ensureEpoch(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export function migrate(db: OutboxDatabase, list: readonly Migration[]): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = list.length > 0 ? list[list.length - 1]!.version : 0;
  if (current > latest) {
    throw new StorageError(`outbox schema version ${current} is newer than this gateway understands (${latest}); refusing to open`);
  }
  for (const m of list) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return latest;
}

function ensureEpoch(db: OutboxDatabase): void {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'epoch'").get() as { value: string } | undefined;
  if (row) return;
  const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
  db.transaction(() => {
    insert.run('epoch', randomBytes(16).toString('hex'));
    insert.run('created_at', String(Date.now()));
    insert.run('seq_hwm', '0');
  })();
}

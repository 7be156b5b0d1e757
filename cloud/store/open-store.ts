/** Chooses the backend: PostgreSQL when a database URL is configured, else SQLite under the data dir. */
import type { Logger } from '../../shared/logger.js';
import type { CloudConfig } from '../config.js';
import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { CloudStore } from './store.js';

export function createStore(storage: CloudConfig['storage'], log: Logger): CloudStore {
  if (storage.databaseUrl !== undefined) {
    return new PostgresStore({ url: storage.databaseUrl, poolSize: storage.poolSize, log });
  }
  return new SqliteStore({ dataDir: storage.dataDir, synchronous: storage.sqliteSynchronous, log });
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}

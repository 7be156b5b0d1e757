/** Chooses the backend: PostgreSQL when a database URL is configured, else SQLite under the data dir. */
import type { Logger } from '../../shared/logger.js';
import type { CloudConfig } from '../config/config.js';
import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { CloudStore } from './store.js';

export { redactUrl } from '../../shared/errors.js';

export function createStore(storage: CloudConfig['storage'], log: Logger): CloudStore {
  if (storage.databaseUrl !== undefined) {
    return new PostgresStore({ url: storage.databaseUrl, poolSize: storage.poolSize, log });
  }
  return new SqliteStore({ dataDir: storage.dataDir, synchronous: storage.sqliteSynchronous, log });
}

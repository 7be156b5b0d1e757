/**
 * Device identities in `<dataDir>/devices.db`, a SQLite file of its own (WAL) beside the outbox, so that
 * `smartmaint devices ...` can change it while the gateway runs; the gateway notices through PRAGMA data_version.
 * Only digests are stored: SHA-256 of a generated secret, scrypt of a human-chosen password.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SmartmaintError, StorageError } from '../../shared/errors.js';
import { makePrivateDbFile, makePrivateDir } from '../../shared/private-files.js';
import type { SecretScheme } from './secrets.js';

export const DEVICES_FILE = 'devices.db';

/** Device ids are MQTT usernames and appear in logs: a conservative alphabet. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export interface DeviceRecord {
  id: string;
  scheme: SecretScheme;
  /** hex SHA-256 for 'sha256'; the scrypt string for 'scrypt'. */
  hash: string;
  allow: string[];
  /** Client-id prefixes the device may connect with (`p` or `p-…`); null: its own id. */
  clientIds: string[] | null;
  createdAt: number;
  updatedAt: number;
}

export class DeviceExistsError extends SmartmaintError {
  constructor(id: string) {
    super('SMARTMAINT_DEVICE_EXISTS', `device ${id} already exists (use 'devices passwd' or remove it first)`);
  }
}

export class DeviceNotFoundError extends SmartmaintError {
  constructor(id: string) {
    super('SMARTMAINT_DEVICE_NOT_FOUND', `no device ${id}`);
  }
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    scheme TEXT NOT NULL CHECK (scheme IN ('sha256', 'scrypt')),
    hash TEXT NOT NULL,
    allow TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

/** Added after the first release: files created before it gain the column when opened. */
const CLIENT_IDS_COLUMN = 'ALTER TABLE devices ADD COLUMN client_ids TEXT';

interface Row { id: string; scheme: SecretScheme; hash: string; allow: string; client_ids: string | null; created_at: number; updated_at: number }

export function devicesPath(dataDir: string): string {
  return join(dataDir, DEVICES_FILE);
}

export class DeviceStore {
  readonly #db: Database.Database;
  readonly #all: Database.Statement<[], Row>;
  readonly #get: Database.Statement<[string], Row>;
  readonly #insert: Database.Statement<[string, SecretScheme, string, string, string | null, number, number]>;
  readonly #setCredential: Database.Statement<[SecretScheme, string, number, string]>;
  readonly #remove: Database.Statement<[string]>;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#all = db.prepare('SELECT id, scheme, hash, allow, client_ids, created_at, updated_at FROM devices ORDER BY id');
    this.#get = db.prepare('SELECT id, scheme, hash, allow, client_ids, created_at, updated_at FROM devices WHERE id = ?');
    this.#insert = db.prepare('INSERT INTO devices (id, scheme, hash, allow, client_ids, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.#setCredential = db.prepare('UPDATE devices SET scheme = ?, hash = ?, updated_at = ? WHERE id = ?');
    this.#remove = db.prepare('DELETE FROM devices WHERE id = ?');
  }

  static open(dataDir: string): DeviceStore {
    try {
      makePrivateDir(dataDir);
      makePrivateDbFile(devicesPath(dataDir));
    } catch (err) {
      throw new StorageError(`cannot create data directory ${dataDir}: ${(err as Error).message}`, err);
    }
    const db = new Database(devicesPath(dataDir));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      const columns = db.prepare('SELECT name FROM pragma_table_info(\'devices\')').pluck().all() as string[];
      if (!columns.includes('client_ids')) db.exec(CLIENT_IDS_COLUMN);
    } catch (err) {
      db.close();
      throw new StorageError(`cannot open ${devicesPath(dataDir)}: ${(err as Error).message}`, err);
    }
    return new DeviceStore(db);
  }

  /** Changes whenever another connection (the CLI) commits to the file; cheap enough to poll every second. */
  dataVersion(): number {
    return this.#db.pragma('data_version', { simple: true }) as number;
  }

  all(): DeviceRecord[] {
    return this.#all.all().map(toRecord);
  }

  get(id: string): DeviceRecord | undefined {
    const row = this.#get.get(id);
    return row ? toRecord(row) : undefined;
  }

  add(id: string, scheme: SecretScheme, hash: string, allow: readonly string[], now: number, clientIds: readonly string[] | null = null): void {
    try {
      this.#insert.run(id, scheme, hash, JSON.stringify(allow), clientIds === null ? null : JSON.stringify(clientIds), now, now);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DeviceExistsError(id);
      throw err;
    }
  }

  setCredential(id: string, scheme: SecretScheme, hash: string, now: number): void {
    const r = this.#setCredential.run(scheme, hash, now, id);
    if (r.changes === 0) throw new DeviceNotFoundError(id);
  }

  remove(id: string): boolean {
    return this.#remove.run(id).changes > 0;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

function toRecord(r: Row): DeviceRecord {
  let allow: string[] = [];
  try {
    const parsed: unknown = JSON.parse(r.allow);
    if (Array.isArray(parsed)) allow = parsed.filter((p): p is string => typeof p === 'string');
  } catch {
    // an unreadable allow list grants nothing
  }
  let clientIds: string[] | null = null;
  if (r.client_ids !== null) {
    try {
      const parsed: unknown = JSON.parse(r.client_ids);
      // An unreadable list grants no client id at all rather than falling back to the default.
      clientIds = Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string') : [];
    } catch {
      clientIds = [];
    }
  }
  return { id: r.id, scheme: r.scheme, hash: r.hash, allow, clientIds, createdAt: r.created_at, updatedAt: r.updated_at };
}

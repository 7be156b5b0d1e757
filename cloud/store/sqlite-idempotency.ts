/**
 * Idempotency-Key records in SQLite. On the writer thread, claims and completions of ingest requests ride in
 * the group-commit transaction of the readings (sqlite-batch-writer.ts); the standalone operations of the
 * CloudStore interface run here in their own small transactions.
 */
import type Database from 'better-sqlite3';
import type { IdempotencyClaim } from './store.js';

/** An answer to record for replays: scope, key, status, body. */
export type Completion = [scope: string, key: string, status: number, body: string];

type Row = { body_hash: string; status: number | null; response: string | null; created_at: number };

export class SqliteIdempotency {
  /** The claim in a transaction of its own (IMMEDIATE: it writes). */
  readonly claim: (scope: string, key: string, bodyHash: string, now: number, staleAfterMs: number) => IdempotencyClaim;
  /** The claim inside a transaction the caller holds. */
  readonly claimWithin: (scope: string, key: string, bodyHash: string, now: number, staleAfterMs: number) => IdempotencyClaim;
  private readonly completeStmt: Database.Statement;
  private readonly releaseStmt: Database.Statement;

  constructor(db: Database.Database) {
    const insert = db.prepare('INSERT INTO idempotency_keys (scope, key, body_hash, created_at) VALUES (?,?,?,?) ON CONFLICT DO NOTHING');
    const get = db.prepare('SELECT body_hash, status, response, created_at FROM idempotency_keys WHERE scope = ? AND key = ?');
    const takeOver = db.prepare(
      'UPDATE idempotency_keys SET created_at = ? WHERE scope = ? AND key = ? AND status IS NULL AND created_at = ?',
    );
    this.completeStmt = db.prepare('UPDATE idempotency_keys SET status = ?, response = ? WHERE scope = ? AND key = ?');
    this.releaseStmt = db.prepare('DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status IS NULL');
    this.claimWithin = (scope, key, bodyHash, now, staleAfterMs) => {
      if (insert.run(scope, key, bodyHash, now).changes === 1) return { kind: 'claimed' };
      const row = get.get(scope, key) as Row | undefined;
      if (!row) return insert.run(scope, key, bodyHash, now).changes === 1 ? { kind: 'claimed' } : { kind: 'in-flight' };
      if (row.body_hash !== bodyHash) return { kind: 'mismatch' };
      if (row.status !== null) return { kind: 'replay', status: row.status, body: row.response ?? '' };
      if (row.created_at < now - staleAfterMs && takeOver.run(now, scope, key, row.created_at).changes === 1) {
        return { kind: 'claimed' };
      }
      return { kind: 'in-flight' };
    };
    const tx = db.transaction(this.claimWithin);
    this.claim = (...args) => tx.immediate(...args);
    this.completeAll = db.transaction((completions: readonly Completion[]) => {
      for (const c of completions) this.complete(...c);
    });
  }

  /** Records answers in a transaction of their own. */
  readonly completeAll: (completions: readonly Completion[]) => void;

  complete(scope: string, key: string, status: number, body: string): void {
    this.completeStmt.run(status, body, scope, key);
  }

  release(scope: string, key: string): void {
    this.releaseStmt.run(scope, key);
  }
}

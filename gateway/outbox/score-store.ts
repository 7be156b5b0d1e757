/**
 * Model scores and alerts in the outbox: what the scoring stage writes after each scored micro-batch, in one
 * transaction on the writer thread — the scores, the alerts, and the priority mark on the readings of an event
 * that raised one (so they go ahead of any backlog).
 */
import type Database from 'better-sqlite3';
import { StorageError } from '../../shared/errors.js';
import type { Outbox } from './outbox.js';
import type { ScoreRow, AlertRow } from './rows.js';

export type { ScoreRow, AlertRow } from './rows.js';

/** Score rows per multi-row INSERT: one statement step from JavaScript for many rows. */
const SCORE_CHUNK = 64;

type Statement = Database.Statement<unknown[]>;

/** The writer thread's half: one transaction per scored micro-batch covering seqs `from`..`last`. */
export function scoreWrites(db: Database.Database): (scores: readonly ScoreRow[], alerts: readonly AlertRow[], from: number, last: number) => void {
  const s: Record<'score' | 'scoreChunk' | 'alert' | 'priority', Statement> = {
    score: db.prepare('INSERT OR REPLACE INTO scores (seq, model, version, output, value) VALUES (?, ?, ?, ?, ?)'),
    scoreChunk: db.prepare(`INSERT OR REPLACE INTO scores (seq, model, version, output, value) VALUES ${
      new Array(SCORE_CHUNK).fill('(?, ?, ?, ?, ?)').join(', ')}`),
    alert: db.prepare(`INSERT OR IGNORE INTO alerts (id, asset, model, version, output, severity, state, value, threshold, ts)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    // Every reading of the event (the message), including sensors no model reads, within the scored span.
    priority: db.prepare('UPDATE readings SET priority = 1 WHERE seq BETWEEN ? AND ? AND asset = ? AND ts = ?'),
  };
  const p = new Array<unknown>(SCORE_CHUNK * 5);
  return db.transaction((scores: readonly ScoreRow[], alerts: readonly AlertRow[], from: number, last: number) => {
    let i = 0;
    for (; i + SCORE_CHUNK <= scores.length; i += SCORE_CHUNK) {
      for (let j = 0; j < SCORE_CHUNK; j++) {
        const sc = scores[i + j]!;
        p[j * 5] = sc.seq;
        p[j * 5 + 1] = sc.model;
        p[j * 5 + 2] = sc.version;
        p[j * 5 + 3] = sc.output;
        p[j * 5 + 4] = sc.value;
      }
      s.scoreChunk.run(...p); // spread: arguments bind faster than an array's elements
    }
    for (; i < scores.length; i++) {
      const sc = scores[i]!;
      s.score.run(sc.seq, sc.model, sc.version, sc.output, sc.value);
    }
    for (const a of alerts) {
      s.alert.run(a.id, a.asset, a.model, a.version, a.output, a.severity, a.state, a.value, a.threshold, a.ts);
      if (a.state === 'raised') s.priority.run(from, last, a.asset, a.ts);
    }
  });
}

export class ScoreStore {
  readonly #outbox: Outbox;

  constructor(deps: { outbox: Outbox }) {
    this.#outbox = deps.outbox;
  }

  get isOpen(): boolean {
    return this.#outbox.isOpen;
  }

  /** Stores a scored micro-batch covering seqs `from`..`last`, in one transaction on the writer thread. */
  async write(scores: readonly ScoreRow[], alerts: readonly AlertRow[], from: number, last: number): Promise<void> {
    if (!this.#outbox.isOpen) throw new StorageError('outbox is not open');
    await this.#outbox.writer.scores(scores, alerts, from, last);
  }
}

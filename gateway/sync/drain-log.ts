/**
 * The log lines of a backlog being drained: every drainLogIntervalMs the readings left, the net rate and the time
 * to empty, then "backlog drained". A backlog is what was pending when sync (re)started: readings up to liveStart.
 */
import type { Logger } from 'pino';
import type { SyncStore } from '../outbox/sync-store.js';

export class DrainLog {
  readonly #store: SyncStore;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #intervalMs: number;
  #drain: { since: number; readings: number; at: number; pending: number } | null = null;

  constructor(deps: { store: SyncStore; log: Logger; clock: () => number; intervalMs: number }) {
    this.#store = deps.store;
    this.#log = deps.log;
    this.#clock = deps.clock;
    this.#intervalMs = deps.intervalMs;
  }

  /** Sync (re)started with readings up to liveStart pending: a backlog starts draining. */
  start(liveStart: number): void {
    const pending = this.#store.pending;
    const oldest = this.#store.oldestPending();
    if (this.#drain || !oldest || oldest.seq > liveStart) return;
    const now = this.#clock();
    this.#drain = { since: now, readings: pending, at: now, pending };
  }

  /** On each accepted batch. */
  progress(liveStart: number): void {
    const d = this.#drain;
    if (!d) return;
    const now = this.#clock();
    const oldest = this.#store.oldestPending();
    const pending = this.#store.pending;
    if (!oldest || oldest.seq > liveStart) {
      this.#log.info({ readings: d.readings, durationMs: now - d.since, pending }, 'backlog drained');
      this.#drain = null;
      return;
    }
    if (now - d.at < this.#intervalMs) return;
    const ratePerS = ((d.pending - pending) * 1000) / (now - d.at);
    this.#log.info({ pending, ratePerS: Math.round(ratePerS * 10) / 10, etaS: ratePerS > 0 ? Math.ceil(pending / ratePerS) : null },
      'draining backlog');
    d.at = now;
    d.pending = pending;
  }
}

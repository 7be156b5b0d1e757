/**
 * What sync sends next, and which rows are already on their way. Each batch owns its seqs ("claimed"), so no two
 * batches carry the same reading and completion order does not matter. Lanes: `priority` > `live` > `backlog`.
 * liveStart moves to the newest seq whenever sync (re)starts after start-up or an outage, so fresh data overtakes
 * what piled up; the backlog may use `backlogShare` of the in-flight slots while live data flows, and all of them
 * when the live lane is idle. Batches refused for a retryable reason wait in the retry queue and go first.
 */
import type { SyncStore } from '../outbox/sync-store.js';
import type { PendingReading } from '../outbox/rows.js';
import { newBatch, relabelAsBacklog, type Batch, type Lane } from './batch.js';

export interface LaneConfig {
  batchMaxReadings: number;
  batchMaxBytes: number;
  maxInFlight: number;
  backlogShare: number;
}

export class SyncLanes {
  readonly #store: SyncStore;
  readonly #config: LaneConfig;
  readonly #readableUpTo: () => number;
  #retryQueue: Batch[] = [];
  #claimed = new Set<number>();
  #alertClaimed = new Set<string>();
  #gapClaimed = new Set<number>();
  #cursor = { priority: 0, live: 0, backlog: 0 };
  #liveStart = 0;
  #backlogInFlight = 0;
  #held = false;

  constructor(deps: { store: SyncStore; config: LaneConfig; readableUpTo: () => number }) {
    this.#store = deps.store;
    this.#config = deps.config;
    this.#readableUpTo = deps.readableUpTo;
  }

  /** Readings up to this seq were pending when sync last (re)started: the backlog. */
  get liveStart(): number {
    return this.#liveStart;
  }

  get queuedRetries(): number {
    return this.#retryQueue.length;
  }

  isClaimed(seq: number): boolean {
    return this.#claimed.has(seq);
  }

  /** While held, no new batch reads pending readings; retries of batches already built still go. */
  hold(held: boolean): void {
    this.#held = held;
  }

  /** Everything pending now is backlog; what arrives from here on is live. */
  reset(lastSeq: number): void {
    // The backlog cursor starts at 0: synced rows are skipped by the pending index and claimed rows are filtered.
    this.#liveStart = lastSeq;
    this.#cursor = { priority: 0, live: lastSeq, backlog: 0 };
  }

  /** After an outage: fresh data first, what piled up (and batches read meanwhile) becomes backlog. */
  outageOver(lastSeq: number): void {
    this.#liveStart = Math.max(this.#liveStart, lastSeq);
    this.#cursor.live = this.#liveStart;
    this.#cursor.backlog = 0;
    for (const b of this.#retryQueue) if (b.lane === 'live') relabelAsBacklog(b);
  }

  /** The next batch to send with `inFlight` batches out, or undefined when there is nothing to send now. */
  next(inFlight: number): Batch | undefined {
    const retry = this.#retryQueue.shift();
    if (retry) return retry;
    const priority = this.#buildPriority();
    if (priority) return priority;
    // Slots are shared: the backlog is guaranteed its share, live data the rest; a lane with nothing to send
    // lends its slots to the other.
    const max = this.#config.maxInFlight;
    const backlogSlots = Math.max(1, Math.floor(max * this.#config.backlogShare));
    const liveSlots = Math.max(1, max - backlogSlots);
    const liveInFlight = inFlight - this.#backlogInFlight;
    let liveIdle = false;
    if (liveInFlight < liveSlots) {
      const live = this.#build('live', this.#cursor.live, this.#readableUpTo());
      if (live) return live;
      liveIdle = true; // nothing live to send now: the backlog may borrow the free slots
    }
    if (this.#cursor.backlog < this.#liveStart && (this.#backlogInFlight < backlogSlots || liveIdle)) {
      return this.#build('backlog', this.#cursor.backlog, Math.min(this.#liveStart, this.#readableUpTo()));
    }
    return undefined;
  }

  /** The batch went out / came back (its lane's share of the in-flight slots). */
  sent(batch: Batch): void {
    if (batch.lane === 'backlog') this.#backlogInFlight++;
  }

  returned(batch: Batch): void {
    if (batch.lane === 'backlog') this.#backlogInFlight--;
  }

  /** Send again later, after the batches already waiting. */
  requeue(batch: Batch): void {
    this.#retryQueue.push(batch);
  }

  /** Send these before anything else (the parts of a split batch). */
  requeueFirst(...batches: Batch[]): void {
    this.#retryQueue.unshift(...batches);
  }

  /** The batch's rows were recorded (synced or refused): they are no longer on their way. */
  release(batch: Batch): void {
    for (const r of batch.readings) this.#claimed.delete(r.seq);
    for (const a of batch.alerts) this.#alertClaimed.delete(`${a.id}/${a.state}`);
    for (const g of batch.gaps) this.#gapClaimed.delete(g.id);
  }

  unclaim(seqs: Iterable<number>): void {
    for (const seq of seqs) this.#claimed.delete(seq);
  }

  #buildPriority(): Batch | undefined {
    if (this.#held) return undefined;
    const alerts = this.#store.pendingAlerts(500).filter((a) => !this.#alertClaimed.has(`${a.id}/${a.state}`));
    const gaps = this.#store.pendingGaps(500).filter((g) => !this.#gapClaimed.has(g.id));
    const readings = this.#readLane('priority', this.#cursor.priority, this.#readableUpTo());
    if (alerts.length === 0 && gaps.length === 0 && readings.length === 0) return undefined;
    for (const a of alerts) this.#alertClaimed.add(`${a.id}/${a.state}`);
    for (const g of gaps) this.#gapClaimed.add(g.id);
    return newBatch('priority', readings, alerts, gaps);
  }

  #build(lane: 'live' | 'backlog', after: number, upTo: number): Batch | undefined {
    if (this.#held) return undefined;
    const readings = this.#readLane(lane, after, upTo);
    if (readings.length === 0) return undefined;
    return newBatch(lane, readings, [], []);
  }

  /** Reads the next unclaimed pending readings of a lane and advances its cursor past everything it looked at. */
  #readLane(lane: Lane, after: number, upTo: number): PendingReading[] {
    const out: PendingReading[] = [];
    let cursor = after;
    let bytes = 0;
    // A few rounds at most: claimed rows (already in another batch) are skipped, not sent twice.
    for (let round = 0; round < 4 && out.length < this.#config.batchMaxReadings; round++) {
      const rows = this.#store.readLane(lane, cursor, upTo, this.#config.batchMaxReadings - out.length, this.#config.batchMaxBytes - bytes);
      if (rows.length === 0) break;
      for (const r of rows) {
        cursor = r.seq;
        if (this.#claimed.has(r.seq)) continue;
        out.push(r);
        bytes += r.sizeEstimate;
      }
      if (bytes >= this.#config.batchMaxBytes) break;
    }
    this.#cursor[lane] = cursor;
    for (const r of out) this.#claimed.add(r.seq);
    return out;
  }
}

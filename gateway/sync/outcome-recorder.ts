/**
 * Records what the cloud made of a batch on the outbox: accepted readings are marked synced, readings it refused
 * are kept as dead letters with the reason, and a batch it cannot take as is gets split until the culprits are
 * alone. What an answer means is decided in outcome.ts; what sync does next is the engine's business.
 */
import type { Logger } from 'pino';
import type { Reading } from '../../shared/protocol.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { SyncStore } from '../outbox/sync-store.js';
import { rebatch, stripEstimate, type Batch } from './batch.js';
import type { SyncLanes } from './lanes.js';
import type { BatchOutcome } from './outcome.js';

type Refusal = { reading: Reading; reason: string; status: number };

export class OutcomeRecorder {
  readonly #store: SyncStore;
  readonly #lanes: SyncLanes;
  readonly #metrics: GatewayMetrics;
  readonly #log: Logger;
  readonly #clock: () => number;

  constructor(deps: { store: SyncStore; lanes: SyncLanes; metrics: GatewayMetrics; log: Logger; clock: () => number }) {
    this.#store = deps.store;
    this.#lanes = deps.lanes;
    this.#metrics = deps.metrics;
    this.#log = deps.log;
    this.#clock = deps.clock;
  }

  /** A 2xx answer. Returns how many readings the cloud now holds from this batch. */
  async accepted(batch: Batch, body: any): Promise<number> {
    const rejected = new Map<number, string>();
    for (const r of Array.isArray(body?.rejected) ? body.rejected : []) {
      if (typeof r?.seq === 'number') rejected.set(r.seq, String(r.reason ?? 'rejected'));
    }
    const accepted: number[] = [];
    const refused: Refusal[] = [];
    for (const r of batch.readings) {
      const reason = rejected.get(r.seq);
      if (reason === undefined) accepted.push(r.seq);
      else refused.push({ reading: stripEstimate(r), reason, status: 200 });
    }
    await this.#store.recordOutcome({ accepted, refused, alerts: batch.alerts, gapIds: batch.gaps.map((g) => g.id), at: this.#clock() });
    this.#lanes.release(batch);
    const duplicates = typeof body?.duplicates === 'number' ? body.duplicates : 0;
    this.#metrics.syncReadings.inc(accepted.length);
    this.#metrics.syncDuplicates.inc(duplicates);
    if (refused.length > 0) {
      this.#metrics.syncRefused.inc(refused.length);
      this.#log.warn({ batchId: batch.id, refused: refused.length, example: refused[0]?.reason }, 'cloud refused readings; kept as dead letters');
    }
    return accepted.length;
  }

  /** A batch the cloud cannot take as is: refuse the readings it names, or halve until the culprits are alone. */
  async split(batch: Batch, outcome: Extract<BatchOutcome, { kind: 'split' }>): Promise<void> {
    const now = this.#clock();
    const named = new Set<number>();
    const refused: Refusal[] = [];
    outcome.readingIssues.forEach((message, index) => {
      const r = batch.readings[index];
      if (r) {
        named.add(r.seq);
        refused.push({ reading: stripEstimate(r), reason: `${outcome.code}: ${message}`, status: outcome.status });
      }
    });
    if (refused.length === 0 && batch.readings.length <= 1) {
      for (const r of batch.readings) refused.push({ reading: stripEstimate(r), reason: `${outcome.code}: ${outcome.message}`, status: outcome.status });
      if (batch.readings.length === 0 && (batch.alerts.length > 0 || batch.gaps.length > 0)) {
        this.#log.error({ batchId: batch.id, status: outcome.status, code: outcome.code }, 'cloud refused alerts/gaps; dropping them from sync');
      }
      await this.#store.recordOutcome({ accepted: [], refused, alerts: batch.alerts, gapIds: batch.gaps.map((g) => g.id), at: now });
      this.#metrics.syncRefused.inc(refused.length);
      this.#lanes.release(batch);
      return;
    }
    if (refused.length > 0) {
      await this.#store.recordOutcome({ accepted: [], refused, alerts: [], gapIds: [], at: now });
      this.#metrics.syncRefused.inc(refused.length);
      this.#lanes.unclaim(named);
      this.#log.warn({ batchId: batch.id, refused: refused.length, status: outcome.status, code: outcome.code }, 'cloud refused readings; kept as dead letters');
      this.#lanes.requeueFirst(rebatch(batch, { readings: batch.readings.filter((r) => !named.has(r.seq)) }));
      return;
    }
    // Nothing named: halve. log2(n) requests isolate one bad reading.
    const mid = Math.ceil(batch.readings.length / 2);
    this.#lanes.requeueFirst(
      rebatch(batch, { readings: batch.readings.slice(0, mid) }),
      rebatch(batch, { readings: batch.readings.slice(mid), alerts: [], gaps: [] }),
    );
  }
}

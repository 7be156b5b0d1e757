/** Counters of the origin API (Prometheus, on the gateway registry) and the in-process figures behind /api/v1/metrics/performance. */
import { Counter, type Registry } from 'prom-client';
import { RateMeter } from '../../ingest/rate-meter.js';
import { LatencyReservoir } from '../../metrics/api-stats.js';

export class OriginApiStats {
  readonly ingestRequests: Counter<'status'>;
  readonly rejected: Counter<'reason'>;
  readonly duplicates: Counter;
  readonly predictions: Counter<'model' | 'result'>;
  /** Request start → committed answer of successful ingest requests, ms. */
  readonly ingestLatency = new LatencyReservoir();
  readonly predictLatency = new LatencyReservoir();
  readonly ingestRequestRate: RateMeter;
  readonly ingestReadings: RateMeter;
  /** Readings committed by the pipeline from any source (MQTT and HTTP): the gateway's own meter. */
  readonly storedReadings: RateMeter;
  readonly #byStatus = new Map<number, Counter.Internal>();

  constructor(registry: Registry, clock: () => number, storedReadings: RateMeter) {
    const registers = [registry];
    this.ingestRequests = new Counter({ name: 'smartmaint_http_ingest_requests_total', help: 'POST /api/v1/data/ingest requests, by HTTP status.', labelNames: ['status'], registers });
    this.rejected = new Counter({ name: 'smartmaint_http_ingest_rejected_total', help: 'HTTP ingest bodies refused as invalid (422), by reason.', labelNames: ['reason'], registers });
    this.duplicates = new Counter({ name: 'smartmaint_http_ingest_duplicates_total', help: 'HTTP ingest requests answered from a stored Idempotency-Key record (nothing stored).', registers });
    this.predictions = new Counter({ name: 'smartmaint_http_predictions_total', help: 'Predictions served by the ML endpoints, by model and result.', labelNames: ['model', 'result'], registers });
    this.ingestRequestRate = new RateMeter(clock);
    this.ingestReadings = new RateMeter(clock);
    this.storedReadings = storedReadings;
  }

  ingestStatus(status: number): void {
    let c = this.#byStatus.get(status);
    if (c === undefined) {
      c = this.ingestRequests.labels(String(status));
      this.#byStatus.set(status, c);
    }
    c.inc();
    this.ingestRequestRate.add();
  }
}

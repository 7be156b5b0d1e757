/** Prometheus metrics of the scoring engine, on the registry the gateway injects (never the global one). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class ScoringMetrics {
  readonly rowsScored: Counter<'model' | 'version'>;
  readonly scoreSeconds: Histogram<'model' | 'version'>;
  readonly alerts: Counter<'severity' | 'state'>;
  readonly modelErrors: Counter<'model' | 'version' | 'reason'>;
  readonly badReadings: Counter<'reason'>;
  readonly lifecycle: Counter<'model' | 'event'>;
  readonly modelStatus: Gauge<'model' | 'version' | 'status'>;

  constructor(registry: Registry) {
    this.rowsScored = new Counter({ name: 'smartmaint_model_rows_scored_total', help: 'Feature rows scored, per model version',
      labelNames: ['model', 'version'], registers: [registry] });
    this.scoreSeconds = new Histogram({ name: 'smartmaint_model_score_seconds', help: 'Wall time of one run() (one micro-batch) per model version',
      labelNames: ['model', 'version'], buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry] });
    this.alerts = new Counter({ name: 'smartmaint_alerts_total', help: 'Alert events emitted by local scoring',
      labelNames: ['severity', 'state'], registers: [registry] });
    this.modelErrors = new Counter({ name: 'smartmaint_model_errors_total', help: 'Failed model runs and refused model folders',
      labelNames: ['model', 'version', 'reason'], registers: [registry] });
    this.badReadings = new Counter({ name: 'smartmaint_scoring_bad_readings_total', help: 'Readings the scoring engine could not use',
      labelNames: ['reason'], registers: [registry] });
    this.lifecycle = new Counter({ name: 'smartmaint_model_lifecycle_total', help: 'Model loads, swaps, refusals and rollbacks',
      labelNames: ['model', 'event'], registers: [registry] });
    this.modelStatus = new Gauge({ name: 'smartmaint_model_status', help: '1 for the status each known model version is in',
      labelNames: ['model', 'version', 'status'], registers: [registry] });
  }
}

/** Prometheus metrics of one cloud instance, in its own Registry (never prom-client's global one). */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class CloudMetrics {
  readonly registry = new Registry();
  readonly readingsIngested = new Counter({
    name: 'smartmaint_cloud_readings_ingested_total',
    help: 'Readings stored (first time seen)',
    registers: [this.registry],
  });
  readonly readingsDuplicate = new Counter({
    name: 'smartmaint_cloud_readings_duplicate_total',
    help: 'Readings received again and not stored twice',
    registers: [this.registry],
  });
  readonly readingsRejected = new Counter({
    name: 'smartmaint_cloud_readings_rejected_total',
    help: 'Readings refused individually by validation',
    registers: [this.registry],
  });
  readonly batches = new Counter({
    name: 'smartmaint_cloud_batches_total',
    help: 'Ingest requests by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'smartmaint_cloud_requests_total',
    help: 'HTTP requests by route template and status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'smartmaint_cloud_request_duration_seconds',
    help: 'HTTP request latency by route template',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'smartmaint_cloud_auth_failures_total',
    help: 'Requests refused by authentication or authorisation',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'smartmaint_cloud_rate_limited_total',
    help: 'Requests refused with 429 by the per-key rate limit',
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    this.registry.setDefaultLabels({});
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }
}

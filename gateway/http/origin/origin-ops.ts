/**
 * The origin's ops endpoints: /api/v1/status, /api/v1/metrics/system, /api/v1/metrics/performance,
 * /api/v1/data/sensor/{id}/recent, and /health/redis — answered for the components that play Redis's part
 * here (the origin used Redis as its event bus and idempotency store; see docs/origin-api.md "Redis mapping").
 */
import type { FastifyInstance } from 'fastify';
import type { Histogram } from 'prom-client';
import { z } from 'zod';
import { productVersion } from '../../../shared/version.js';
import type { OriginApiContext } from './origin-context.js';
import { round3 } from '../../metrics/api-stats.js';
import { sendInvalid } from '../support/errors.js';
import { BUSY_PROOF_MS } from '../routes/health.js';
import { limitParam } from '../support/query.js';

const recentQuery = z.strictObject({
  limit: limitParam(1_000, 100),
  sensor: z.string().min(1).max(128).optional(),
});
const sensorParams = z.strictObject({ id: z.string().min(1).max(128) });

async function outboxPart(ctx: OriginApiContext): Promise<{ healthy: boolean; open: boolean; writable: boolean; error?: string }> {
  if (!ctx.outbox.isOpen) return { healthy: false, open: false, writable: false, error: 'outbox is not open' };
  try {
    const last = ctx.pipeline.health;
    // Under load the probe would wait behind the commit backlog: commits that keep succeeding show writability.
    const committing = ctx.pipeline.queuedRows > 0 && last.lastCommitAt !== null && ctx.clock() - last.lastCommitAt < BUSY_PROOF_MS;
    if (!committing) await ctx.outbox.probeWritable();
    const failing = last.lastError !== null && (last.lastCommitAt === null || last.lastError.at > last.lastCommitAt);
    return failing ? { healthy: false, open: true, writable: true, error: last.lastError!.message } : { healthy: true, open: true, writable: true };
  } catch (err) {
    return { healthy: false, open: true, writable: false, error: (err as Error).message };
  }
}

/** Percentiles of a prom-client histogram by linear interpolation within its buckets (what histogram_quantile does). */
export async function histogramPercentiles(h: Histogram, qs: readonly number[]): Promise<Record<string, number | null>> {
  const data = await h.get();
  const buckets = data.values
    .filter((v) => v.metricName?.endsWith('_bucket'))
    .map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), count: v.value }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.length > 0 ? buckets[buckets.length - 1]!.count : 0;
  const out: Record<string, number | null> = {};
  for (const q of qs) {
    const key = `p${Math.round(q * 100)}`;
    if (total === 0) { out[key] = null; continue; }
    const rank = q * total;
    let prevLe = 0;
    let prevCount = 0;
    let value: number | null = null;
    for (const b of buckets) {
      if (b.count >= rank) {
        if (!Number.isFinite(b.le)) { value = prevLe; break; }
        const span = b.count - prevCount;
        value = span > 0 ? prevLe + ((rank - prevCount) / span) * (b.le - prevLe) : b.le;
        break;
      }
      prevLe = b.le;
      prevCount = b.count;
    }
    out[key] = value === null ? null : round3(value * 1000);
  }
  return out;
}

export function registerOriginOps(app: FastifyInstance, ctx: OriginApiContext): void {
  app.get('/api/v1/status', async (_req, reply) => {
    const outbox = await outboxPart(ctx);
    const models = ctx.models();
    const listing = models?.list() ?? [];
    const stats = ctx.outbox.isOpen ? ctx.outbox.stats() : null;
    const healthy = outbox.healthy && ctx.broker.listening;
    return reply.code(healthy ? 200 : 503).send({
      status: healthy ? 'operational' : 'degraded',
      gateway_id: ctx.gatewayId,
      version: productVersion,
      timestamp: new Date(ctx.clock()).toISOString(),
      uptime_seconds: Math.round((ctx.clock() - ctx.startedAt()) / 1000),
      components: {
        mqtt_broker: { status: ctx.broker.listening ? 'up' : 'down', port: ctx.broker.port, clients: ctx.broker.clientCount },
        outbox: { status: outbox.healthy ? 'up' : 'down', readings: stats?.readings ?? null, dead_letters: stats?.deadLetters ?? null,
          last_seq: stats?.lastSeq ?? null, ...(outbox.error ? { error: outbox.error } : {}) },
        http_ingest: { status: 'up', requests_per_second: ctx.stats.ingestRequestRate.perSecond(10) },
        models: { status: models ? 'up' : 'not-loaded', loaded: listing.filter((m) => m.status === 'active' || m.status === 'shadow').length,
          failed: listing.filter((m) => m.status === 'failed').length },
        devices: { registered: ctx.devices.size },
      },
    });
  });

  app.get('/api/v1/metrics/system', async () => ({
    timestamp: new Date(ctx.clock()).toISOString(),
    ...(await ctx.monitor.snapshot()),
  }));

  app.get('/api/v1/metrics/performance', async () => {
    const s = ctx.stats;
    const models = ctx.models()?.list() ?? [];
    const received = (await ctx.gatewayMetrics.readingsReceived.get()).values[0]?.value ?? 0;
    const stored = (await ctx.gatewayMetrics.readingsStored.get()).values[0]?.value ?? 0;
    return {
      timestamp: new Date(ctx.clock()).toISOString(),
      window_seconds: 10,
      ingest: {
        http_requests_per_second: s.ingestRequestRate.perSecond(10),
        http_requests_peak_per_second: s.ingestRequestRate.peakPerSecond(),
        http_readings_per_second: s.ingestReadings.perSecond(10),
        readings_stored_per_second: s.storedReadings.perSecond(10),
        readings_received_total: received,
        readings_stored_total: stored,
        queued_rows: ctx.pipeline.queuedRows,
      },
      http_ingest_latency_ms: s.ingestLatency.summary(),
      commit_latency_ms: await histogramPercentiles(ctx.gatewayMetrics.commitSeconds, [0.5, 0.95, 0.99]),
      scoring: {
        predict_latency_ms: s.predictLatency.summary(),
        models: models.map((m) => ({ name: m.name, version: m.version, status: m.status, rows_scored: m.rowsScored, mean_score_ms: round3(m.meanScoreMs) })),
      },
    };
  });

  app.get('/api/v1/data/sensor/:id/recent', async (request, reply) => {
    const params = sensorParams.safeParse(request.params);
    if (!params.success) return sendInvalid(reply, params.error);
    const q = recentQuery.safeParse(request.query);
    if (!q.success) return sendInvalid(reply, q.error);
    const rows = ctx.events.recent(params.data.id, q.data.sensor, q.data.limit);
    return {
      sensor_id: params.data.id,
      count: rows.length,
      readings: rows.map((r) => ({
        timestamp: new Date(r.ts).toISOString(), ts: r.ts, sensor: r.sensor, value: r.value,
        ...(r.unit === null ? {} : { unit: r.unit }), ...(r.quality === null ? {} : { quality: r.quality }), source: r.source, seq: r.seq,
      })),
    };
  });

  app.get('/health/redis', async (_req, reply) => {
    const store = await outboxPart(ctx);
    let keys: number | null = null;
    if (store.healthy) {
      try {
        keys = ctx.events.idempotencyCount();
      } catch {
        keys = null;
      }
    }
    const bus = { healthy: ctx.broker.listening, listening: ctx.broker.listening, port: ctx.broker.port, clients: ctx.broker.clientCount };
    const healthy = store.healthy && bus.healthy;
    return reply.code(healthy ? 200 : 503).send({
      status: healthy ? 'ok' : 'unhealthy',
      redis: 'not used: its roles are played by the components below (docs/origin-api.md "Redis mapping")',
      event_bus: { component: 'embedded MQTT broker + group-commit ingest pipeline', ...bus, queued_rows: ctx.pipeline.queuedRows },
      idempotency_store: { component: 'outbox SQLite (idempotency_keys table)', ...store, keys, window_seconds: ctx.config.idempotencyWindowMs / 1000 },
    });
  });
}

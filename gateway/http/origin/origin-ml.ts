/**
 * The origin's ML endpoints, over the models the gateway has loaded (gateway/scoring/engine.ts through the
 * ModelService interface): listing, prediction through the same run path as live telemetry, anomaly detection,
 * and a Kolmogorov–Smirnov drift check over stored readings. 503 while no scoring engine is running.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { OriginApiContext } from './origin-context.js';
import { ksTwoSample } from '../../scoring/ks.js';
import { DEFAULT_MODELS, type ModelService, type ModelServiceListing } from '../../scoring/model-service.js';
import { round3 } from '../../metrics/api-stats.js';
import { HttpError, sendError, sendInvalid } from '../support/errors.js';

const name = z.string().min(1).max(128);
const features = z.record(z.string().min(1).max(128), z.number()).describe('feature name → number, the model manifest\'s feature names');
const version = z.string().min(1).max(64).default('auto').describe('"auto" (the active version) or a version string');
/** The request bodies, exported for the generated API reference (docs/origin-api.md). */
export const predictBody = z.object({
  model_name: name.describe('a loaded model, e.g. turbofan-rul, ai4i-failure, anomaly'),
  model_version: version,
  features,
  sensor_id: name.optional().describe('returned with the prediction'),
});
export const fixedModelBody = z.object({ sensor_id: name.optional().describe('returned with the prediction'), features, model_version: version });
const readingItem = z.union([
  z.number(),
  z.object({ value: z.number(), timestamp: z.union([z.string(), z.number()]).optional() }),
  z.object({ features, timestamp: z.union([z.string(), z.number()]).optional() }),
]);
export const detectBody = z.object({
  sensor_readings: z.array(readingItem).min(1).max(10_000)
    .describe('1-10,000 readings: plain values (numbers or {value, timestamp?}) or feature sets ({features, timestamp?})'),
  model_name: name.optional().describe('score with this model (default: plain values by robust z-score, feature sets by anomaly)'),
  sensitivity: z.number().min(0).max(1).default(0.5).describe('0-1; the robust z-score cut-off is 2 + 3 × (1 − sensitivity): higher flags more'),
  threshold: z.number().optional().describe('model scores above this are anomalies (default: 0.5 for a probability, else the robust z-score cut-off)'),
});
export const driftBody = z.object({
  sensor_id: name.describe('the asset whose stored readings are compared'),
  sensor: name.optional().describe('one sensor of the asset (default: every sensor)'),
  window_minutes: z.number().positive().max(7 * 24 * 60).default(60).describe('the recent window, compared with the window before it'),
  p_value_threshold: z.number().gt(0).lt(1).default(0.05).describe('drift when the Kolmogorov-Smirnov p-value is below this'),
  min_samples: z.number().int().min(2).max(100_000).default(30).describe('fewer readings in either window: no verdict'),
});
const MAX_DRIFT_SAMPLES = 100_000;

function listingJson(m: ModelServiceListing): Record<string, unknown> {
  return {
    name: m.name, version: m.version, status: m.status, rows_scored: m.rowsScored, mean_score_ms: round3(m.meanScoreMs),
    assets: m.assets, outputs: m.outputs, ...(m.error ? { error: m.error } : {}),
  };
}

/** The first output the model lists is its prediction; a probability also gives a confidence. */
function primary(outputs: Record<string, number>, listing: ModelServiceListing | undefined): { output: string; prediction: number; confidence: number | null } {
  const output = listing?.outputs.find((o) => o in outputs) ?? Object.keys(outputs)[0] ?? '';
  const prediction = outputs[output] ?? NaN;
  const confidence = /probab/i.test(output) && prediction >= 0 && prediction <= 1 ? round3(Math.max(prediction, 1 - prediction)) : null;
  return { output, prediction, confidence };
}

function modelError(reply: FastifyReply, err: unknown): FastifyReply {
  const e = err as { code?: string; message?: string; missing?: readonly string[]; extra?: readonly string[] };
  if (e.code === 'SMARTMAINT_MODEL_FEATURES_MISMATCH') {
    return sendError(reply, new HttpError(422, e.code, e.message ?? 'features do not match the model', { missing: e.missing ?? [], extra: e.extra ?? [] }));
  }
  if (e.code === 'SMARTMAINT_MODEL_FEATURES_INVALID') return sendError(reply, new HttpError(422, e.code, e.message ?? 'invalid features'));
  if (e.code === 'SMARTMAINT_MODEL_NOT_FOUND') return sendError(reply, new HttpError(404, e.code, e.message ?? 'no such model'));
  throw err;
}

/** Median and MAD-based modified z-scores (Iglewicz & Hoaglin): robust to the outliers being looked for. */
function robustZ(values: readonly number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const med = median(sorted);
  const mad = median(values.map((v) => Math.abs(v - med)).sort((a, b) => a - b));
  if (mad === 0) return values.map((v) => (v === med ? 0 : Infinity));
  return values.map((v) => (0.6745 * (v - med)) / mad);
}

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

export function registerOriginMl(app: FastifyInstance, ctx: OriginApiContext): void {
  const engine = (reply: FastifyReply): ModelService | undefined => {
    const m = ctx.models();
    if (!m) sendError(reply, new HttpError(503, 'SMARTMAINT_MODELS_UNAVAILABLE', 'no scoring engine is running on this gateway'));
    return m;
  };

  const listModels = async (_req: unknown, reply: FastifyReply) => {
    const m = engine(reply);
    if (!m) return reply;
    const models = m.list().map(listingJson);
    return { count: models.length, models };
  };
  app.get('/api/v1/ml/models', listModels);
  app.get('/api/v1/ml/models/list', listModels);

  app.get<{ Params: { name: string } }>('/api/v1/ml/models/:name/versions', async (request, reply) => {
    const m = engine(reply);
    if (!m) return reply;
    const versions = m.list().filter((x) => x.name === request.params.name);
    if (versions.length === 0) return sendError(reply, new HttpError(404, 'SMARTMAINT_MODEL_NOT_FOUND', `no model ${request.params.name}`));
    return { name: request.params.name, versions: versions.map(listingJson) };
  });

  app.get<{ Params: { name: string } }>('/api/v1/ml/models/:name/latest', async (request, reply) => {
    const m = engine(reply);
    if (!m) return reply;
    const active = m.list().find((x) => x.name === request.params.name && x.status === 'active');
    if (!active) return sendError(reply, new HttpError(404, 'SMARTMAINT_MODEL_NOT_FOUND', `no active version of model ${request.params.name}`));
    return listingJson(active);
  });

  app.get('/api/v1/ml/health', async (_req, reply) => {
    const m = ctx.models();
    if (!m) return reply.code(503).send({ status: 'unavailable', models_loaded: 0, models_failed: 0, models: [] });
    const list = m.list();
    const loaded = list.filter((x) => x.status === 'active' || x.status === 'shadow').length;
    const failed = list.filter((x) => x.status === 'failed').length;
    const status = loaded === 0 ? 'unavailable' : failed > 0 ? 'degraded' : 'healthy';
    return reply.code(loaded === 0 ? 503 : 200).send({
      status, models_loaded: loaded, models_failed: failed,
      predict_latency_ms: ctx.stats.predictLatency.summary(),
      models: list.map(listingJson),
    });
  });

  const predict = async (reply: FastifyReply, model: string, version: string, feats: Record<string, number>, sensorId: string | undefined) => {
    const m = engine(reply);
    if (!m) return reply;
    const t0 = performance.now();
    let result;
    try {
      result = await m.predict(model, version, feats);
    } catch (err) {
      ctx.stats.predictions.inc({ model, result: 'refused' });
      return modelError(reply, err);
    }
    ctx.stats.predictLatency.record(performance.now() - t0);
    ctx.stats.predictions.inc({ model, result: 'ok' });
    const listing = m.list().find((x) => x.name === model && x.version === result.version);
    const p = primary(result.outputs, listing);
    return {
      prediction: p.prediction,
      confidence: p.confidence,
      model_info: { name: model, version: result.version, output: p.output },
      outputs: result.outputs,
      ...(sensorId ? { sensor_id: sensorId } : {}),
      timestamp: new Date(ctx.clock()).toISOString(),
      request_id: randomUUID(),
    };
  };

  app.post('/api/v1/ml/predict', async (request, reply) => {
    const body = predictBody.safeParse(request.body);
    if (!body.success) return sendInvalid(reply, body.error, 422);
    return predict(reply, body.data.model_name, body.data.model_version, body.data.features, body.data.sensor_id);
  });
  for (const [path, model] of [['anomaly', DEFAULT_MODELS.anomaly], ['failure', DEFAULT_MODELS.failure]] as const) {
    app.post(`/api/v1/ml/predict/${path}`, async (request, reply) => {
      const body = fixedModelBody.safeParse(request.body);
      if (!body.success) return sendInvalid(reply, body.error, 422);
      return predict(reply, model, body.data.model_version, body.data.features, body.data.sensor_id);
    });
  }

  app.post('/api/v1/ml/detect_anomaly', async (request, reply) => {
    const body = detectBody.safeParse(request.body);
    if (!body.success) return sendInvalid(reply, body.error, 422);
    const { sensor_readings: items, sensitivity } = body.data;
    const withFeatures = items.filter((i) => typeof i === 'object' && 'features' in i).length;
    if (withFeatures > 0 && withFeatures < items.length) {
      return sendError(reply, new HttpError(422, 'SMARTMAINT_INVALID_REQUEST', 'sensor_readings must be all values or all feature sets',
        { issues: [{ path: 'sensor_readings', message: 'mixes values and feature sets' }] }));
    }
    // Modified z-score cut-off: 3.5 at the default sensitivity 0.5 (Iglewicz & Hoaglin), 2 at 1, 5 at 0.
    const zCut = 2 + 3 * (1 - sensitivity);
    if (withFeatures === 0 && body.data.model_name === undefined) {
      const values = items.map((i) => (typeof i === 'number' ? i : (i as { value: number }).value));
      const z = robustZ(values);
      const anomalies = values.flatMap((v, index) => (Math.abs(z[index]!) > zCut ? [{ index, value: v, score: Number.isFinite(z[index]!) ? round3(z[index]!) : null }] : []));
      return {
        anomalies_detected: anomalies, total_readings_analyzed: values.length, anomaly_count: anomalies.length,
        model_info: { name: 'robust-zscore', version: '1', threshold: round3(zCut) },
      };
    }
    const m = engine(reply);
    if (!m) return reply;
    const model = body.data.model_name ?? DEFAULT_MODELS.anomaly;
    const scores: number[] = [];
    let version = '';
    let output = '';
    for (const item of items) {
      const feats = typeof item === 'object' && 'features' in item ? item.features : { value: typeof item === 'number' ? item : item.value };
      let result;
      try {
        result = await m.predict(model, 'auto', feats);
      } catch (err) {
        return modelError(reply, err);
      }
      version = result.version;
      const p = primary(result.outputs, m.list().find((x) => x.name === model && x.version === result.version));
      output = p.output;
      scores.push(p.prediction);
    }
    // A given threshold, else 0.5 for a probability, else scores far out among their peers (robust z).
    const threshold = body.data.threshold ?? (/probab/i.test(output) ? 0.5 : undefined);
    const z = threshold === undefined ? robustZ(scores) : [];
    const anomalies = scores.flatMap((s, index) => ((threshold !== undefined ? s > threshold : z[index]! > zCut) ? [{ index, score: round3(s) }] : []));
    return {
      anomalies_detected: anomalies, total_readings_analyzed: scores.length, anomaly_count: anomalies.length,
      model_info: { name: model, version, output, ...(threshold !== undefined ? { threshold } : { threshold_z: round3(zCut) }) },
    };
  });

  app.post('/api/v1/ml/check_drift', async (request, reply) => {
    const body = driftBody.safeParse(request.body);
    if (!body.success) return sendInvalid(reply, body.error, 422);
    const { sensor_id: asset, window_minutes, p_value_threshold, min_samples } = body.data;
    const now = ctx.clock();
    const w = window_minutes * 60_000;
    const windows = { recent: { from: now - w, to: now + 1 }, reference: { from: now - 2 * w, to: now - w } };
    const sensors = body.data.sensor ? [body.data.sensor] : ctx.events.sensorsOf(asset);
    const results = sensors.map((sensor) => {
      const recent = ctx.events.values(asset, sensor, windows.recent.from, windows.recent.to, MAX_DRIFT_SAMPLES);
      const reference = ctx.events.values(asset, sensor, windows.reference.from, windows.reference.to, MAX_DRIFT_SAMPLES);
      const counts = { recent: recent.length, reference: reference.length };
      if (recent.length < min_samples || reference.length < min_samples) {
        return { sensor, ks_statistic: null, p_value: null, drift_detected: false, insufficient_data: true, counts };
      }
      const ks = ksTwoSample(recent, reference);
      return { sensor, ks_statistic: round6(ks.statistic), p_value: ks.pValue, drift_detected: ks.pValue < p_value_threshold, insufficient_data: false, counts };
    });
    // The headline is the sensor with the strongest evidence of drift; each sensor is listed below it.
    const tested = results.filter((r) => !r.insufficient_data).sort((a, b) => (a.p_value ?? 1) - (b.p_value ?? 1));
    const head = tested[0] ?? results[0] ?? { sensor: null, ks_statistic: null, p_value: null, drift_detected: false, insufficient_data: true, counts: { recent: 0, reference: 0 } };
    return {
      sensor_id: asset,
      ...head,
      window_minutes, p_value_threshold, min_samples,
      windows: {
        recent: { from: new Date(windows.recent.from).toISOString(), to: new Date(now).toISOString() },
        reference: { from: new Date(windows.reference.from).toISOString(), to: new Date(windows.reference.to).toISOString() },
      },
      method: 'two-sample Kolmogorov-Smirnov, asymptotic p-value',
      sensors: results,
    };
  });
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

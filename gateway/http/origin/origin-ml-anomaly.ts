/**
 * POST /api/v1/ml/detect_anomaly: plain values are judged by their robust z-scores; feature sets (or values
 * with a model named) are scored by the model and its scores judged by a threshold or, without one, by their
 * robust z-scores among each other.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_MODELS } from '../../scoring/model-service.js';
import { robustZ } from '../../scoring/robust-z.js';
import { round3 } from '../../metrics/api-stats.js';
import { HttpError, sendError, sendInvalid } from '../support/errors.js';
import type { OriginApiContext } from './origin-context.js';
import { detectBody } from './origin-ml-bodies.js';
import { modelError, modelService, primary } from './origin-ml-support.js';

export async function detectAnomaly(ctx: OriginApiContext, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
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
  const m = modelService(ctx, reply);
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
}

/**
 * POST /api/v1/ml/predict (any loaded model) and /predict/failure, /predict/anomaly (the default models): named
 * features in, through the same run path as live telemetry; the prediction, its confidence and every output out.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendInvalid } from '../support/errors.js';
import type { OriginApiContext } from './origin-context.js';
import { fixedModelBody, predictBody } from './origin-ml-bodies.js';
import { modelError, modelService, primary } from './origin-ml-support.js';

export async function predict(ctx: OriginApiContext, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = predictBody.safeParse(request.body);
  if (!body.success) return sendInvalid(reply, body.error, 422);
  return predictWith(ctx, reply, body.data.model_name, body.data.model_version, body.data.features, body.data.sensor_id);
}

/** The handler of an endpoint bound to one model. */
export function predictFixed(model: string) {
  return async (ctx: OriginApiContext, request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const body = fixedModelBody.safeParse(request.body);
    if (!body.success) return sendInvalid(reply, body.error, 422);
    return predictWith(ctx, reply, model, body.data.model_version, body.data.features, body.data.sensor_id);
  };
}

async function predictWith(ctx: OriginApiContext, reply: FastifyReply, model: string, version: string,
  features: Record<string, number>, sensorId: string | undefined): Promise<unknown> {
  const m = modelService(ctx, reply);
  if (!m) return reply;
  const t0 = performance.now();
  let result;
  try {
    result = await m.predict(model, version, features);
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
}

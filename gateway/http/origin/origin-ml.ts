/**
 * The origin's ML endpoints, over the models the gateway has loaded (gateway/scoring/engine.ts through the
 * ModelService interface): listing, prediction through the same run path as live telemetry, anomaly detection,
 * and a Kolmogorov–Smirnov drift check over stored readings. 503 while no scoring engine is running. This file is
 * the route table; each endpoint's handler lives in an origin-ml-*.ts module of its own.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_MODELS } from '../../scoring/model-service.js';
import type { OriginApiContext } from './origin-context.js';
import { detectAnomaly } from './origin-ml-anomaly.js';
import { checkDrift } from './origin-ml-drift.js';
import { latestModel, listModels, mlHealth, modelVersions } from './origin-ml-models.js';
import { predict, predictFixed } from './origin-ml-predict.js';

/** The request bodies, exported for the generated API reference (docs/origin-api.md). */
export { detectBody, driftBody, fixedModelBody, predictBody } from './origin-ml-bodies.js';

type Handler<R extends FastifyRequest = FastifyRequest> = (ctx: OriginApiContext, request: R, reply: FastifyReply) => Promise<unknown>;

export function registerOriginMl(app: FastifyInstance, ctx: OriginApiContext): void {
  const on = <R extends FastifyRequest>(handler: Handler<R>) => (request: R, reply: FastifyReply) => handler(ctx, request, reply);
  app.get('/api/v1/ml/models', on(listModels));
  app.get('/api/v1/ml/models/list', on(listModels));
  app.get<{ Params: { name: string } }>('/api/v1/ml/models/:name/versions', on(modelVersions));
  app.get<{ Params: { name: string } }>('/api/v1/ml/models/:name/latest', on(latestModel));
  app.get('/api/v1/ml/health', on(mlHealth));
  app.post('/api/v1/ml/predict', on(predict));
  app.post('/api/v1/ml/predict/anomaly', on(predictFixed(DEFAULT_MODELS.anomaly)));
  app.post('/api/v1/ml/predict/failure', on(predictFixed(DEFAULT_MODELS.failure)));
  app.post('/api/v1/ml/detect_anomaly', on(detectAnomaly));
  app.post('/api/v1/ml/check_drift', on(checkDrift));
}

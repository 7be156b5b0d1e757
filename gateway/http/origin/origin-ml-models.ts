/** GET /api/v1/ml/models (and /models/list), /models/{name}/versions, /models/{name}/latest and /ml/health. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, sendError } from '../support/errors.js';
import type { OriginApiContext } from './origin-context.js';
import { listingJson, modelService } from './origin-ml-support.js';

type ByName = FastifyRequest<{ Params: { name: string } }>;

export async function listModels(ctx: OriginApiContext, _request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const m = modelService(ctx, reply);
  if (!m) return reply;
  const models = m.list().map(listingJson);
  return { count: models.length, models };
}

export async function modelVersions(ctx: OriginApiContext, request: ByName, reply: FastifyReply): Promise<unknown> {
  const m = modelService(ctx, reply);
  if (!m) return reply;
  const versions = m.list().filter((x) => x.name === request.params.name);
  if (versions.length === 0) return sendError(reply, new HttpError(404, 'SMARTMAINT_MODEL_NOT_FOUND', `no model ${request.params.name}`));
  return { name: request.params.name, versions: versions.map(listingJson) };
}

export async function latestModel(ctx: OriginApiContext, request: ByName, reply: FastifyReply): Promise<unknown> {
  const m = modelService(ctx, reply);
  if (!m) return reply;
  const active = m.list().find((x) => x.name === request.params.name && x.status === 'active');
  if (!active) return sendError(reply, new HttpError(404, 'SMARTMAINT_MODEL_NOT_FOUND', `no active version of model ${request.params.name}`));
  return listingJson(active);
}

/** Answers in its own shape also without an engine or with nothing loaded (503): a probe reads the same fields. */
export async function mlHealth(ctx: OriginApiContext, _request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
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
}

/** What the ML endpoints' handlers share: the engine or a 503, a model's listing as JSON, model errors as replies. */
import type { FastifyReply } from 'fastify';
import type { ModelService, ModelServiceListing } from '../../scoring/model-service.js';
import { round3 } from '../../metrics/api-stats.js';
import { HttpError, sendError } from '../support/errors.js';
import type { OriginApiContext } from './origin-context.js';

/** The scoring engine, or undefined once a 503 has been sent (no engine runs on this gateway). */
export function modelService(ctx: OriginApiContext, reply: FastifyReply): ModelService | undefined {
  const m = ctx.models();
  if (!m) sendError(reply, new HttpError(503, 'SMARTMAINT_MODELS_UNAVAILABLE', 'no scoring engine is running on this gateway'));
  return m;
}

export function listingJson(m: ModelServiceListing): Record<string, unknown> {
  return {
    name: m.name, version: m.version, status: m.status, rows_scored: m.rowsScored, mean_score_ms: round3(m.meanScoreMs),
    assets: m.assets, outputs: m.outputs, ...(m.error ? { error: m.error } : {}),
  };
}

/** The first output the model lists is its prediction; a probability also gives a confidence. */
export function primary(outputs: Record<string, number>, listing: ModelServiceListing | undefined):
{ output: string; prediction: number; confidence: number | null } {
  const output = listing?.outputs.find((o) => o in outputs) ?? Object.keys(outputs)[0] ?? '';
  const prediction = outputs[output] ?? NaN;
  const confidence = /probab/i.test(output) && prediction >= 0 && prediction <= 1 ? round3(Math.max(prediction, 1 - prediction)) : null;
  return { output, prediction, confidence };
}

/** A refused prediction as its reply (404, 422); anything else is rethrown for the server's error handler. */
export function modelError(reply: FastifyReply, err: unknown): FastifyReply {
  const e = err as { code?: string; message?: string; missing?: readonly string[]; extra?: readonly string[] };
  if (e.code === 'SMARTMAINT_MODEL_FEATURES_MISMATCH') {
    return sendError(reply, new HttpError(422, e.code, e.message ?? 'features do not match the model', { missing: e.missing ?? [], extra: e.extra ?? [] }));
  }
  if (e.code === 'SMARTMAINT_MODEL_FEATURES_INVALID') return sendError(reply, new HttpError(422, e.code, e.message ?? 'invalid features'));
  if (e.code === 'SMARTMAINT_MODEL_NOT_FOUND') return sendError(reply, new HttpError(404, e.code, e.message ?? 'no such model'));
  throw err;
}

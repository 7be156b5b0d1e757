/** Local read API: readings and dead letters, paged by cursor (`next` is the path of the following page). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { sendInvalid } from '../support/errors.js';
import { limitParam, nextPath, seqParam, timeParam } from '../support/query.js';
import type { GatewayHttpDeps } from '../support/http-deps.js';

const readingsQuery = z.strictObject({
  asset: z.string().min(1).max(128).optional(),
  sensor: z.string().min(1).max(128).optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
  after: seqParam,
  limit: limitParam(10_000, 1_000),
});

const deadLettersQuery = z.strictObject({
  reason: z.string().min(1).max(64).optional(),
  after: seqParam,
  limit: limitParam(1_000, 100),
});

export function registerReadingRoutes(app: FastifyInstance, deps: GatewayHttpDeps): void {
  app.get('/api/v1/readings', async (request, reply) => {
    const parsed = readingsQuery.safeParse(request.query);
    if (!parsed.success) return sendInvalid(reply, parsed.error);
    const q = parsed.data;
    const readings = deps.outbox.queryReadings({ asset: q.asset, sensor: q.sensor, from: q.from, to: q.to, afterSeq: q.after, limit: q.limit });
    const last = readings[readings.length - 1];
    const next = readings.length === q.limit && last
      ? nextPath('/api/v1/readings', request.query as Record<string, string>, 'after', last.seq)
      : null;
    return { gatewayId: deps.info.gatewayId, epoch: deps.outbox.epoch, readings, next };
  });

  app.get('/api/v1/dead-letters', async (request, reply) => {
    const parsed = deadLettersQuery.safeParse(request.query);
    if (!parsed.success) return sendInvalid(reply, parsed.error);
    const q = parsed.data;
    const deadLetters = deps.outbox.queryDeadLetters({ reason: q.reason, afterId: q.after, limit: q.limit });
    const last = deadLetters[deadLetters.length - 1];
    const next = deadLetters.length === q.limit && last
      ? nextPath('/api/v1/dead-letters', request.query as Record<string, string>, 'after', last.id)
      : null;
    return { deadLetters, next };
  });
}

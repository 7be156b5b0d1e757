import type { FastifyInstance } from 'fastify';
import type { GatewayHttpDeps } from '../support/http-deps.js';

export function registerMetricsRoute(app: FastifyInstance, deps: GatewayHttpDeps): void {
  app.get('/metrics', async (_req, reply) => {
    deps.metrics.outboxPending.set(deps.pendingReadings());
    deps.metrics.outboxBytes.set(deps.outbox.fileBytes());
    deps.beforeMetrics?.();
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
}

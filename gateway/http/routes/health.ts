/**
 * Liveness and readiness. Each endpoint answers JSON and a non-200 status when its part is unhealthy, so a
 * load balancer, systemd or a technician's curl can tell (the origin system answered 404 here).
 */
import type { FastifyInstance } from 'fastify';
import { dependencyVersion, productVersion } from '../../../shared/version.js';
import type { GatewayHttpDeps, PartHealth } from '../support/http-deps.js';

export type { PartHealth };

/** A commit this recent, with more queued, proves the outbox writable without a probe of its own. */
export const BUSY_PROOF_MS = 5_000;

export async function dbHealth(deps: GatewayHttpDeps): Promise<PartHealth> {
  const { outbox, pipeline } = deps;
  if (!outbox.isOpen) return { healthy: false, open: false, reason: 'outbox is not open' };
  let writable = true;
  let probeError: string | undefined;
  const { lastCommitAt, lastError } = pipeline.health;
  // Under load the probe would wait behind the commit backlog: commits that keep succeeding show writability.
  const committing = pipeline.queuedRows > 0 && lastCommitAt !== null && deps.clock() - lastCommitAt < BUSY_PROOF_MS;
  if (!committing) {
    try {
      await outbox.probeWritable();
    } catch (err) {
      writable = false;
      probeError = (err as Error).message;
    }
  }
  // Degraded while the most recent commit attempt failed.
  const failing = lastError !== null && (lastCommitAt === null || lastError.at > lastCommitAt);
  const stats = outbox.stats();
  return {
    healthy: writable && !failing,
    open: true,
    writable,
    ...(probeError ? { probeError } : {}),
    epoch: stats.epoch,
    readings: stats.readings,
    pending: deps.pendingReadings(),
    deadLetters: stats.deadLetters,
    lastSeq: stats.lastSeq,
    sizeBytes: stats.bytes,
    queuedRows: pipeline.queuedRows,
    lastCommitAt,
    lastError,
  };
}

export function brokerHealth(deps: GatewayHttpDeps): PartHealth {
  const { broker } = deps;
  return { healthy: broker.listening, listening: broker.listening, port: broker.port, clients: broker.clientCount };
}

export function registerHealthRoutes(app: FastifyInstance, deps: GatewayHttpDeps): void {
  app.get('/health', async () => ({
    status: 'ok',
    gatewayId: deps.info.gatewayId,
    uptimeSeconds: Math.round((deps.clock() - deps.info.startedAt) / 1000),
  }));
  app.get('/health/db', async (_req, reply) => {
    const h = await dbHealth(deps);
    return reply.code(h.healthy ? 200 : 503).send({ status: h.healthy ? 'ok' : 'unhealthy', ...h });
  });
  app.get('/health/broker', async (_req, reply) => {
    const h = brokerHealth(deps);
    return reply.code(h.healthy ? 200 : 503).send({ status: h.healthy ? 'ok' : 'unhealthy', ...h });
  });
  app.get('/health/detailed', async (_req, reply) => {
    const parts: Record<string, PartHealth> = { db: await dbHealth(deps), broker: brokerHealth(deps) };
    for (const [name, probe] of Object.entries(deps.extraHealth ?? {})) {
      try {
        parts[name] = probe();
      } catch (err) {
        // A probe that cannot even answer is an unhealthy part, not a 500.
        parts[name] = { healthy: false, error: (err as Error).message };
      }
    }
    const healthy = Object.values(parts).every((p) => p.healthy);
    const mem = process.memoryUsage();
    return reply.code(healthy ? 200 : 503).send({
      status: healthy ? 'ok' : 'unhealthy',
      gatewayId: deps.info.gatewayId,
      uptimeSeconds: Math.round((deps.clock() - deps.info.startedAt) / 1000),
      startedAt: new Date(deps.info.startedAt).toISOString(),
      versions: {
        smartmaint: productVersion,
        node: process.versions.node,
        sqlite: deps.sqliteVersion,
        aedes: dependencyVersion('aedes'),
        onnxruntime: dependencyVersion('onnxruntime-node'),
      },
      durability: deps.info.durability,
      memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
      components: parts,
    });
  });
}

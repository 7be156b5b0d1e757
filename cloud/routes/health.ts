/**
 * Health and metrics (public, no key: load balancers and Prometheus scrape them). Every health answer is
 * JSON, 200 when healthy and 503 when not.
 */
import type { FastifyInstance } from 'fastify';
import type { Counter } from 'prom-client';
import { PROTOCOL_VERSION } from '../../shared/protocol.js';
import type { CloudContext } from '../http/context.js';
import { fleetView } from '../fleet/fleet-status.js';

async function checkDb(ctx: CloudContext): Promise<{ ok: boolean; backend: string; latencyMs: number; error?: string }> {
  const start = performance.now();
  try {
    await ctx.store.ping();
    return { ok: true, backend: ctx.store.backend, latencyMs: round(performance.now() - start) };
  } catch (err) {
    ctx.log.warn({ err }, 'database health check failed');
    return { ok: false, backend: ctx.store.backend, latencyMs: round(performance.now() - start), error: 'database unreachable' };
  }
}

const round = (n: number): number => Math.round(n * 100) / 100;

async function total(counter: Counter): Promise<number> {
  return (await counter.get()).values.reduce((sum, v) => sum + v.value, 0);
}

export function healthRoutes(app: FastifyInstance, ctx: CloudContext): void {
  app.get('/health', async () => ({ status: 'ok', uptimeS: round((ctx.clock() - ctx.startedAt) / 1000) }));

  app.get('/health/db', async (_req, reply) => {
    const db = await checkDb(ctx);
    return reply.code(db.ok ? 200 : 503).send({ status: db.ok ? 'ok' : 'error', db });
  });

  app.get('/health/detailed', async (_req, reply) => {
    const db = await checkDb(ctx);
    const now = ctx.clock();
    let fleet: Record<string, number> | null = null;
    if (db.ok) {
      try {
        const gateways = fleetView(await ctx.store.listGateways(), now, ctx.config.fleet);
        fleet = { total: gateways.length, healthy: 0, stale: 0, offline: 0, authFailing: 0 };
        for (const g of gateways) {
          fleet[g.status]! += 1;
          if (g.authFailing) fleet.authFailing! += 1;
        }
      } catch (err) {
        ctx.log.warn({ err }, 'fleet summary failed');
      }
    }
    const m = ctx.metrics;
    return reply.code(db.ok ? 200 : 503).send({
      status: db.ok ? 'ok' : 'error',
      version: ctx.version,
      protocol: PROTOCOL_VERSION,
      uptimeS: round((now - ctx.startedAt) / 1000),
      db,
      ingest: {
        readingsIngested: await total(m.readingsIngested),
        readingsDuplicate: await total(m.readingsDuplicate),
        readingsRejected: await total(m.readingsRejected),
        rateLimited: await total(m.rateLimited),
        authFailures: await total(m.authFailures),
      },
      fleet,
    });
  });

  app.get('/metrics', async (_req, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.header('content-type', ctx.metrics.registry.contentType).send(text);
  });
}

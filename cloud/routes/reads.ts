/**
 * GET /api/v1/readings and GET /api/v1/alerts: filtered, time-ordered, keyset-paged. `from` is inclusive,
 * `to` exclusive (epoch ms); `next` is the path of the following page (same filters plus a cursor) or null.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { formatIssues } from '../../shared/config-layers.js';
import { ERROR_CODES, GATEWAY_ID_PATTERN, LIMITS, PATHS } from '../../shared/protocol.js';
import type { CloudContext } from '../http/context.js';
import { HttpError } from '../../shared/http-errors.js';
import { storage } from './ingest.js';

const ms = z.coerce.number().int().min(0).max(8.64e15);
const text = z.string().min(1).max(LIMITS.maxNameLength);
const cursor = z
  .string()
  .regex(/^\d{1,16}\.\d{1,19}$/, 'malformed cursor')
  .transform((c) => {
    const [ts, id] = c.split('.');
    return { ts: Number(ts), id: Number(id) };
  });

const common = {
  gatewayId: z.string().regex(GATEWAY_ID_PATTERN).optional(),
  asset: text.optional(),
  from: ms.optional(),
  to: ms.optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.maxPageSize).default(1000),
  cursor: cursor.optional(),
};
const readingsQuery = z.strictObject({ ...common, sensor: text.optional() });
const alertsQuery = z.strictObject({ ...common, state: z.enum(['raised', 'cleared']).optional() });

function parseQuery<S extends z.ZodType>(schema: S, req: FastifyRequest): z.output<S> {
  const parsed = schema.safeParse(req.query);
  if (!parsed.success) {
    const issues = formatIssues(parsed.error).map((line) => {
      const i = line.indexOf(': ');
      return { path: line.slice(0, i), message: line.slice(i + 2) };
    });
    throw new HttpError(400, ERROR_CODES.invalidRequest, 'invalid query', { issues });
  }
  return parsed.data;
}

function nextPath(path: string, query: Record<string, unknown>, last: { ts: number; id: number } | null): string | null {
  if (last === null) return null;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && k !== 'cursor') params.set(k, String(v));
  }
  params.set('cursor', `${last.ts}.${last.id}`);
  return `${path}?${params.toString()}`;
}

export function readRoutes(app: FastifyInstance, ctx: CloudContext): void {
  app.get(PATHS.readings, { config: { auth: 'operator' } }, async (req, reply) => {
    const q = parseQuery(readingsQuery, req);
    // The store hands the page over as JSON text (written off the event loop by the SQLite reader thread).
    const page = await storage(() => ctx.store.queryReadingsJson({ ...q, after: q.cursor }));
    const next = nextPath(PATHS.readings, q, page.last);
    return reply.type('application/json; charset=utf-8').send(`{"readings":${page.json},"next":${JSON.stringify(next)}}`);
  });
  app.get(PATHS.alerts, { config: { auth: 'operator' } }, async (req) => {
    const q = parseQuery(alertsQuery, req);
    const page = await storage(() => ctx.store.queryAlerts({ ...q, after: q.cursor }));
    return { alerts: page.rows, next: nextPath(PATHS.alerts, q, page.last) };
  });
}

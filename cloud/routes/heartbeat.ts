/** POST /api/v1/gateways/:id/heartbeat: a gateway's health snapshot, same gateway key as ingest. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatIssues } from '../../shared/config-layers.js';
import { API_PREFIX, ERROR_CODES, heartbeatSchema } from '../../shared/protocol.js';
import type { CloudContext } from '../http/context.js';
import { requireGateway } from '../http/auth-hook.js';
import { HttpError } from '../../shared/http-errors.js';
import { storage } from './ingest.js';

export function heartbeatRoute(app: FastifyInstance, ctx: CloudContext): void {
  app.post(`${API_PREFIX}/gateways/:id/heartbeat`, { config: { auth: 'gateway' } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const { id } = req.params as { id: string };
    requireGateway(req, ctx, id);
    const parsed = heartbeatSchema.safeParse(req.body);
    if (!parsed.success) {
      const issues = formatIssues(parsed.error).map((line) => {
        const i = line.indexOf(': ');
        return { path: line.slice(0, i), message: line.slice(i + 2) };
      });
      throw new HttpError(400, ERROR_CODES.invalidRequest, 'body is not a heartbeat', { issues: issues.slice(0, 100) });
    }
    const now = ctx.clock();
    await storage(() => ctx.store.recordHeartbeat(id, parsed.data, now));
    return reply.code(200).send({ ok: true, receivedAt: now });
  });
}

/** JSON error replies with a stable code; internals (stack, SQL) never leave the process. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { formatIssues } from '../../../shared/config-layers.js';

export function sendError(reply: FastifyReply, status: number, code: string, message: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply.code(status).type('application/json').send({ error: { code, message, ...extra } });
}

export function sendInvalid(reply: FastifyReply, error: z.ZodError, status = 400): FastifyReply {
  return sendError(reply, status, 'SMARTMAINT_INVALID_REQUEST', 'request does not validate', { issues: formatIssues(error) });
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, 404, 'SMARTMAINT_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`);
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ err }, 'request failed');
    const code = status < 500 && err.code ? err.code : 'SMARTMAINT_INTERNAL';
    sendError(reply, status, code, status < 500 ? err.message : 'internal error');
  });
}

/**
 * The gateway's side of the shared HTTP errors (shared/http-errors.ts): its fallback codes, and the refusal of a
 * request that does not validate.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { HttpError, installErrorHandlers, sendError, zodIssues } from '../../../shared/http-errors.js';

export { HttpError, sendError };

/** fastify's own refusals, as the gateway's registered codes. */
const FASTIFY_CODES = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'SMARTMAINT_BODY_TOO_LARGE', message: 'request body too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'SMARTMAINT_UNSUPPORTED_MEDIA_TYPE', message: 'unsupported Content-Type' },
} as const;

export function sendInvalid(reply: FastifyReply, error: z.ZodError, status = 400): FastifyReply {
  return sendError(reply, new HttpError(status, 'SMARTMAINT_INVALID_REQUEST', 'request does not validate', { issues: zodIssues(error) }));
}

export function installGatewayErrorHandlers(app: FastifyInstance): void {
  installErrorHandlers(app, {
    notFound: 'SMARTMAINT_NOT_FOUND',
    invalidRequest: 'SMARTMAINT_INVALID_REQUEST',
    internal: 'SMARTMAINT_INTERNAL',
    fastify: FASTIFY_CODES,
  });
}

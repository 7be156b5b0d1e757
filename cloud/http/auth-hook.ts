/**
 * Authentication and rate limiting before the body is read: a route declares `config.auth` as
 * 'gateway' (gateway keys: ingest, heartbeat) or 'operator' (operator keys: read endpoints); routes
 * without it are public (health, metrics). 401 = no or unknown key; 403 = revoked, or the wrong kind.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES } from '../../shared/protocol.js';
import { presentedKey, type Principal } from '../auth/authenticator.js';
import type { CloudContext } from './context.js';
import { HttpError, sendError } from '../../shared/http-errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: 'gateway' | 'operator';
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function registerAuth(app: FastifyInstance, ctx: CloudContext): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const needed = req.routeOptions.config?.auth;
    if (needed === undefined) return;
    const outcome = await ctx.auth.authenticate(presentedKey(req.headers));
    if (!outcome.ok) {
      ctx.metrics.authFailures.inc({ reason: outcome.reason });
      // Only a key that really is that gateway's (revoked) marks it auth-failing: never a gateway id named in
      // the URL or a key id with a wrong secret, which anyone can send.
      if (outcome.reason === 'revoked') ctx.authFailures.note(outcome.gatewayId);
      if (outcome.status === 403) {
        return sendError(reply, new HttpError(403, ERROR_CODES.keyRevoked, 'API key has been revoked'));
      }
      const message = outcome.reason === 'missing'
        ? 'API key required: Authorization: Bearer <key> or X-API-Key: <key>'
        : 'API key not recognised';
      return sendError(reply, new HttpError(401, ERROR_CODES.unauthenticated, message, {}, { 'www-authenticate': 'Bearer' }));
    }
    const principal = outcome.principal;
    if (principal.kind !== needed) {
      ctx.metrics.authFailures.inc({ reason: 'wrong-kind' });
      return sendError(reply, new HttpError(403, ERROR_CODES.forbidden, `this endpoint needs ${needed === 'operator' ? 'an operator' : 'a gateway'} key`));
    }
    const decision = ctx.limiter.take(principal.keyId);
    if (!decision.ok) {
      ctx.metrics.rateLimited.inc();
      return sendError(
        reply,
        new HttpError(429, ERROR_CODES.rateLimited, 'rate limit exceeded for this key', { retryAfterS: decision.retryAfterS }, {
          'retry-after': String(decision.retryAfterS),
        }),
      );
    }
    req.principal = principal;
  });
}

/** The gateway principal of an authenticated gateway route; 403 if the key belongs to another gateway. */
export function requireGateway(req: FastifyRequest, ctx: CloudContext, gatewayId: string): Principal {
  const p = req.principal;
  if (p === null || p.kind !== 'gateway') throw new HttpError(401, ERROR_CODES.unauthenticated, 'API key required');
  if (p.gatewayId !== gatewayId) {
    // Not noted against gatewayId: the key is another gateway's, and the id came from the request.
    ctx.metrics.authFailures.inc({ reason: 'wrong-gateway' });
    throw new HttpError(403, ERROR_CODES.forbidden, 'API key is not valid for this gatewayId');
  }
  return p;
}

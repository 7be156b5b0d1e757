/**
 * HTTP hardening for the gateway's server: security headers on every answer (a strict CSP on HTML pages
 * unless the page sets its own, no-store on data answers), request bodies in a content coding the gateway does
 * not decode refused with 415 (RFC 9110 §15.5.16) instead of being read as if they were plain, and a short
 * headers timeout so slow-header clients (slowloris) are cut off long before Node's 60 s default.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError, sendError } from './errors.js';

export const HEADERS_TIMEOUT_MS = 10_000;

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
} as const;

/** Same-origin only; no inline script, no framing, no plugins. Pages that need more set their own header. */
export const HTML_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
  + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function installHttpHardening(app: FastifyInstance): void {
  // Must not exceed requestTimeout (Node refuses that combination).
  const requestTimeout = app.server.requestTimeout;
  app.server.headersTimeout = requestTimeout > 0 ? Math.min(HEADERS_TIMEOUT_MS, requestTimeout) : HEADERS_TIMEOUT_MS;

  app.addHook('onRequest', async (request, reply) => {
    const coding = request.headers['content-encoding'];
    if (coding !== undefined && coding.trim().toLowerCase() !== 'identity') {
      return sendError(reply.header('accept-encoding', 'identity'), new HttpError(415, 'SMARTMAINT_UNSUPPORTED_MEDIA_TYPE',
        `content coding '${coding.slice(0, 32)}' is not supported; send the body uncompressed`));
    }
    return undefined;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(COMMON_HEADERS);
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html')) {
      if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', HTML_CSP);
    } else if (!reply.hasHeader('cache-control')) {
      reply.header('cache-control', 'no-store');
    }
    return payload;
  });
}

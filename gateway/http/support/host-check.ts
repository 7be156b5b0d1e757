/**
 * The Host header must name this gateway: an IP address, `localhost`, or a name listed in http.allowedHosts.
 * A browser tricked by DNS rebinding sends the attacker's domain as Host while talking to the gateway's address
 * (loopback, or the plant network); refusing unknown names stops such pages from reading the gateway's data.
 */
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { HttpError, sendError } from './errors.js';

/** The host part of a Host header value (no port, no IPv6 brackets), lower-cased. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

export function hostAllowed(header: string | undefined, allowed: ReadonlySet<string>): boolean {
  // HTTP/1.0 clients may omit Host; HTTP/1.1 without one is refused by Node itself.
  if (header === undefined) return true;
  const name = hostName(header);
  return isIP(name) !== 0 || name === 'localhost' || allowed.has(name);
}

/** Call before the access hook, so an unknown Host is refused before any credential is looked at. */
export function installHostCheck(app: FastifyInstance, allowedHosts: readonly string[]): void {
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  app.addHook('onRequest', async (request, reply) => {
    if (hostAllowed(request.headers.host, allowed)) return undefined;
    return sendError(reply, new HttpError(421, 'SMARTMAINT_HOST_NOT_ALLOWED',
      'this gateway does not answer to that host name; use its address, or add the name to http.allowedHosts'));
  });
}

/**
 * The one authentication decision for every route of the gateway's HTTP server. Each route gets an access class
 * from the table below when it is registered (onRoute), and one onRequest hook enforces it before any handler or
 * body parser runs:
 *   - open: the allow-list — only `GET /health`, so a load balancer or systemd can probe liveness;
 *   - device: a device credential (X-API-Key, Bearer, or Basic id:password); the device is handed to the route
 *     as `request.device` (ingestion, which checks its ACL);
 *   - device-or-technician: a device credential or the technician password (the ML endpoints);
 *   - technician: the technician password (HTTP Basic, any user name) — every other route, including the ones
 *     no one listed here: a new route is closed until someone decides otherwise.
 * Without a technician password the server may only bind to loopback (security-config.ts), and the classes the
 * password would guard are open to this machine; device routes always need a device credential.
 */
import type { FastifyInstance, FastifyReply, RouteOptions } from 'fastify';
import type { Device, DeviceRegistry } from '../../devices/device-registry.js';
import { authenticateRequest, type HttpAuthResult } from './device-auth.js';
import { HttpError, sendError } from './errors.js';
import type { SignInThrottle } from '../../auth/sign-in-throttle.js';

export type Access = 'open' | 'device' | 'device-or-technician' | 'technician';

/** What stays reachable without credentials. Keep it short: everything here is readable by anyone who can connect. */
export const OPEN_ROUTES: readonly string[] = ['GET /health', 'HEAD /health'];

const DEVICE_ROUTES: readonly string[] = ['POST /api/v1/data/ingest'];
const DEVICE_OR_TECHNICIAN = /^POST \/api\/v1\/ml\//;

export function accessOf(method: string, url: string): Access {
  const key = `${method} ${url}`;
  if (OPEN_ROUTES.includes(key)) return 'open';
  if (DEVICE_ROUTES.includes(key)) return 'device';
  if (DEVICE_OR_TECHNICIAN.test(key)) return 'device-or-technician';
  return 'technician';
}

export interface RouteAccess {
  method: string;
  url: string;
  access: Access;
}

export interface AccessDeps {
  /** The technician password check; null when none is configured (loopback-only server). */
  password: { check(authorization: string | undefined): Promise<boolean> } | null;
  devices: DeviceRegistry;
  /** Refuses credentials from an address or user that failed too often, before they are checked. */
  throttle: SignInThrottle;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated device on device routes (set by the access hook). */
    device: Device | null;
  }
  interface FastifyInstance {
    /** Every route registered so far with its access class (tests walk it). */
    routeAccess: readonly RouteAccess[];
  }
}

const TECHNICIAN_REALM = 'Basic realm="SmartMaint gateway", charset="UTF-8"';
const DEVICE_REALM = 'Bearer realm="smartmaint", Basic realm="smartmaint"';

/** Call before any route is registered. */
export function installAccessControl(app: FastifyInstance, deps: AccessDeps): void {
  const table: RouteAccess[] = [];
  app.decorate('routeAccess', table);
  app.decorateRequest('device', null);
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) table.push({ method, url: route.url, access: accessOf(method, route.url) });
  });

  app.addHook('onRequest', async (request, reply) => {
    // routeOptions.url is the registered pattern (undefined for a path with no route): a 404 is decided as
    // "technician" too, so the route table cannot be probed without credentials.
    const url = request.routeOptions.url;
    const access = url === undefined ? 'technician' : accessOf(request.method, url);
    if (access === 'open') return undefined;
    const needsTechnician = deps.password !== null;
    if (access === 'technician' && !needsTechnician) return undefined;
    if (access === 'device-or-technician' && !needsTechnician) return undefined;

    const source = request.ip;
    const authorization = request.headers.authorization;
    const user = basicUser(authorization);
    const refused = deps.throttle.refusedFor(source, user);
    if (refused > 0) {
      deps.throttle.refused(source, user);
      reply.header('retry-after', String(Math.max(1, Math.ceil(refused / 1000))));
      return sendError(reply, new HttpError(429, 'SMARTMAINT_AUTH_THROTTLED', 'too many failed sign-ins from this address or for this user; retry later'));
    }

    if (access !== 'device' && authorization?.startsWith('Basic ') && await deps.password!.check(authorization)) {
      deps.throttle.succeeded(source, user);
      return undefined;
    }
    if (access !== 'technician') {
      const auth: HttpAuthResult = await authenticateRequest(request.headers, deps.devices);
      if (auth.ok) {
        request.device = auth.device;
        deps.throttle.succeeded(source, user);
        return undefined;
      }
      deps.devices.metrics.authFailures.inc({ transport: 'http', reason: auth.reason });
      if (auth.reason !== 'missing') deps.throttle.failed(source, user);
      return unauthorized(reply, access === 'device' ? DEVICE_REALM : `${DEVICE_REALM}, ${TECHNICIAN_REALM}`,
        auth.reason === 'missing' ? 'credentials are required (X-API-Key, Authorization: Bearer or Basic)' : 'unknown credentials');
    }
    if (authorization !== undefined) deps.throttle.failed(source, user);
    return unauthorized(reply, TECHNICIAN_REALM, 'technician password required');
  });
}

function unauthorized(reply: FastifyReply, realm: string, message: string): FastifyReply {
  return sendError(reply.header('www-authenticate', realm), new HttpError(401, 'SMARTMAINT_UNAUTHORIZED', message));
}

/** The user name of HTTP Basic credentials, for the per-user bound; undefined for other schemes. */
function basicUser(authorization: string | undefined): string | undefined {
  const basic = /^Basic[ \t]+([A-Za-z0-9+/=]{1,4096})[ \t]*$/i.exec(authorization ?? '');
  if (!basic) return undefined;
  const text = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon > 0 ? text.slice(0, Math.min(colon, 256)) : undefined;
}

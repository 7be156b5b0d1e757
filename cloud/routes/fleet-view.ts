/**
 * The fleet view: the operator's page at `/` (plus /fleet/fleet.js and /fleet/fleet.css), served from
 * cloud/fleet-view with no CDN. The page itself is public and holds no data; every figure comes from the
 * operator-key JSON API (GET /api/v1/gateways, /api/v1/alerts, /api/v1/readings), the key entered in a login
 * form or passed as `#key=` and kept in the tab's sessionStorage.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { projectRoot } from '../../shared/version.js';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/fleet/fleet.js': { file: 'fleet.js', type: 'text/javascript; charset=utf-8' },
  '/fleet/fleet.css': { file: 'fleet.css', type: 'text/css; charset=utf-8' },
};

/** Replaces the JSON API's `default-src 'none'` for the page and its two files only. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'cache-control': 'no-cache',
};

export function fleetViewDir(): string {
  return join(projectRoot, 'cloud', 'fleet-view');
}

export function fleetViewRoutes(app: FastifyInstance): void {
  const dir = fleetViewDir();
  for (const [path, f] of Object.entries(FILES)) {
    const body = readFileSync(join(dir, f.file));
    app.get(path, async (_req, reply) => reply.headers(PAGE_HEADERS).type(f.type).send(body));
  }
}

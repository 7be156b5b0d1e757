/**
 * The fleet view: the operator's page at `/` (plus /fleet/fleet.js, /fleet/fleet.css and /ui/ui.js), served from
 * cloud/fleet/view with no CDN. The page itself is public and holds no data; every figure comes from the
 * operator-key JSON API (GET /api/v1/gateways, /api/v1/alerts, /api/v1/readings), the key entered in a login
 * form or passed as `#key=` and kept in the tab's sessionStorage.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { serveStaticFiles, UI_SCRIPT } from '../../shared/static-files.js';
import { projectRoot } from '../../shared/version.js';

const FILES = [
  { path: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { path: '/fleet/fleet.js', file: 'fleet.js', type: 'text/javascript; charset=utf-8' },
  { path: '/fleet/fleet.css', file: 'fleet.css', type: 'text/css; charset=utf-8' },
];

/** Replaces the JSON API's `default-src 'none'` for the page and its files only. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'cache-control': 'no-cache',
};

export function fleetViewDir(): string {
  return join(projectRoot, 'cloud', 'fleet', 'view');
}

export function fleetViewRoutes(app: FastifyInstance): void {
  const dir = fleetViewDir();
  serveStaticFiles(app, [...FILES.map((f) => ({ ...f, file: join(dir, f.file) })), UI_SCRIPT], PAGE_HEADERS);
}

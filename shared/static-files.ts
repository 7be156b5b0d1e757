/**
 * Static files of the operator pages (the gateway's status page, the cloud's fleet view), read once when the
 * routes are registered and served from memory with the page's security headers. Both pages also load the
 * helpers they share, shared/web/ui.js, at UI_SCRIPT.path.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import { projectRoot } from './version.js';

export interface StaticFile {
  /** URL path. */
  path: string;
  /** Absolute file path. */
  file: string;
  type: string;
}

export const UI_SCRIPT: StaticFile = {
  path: '/ui/ui.js', file: join(projectRoot, 'shared', 'web', 'ui.js'), type: 'text/javascript; charset=utf-8',
};

export function serveStaticFiles(app: FastifyInstance, files: readonly StaticFile[], headers: Record<string, string>,
  options: RouteShorthandOptions = {}): void {
  for (const f of files) {
    const body = readFileSync(f.file);
    app.get(f.path, options, async (_req, reply) => reply.headers(headers).type(f.type).send(body));
  }
}

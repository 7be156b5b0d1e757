/**
 * The technician's status page and its data: `/` (the page and its static files, served from
 * gateway/status/page — no CDN, works offline), GET /api/v1/status/stream (Server-Sent Events, one snapshot a
 * second), GET /api/v1/status/snapshot, GET /api/v1/status/history?asset= (chart window) and
 * GET /api/v1/export?asset=&from=&to=&format=csv|ndjson (streamed download). Who may see them is decided for
 * every route in ../access.ts (the technician password).
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { serveStaticFiles, UI_SCRIPT } from '../../../shared/static-files.js';
import { projectRoot } from '../../../shared/version.js';
import type { StoredReading } from '../../outbox/outbox.js';
import type { StatusFeed } from '../../status/status-feed.js';
import { sendInvalid } from '../support/errors.js';
import { timeParam } from '../support/query.js';

export const STATUS_PATHS = {
  page: '/',
  stream: '/api/v1/status/stream',
  snapshot: '/api/v1/status/snapshot',
  history: '/api/v1/status/history',
  export: '/api/v1/export',
} as const;

const STATIC = [
  { path: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { path: '/status/status.js', file: 'status.js', type: 'text/javascript; charset=utf-8' },
  { path: '/status/status.css', file: 'status.css', type: 'text/css; charset=utf-8' },
];

/** The page runs only its own scripts and talks only to this gateway. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

const historyQuery = z.strictObject({ asset: z.string().min(1).max(128) });

const exportQuery = z.strictObject({
  asset: z.string().min(1).max(128),
  sensor: z.string().min(1).max(128).optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
  format: z.enum(['csv', 'ndjson']).default('csv'),
});

const EXPORT_PAGE = 5_000;

export function pageDir(): string {
  return join(projectRoot, 'gateway', 'status', 'page');
}

export function registerStatusPageRoutes(app: FastifyInstance, page: StatusFeed): void {
  const dir = pageDir();
  // SSE responses never end by themselves: end them before the server waits for its connections.
  app.addHook('preClose', async () => page.endStreams());
  serveStaticFiles(app, [...STATIC.map((f) => ({ ...f, file: join(dir, f.file) })), UI_SCRIPT], PAGE_HEADERS);

  app.get(STATUS_PATHS.snapshot, async () => page.snapshot());

  app.get(STATUS_PATHS.history, async (req, reply) => {
    const parsed = historyQuery.safeParse(req.query);
    if (!parsed.success) return sendInvalid(reply, parsed.error);
    return page.history(parsed.data.asset);
  });

  app.get(STATUS_PATHS.stream, (req, reply) => {
    // The response is written by the status page component for as long as the client stays.
    reply.hijack();
    req.raw.socket.setTimeout(0);
    page.addClient(reply.raw);
  });

  app.get(STATUS_PATHS.export, async (req, reply) => {
    const parsed = exportQuery.safeParse(req.query);
    if (!parsed.success) return sendInvalid(reply, parsed.error);
    const q = parsed.data;
    const outbox = page.source.outbox;
    const stamp = (t: number | undefined) => (t === undefined ? 'all' : new Date(t).toISOString().replace(/[:.]/g, '-'));
    const filename = `${page.source.config.gatewayId}-${q.asset}-${stamp(q.from)}-${stamp(q.to)}.${q.format}`.replace(/[^A-Za-z0-9._-]/g, '_');
    async function* rows(): AsyncGenerator<string> {
      if (q.format === 'csv') yield 'seq,ts,time,asset,sensor,value,unit,quality,source\n';
      let after: number | undefined;
      // Paged by seq over the primary key, so the whole export is one linear pass however large the range.
      for (;;) {
        const page = outbox.queryReadings({ asset: q.asset, sensor: q.sensor, from: q.from, to: q.to, afterSeq: after, limit: EXPORT_PAGE });
        if (page.length === 0) return;
        yield page.map(q.format === 'csv' ? csvLine : ndjsonLine).join('');
        if (page.length < EXPORT_PAGE) return;
        after = page[page.length - 1]!.seq;
        await yieldToLoop();
      }
    }
    return reply
      .type(q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
      .header('content-disposition', `attachment; filename="${filename}"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(rows()));
  });
}

/**
 * Text a spreadsheet would run as a formula (starting with = + - @, or tab / CR, OWASP "CSV injection") gets a
 * leading apostrophe, which spreadsheet tools show as text. Names and units are device-chosen; numbers are
 * written as they are.
 */
function csvField(v: string | number | null | undefined): string {
  if (v === undefined || v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(r: StoredReading): string {
  return [r.seq, r.ts, new Date(r.ts).toISOString(), r.asset, r.sensor, r.value, r.unit, r.quality, r.source].map(csvField).join(',') + '\n';
}

export function ndjsonLine(r: StoredReading): string {
  return JSON.stringify({ seq: r.seq, ts: r.ts, asset: r.asset, sensor: r.sensor, value: r.value, unit: r.unit, quality: r.quality, source: r.source }) + '\n';
}

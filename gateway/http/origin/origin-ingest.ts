/**
 * POST /api/v1/data/ingest — the origin system's ingestion contract on the gateway (docs/origin-api.md).
 * Same decoding rules, same group-commit pipeline and outbox as MQTT; 200 only after the commit (the QoS 1
 * promise over HTTP). A JSON array is a batch: validated, authorised and committed as one unit (one outbox
 * entry, so one transaction), answered per item.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorCode } from '../../../shared/errors.js';
import type { OriginApiContext } from './origin-context.js';
import { decodeOriginBody, TooManyItemsError } from '../../ingest/origin-decode.js';
import type { HttpEvent } from '../../outbox/http-events.js';
import type { OutboxEntry } from '../../outbox/outbox.js';
import { HttpError, sendError } from '../support/errors.js';
import { IDEMPOTENCY_KEY_PATTERN, requestHash } from '../support/idempotency.js';

export const INGEST_PATH = '/api/v1/data/ingest';

interface ItemResult { status: 'event_published'; event_id: string; correlation_id: string; sensor_id: string }

/** The pipeline refuses new rows beyond this backlog (a stalled disk): 429 instead of unbounded memory. */

export function registerOriginIngest(app: FastifyInstance, ctx: OriginApiContext): void {
  const { stats, deviceMetrics } = ctx;
  const answered = (reply: FastifyReply, status: number): FastifyReply => {
    stats.ingestStatus(status);
    return reply;
  };

  app.route({
    method: 'POST',
    url: INGEST_PATH,
    bodyLimit: ctx.config.maxBodyBytes,
    // Refusals made before any device was authenticated (../access.ts, ../host-check.ts: 401, 421, 429) are
    // counted here; everything after is counted where it is answered.
    onResponse: async (request, reply) => {
      if (request.device === null) stats.ingestStatus(reply.statusCode);
    },
    // Body-parsing failures answer in the origin's terms: bad JSON is an invalid body (422), too big is 413.
    errorHandler: (err: FastifyError, _request, reply) => {
      const code = err.code ?? '';
      if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return answered(sendError(reply, new HttpError(413, 'SMARTMAINT_BODY_TOO_LARGE', `body exceeds ${ctx.config.maxBodyBytes} bytes`)), 413);
      }
      if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        return answered(sendError(reply, new HttpError(415, 'SMARTMAINT_UNSUPPORTED_MEDIA_TYPE', 'send application/json')), 415);
      }
      if (code.startsWith('FST_ERR_CTP_') || err instanceof SyntaxError) {
        return answered(sendError(reply, new HttpError(422, 'SMARTMAINT_INVALID_REQUEST', 'body is not valid JSON', { issues: [{ path: '(root)', message: err.message }] })), 422);
      }
      ctx.log.error({ err }, 'ingest request failed');
      return answered(sendError(reply, new HttpError(500, 'SMARTMAINT_INTERNAL', 'internal error')), 500);
    },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const started = performance.now();
      // Authenticated by the access hook (../access.ts) before the body was read.
      const device = request.device;
      if (device === null) throw new Error('ingest route reached without a device');
      const now = ctx.clock();
      let decoded;
      try {
        decoded = decodeOriginBody(request.body, now, ctx.decodeLimits);
      } catch (err) {
        if (err instanceof TooManyItemsError) return answered(sendError(reply, new HttpError(413, 'SMARTMAINT_BATCH_TOO_LARGE', err.message)), 413);
        throw err;
      }
      if (!decoded.ok) {
        stats.rejected.inc({ reason: 'invalid' });
        return answered(sendError(reply, new HttpError(422, 'SMARTMAINT_INVALID_REQUEST', 'reading does not validate', { issues: decoded.issues })), 422);
      }
      const denied = new Set<string>();
      for (const item of decoded.items) {
        for (const r of item.readings) if (!device.acl.mayWriteReading(r.asset, r.sensor)) denied.add(`${r.asset}/${r.sensor}`);
      }
      if (denied.size > 0) {
        deviceMetrics.aclDenied.inc({ transport: 'http', action: 'write' }, denied.size);
        return answered(sendError(reply, new HttpError(403, 'SMARTMAINT_FORBIDDEN', `device ${device.id} may not write ${[...denied].slice(0, 20).join(', ')}`,
          { denied: [...denied].slice(0, 100) })), 403);
      }
      // Backpressure: too much waits for the outbox writer (outbox.maxQueuedReadings / maxQueuedBytes).
      if (ctx.pipeline.paused) {
        reply.header('retry-after', '1');
        return answered(sendError(reply, new HttpError(503, 'SMARTMAINT_BUSY', 'the gateway is behind on storing readings; retry shortly')), 503);
      }

      const keyHeader = request.headers['idempotency-key'];
      let release: (() => void) | undefined;
      let idempotency: NonNullable<OutboxEntry['http']>['idempotency'] = null;
      const results: ItemResult[] = [];
      const events: HttpEvent[] = [];
      for (const item of decoded.items) {
        const eventId = randomUUID();
        results.push({ status: 'event_published', event_id: eventId, correlation_id: item.correlationId, sensor_id: item.sensorId });
        events.push({ eventId, correlationId: item.correlationId, sensorId: item.sensorId, readings: item.readings.length, metadata: item.metadata });
      }
      const body = decoded.batch
        ? { status: 'event_published' as const, count: results.length, results }
        : results[0]!;
      const bodyText = JSON.stringify(body);
      if (keyHeader !== undefined) {
        if (typeof keyHeader !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(keyHeader)) {
          return answered(sendError(reply, new HttpError(422, 'SMARTMAINT_INVALID_REQUEST', 'Idempotency-Key must be 1-255 visible ASCII characters',
            { issues: [{ path: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters' }] })), 422);
        }
        const hash = requestHash(request.body);
        const decision = ctx.idempotency.begin(device.id, keyHeader, hash);
        if (decision.kind === 'conflict') {
          return answered(sendError(reply, new HttpError(decision.status, decision.status === 409 ? 'SMARTMAINT_IDEMPOTENCY_IN_FLIGHT' : 'SMARTMAINT_IDEMPOTENCY_KEY_REUSED',
            decision.message)), decision.status);
        }
        if (decision.kind === 'replay') {
          stats.duplicates.inc();
          return answered(reply.code(200).type('application/json').send(duplicateOf(decision.response)), 200);
        }
        release = decision.release;
        idempotency = { key: keyHeader, requestHash: hash, response: bodyText, createdAt: now };
      }

      const readings = decoded.items.flatMap((i) => i.readings);
      const entry: OutboxEntry = {
        source: 'http', clientId: device.id, packetId: null, digest: null, readings, deadLetter: null,
        http: { deviceId: device.id, events, idempotency },
      };
      ctx.gatewayMetrics.readingsReceived.inc(readings.length);
      try {
        await new Promise<void>((resolve, reject) => ctx.pipeline.submit(entry, (err) => (err ? reject(err) : resolve())));
      } catch (err) {
        const code = errorCode(err);
        if (code === 'SMARTMAINT_OUTBOX_FULL') {
          reply.header('retry-after', String(ctx.retryAfterFullSeconds));
          return answered(sendError(reply, new HttpError(429, code, (err as Error).message)), 429);
        }
        reply.header('retry-after', '1');
        return answered(sendError(reply, new HttpError(503, code === 'SMARTMAINT_INTERNAL' ? 'SMARTMAINT_STORAGE_FAILED' : code,
          'the reading could not be stored; nothing was kept, retry')), 503);
      } finally {
        release?.();
      }
      stats.ingestLatency.record(performance.now() - started);
      stats.ingestReadings.add(readings.length);
      return answered(reply.code(200).type('application/json').send(bodyText), 200);
    },
  });
}

/** The answer to a repeat: the original event ids, marked as duplicates (nothing new was stored). */
function duplicateOf(stored: string): string {
  const original = JSON.parse(stored) as ItemResult | { count: number; results: ItemResult[] };
  if ('results' in original) {
    return JSON.stringify({ status: 'duplicate_ignored', count: original.count,
      results: original.results.map((r) => ({ ...r, status: 'duplicate_ignored' })) });
  }
  return JSON.stringify({ status: 'duplicate_ignored', event_id: original.event_id, correlation_id: original.correlation_id, sensor_id: original.sensor_id });
}

/**
 * POST /api/v1/data/ingest. The batch envelope must be valid (400 lists every bad path); each reading
 * is then checked on its own, refused ones are listed in `rejected`, the rest stored once per
 * (gatewayId, epoch, seq). An Idempotency-Key makes a retried request return the first answer.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatIssues } from '../../shared/config-layers.js';
import {
  ERROR_CODES,
  IDEMPOTENCY_HEADER,
  LIMITS,
  PATHS,
  type IngestResponse,
  type RejectedReading,
  ingestEnvelopeSchema,
} from '../../shared/protocol.js';
import type { CloudContext } from '../http/context.js';
import { HttpError } from '../../shared/http-errors.js';
import { requireGateway } from '../http/auth-hook.js';
import { checkReading } from '../ingest/validate-reading.js';
import type { IngestResult, IngestWrite, ReadingRow } from '../store/store.js';

/** Idempotency-Key is an sf-string per the draft; a bare token is accepted too. */
function idempotencyKey(req: FastifyRequest): string | null {
  const raw = req.headers[IDEMPOTENCY_HEADER];
  if (raw === undefined) return null;
  let v = (Array.isArray(raw) ? raw.join(',') : raw).trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
  if (v.length === 0 || v.length > LIMITS.maxIdempotencyKeyLength || !/^[\x21-\x7e]+$/.test(v)) {
    throw new HttpError(400, ERROR_CODES.invalidRequest, `Idempotency-Key must be 1..${LIMITS.maxIdempotencyKeyLength} printable ASCII characters`);
  }
  return v;
}

export function ingestRoute(app: FastifyInstance, ctx: CloudContext): void {
  app.post(PATHS.ingest, { config: { auth: 'gateway' } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const idemKey = idempotencyKey(req);
    const parsed = ingestEnvelopeSchema.safeParse(req.body);
    if (!parsed.success) {
      ctx.metrics.batches.inc({ outcome: 'invalid' });
      // Report the gateway's identity problem first if the body names another gateway.
      const claimed = (req.body as { gatewayId?: unknown } | null)?.gatewayId;
      if (typeof claimed === 'string') requireGateway(req, ctx, claimed);
      const issues = formatIssues(parsed.error).map((line) => {
        const i = line.indexOf(': ');
        return { path: line.slice(0, i), message: line.slice(i + 2) };
      });
      throw new HttpError(400, ERROR_CODES.invalidBatch, 'body is not an ingest batch', { issues: issues.slice(0, 100) });
    }
    const batch = parsed.data;
    requireGateway(req, ctx, batch.gatewayId);

    const { write, rejected } = prepareWrite(ctx, batch);
    let result: IngestResult;
    const scope = batch.gatewayId;
    if (idemKey === null) {
      result = await storage(() => ctx.store.ingest(write));
    } else {
      // Claim and write in one store call (one trip to the SQLite writer thread): the readings were checked
      // above, so a replay costs that check and nothing else.
      const hash = createHash('sha256').update(req.rawJson ?? Buffer.alloc(0)).digest('hex');
      const once = await storage(() =>
        ctx.store.ingestOnce(write, { scope, key: idemKey, bodyHash: hash, staleAfterMs: ctx.config.idempotency.inFlightTimeoutMs }),
      );
      if (once.kind === 'mismatch') {
        throw new HttpError(422, ERROR_CODES.idempotencyKeyReused, 'Idempotency-Key was already used with a different body');
      }
      if (once.kind === 'in-flight') {
        throw new HttpError(409, ERROR_CODES.idempotencyInFlight, 'a request with this Idempotency-Key is still being processed', {}, {
          'retry-after': '1',
        });
      }
      if (once.kind === 'replay') {
        ctx.metrics.batches.inc({ outcome: 'replayed' });
        return reply
          .code(once.status)
          .header('content-type', 'application/json; charset=utf-8')
          .header('idempotent-replayed', 'true')
          .send(once.body);
      }
      result = once.result;
    }
    const body = JSON.stringify(answer(ctx, result, rejected));
    if (idemKey !== null) {
      // The readings are committed: a failure to record the answer must not turn into a 503 that makes the
      // gateway resend (it would get duplicates); the record's claim goes stale and is taken over instead.
      await ctx.store.completeIdempotencyKey(scope, idemKey, 200, body).catch((err: unknown) =>
        req.log.warn({ err, scope }, 'idempotency record not completed'),
      );
    }
    return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(body);
  });
}

/** Checks each reading on its own: the good ones become the write, the bad ones its `rejected` list. */
function prepareWrite(ctx: CloudContext, batch: ReturnType<typeof ingestEnvelopeSchema.parse>): { write: IngestWrite; rejected: RejectedReading[] } {
  const rejected: RejectedReading[] = [];
  const rows: ReadingRow[] = [];
  const models = new Set<string>();
  const readings = batch.readings;
  let sorted = true;
  let prev = -1;
  // Bounded like the gateway bounds device times: a gateway clock cannot be trusted to be right, but not by days.
  const latestReceivedAt = ctx.clock() + LIMITS.maxFutureSkewMs;
  for (let i = 0; i < readings.length; i++) {
    let out = checkReading(readings[i], models);
    if (typeof out !== 'string' && out.receivedAt > latestReceivedAt) out = 'receivedAt: is more than a day in the future';
    if (typeof out === 'string') {
      const seq = (readings[i] as { seq?: unknown } | null)?.seq;
      rejected.push({ seq: typeof seq === 'number' && Number.isFinite(seq) ? seq : null, reason: `readings.${i}.${out}` });
      continue;
    }
    if (out.seq < prev) sorted = false;
    prev = out.seq;
    rows.push(out);
  }
  // A consistent (seq) insert order keeps concurrent PostgreSQL transactions from deadlocking.
  if (!sorted) rows.sort((a, b) => a.seq - b.seq);
  for (const a of batch.alerts ?? []) models.add(`${a.model}\0${a.version}`);
  const modelList = [...models].map((k) => {
    const i = k.indexOf('\0');
    return { model: k.slice(0, i), version: k.slice(i + 1) };
  });
  const write: IngestWrite = {
    gatewayId: batch.gatewayId,
    epoch: batch.epoch,
    batchId: batch.batchId,
    readings: rows,
    alerts: batch.alerts ?? [],
    gaps: batch.gaps ?? [],
    models: modelList,
    now: ctx.clock(),
  };
  return { write, rejected };
}

/** Counts a stored batch and builds its answer. */
function answer(ctx: CloudContext, result: IngestResult, rejected: RejectedReading[]): IngestResponse {
  ctx.metrics.readingsIngested.inc(result.accepted);
  ctx.metrics.readingsDuplicate.inc(result.duplicates);
  if (rejected.length > 0) ctx.metrics.readingsRejected.inc(rejected.length);
  ctx.metrics.batches.inc({ outcome: 'stored' });
  return { accepted: result.accepted, duplicates: result.duplicates, rejected };
}

/** A storage failure is the client's cue to retry later: 503, the cause logged, never shown. */
export async function storage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new HttpError(503, ERROR_CODES.unavailable, 'storage unavailable, retry later', {}, { 'retry-after': '1' }).withCause(err);
  }
}

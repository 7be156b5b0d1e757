/**
 * The gateway → cloud wire contract, version 1. Both sides import this file: the gateway's sync engine
 * builds batches with these types, the cloud validates them with these schemas and limits.
 *
 * Versioning: the version is in the path (`/api/v1/...`) and, optionally, in a `v` field of the batch.
 * A breaking change gets a new path (`/api/v2`) and the cloud keeps serving the previous version
 * (SUPPORTED_PROTOCOL_VERSIONS). Adding optional fields is not breaking: unknown fields are ignored.
 *
 * Timestamps on the wire are epoch milliseconds (integers).
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1 as const;
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1];
export const API_PREFIX = '/api/v1' as const;

export const PATHS = {
  ingest: `${API_PREFIX}/data/ingest`,
  heartbeat: (gatewayId: string) => `${API_PREFIX}/gateways/${encodeURIComponent(gatewayId)}/heartbeat`,
  gateways: `${API_PREFIX}/gateways`,
  readings: `${API_PREFIX}/readings`,
  alerts: `${API_PREFIX}/alerts`,
  models: `${API_PREFIX}/ml/models`,
} as const;

/** The request header carrying the sync engine's idempotency key (IETF draft-ietf-httpapi-idempotency-key-header). */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** Limits the cloud enforces. A client that stays under them is never refused for size. */
export const LIMITS = {
  /** Request body as sent (after any gzip), bytes. Larger → 413. */
  maxBodyBytes: 4 * 1024 * 1024,
  /** Body after gunzip, bytes. Larger → 413 (gzip bombs stop here, nothing beyond is buffered). */
  maxDecompressedBytes: 16 * 1024 * 1024,
  maxReadingsPerBatch: 10_000,
  maxAlertsPerBatch: 1_000,
  maxGapsPerBatch: 1_000,
  maxScoresPerReading: 32,
  maxIdLength: 128,
  maxNameLength: 128,
  maxUnitLength: 32,
  maxQualityLength: 64,
  maxIdempotencyKeyLength: 255,
  /** Largest page a read endpoint returns. */
  maxPageSize: 5_000,
  /** Reading times before 2000-01-01 are refused (seconds sent as milliseconds), as the gateway does. */
  minReadingTs: 946_684_800_000,
  /** A reading's ts may be at most this far after its receivedAt, and receivedAt this far after the cloud's now. */
  maxFutureSkewMs: 86_400_000,
} as const;

/** Integer epoch milliseconds, from 1970 up to the ECMAScript Date range. */
const epochMs = z.number().int().min(0).max(8.64e15);
const id = z.string().min(1).max(LIMITS.maxIdLength);
const name = z.string().min(1).max(LIMITS.maxNameLength);
/** Gateway ids appear in paths and logs: keep them to a safe alphabet. */
export const GATEWAY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const gatewayIdSchema = z.string().regex(GATEWAY_ID_PATTERN, 'letters, digits, . _ : - (max 128), starting with a letter or digit');

export const scoreSchema = z.object({
  model: name,
  version: z.string().min(1).max(64),
  output: z.string().min(1).max(64),
  value: z.number(),
});
export type Score = z.infer<typeof scoreSchema>;

const readingMs = epochMs.min(LIMITS.minReadingTs);

export const readingSchema = z.object({
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  ts: readingMs,
  receivedAt: readingMs,
  asset: name,
  sensor: name,
  value: z.number(),
  unit: z.string().max(LIMITS.maxUnitLength).optional(),
  quality: z.union([z.string().max(LIMITS.maxQualityLength), z.number()]).optional(),
  scores: z.array(scoreSchema).max(LIMITS.maxScoresPerReading).optional(),
  /** true when the reading comes from the backlog drained after an outage rather than live. */
  historical: z.boolean().optional(),
}).refine((r) => r.ts <= r.receivedAt + LIMITS.maxFutureSkewMs, { message: 'ts is more than a day after receivedAt', path: ['ts'] });
export type Reading = z.infer<typeof readingSchema>;

export const alertSchema = z.object({
  id,
  asset: name,
  model: name,
  version: z.string().min(1).max(64),
  output: z.string().min(1).max(64),
  severity: z.enum(['info', 'warning', 'critical']),
  state: z.enum(['raised', 'cleared']),
  value: z.number(),
  threshold: z.number(),
  ts: epochMs,
});
export type Alert = z.infer<typeof alertSchema>;

/** Readings the gateway will never send (dropped or folded under its disk budget), accounted for exactly. */
export const gapSchema = z.object({
  fromTs: epochMs,
  toTs: epochMs,
  count: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  reason: z.string().min(1).max(64),
});
export type Gap = z.infer<typeof gapSchema>;

const batchEnvelopeShape = {
  v: z.literal(1).optional(),
  gatewayId: gatewayIdSchema,
  /** The gateway database's random epoch id: (gatewayId, epoch, seq) names a reading forever. */
  epoch: z.string().min(1).max(64),
  batchId: id,
  alerts: z.array(alertSchema).max(LIMITS.maxAlertsPerBatch).optional(),
  gaps: z.array(gapSchema).max(LIMITS.maxGapsPerBatch).optional(),
};

/** A complete, valid batch: what a client builds. */
export const ingestBatchSchema = z.object({
  ...batchEnvelopeShape,
  readings: z.array(readingSchema).max(LIMITS.maxReadingsPerBatch),
});
export type IngestBatch = z.infer<typeof ingestBatchSchema>;

/**
 * What the cloud validates as a whole (400 if it fails): the readings are only required to be an array,
 * because each reading is checked on its own and a bad one is rejected without failing the batch.
 */
export const ingestEnvelopeSchema = z.object({
  ...batchEnvelopeShape,
  readings: z.array(z.unknown()).max(LIMITS.maxReadingsPerBatch),
});
export type IngestEnvelope = z.infer<typeof ingestEnvelopeSchema>;

export const rejectedReadingSchema = z.object({
  /** null when the reading had no usable seq. */
  seq: z.number().nullable(),
  reason: z.string(),
});
export type RejectedReading = z.infer<typeof rejectedReadingSchema>;

/** 200 answer to an ingest: accepted + duplicates + rejected.length === readings.length. */
export const ingestResponseSchema = z.object({
  accepted: z.number().int().min(0),
  duplicates: z.number().int().min(0),
  rejected: z.array(rejectedReadingSchema),
});
export type IngestResponse = z.infer<typeof ingestResponseSchema>;

/** A gateway's periodic health snapshot (POST /api/v1/gateways/:id/heartbeat). Unknown fields are kept. */
export const heartbeatSchema = z.looseObject({
  v: z.literal(1).optional(),
  ts: epochMs,
  version: z.string().max(64).optional(),
  uptimeS: z.number().min(0).optional(),
  backlog: z
    .object({
      pending: z.number().int().min(0),
      oldestPendingAgeMs: z.number().min(0).nullable().optional(),
    })
    .optional(),
  sync: z
    .object({
      state: z.string().max(32),
      lastSuccessTs: epochMs.nullable().optional(),
    })
    .optional(),
  brokerClients: z.number().int().min(0).optional(),
  ingestRate: z.number().min(0).optional(),
  models: z.array(z.object({ model: name, version: z.string().min(1).max(64) })).max(256).optional(),
  disk: z.object({ usedBytes: z.number().min(0), budgetBytes: z.number().min(0).nullable().optional() }).optional(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** Stable error codes in `{ error: { code } }`. Clients branch on these, never on the message. */
export const ERROR_CODES = {
  invalidBatch: 'INVALID_BATCH', // 400: body is not a batch; `issues` lists every bad path
  invalidRequest: 'INVALID_REQUEST', // 400: bad query, params or heartbeat
  invalidEncoding: 'INVALID_ENCODING', // 400: corrupt gzip or JSON
  unauthenticated: 'UNAUTHENTICATED', // 401: no key or unknown key
  forbidden: 'FORBIDDEN', // 403: key not valid for this gateway or this endpoint
  keyRevoked: 'KEY_REVOKED', // 403: the key was revoked
  notFound: 'NOT_FOUND', // 404
  idempotencyInFlight: 'IDEMPOTENCY_IN_FLIGHT', // 409: same Idempotency-Key still being processed
  payloadTooLarge: 'PAYLOAD_TOO_LARGE', // 413: body or decompressed body too large
  unsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE', // 415: not JSON, or a content coding other than gzip
  idempotencyKeyReused: 'IDEMPOTENCY_KEY_REUSED', // 422: same Idempotency-Key, different body
  rateLimited: 'RATE_LIMITED', // 429: per-key rate limit; see Retry-After
  internal: 'INTERNAL', // 500
  unavailable: 'UNAVAILABLE', // 503: storage unavailable or shutting down
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export const errorBodySchema = z.object({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    retryAfterS: z.number().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export type GatewayStatus = 'healthy' | 'stale' | 'offline';

/** One gateway in GET /api/v1/gateways. */
export interface FleetGateway {
  id: string;
  status: GatewayStatus;
  /** Requests with this gateway's keys were refused (401/403) recently. */
  authFailing: boolean;
  lastHeartbeatAt: number | null;
  lastSyncAt: number | null;
  lastBatchId: string | null;
  backlog: { pending: number; oldestPendingAgeMs: number | null } | null;
  heartbeat: Heartbeat | null;
}

/** A stored reading as the read API returns it. */
export interface StoredReading extends Reading {
  gatewayId: string;
  epoch: string;
}

export interface StoredAlert extends Alert {
  gatewayId: string;
}

export interface ModelVersionSeen {
  model: string;
  version: string;
  gateways: number;
  firstSeen: number;
  lastSeen: number;
}

/** Pages from the read endpoints; `next` is the path (with query) of the following page, or null. */
export type ReadingsPage = { readings: StoredReading[]; next: string | null };
export type AlertsPage = { alerts: StoredAlert[]; next: string | null };

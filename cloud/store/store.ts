/**
 * The one storage interface of the cloud. sqlite.ts and postgres.ts implement it and pass the same
 * contract suite (test/cloud/store-contract.ts). Everything is async so both backends fit.
 */
import type { Alert, Gap, Heartbeat, ModelVersionSeen, StoredAlert, StoredReading } from '../../shared/protocol.js';

/** A validated reading ready to store; quality and scores are pre-serialised JSON (or null). */
export interface ReadingRow {
  seq: number;
  ts: number;
  receivedAt: number;
  asset: string;
  sensor: string;
  value: number;
  unit: string | null;
  quality: string | null;
  scores: string | null;
  historical: boolean;
}

export interface IngestWrite {
  gatewayId: string;
  epoch: string;
  batchId: string;
  /** Sorted by seq (a consistent lock order keeps concurrent PostgreSQL inserts free of deadlocks). */
  readings: ReadingRow[];
  alerts: readonly Alert[];
  gaps: readonly Gap[];
  /** Distinct (model, version) pairs seen in the batch's scores and alerts. */
  models: ReadonlyArray<{ model: string; version: string }>;
  now: number;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
}

export type KeyKind = 'gateway' | 'operator';

export interface KeyRecord {
  id: string;
  kind: KeyKind;
  gatewayId: string | null;
  /** SHA-256 of the whole key, hex. */
  hash: string;
  label: string | null;
  createdAt: number;
  revokedAt: number | null;
}

export interface GatewayRecord {
  id: string;
  lastHeartbeatAt: number | null;
  heartbeat: Heartbeat | null;
  lastSyncAt: number | null;
  lastBatchId: string | null;
  lastAuthFailureAt: number | null;
}

export interface ReadingQuery {
  gatewayId?: string | undefined;
  asset?: string | undefined;
  sensor?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  limit: number;
  /** Keyset position: rows strictly after (ts, id). */
  after?: { ts: number; id: number } | undefined;
}

export interface AlertQuery {
  gatewayId?: string | undefined;
  asset?: string | undefined;
  state?: 'raised' | 'cleared' | undefined;
  from?: number | undefined;
  to?: number | undefined;
  limit: number;
  after?: { ts: number; id: number } | undefined;
}

export interface Paged<T> {
  rows: T[];
  /** Position of the last row returned when more may follow, else null. */
  last: { ts: number; id: number } | null;
}

/** A page as JSON array text, ready to go into a response without being parsed and serialised again. */
export interface PagedJson {
  json: string;
  last: { ts: number; id: number } | null;
}

export type IdempotencyClaim =
  | { kind: 'claimed' }
  | { kind: 'replay'; status: number; body: string }
  | { kind: 'mismatch' }
  | { kind: 'in-flight' };

/** An Idempotency-Key to claim before a write (see CloudStore.ingestOnce). */
export interface IdempotencyRequest {
  scope: string;
  key: string;
  bodyHash: string;
  staleAfterMs: number;
}

/** What ingestOnce answers: the write's result, or the verdict of a claim that was not granted (nothing written). */
export type IngestOnceResult = { kind: 'stored'; result: IngestResult } | Exclude<IdempotencyClaim, { kind: 'claimed' }>;

/** ingestOnce for a backend without a faster way: claim, write, release the claim if the write fails. */
export async function claimThenIngest(store: CloudStore, write: IngestWrite, idem: IdempotencyRequest): Promise<IngestOnceResult> {
  const claim = await store.claimIdempotencyKey(idem.scope, idem.key, idem.bodyHash, write.now, idem.staleAfterMs);
  if (claim.kind !== 'claimed') return claim;
  try {
    return { kind: 'stored', result: await store.ingest(write) };
  } catch (err) {
    await store.releaseIdempotencyKey(idem.scope, idem.key).catch(() => undefined);
    throw err;
  }
}

/** A gateway already holds the maximum number of live keys. */
export class KeyLimitError extends Error {
  readonly code = 'KEY_LIMIT';
  override readonly name = 'KeyLimitError';
}

export interface CloudStore {
  readonly backend: 'sqlite' | 'postgres';
  /** Creates or migrates the schema. Idempotent; safe when several instances start at once. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** A cheap round trip that proves the database answers (and, for SQLite, is writable). */
  ping(): Promise<void>;

  ingest(write: IngestWrite): Promise<IngestResult>;
  /**
   * Claims the Idempotency-Key (as claimIdempotencyKey, at write.now) and, if granted, ingests; a failed
   * write releases the claim again before the error is thrown. One round trip where the backend allows.
   */
  ingestOnce(write: IngestWrite, idem: IdempotencyRequest): Promise<IngestOnceResult>;
  recordHeartbeat(gatewayId: string, heartbeat: Heartbeat, now: number): Promise<void>;
  /** Notes a refused request of a gateway that owns (or owned) a key; unknown ids are ignored. */
  recordAuthFailure(gatewayId: string, now: number): Promise<void>;
  listGateways(): Promise<GatewayRecord[]>;
  queryReadings(query: ReadingQuery): Promise<Paged<StoredReading>>;
  /** The same page as JSON text (`rows` serialised): what the read API sends. */
  queryReadingsJson(query: ReadingQuery): Promise<PagedJson>;
  queryAlerts(query: AlertQuery): Promise<Paged<StoredAlert>>;
  listModels(): Promise<ModelVersionSeen[]>;

  /** Stores a key; a gateway may hold at most `maxLive` unrevoked keys (KeyLimitError otherwise). */
  createKey(record: KeyRecord, maxLive: number): Promise<void>;
  findKey(id: string): Promise<KeyRecord | null>;
  listKeys(): Promise<KeyRecord[]>;
  /** true if the key existed and was live. */
  revokeKey(id: string, now: number): Promise<boolean>;

  /**
   * Claims (scope, key) for processing, or reports that it was processed (replay), is being processed
   * (in-flight) or was used with another body (mismatch). A claim older than staleAfterMs is taken over.
   */
  claimIdempotencyKey(scope: string, key: string, bodyHash: string, now: number, staleAfterMs: number): Promise<IdempotencyClaim>;
  /**
   * Records the answer for replays. Resolves once any later claim of the key is sure to see it: when it
   * committed, or (SQLite writer thread) once it is queued ahead of every later claim.
   */
  completeIdempotencyKey(scope: string, key: string, status: number, body: string): Promise<void>;
  releaseIdempotencyKey(scope: string, key: string): Promise<void>;
  purgeIdempotencyKeys(olderThan: number): Promise<number>;
  /**
   * Deletes at most `limit` readings whose reading time is before `olderThan`, oldest first (retention); alerts,
   * gaps and gateways are kept. Chunked by the caller, so one call never holds the database for long.
   */
  pruneReadings(olderThan: number, limit: number): Promise<number>;
}

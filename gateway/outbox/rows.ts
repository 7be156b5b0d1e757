/**
 * The shapes of what the outbox stores and answers: entries handed to a group commit, rows read back, sync
 * outcomes, gaps, scores and HTTP events. Types only, so the outbox's modules and the writer thread share them
 * without importing each other.
 */
import type { Reading } from '../../shared/protocol.js';

/** Where a reading came from; `aggregate` rows are written by the disk budget's downsample policy. */
export type ReadingSource = 'mqtt' | 'http' | 'aggregate';

export interface ReadingRow {
  ts: number;
  receivedAt: number;
  asset: string;
  sensor: string;
  value: number;
  unit: string | null;
  quality: string | number | null;
}

/** One message's worth of work for a group commit: its readings, or its dead letter. */
export interface OutboxEntry {
  source: ReadingSource;
  clientId: string | null;
  /** MQTT QoS 1 packet id and payload digest, kept to recognise redeliveries. */
  packetId: number | null;
  digest: number | null;
  readings: readonly ReadingRow[] | null;
  deadLetter: DeadLetterRow | null;
  /**
   * A DUP=1 QoS 1 redelivery: stored only if no message of this client with the same packet id and digest was
   * committed with a receive time in [sinceMs, beforeMs) (an earlier connection's, within the dedup window).
   */
  redelivery?: { sinceMs: number; beforeMs: number };
  /** Filled in by write(): the seq of the first reading of this entry. */
  firstSeq?: number;
  /** Set by write() when the entry was a redelivery of a message already stored, and so not stored again. */
  deduplicated?: boolean;
  /** HTTP ingest: event ids, origin metadata and the Idempotency-Key record, written in the same transaction. */
  http?: HttpEventRecord;
}

export interface DeadLetterRow {
  receivedAt: number;
  topic: string;
  reason: string;
  detail: string;
  payload: Buffer;
  payloadSize: number;
}

export interface StoredReading {
  seq: number;
  ts: number;
  receivedAt: number;
  asset: string;
  sensor: string;
  value: number;
  unit?: string;
  quality?: string | number;
  source: ReadingSource;
  clientId?: string;
}

export interface StoredDeadLetter {
  id: number;
  receivedAt: number;
  source: string;
  topic: string;
  clientId?: string;
  reason: string;
  detail: string;
  payloadSize: number;
  /** Base64 of the kept bytes (capped). */
  payload: string;
  payloadTruncated: boolean;
}

export interface ReadingQuery {
  asset?: string | undefined;
  sensor?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  afterSeq?: number | undefined;
  limit: number;
}

export interface OutboxStats {
  epoch: string;
  readings: number;
  deadLetters: number;
  lastSeq: number;
  bytes: number;
}

export interface WriteResult {
  readings: number;
  deadLetters: number;
}

/** A dead letter as the status page lists it (no payload). */
export interface DeadLetterSummary {
  id: number;
  receivedAt: number;
  topic: string;
  clientId: string | null;
  reason: string;
  detail: string;
}

export interface FoldResult { deleted: number; batch: BatchResult | null }

export interface GapRow { fromTs: number; toTs: number; count: number; reason: string; createdAt: number }

export interface BatchResult {
  /** Seq of the batch's first reading (every entry's readings follow in order). */
  firstSeq: number;
  /** The last seq assigned so far (the high-water mark after this batch). */
  lastSeq: number;
  readings: number;
  deadLetters: number;
  /** Indexes of the entries that were redeliveries of messages already stored (not stored again). */
  deduplicated: number[];
}

export interface HttpEvent {
  eventId: string;
  correlationId: string;
  sensorId: string;
  /** Readings this event made (1, or one per numeric field of a multi-measurement body). */
  readings: number;
  /** JSON text of the event's metadata, or null. */
  metadata: string | null;
}

export interface HttpEventRecord {
  deviceId: string | null;
  events: readonly HttpEvent[];
  idempotency: { key: string; requestHash: string; response: string; createdAt: number } | null;
}

export interface StoredIdempotency {
  requestHash: string;
  response: string;
  createdAt: number;
}

export interface RecentReading {
  seq: number;
  ts: number;
  sensor: string;
  value: number;
  unit: string | null;
  quality: string | number | null;
  source: string;
}

export interface ScoreRow { seq: number; model: string; version: string; output: string; value: number }

export interface AlertRow {
  id: string; asset: string; model: string; version: string; output: string; severity: string;
  state: 'raised' | 'cleared'; value: number; threshold: number; ts: number;
}

export interface PendingReading extends Reading {
  /** bytes this reading adds to a batch body, estimated without serialising it */
  sizeEstimate: number;
}

export interface SeqRange {
  from: number;
  to: number;
}

/** A cloud answer to record: accepted (and duplicate) readings, refused ones with the reason, alerts and gaps done. */
export interface SyncOutcome {
  accepted: readonly number[];
  refused: ReadonlyArray<{ reading: Reading; reason: string; status: number }>;
  alerts: ReadonlyArray<{ id: string; state: string }>;
  gapIds: readonly number[];
  at: number;
}

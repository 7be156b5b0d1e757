/** Conversions between database rows and wire objects, shared by both backends. */
import type { Heartbeat, Score, StoredAlert, StoredReading } from '../../shared/protocol.js';
import type { GatewayRecord, KeyKind, KeyRecord, Paged, PagedJson } from './store.js';

/** The reading columns in the order of ReadingRawRow: both backends read reading pages as arrays. */
export const READING_COLUMNS =
  'r.id, s.gateway_id, s.epoch, r.seq, r.ts, r.received_at, r.asset, r.sensor, r.value, r.unit, r.quality, r.scores, r.historical';

export type ReadingRawRow = [
  id: number,
  gatewayId: string,
  epoch: string,
  seq: number,
  ts: number,
  receivedAt: number,
  asset: string,
  sensor: string,
  value: number,
  unit: string | null,
  quality: string | null,
  scores: string | null,
  /** 0/1 in SQLite, a boolean in PostgreSQL */
  historical: number | boolean,
];

export function storedReadingFromRaw(r: ReadingRawRow): StoredReading {
  const out: StoredReading = {
    gatewayId: r[1],
    epoch: r[2],
    seq: r[3],
    ts: r[4],
    receivedAt: r[5],
    asset: r[6],
    sensor: r[7],
    value: r[8],
  };
  if (r[9] !== null) out.unit = r[9];
  if (r[10] !== null) out.quality = JSON.parse(r[10]) as string | number;
  if (r[11] !== null) out.scores = JSON.parse(r[11]) as Score[];
  if (r[12] === 1 || r[12] === true) out.historical = true;
  return out;
}

export const rawPosition = (r: ReadingRawRow): { ts: number; id: number } => ({ ts: r[4], id: r[0] });

const rowPosition = (r: { id: number | string; ts: number | string }): { ts: number; id: number } => ({ ts: Number(r.ts), id: Number(r.id) });

/** One page of `limit` rows out of limit + 1 fetched; `last` is where the next page starts, null if none. */
export function page<R, T>(
  rows: R[],
  limit: number,
  map: (r: R) => T,
  position: (r: R) => { ts: number; id: number } = rowPosition as (r: R) => { ts: number; id: number },
): Paged<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const lastRow = kept[kept.length - 1];
  return {
    rows: kept.map(map),
    last: more && lastRow !== undefined ? position(lastRow) : null,
  };
}

/** A page of readings as JSON array text, out of limit + 1 raw rows. */
export function readingsPageJson(rows: ReadingRawRow[], limit: number): PagedJson {
  const p = page(rows, limit, storedReadingFromRaw, rawPosition);
  return { json: JSON.stringify(p.rows), last: p.last };
}

export interface AlertDbRow {
  id: number | string;
  gateway_id: string;
  alert_id: string;
  asset: string;
  model: string;
  version: string;
  output: string;
  severity: string;
  state: string;
  value: number;
  threshold: number;
  ts: number | string;
}

export function toStoredAlert(r: AlertDbRow): StoredAlert {
  return {
    gatewayId: r.gateway_id,
    id: r.alert_id,
    asset: r.asset,
    model: r.model,
    version: r.version,
    output: r.output,
    severity: r.severity as StoredAlert['severity'],
    state: r.state as StoredAlert['state'],
    value: r.value,
    threshold: r.threshold,
    ts: Number(r.ts),
  };
}

export interface KeyDbRow {
  id: string;
  kind: string;
  gateway_id: string | null;
  hash: string;
  label: string | null;
  created_at: number | string;
  revoked_at: number | string | null;
}

export function toKeyRecord(r: KeyDbRow): KeyRecord {
  return {
    id: r.id,
    kind: r.kind as KeyKind,
    gatewayId: r.gateway_id,
    hash: r.hash,
    label: r.label,
    createdAt: Number(r.created_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

export interface GatewayDbRow {
  id: string;
  last_heartbeat_at: number | string | null;
  heartbeat: string | null;
  last_sync_at: number | string | null;
  last_batch_id: string | null;
  last_auth_failure_at: number | string | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

export function toGatewayRecord(r: GatewayDbRow): GatewayRecord {
  return {
    id: r.id,
    lastHeartbeatAt: num(r.last_heartbeat_at),
    heartbeat: r.heartbeat === null ? null : (JSON.parse(r.heartbeat) as Heartbeat),
    lastSyncAt: num(r.last_sync_at),
    lastBatchId: r.last_batch_id,
    lastAuthFailureAt: num(r.last_auth_failure_at),
  };
}

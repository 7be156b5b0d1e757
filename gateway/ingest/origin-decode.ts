/**
 * The origin system's HTTP reading contract, decoded onto the gateway's readings with the same rules as MQTT
 * telemetry (names, timestamp bounds, units: decode.ts). Pure; collects every bad field instead of stopping at
 * the first, so a 422 can name them all.
 *
 * Mapping (docs/origin-api.md "Ingestion"): the origin's `sensor_id` is the gateway's asset. The single shape
 * `{sensor_id, value, sensor_type?}` makes one reading whose sensor is `sensor_type` (or `value` without one);
 * the multi-measurement shape `{sensor_id, timestamp, temperature: 41.2, ...}` makes one reading per numeric field,
 * named after the field. Non-numeric extra fields (booleans such as `load_test`, strings) and `metadata` are kept
 * as the event's metadata.
 */
import { randomUUID } from 'node:crypto';
import { NAME, parseTs, parseUnit, type DecodedReading, type DecodeLimits } from './decode.js';
import type { Issue } from '../../shared/http-errors.js';

export const SENSOR_TYPES = ['temperature', 'vibration', 'pressure', 'humidity', 'bearing', 'pump', 'manufacturing', 'audio',
  'forecasting', 'voltage'] as const;
const SENSOR_TYPE_SET: ReadonlySet<string> = new Set(SENSOR_TYPES);
const RESERVED: ReadonlySet<string> = new Set(['sensor_id', 'value', 'timestamp', 'sensor_type', 'unit', 'quality', 'correlation_id', 'metadata']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Epoch numbers below this are seconds (the origin's unit); at or above, milliseconds (1e11 s is the year 5138). */
const SECONDS_BELOW = 1e11;
const MAX_METADATA_BYTES = 4_096;
/** Deeper metadata is refused before it is serialised (JSON.stringify recurses and would overflow the stack). */
export const MAX_METADATA_DEPTH = 16;

export interface OriginItem {
  sensorId: string;
  correlationId: string;
  readings: DecodedReading[];
  metadata: string | null;
}

export type OriginDecodeResult = { ok: true; items: OriginItem[]; batch: boolean } | { ok: false; issues: Issue[] };

export interface OriginLimits extends DecodeLimits {
  maxBatchItems: number;
}

export class TooManyItemsError extends Error {
  readonly code = 'SMARTMAINT_BATCH_TOO_LARGE';
}

export function decodeOriginBody(body: unknown, receivedAt: number, limits: OriginLimits): OriginDecodeResult {
  const issues: Issue[] = [];
  if (Array.isArray(body)) {
    if (body.length === 0) return { ok: false, issues: [{ path: '(root)', message: 'a batch must hold at least one reading' }] };
    if (body.length > limits.maxBatchItems) throw new TooManyItemsError(`a batch may hold at most ${limits.maxBatchItems} readings, got ${body.length}`);
    const items: OriginItem[] = [];
    for (let i = 0; i < body.length; i++) {
      const item = decodeItem(body[i], `[${i}].`, receivedAt, limits, issues);
      if (item) items.push(item);
    }
    return issues.length > 0 ? { ok: false, issues } : { ok: true, items, batch: true };
  }
  const item = decodeItem(body, '', receivedAt, limits, issues);
  return item && issues.length === 0 ? { ok: true, items: [item], batch: false } : { ok: false, issues };
}

function decodeItem(raw: unknown, at: string, receivedAt: number, limits: DecodeLimits, issues: Issue[]): OriginItem | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    issues.push({ path: at ? at.slice(0, -1) : '(root)', message: 'must be a JSON object' });
    return undefined;
  }
  const obj = raw as Record<string, unknown>;
  const before = issues.length;
  const sensorId = obj.sensor_id;
  if (sensorId === undefined || sensorId === null) issues.push({ path: `${at}sensor_id`, message: 'required' });
  else if (typeof sensorId !== 'string' || !NAME.test(sensorId)) {
    issues.push({ path: `${at}sensor_id`, message: 'must be a string of 1-128 characters without control characters, / # or +' });
  }
  let ts = receivedAt;
  if (obj.timestamp !== undefined && obj.timestamp !== null) {
    const t = obj.timestamp;
    const ms = typeof t === 'number' ? (Math.abs(t) < SECONDS_BELOW ? t * 1000 : t) : t;
    const parsed = typeof ms === 'number' || typeof ms === 'string' ? parseTs(ms, receivedAt, limits) : 'must be ISO-8601 or epoch seconds';
    if (typeof parsed === 'string') issues.push({ path: `${at}timestamp`, message: parsed.replace(/^ts /, '') });
    else ts = parsed;
  }
  const sensorType = obj.sensor_type;
  if (sensorType !== undefined && sensorType !== null && (typeof sensorType !== 'string' || !SENSOR_TYPE_SET.has(sensorType))) {
    issues.push({ path: `${at}sensor_type`, message: `must be one of ${SENSOR_TYPES.join(', ')}` });
  }
  const unit = parseUnit(obj.unit);
  if (unit === undefined) issues.push({ path: `${at}unit`, message: 'must be a string of at most 32 characters' });
  let quality = 1;
  if (obj.quality !== undefined && obj.quality !== null) {
    if (typeof obj.quality !== 'number' || !(obj.quality >= 0 && obj.quality <= 1)) issues.push({ path: `${at}quality`, message: 'must be a number from 0 to 1' });
    else quality = obj.quality;
  }
  let correlationId: string | undefined;
  if (obj.correlation_id !== undefined && obj.correlation_id !== null) {
    if (typeof obj.correlation_id !== 'string' || !UUID.test(obj.correlation_id)) issues.push({ path: `${at}correlation_id`, message: 'must be a UUID' });
    else correlationId = obj.correlation_id.toLowerCase();
  }
  let metadata: Record<string, unknown> | undefined;
  if (obj.metadata !== undefined && obj.metadata !== null) {
    if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) issues.push({ path: `${at}metadata`, message: 'must be an object' });
    else if (deeperThan(obj.metadata, MAX_METADATA_DEPTH)) issues.push({ path: `${at}metadata`, message: `nested more than ${MAX_METADATA_DEPTH} levels` });
    else metadata = Object.assign(Object.create(null) as Record<string, unknown>, obj.metadata);
  }

  const readings: DecodedReading[] = [];
  const asset = typeof sensorId === 'string' ? sensorId : '';
  const single = obj.value !== undefined;
  if (single) {
    if (typeof obj.value !== 'number' || !Number.isFinite(obj.value)) issues.push({ path: `${at}value`, message: 'must be a finite number' });
    else readings.push({ ts, receivedAt, asset, sensor: typeof sensorType === 'string' ? sensorType : 'value', value: obj.value, unit: unit ?? null, quality });
  }
  for (const key in obj) {
    if (RESERVED.has(key)) continue;
    const v = obj[key];
    if (typeof v === 'number' && !single) {
      if (!NAME.test(key)) issues.push({ path: `${at}${key.slice(0, 40)}`, message: 'is not a usable measurement name' });
      else if (!Number.isFinite(v)) issues.push({ path: `${at}${key}`, message: 'must be a finite number' });
      else if (readings.length >= limits.maxReadingsPerMessage) {
        issues.push({ path: `${at}(root)`, message: `more than ${limits.maxReadingsPerMessage} measurements in one reading` });
        break;
      } else readings.push({ ts, receivedAt, asset, sensor: key, value: v, unit: unit ?? null, quality });
    } else if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'number') {
      (metadata ??= Object.create(null) as Record<string, unknown>)[key] = v;
    } else {
      issues.push({ path: `${at}${key.slice(0, 40)}`, message: 'must be a number (a measurement), a string or a boolean (metadata)' });
    }
  }
  if (!single && readings.length === 0 && issues.length === before) {
    issues.push({ path: `${at}value`, message: 'required (or at least one numeric measurement field)' });
  }
  let metadataText: string | null = null;
  if (metadata !== undefined) {
    metadataText = JSON.stringify(metadata);
    if (Buffer.byteLength(metadataText) > MAX_METADATA_BYTES) issues.push({ path: `${at}metadata`, message: `more than ${MAX_METADATA_BYTES} bytes` });
  }
  if (issues.length > before) return undefined;
  return { sensorId: asset, correlationId: correlationId ?? randomUUID(), readings, metadata: metadataText };
}

/** Whether objects/arrays nest more than `max` levels below `root` (iterative: no recursion on hostile input). */
function deeperThan(root: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(value as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Telemetry payload decoding: bytes + topic match → readings, or a dead-letter reason. Pure and synchronous;
 * it never throws on input, so a malformed message can never take the broker down.
 *
 * Accepted shapes (README "Telemetry contract"):
 *   telemetry/{asset}/{sensor}: `42.1` | {"value": 42.1, "ts"?: ms | ISO-8601, "unit"?: "C", "quality"?: "good" | 0.97}
 *   telemetry/{asset}:          {"ts"?: ..., "values": {"temp": 42.1, "vib": 0.31}, "unit"?: {...}, "quality"?: ...}
 */
import type { TopicMatch } from './topics.js';

export interface DecodedReading {
  ts: number;
  receivedAt: number;
  asset: string;
  sensor: string;
  value: number;
  unit: string | null;
  quality: string | number | null;
}

/** Stable dead-letter reasons; they label `smartmaint_readings_rejected_total{reason}`. */
export type RejectReason =
  | 'oversized'
  | 'unknown-encoding'
  | 'empty-payload'
  | 'invalid-json'
  | 'not-a-number'
  | 'non-finite'
  | 'missing-value'
  | 'wrong-type'
  | 'bad-timestamp'
  | 'bad-name'
  | 'too-many-values';

export const REJECT_REASONS: readonly RejectReason[] = [
  'oversized', 'unknown-encoding', 'empty-payload', 'invalid-json', 'not-a-number', 'non-finite', 'missing-value',
  'wrong-type', 'bad-timestamp', 'bad-name', 'too-many-values',
];

export type DecodeResult =
  | { ok: true; readings: DecodedReading[] }
  | { ok: false; reason: RejectReason; detail: string };

export interface DecodeLimits {
  maxPayloadBytes: number;
  maxReadingsPerMessage: number;
  maxFutureSkewMs: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
// A plain decimal or exponent number, as a PLC would print it. No hex, no "Infinity", no "NaN".
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// Asset and sensor names: 1–128 characters, no control characters, no topic separators or wildcards.
export const NAME = /^[^\u0000-\u001f\u007f/#+]{1,128}$/;
// Before 2000-01-01 a number is almost certainly seconds, not milliseconds: refuse rather than store 1970.
const MIN_TS = 946_684_800_000;

function fail(reason: RejectReason, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}

export function parseTs(raw: unknown, receivedAt: number, limits: DecodeLimits): number | string {
  let ts: number;
  if (typeof raw === 'number') ts = raw;
  else if (typeof raw === 'string' && raw.length <= 64) ts = Date.parse(raw);
  else return 'ts must be epoch milliseconds or an ISO-8601 string';
  if (!Number.isFinite(ts)) return 'ts is not a valid time';
  if (ts < MIN_TS) return `ts ${String(raw)} is before 2000-01-01 (seconds instead of milliseconds?)`;
  if (ts > receivedAt + limits.maxFutureSkewMs) return `ts ${String(raw)} is in the future`;
  return Math.round(ts);
}

function parseQuality(raw: unknown): string | number | null | undefined {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'string' && raw.length <= 64) return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  return undefined;
}

export function parseUnit(raw: unknown): string | null | undefined {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'string' && raw.length <= 32) return raw;
  return undefined;
}

function numberFromText(text: string): number | RejectReason {
  const trimmed = text.trim();
  if (trimmed.length === 0) return 'empty-payload';
  if (!NUMBER_TEXT.test(trimmed)) {
    return /^[+-]?(nan|inf(inity)?)$/i.test(trimmed) ? 'non-finite' : 'not-a-number';
  }
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : 'non-finite';
}

export function decodeTelemetry(
  match: TopicMatch,
  payload: Buffer,
  receivedAt: number,
  limits: DecodeLimits,
): DecodeResult {
  if (payload.length > limits.maxPayloadBytes) {
    return fail('oversized', `payload of ${payload.length} bytes exceeds ${limits.maxPayloadBytes}`);
  }
  if (payload.length === 0) return fail('empty-payload', 'payload is empty');
  if (!NAME.test(match.asset)) return fail('bad-name', `asset ${JSON.stringify(match.asset.slice(0, 40))} is not allowed`);
  if (match.sensor !== undefined && !NAME.test(match.sensor)) {
    return fail('bad-name', `sensor ${JSON.stringify(match.sensor.slice(0, 40))} is not allowed`);
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return fail('unknown-encoding', 'payload is not UTF-8 text');
  }
  const first = text.trimStart().charCodeAt(0);
  if (first !== 0x7b /* { */) {
    if (match.sensor === undefined) return fail('wrong-type', 'a multi-value topic needs a JSON object payload');
    const n = numberFromText(text);
    if (typeof n !== 'number') return fail(n, `payload ${JSON.stringify(text.slice(0, 40))} is not a finite number`);
    return {
      ok: true,
      readings: [{ ts: receivedAt, receivedAt, asset: match.asset, sensor: match.sensor, value: n, unit: null, quality: null }],
    };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail('invalid-json', (err as Error).message);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return fail('wrong-type', 'payload must be a JSON object');
  const obj = doc as Record<string, unknown>;
  let ts = receivedAt;
  if (obj.ts !== undefined) {
    const parsed = parseTs(obj.ts, receivedAt, limits);
    if (typeof parsed === 'string') return fail('bad-timestamp', parsed);
    ts = parsed;
  }
  if (match.sensor !== undefined) {
    if (obj.value === undefined || obj.value === null) return fail('missing-value', 'field "value" is required');
    if (typeof obj.value !== 'number') return fail('wrong-type', `"value" must be a number, got ${typeof obj.value}`);
    const unit = parseUnit(obj.unit);
    if (unit === undefined) return fail('wrong-type', '"unit" must be a string of at most 32 characters');
    const quality = parseQuality(obj.quality);
    if (quality === undefined) return fail('wrong-type', '"quality" must be a string or a number');
    return { ok: true, readings: [{ ts, receivedAt, asset: match.asset, sensor: match.sensor, value: obj.value, unit, quality }] };
  }
  const values = obj.values;
  if (values === undefined || values === null) return fail('missing-value', 'field "values" is required');
  if (typeof values !== 'object' || Array.isArray(values)) return fail('wrong-type', '"values" must be an object of sensor: number');
  const units = obj.units ?? obj.unit;
  if (units !== undefined && (units === null || typeof units !== 'object' || Array.isArray(units))) {
    return fail('wrong-type', '"units" must be an object of sensor: unit');
  }
  const quality = parseQuality(obj.quality);
  if (quality === undefined) return fail('wrong-type', '"quality" must be a string or a number');
  const readings: DecodedReading[] = [];
  for (const sensor in values as Record<string, unknown>) {
    const v = (values as Record<string, unknown>)[sensor];
    if (!NAME.test(sensor)) return fail('bad-name', `sensor name ${JSON.stringify(sensor.slice(0, 40))} is not allowed`);
    if (typeof v !== 'number') return fail('wrong-type', `values.${sensor} must be a number, got ${v === null ? 'null' : typeof v}`);
    if (readings.length >= limits.maxReadingsPerMessage) {
      return fail('too-many-values', `more than ${limits.maxReadingsPerMessage} values in one message`);
    }
    const unit = parseUnit((units as Record<string, unknown> | undefined)?.[sensor]);
    if (unit === undefined) return fail('wrong-type', `units.${sensor} must be a string`);
    readings.push({ ts, receivedAt, asset: match.asset, sensor, value: v, unit, quality });
  }
  if (readings.length === 0) return fail('missing-value', '"values" is empty');
  return { ok: true, readings };
}

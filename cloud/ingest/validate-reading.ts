/**
 * The hot-path check of one reading: the same rules as shared/protocol.ts's readingSchema (a property test
 * holds them equal), written by hand because it runs for every reading at hundreds of thousands per second.
 * Returns the row to store, or the reason the reading is refused.
 */
import { LIMITS } from '../../shared/protocol.js';
import type { ReadingRow } from '../store/store.js';

const MAX_MS = 8.64e15;

function isMs(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_MS;
}

function isName(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= max;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Appends `${model}\0${version}` of every score to `models`. */
export function checkReading(input: unknown, models: Set<string>): ReadingRow | string {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return 'reading: expected an object';
  const r = input as Record<string, unknown>;
  const seq = r.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return 'seq: expected a non-negative integer';
  if (!isMs(r.ts)) return 'ts: expected integer epoch milliseconds';
  if (!isMs(r.receivedAt)) return 'receivedAt: expected integer epoch milliseconds';
  if (r.ts < LIMITS.minReadingTs) return 'ts: before 2000-01-01 (seconds instead of milliseconds?)';
  if (r.receivedAt < LIMITS.minReadingTs) return 'receivedAt: before 2000-01-01';
  if (!isName(r.asset, LIMITS.maxNameLength)) return `asset: expected a string of 1..${LIMITS.maxNameLength} characters`;
  if (!isName(r.sensor, LIMITS.maxNameLength)) return `sensor: expected a string of 1..${LIMITS.maxNameLength} characters`;
  if (!isFiniteNumber(r.value)) return 'value: expected a finite number';
  let unit: string | null = null;
  if (r.unit !== undefined) {
    if (typeof r.unit !== 'string' || r.unit.length > LIMITS.maxUnitLength) {
      return `unit: expected a string of at most ${LIMITS.maxUnitLength} characters`;
    }
    unit = r.unit;
  }
  let quality: string | null = null;
  if (r.quality !== undefined) {
    const q = r.quality;
    if (typeof q === 'string' ? q.length > LIMITS.maxQualityLength : !isFiniteNumber(q)) {
      return `quality: expected a string of at most ${LIMITS.maxQualityLength} characters or a number`;
    }
    quality = JSON.stringify(q);
  }
  let scores: string | null = null;
  let seen: Array<{ model: string; version: string }> | null = null;
  if (r.scores !== undefined) {
    const s = r.scores;
    if (!Array.isArray(s) || s.length > LIMITS.maxScoresPerReading) {
      return `scores: expected an array of at most ${LIMITS.maxScoresPerReading} scores`;
    }
    const clean = new Array<{ model: string; version: string; output: string; value: number }>(s.length);
    for (let i = 0; i < s.length; i++) {
      const sc = s[i] as Record<string, unknown> | null;
      if (sc === null || typeof sc !== 'object' || Array.isArray(sc)) return `scores.${i}: expected an object`;
      if (!isName(sc.model, LIMITS.maxNameLength)) return `scores.${i}.model: expected a string of 1..${LIMITS.maxNameLength} characters`;
      if (!isName(sc.version, 64)) return `scores.${i}.version: expected a string of 1..64 characters`;
      if (!isName(sc.output, 64)) return `scores.${i}.output: expected a string of 1..64 characters`;
      if (!isFiniteNumber(sc.value)) return `scores.${i}.value: expected a finite number`;
      clean[i] = { model: sc.model, version: sc.version, output: sc.output, value: sc.value };
    }
    seen = clean;
    scores = JSON.stringify(clean);
  }
  let historical = false;
  if (r.historical !== undefined) {
    if (typeof r.historical !== 'boolean') return 'historical: expected a boolean';
    historical = r.historical;
  }
  if (seen !== null) for (const c of seen) models.add(`${c.model}\0${c.version}`);
  if (r.ts > r.receivedAt + LIMITS.maxFutureSkewMs) return 'ts: is more than a day after receivedAt';
  return { seq, ts: r.ts, receivedAt: r.receivedAt, asset: r.asset, sensor: r.sensor, value: r.value, unit, quality, scores, historical };
}

/**
 * Drift of an asset's sensors: the readings of a recent window against those of the window of equal length just
 * before it, compared per sensor by the two-sample Kolmogorov–Smirnov test (ks.ts). Too few readings in either
 * window gives no verdict rather than a weak one. The readings come from a source the caller gives (the origin
 * API's stored readings).
 */
import { ksTwoSample } from './ks.js';

/** Most readings read per window and sensor: bounds the memory and the sort of one check. */
export const MAX_DRIFT_SAMPLES = 100_000;

export const DRIFT_METHOD = 'two-sample Kolmogorov-Smirnov, asymptotic p-value';

/** Where the readings come from: each sensor of an asset, and its values with from <= ts < to. */
export interface DriftReadings {
  sensorsOf(asset: string): string[];
  values(asset: string, sensor: string, from: number, to: number, limit: number): number[];
}

export interface DriftQuery {
  asset: string;
  /** One sensor, or every sensor of the asset. */
  sensor?: string | undefined;
  windowMs: number;
  /** Drift when the p-value is below this. */
  pValueThreshold: number;
  minSamples: number;
  now: number;
}

export interface SensorDrift {
  sensor: string;
  statistic: number | null;
  pValue: number | null;
  drift: boolean;
  insufficientData: boolean;
  counts: { recent: number; reference: number };
}

export interface DriftReport {
  /** The recent window ends now (readings at `now` included); the reference window ends where it starts. */
  windows: { recent: { from: number; to: number }; reference: { from: number; to: number } };
  sensors: SensorDrift[];
  /** The sensor with the strongest evidence of drift (the lowest p-value tested), else the first; null with none. */
  strongest: SensorDrift | null;
}

export function driftReport(readings: DriftReadings, q: DriftQuery): DriftReport {
  const recent = { from: q.now - q.windowMs, to: q.now };
  const reference = { from: q.now - 2 * q.windowMs, to: q.now - q.windowMs };
  const sensors = (q.sensor ? [q.sensor] : readings.sensorsOf(q.asset)).map((sensor): SensorDrift => {
    const a = readings.values(q.asset, sensor, recent.from, recent.to + 1, MAX_DRIFT_SAMPLES);
    const b = readings.values(q.asset, sensor, reference.from, reference.to, MAX_DRIFT_SAMPLES);
    const counts = { recent: a.length, reference: b.length };
    if (a.length < q.minSamples || b.length < q.minSamples) {
      return { sensor, statistic: null, pValue: null, drift: false, insufficientData: true, counts };
    }
    const ks = ksTwoSample(a, b);
    return { sensor, statistic: ks.statistic, pValue: ks.pValue, drift: ks.pValue < q.pValueThreshold, insufficientData: false, counts };
  });
  const tested = sensors.filter((s) => !s.insufficientData).sort((x, y) => (x.pValue ?? 1) - (y.pValue ?? 1));
  return { windows: { recent, reference }, sensors, strongest: tested[0] ?? sensors[0] ?? null };
}

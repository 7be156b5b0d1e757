/** Builds training rows from a manifest's feature list, with the gateway's own aggregation code. */
import { aggregate } from '../../shared/ml/aggregations.js';
import type { WindowFeature } from '../../shared/ml/manifest.js';

/**
 * Feature vector for the reading at index `end` of a per-sensor series (one value per cycle / message), as the
 * gateway computes it when that reading arrives. Only reading-count windows apply to offline series.
 */
export function windowFeatureRow(features: readonly WindowFeature[], series: Record<string, readonly number[]>,
  end: number): Float64Array {
  const row = new Float64Array(features.length);
  features.forEach((f, i) => {
    const s = series[f.sensor];
    if (!s) throw new Error(`no series for sensor ${f.sensor}`);
    if (!('readings' in f.window)) throw new Error('offline rows support windows in readings only');
    const start = Math.max(0, end - f.window.readings + 1);
    row[i] = aggregate(f.aggregation, s.slice(start, end + 1));
  });
  return row;
}

export function seriesOf(rows: ReadonlyArray<Record<string, number>>, names: readonly string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const n of names) out[n] = rows.map((r) => r[n]!);
  return out;
}

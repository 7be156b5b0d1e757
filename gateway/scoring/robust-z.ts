/**
 * Modified z-scores (Iglewicz & Hoaglin): distance from the median in units of the median absolute deviation,
 * robust to the outliers being looked for (detect_anomaly without a model, or over a model's scores).
 */

export function robustZ(values: readonly number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const med = median(sorted);
  const mad = median(values.map((v) => Math.abs(v - med)).sort((a, b) => a - b));
  if (mad === 0) return values.map((v) => (v === med ? 0 : Infinity));
  return values.map((v) => (0.6745 * (v - med)) / mad);
}

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/**
 * Window aggregations shared by the gateway's feature windows and the trainers under models/train, so a model
 * sees at run time exactly the feature definitions it was trained on.
 *
 * - std is the population standard deviation (divide by n), 0 for fewer than two values.
 * - slope is the least-squares slope of value against position: per reading for windows counted in readings,
 *   per second (x = ts / 1000) for windows measured in seconds. 0 for fewer than two values.
 */
export const AGGREGATIONS = ['last', 'mean', 'std', 'min', 'max', 'slope', 'count'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/**
 * Aggregates `values[from..to)`, value i observed at `xs[i]` (omit xs for positions; slope is then per reading).
 * The range must not be empty except for count. Works on index ranges so the hot path allocates nothing.
 */
export function aggregate(kind: Aggregation, values: ArrayLike<number>, xs?: ArrayLike<number>, from = 0,
  to = values.length): number {
  const n = to - from;
  if (kind === 'count') return n;
  if (n <= 0) return Number.NaN;
  switch (kind) {
    case 'last':
      return values[to - 1]!;
    case 'mean': {
      let s = 0;
      for (let i = from; i < to; i++) s += values[i]!;
      return s / n;
    }
    case 'std': {
      if (n < 2) return 0;
      let s = 0;
      for (let i = from; i < to; i++) s += values[i]!;
      const m = s / n;
      let q = 0;
      for (let i = from; i < to; i++) q += (values[i]! - m) ** 2;
      return Math.sqrt(q / n);
    }
    case 'min': {
      let v = Infinity;
      for (let i = from; i < to; i++) v = Math.min(v, values[i]!);
      return v;
    }
    case 'max': {
      let v = -Infinity;
      for (let i = from; i < to; i++) v = Math.max(v, values[i]!);
      return v;
    }
    case 'slope': {
      if (n < 2) return 0;
      let sx = 0;
      let sy = 0;
      for (let i = from; i < to; i++) {
        sx += xs ? xs[i]! : i;
        sy += values[i]!;
      }
      const mx = sx / n;
      const my = sy / n;
      let sxy = 0;
      let sxx = 0;
      for (let i = from; i < to; i++) {
        const dx = (xs ? xs[i]! : i) - mx;
        sxy += dx * (values[i]! - my);
        sxx += dx * dx;
      }
      return sxx === 0 ? 0 : sxy / sxx;
    }
  }
}

/** Indexes into the array filled by aggregateAll, in AGGREGATIONS order. */
export const AGGREGATION_INDEX: Readonly<Record<Aggregation, number>> = Object.freeze(
  Object.fromEntries(AGGREGATIONS.map((a, i) => [a, i])) as Record<Aggregation, number>,
);

/**
 * Every aggregation of a non-empty `values[from..to)` (positions as x) into `out` (AGGREGATION_INDEX order), in two
 * passes instead of one or two per aggregation: for features that read several aggregations of one window. The
 * arithmetic (order of the sums, the expressions) is aggregate()'s, so the results are the same to the bit.
 */
export function aggregateAll(values: ArrayLike<number>, from: number, to: number, out: Float64Array): void {
  const n = to - from;
  let sx = 0;
  let sy = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    sx += i;
    sy += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const m = sy / n;
  const mx = sx / n;
  let q = 0;
  let sxy = 0;
  let sxx = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    q += (v - m) ** 2;
    const dx = i - mx;
    sxy += dx * (v - m);
    sxx += dx * dx;
  }
  out[0] = values[to - 1]!;
  out[1] = m;
  out[2] = n < 2 ? 0 : Math.sqrt(q / n);
  out[3] = min;
  out[4] = max;
  out[5] = n < 2 || sxx === 0 ? 0 : sxy / sxx;
  out[6] = n;
}

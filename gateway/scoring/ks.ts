/**
 * Two-sample Kolmogorov–Smirnov test (check_drift). D is the largest distance between the two empirical CDFs;
 * the p-value is the asymptotic one, Q_KS(λ) with λ = D·√(nm/(n+m)) (Kolmogorov's limiting distribution, as
 * scipy.stats.ks_2samp(method='asymp') without its small-sample correction). Written here because it is 60 lines
 * and the npm options pull in whole statistics suites.
 */

/** Largest |F_a(x) − F_b(x)| over all x; ties across the samples are stepped over together. */
export function ksStatistic(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 || b.length === 0) throw new RangeError('both samples must be non-empty');
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/**
 * Q_KS(λ) = P(K > λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}. For small λ that series converges slowly, so the
 * equivalent Jacobi-theta form of the CDF is used there: P(K ≤ λ) = √(2π)/λ Σ_{k≥1} e^{−(2k−1)²π²/(8λ²)}.
 */
export function kolmogorovSurvival(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 1.18) {
    let sum = 0;
    for (let k = 1; k <= 20; k++) {
      const term = Math.exp(-((2 * k - 1) ** 2) * Math.PI ** 2 / (8 * lambda * lambda));
      sum += term;
      if (term < 1e-16) break;
    }
    return clamp01(1 - (Math.sqrt(2 * Math.PI) / lambda) * sum);
  }
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-16) break;
  }
  return clamp01(2 * sum);
}

export interface KsResult {
  statistic: number;
  pValue: number;
  n: number;
  m: number;
}

export function ksTwoSample(a: readonly number[], b: readonly number[]): KsResult {
  const statistic = ksStatistic(a, b);
  const n = a.length;
  const m = b.length;
  const lambda = statistic * Math.sqrt((n * m) / (n + m));
  return { statistic, pValue: kolmogorovSurvival(lambda), n, m };
}

function clamp01(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

import t from 'tap';
import { kolmogorovSurvival, ksStatistic, ksTwoSample } from '../../../gateway/scoring/ks.js';

/** A direct reference: D from the definition, evaluating both ECDFs at every sample point. */
function referenceD(a: number[], b: number[]): number {
  const ecdf = (s: number[], x: number) => s.filter((v) => v <= x).length / s.length;
  let d = 0;
  for (const x of [...a, ...b]) d = Math.max(d, Math.abs(ecdf(a, x) - ecdf(b, x)));
  return d;
}

t.test('D statistic: hand-computed cases and ties', async (t) => {
  t.equal(ksStatistic([1, 2, 3], [1, 2, 3]), 0, 'identical samples');
  t.equal(ksStatistic([1, 2, 3], [4, 5, 6]), 1, 'disjoint samples');
  // F_a jumps to 1/2 at 1 and 2; F_b stays 0 until 1.5: D = |1/2 - 0| at x=1 ... max is 0.5
  t.equal(ksStatistic([1, 2], [1.5, 3]), 0.5);
  // ties across samples must be stepped over together: at x=2 both ECDFs reach 1 → D = 1/3 (at x=1)
  t.equal(ksStatistic([1, 2, 2], [2, 2, 2]), 1 / 3);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let k = 0; k < 20; k++) {
    const a = Array.from({ length: 5 + (k % 7) }, () => Math.round(rnd() * 10));
    const b = Array.from({ length: 3 + (k % 5) }, () => Math.round(rnd() * 10) + (k % 3));
    t.equal(ksStatistic(a, b), referenceD(a, b), `random case ${k}`);
  }
  t.throws(() => ksStatistic([], [1]));
});

t.test('Kolmogorov survival function matches known critical values', async (t) => {
  // Classic asymptotic critical values: P(K > 1.224) = 0.10, P(K > 1.358) = 0.05, P(K > 1.628) = 0.01.
  t.ok(Math.abs(kolmogorovSurvival(1.2238) - 0.1) < 5e-4, String(kolmogorovSurvival(1.2238)));
  t.ok(Math.abs(kolmogorovSurvival(1.3581) - 0.05) < 5e-4, String(kolmogorovSurvival(1.3581)));
  t.ok(Math.abs(kolmogorovSurvival(1.6276) - 0.01) < 5e-4, String(kolmogorovSurvival(1.6276)));
  t.equal(kolmogorovSurvival(0), 1);
  t.ok(kolmogorovSurvival(0.2) > 0.999999);
  t.ok(kolmogorovSurvival(3) < 1e-6);
  // The two series forms agree where they switch over.
  t.ok(Math.abs(kolmogorovSurvival(1.1799) - kolmogorovSurvival(1.1801)) < 1e-3);
});

t.test('two-sample test: same distribution keeps p high, a shift drives it to ~0', async (t) => {
  const a = Array.from({ length: 200 }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const b = Array.from({ length: 200 }, (_, i) => Math.sin(i * 78.233 + 1) * 0.5);
  const same = ksTwoSample(a, b);
  t.ok(same.pValue > 0.05, `p=${same.pValue}`);
  const shifted = ksTwoSample(a, b.map((v) => v + 0.5));
  t.ok(shifted.pValue < 1e-6, `p=${shifted.pValue}`);
  t.equal(shifted.n, 200);
  // D = 0.5 with n = m = 100 gives λ = 0.5·√50 ≈ 3.54: p far below 0.001.
  const r = ksTwoSample(Array.from({ length: 100 }, (_, i) => i), Array.from({ length: 100 }, (_, i) => i + 50));
  t.equal(r.statistic, 0.5);
  t.ok(r.pValue < 1e-9);
});

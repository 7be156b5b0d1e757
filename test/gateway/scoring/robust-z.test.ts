import t from 'tap';
import { robustZ } from '../../../gateway/scoring/robust-z.js';

t.test('modified z-scores: median and MAD, robust to the outlier itself', async (t) => {
  const z = robustZ([10, 10.2, 9.9, 10.1, 10, 35, 9.8, 10.05]);
  t.ok(z[5]! > 3.5, `the outlier stands out (${z[5]})`);
  t.ok(z.filter((_, i) => i !== 5).every((v) => Math.abs(v) < 3.5), 'the others do not');
  // median 2, MAD 1: 0.6745 × (x − 2)
  t.same(robustZ([1, 2, 3]), [-0.6745, 0, 0.6745]);
  t.same(robustZ([4, 4, 4, 9]), [0, 0, 0, Infinity], 'no spread: any other value is infinitely far out');
});

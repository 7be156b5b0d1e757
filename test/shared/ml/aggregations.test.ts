import t from 'tap';
import { AGGREGATION_INDEX, AGGREGATIONS, aggregate, aggregateAll } from '../../../shared/ml/aggregations.js';

t.test('aggregateAll gives aggregate()\'s results to the bit, for every aggregation', async (t) => {
  // Sensor-like values: a large level with small noise, where a different summation order would show.
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const values = Array.from({ length: 400 }, (_, i) => 642.5 + rnd() - 0.5 + i * 1e-3);
  const out = new Float64Array(AGGREGATIONS.length);
  let checked = 0;
  for (const [from, to] of [[0, 1], [0, 2], [3, 33], [100, 130], [370, 400], [17, 27]] as const) {
    aggregateAll(values, from, to, out);
    for (const kind of AGGREGATIONS) {
      const want = aggregate(kind, values, undefined, from, to);
      if (!Object.is(out[AGGREGATION_INDEX[kind]], want)) t.fail(`${kind} over [${from}, ${to}): ${out[AGGREGATION_INDEX[kind]]} != ${want}`);
      checked++;
    }
  }
  t.equal(checked, 6 * AGGREGATIONS.length, 'every window and aggregation compared');
});

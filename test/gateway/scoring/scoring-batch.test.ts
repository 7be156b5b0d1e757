import t from 'tap';
import { ScoringBatch } from '../../../gateway/scoring/scoring-batch.js';

t.test('grows past its capacity and keeps every reading in order', async (t) => {
  const b = new ScoringBatch(2);
  for (let i = 0; i < 5; i++) b.push(i + 1, 1000 + i, `a${i % 2}`, `s${i}`, i / 2);
  t.equal(b.length, 5);
  t.same(b.toArray().map((r) => [r.seq, r.ts, r.asset, r.sensor, r.value]),
    [[1, 1000, 'a0', 's0', 0], [2, 1001, 'a1', 's1', 0.5], [3, 1002, 'a0', 's2', 1], [4, 1003, 'a1', 's3', 1.5], [5, 1004, 'a0', 's4', 2]]);
  b.clear();
  t.equal(b.length, 0, 'cleared');
  b.push(9, 9, 'x', 'y', 9);
  t.same(b.toArray(), [{ seq: 9, ts: 9, asset: 'x', sensor: 'y', value: 9 }], 'reused after clear');
});

t.test('from(): numbers of the wrong type become NaN, names stay as given (for the engine to count)', async (t) => {
  const b = ScoringBatch.from([{ seq: 1, ts: '5' as unknown as number, asset: 7 as unknown as string, sensor: 's', value: 1 }]);
  t.ok(Number.isNaN(b.ts[0]), 'a string ts is not coerced to 5');
  t.equal(b.asset[0], 7);
});

import t from 'tap';
import { phm08Score, precisionRecallF1, rmse, rocAuc } from '../../models/train/metrics.js';
import { aggregate } from '../../shared/ml/aggregations.js';

t.test('rmse and the PHM08 score (late predictions cost more)', async (t) => {
  t.equal(rmse([1, 2, 3], [1, 2, 3]), 0);
  t.equal(rmse([3, 0], [0, 4]), Math.sqrt(12.5));
  const late = phm08Score([110], [100]);
  const early = phm08Score([90], [100]);
  t.ok(Math.abs(late - (Math.exp(1) - 1)) < 1e-12);
  t.ok(Math.abs(early - (Math.exp(10 / 13) - 1)) < 1e-12);
  t.ok(late > early);
});

t.test('ROC-AUC by ranks, with ties counted half', async (t) => {
  t.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  t.equal(rocAuc([0.5, 0.5], [0, 1]), 0.5);
  t.equal(rocAuc([0.9, 0.1], [1, 0]), 1);
});

t.test('precision, recall and F1 of the positive class', async (t) => {
  t.same(precisionRecallF1([0.9, 0.8, 0.2, 0.6], [1, 0, 1, 1], 0.5), { precision: 2 / 3, recall: 2 / 3, f1: 2 / 3 });
});

t.test('window aggregations', async (t) => {
  const v = [2, 4, 4, 4, 5, 5, 7, 9];
  t.equal(aggregate('mean', v), 5);
  t.equal(aggregate('std', v), 2, 'population standard deviation');
  t.equal(aggregate('min', v), 2);
  t.equal(aggregate('max', v), 9);
  t.equal(aggregate('last', v), 9);
  t.equal(aggregate('count', v), 8);
  t.equal(aggregate('slope', [1, 3, 5]), 2, 'per reading');
  t.equal(aggregate('slope', [1, 3, 5], [0, 10, 20]), 0.2, 'per x unit');
  t.equal(aggregate('slope', [7]), 0);
  t.equal(aggregate('std', [7]), 0);
  t.ok(Number.isNaN(aggregate('mean', [])));
  t.equal(aggregate('count', []), 0);
});

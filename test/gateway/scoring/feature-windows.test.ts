import t from 'tap';
import { FeatureWindows } from '../../../gateway/scoring/feature-windows.js';
import { AlertTracker } from '../../../gateway/scoring/alerts.js';

function vec(r: Float64Array | string): number[] {
  if (typeof r === 'string') throw new Error(`no vector: ${r}`);
  return Array.from(r);
}

t.test('reading windows keep only what the models need', async (t) => {
  const w = new FeatureWindows();
  const input = { name: 'x', features: [
    { sensor: 's', aggregation: 'mean' as const, window: { readings: 3 } },
    { sensor: 's', aggregation: 'slope' as const, window: { readings: 3 } },
    { sensor: 's', aggregation: 'count' as const, window: { readings: 10 } },
  ] };
  w.require(input);
  t.notOk(w.wants('other'));
  for (let i = 1; i <= 12; i++) w.push('a', 's', i, i * 2);
  w.push('a', 'other', 12, 1);
  t.same(vec(w.vector('a', input, 12)), [22, 2, 10], 'mean of the last 3, slope per reading, count of the window');
  t.same(vec(w.vector('a', input, 11)), [20, 2, 10], 'readings after the event time are not used: the window ends at the event');
  t.same(vec(w.vector('a', input, 5)), [8, 2, 5], 'an early event counts only what came before it');
  t.equal(w.vector('b', input, 12), 'incomplete', 'unknown asset');
});

t.test('vectorInto writes the vector at an offset of a shared matrix and nothing else', async (t) => {
  const w = new FeatureWindows();
  const input = { name: 'x', features: [
    { sensor: 's', aggregation: 'mean' as const, window: { readings: 3 } },
    { sensor: 's', aggregation: 'max' as const, window: { readings: 5 } },
  ] };
  w.require(input);
  for (let i = 1; i <= 8; i++) w.pushAt('a', 's', [i], [i * 3], 0);
  const m = new Float64Array(6).fill(-1);
  t.equal(w.vectorInto('a', input, 8, m, 2), 'ok');
  t.same([...m], [-1, -1, 21, 24, -1, -1]);
  t.same([...m.subarray(2, 4)], vec(w.vector('a', input, 8)), 'the same values vector() returns');
  t.equal(w.vectorInto('b', input, 8, m, 0), 'incomplete');
});

t.test('windows stay exact while old readings are dropped in chunks', async (t) => {
  const w = new FeatureWindows();
  const input = { name: 'x', features: [
    { sensor: 's', aggregation: 'mean' as const, window: { readings: 4 } },
    { sensor: 's', aggregation: 'min' as const, window: { readings: 4 } },
  ] };
  w.require(input);
  for (let i = 1; i <= 1000; i++) {
    w.push('a', 's', i, i);
    if (i >= 4 && i % 37 === 0) t.same(vec(w.vector('a', input, i)), [i - 1.5, i - 3], `after ${i} readings`);
  }
});

t.test('minReadings: no vector while a window fills', async (t) => {
  const w = new FeatureWindows();
  const input = { name: 'x', features: [{ sensor: 's', aggregation: 'mean' as const, window: { readings: 3 }, minReadings: 3 }] };
  w.require(input);
  w.push('a', 's', 1, 1);
  w.push('a', 's', 2, 2);
  t.equal(w.vector('a', input, 2), 'filling');
  w.push('a', 's', 3, 6);
  t.same(vec(w.vector('a', input, 3)), [3]);
});

t.test('time windows use seconds and slope per second', async (t) => {
  const w = new FeatureWindows();
  const input = { name: 'x', features: [
    { sensor: 'v', aggregation: 'max' as const, window: { seconds: 10 } },
    { sensor: 'v', aggregation: 'slope' as const, window: { seconds: 10 } },
    { sensor: 'v', aggregation: 'count' as const, window: { seconds: 10 } },
  ] };
  w.require(input);
  for (let s = 0; s <= 30; s++) w.push('a', 'v', s * 1000, s === 5 ? 100 : s);
  t.same(vec(w.vector('a', input, 30_000)), [30, 1, 10], 'the spike at 5 s is outside the last 10 s');
});

t.test('message inputs need every sensor at exactly the event time', async (t) => {
  const w = new FeatureWindows();
  const input = { name: 'x', message: ['p', 'q'] };
  w.require(input);
  w.push('m', 'p', 1, 1);
  w.push('m', 'q', 1, 2);
  t.same(vec(w.vector('m', input, 1)), [1, 2]);
  w.push('m', 'p', 2, 3);
  t.equal(w.vector('m', input, 2), 'incomplete', 'q missing at ts 2');
});

t.test('alert tracker: independent thresholds, one raise and one clear each', async (t) => {
  const a = new AlertTracker();
  const thresholds = [
    { output: 'p', when: 'above' as const, value: 0.5, clear: 0.3, severity: 'warning' },
    { output: 'p', when: 'above' as const, value: 0.9, severity: 'critical' },
  ];
  const ev = (value: number, ts: number) => a.evaluate({ asset: 'x', model: 'm', version: '1', output: 'p', value, ts, thresholds })
    .map((e) => `${e.severity}:${e.state}`);
  t.same(ev(0.6, 1), ['warning:raised']);
  t.same(ev(0.95, 2), ['critical:raised']);
  t.same(ev(0.92, 3), []);
  t.same(ev(0.8, 4), ['critical:cleared'], 'critical has no hysteresis band: clears at its value');
  t.same(ev(0.4, 5), [], 'warning holds until 0.3');
  t.same(a.active('x').length, 1);
  t.same(ev(0.3, 6), ['warning:cleared']);
  t.same(ev(Number.NaN, 7), [], 'non-finite values never alert');
  t.same(a.evaluate({ asset: 'x', model: 'm', version: '1', output: 'other', value: 5, ts: 8, thresholds }), []);
});

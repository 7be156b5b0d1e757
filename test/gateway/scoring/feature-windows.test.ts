import t from 'tap';
import { FeatureWindows } from '../../../gateway/scoring/feature-windows.js';
import type { ManifestInput } from '../../../shared/ml/manifest.js';

/** One reading into the windows, as the engine pushes one from a batch's columns. */
function push(w: FeatureWindows, asset: string, sensor: string, ts: number, value: number): void {
  w.pushAt(asset, sensor, [ts], [value], 0);
}

/** The vector at `ts` on its own, or why there is none. */
function vector(w: FeatureWindows, asset: string, input: ManifestInput, ts: number): Float64Array | 'incomplete' | 'filling' {
  const row = new Float64Array('message' in input ? input.message.length : input.features.length);
  const got = w.vectorInto(asset, input, ts, row, 0);
  return got === 'ok' ? row : got;
}

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
  for (let i = 1; i <= 12; i++) push(w, 'a', 's', i, i * 2);
  push(w, 'a', 'other', 12, 1);
  t.same(vec(vector(w, 'a', input, 12)), [22, 2, 10], 'mean of the last 3, slope per reading, count of the window');
  t.same(vec(vector(w, 'a', input, 11)), [20, 2, 10], 'readings after the event time are not used: the window ends at the event');
  t.same(vec(vector(w, 'a', input, 5)), [8, 2, 5], 'an early event counts only what came before it');
  t.equal(vector(w, 'b', input, 12), 'incomplete', 'unknown asset');
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
  t.same([...m.subarray(2, 4)], vec(vector(w, 'a', input, 8)), 'the same values as a vector on its own');
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
    push(w, 'a', 's', i, i);
    if (i >= 4 && i % 37 === 0) t.same(vec(vector(w, 'a', input, i)), [i - 1.5, i - 3], `after ${i} readings`);
  }
});

t.test('minReadings: no vector while a window fills', async (t) => {
  const w = new FeatureWindows();
  const input = { name: 'x', features: [{ sensor: 's', aggregation: 'mean' as const, window: { readings: 3 }, minReadings: 3 }] };
  w.require(input);
  push(w, 'a', 's', 1, 1);
  push(w, 'a', 's', 2, 2);
  t.equal(vector(w, 'a', input, 2), 'filling');
  push(w, 'a', 's', 3, 6);
  t.same(vec(vector(w, 'a', input, 3)), [3]);
});

t.test('time windows use seconds and slope per second', async (t) => {
  const w = new FeatureWindows();
  const input = { name: 'x', features: [
    { sensor: 'v', aggregation: 'max' as const, window: { seconds: 10 } },
    { sensor: 'v', aggregation: 'slope' as const, window: { seconds: 10 } },
    { sensor: 'v', aggregation: 'count' as const, window: { seconds: 10 } },
  ] };
  w.require(input);
  for (let s = 0; s <= 30; s++) push(w, 'a', 'v', s * 1000, s === 5 ? 100 : s);
  t.same(vec(vector(w, 'a', input, 30_000)), [30, 1, 10], 'the spike at 5 s is outside the last 10 s');
});

t.test('message inputs need every sensor at exactly the event time', async (t) => {
  const w = new FeatureWindows();
  const input = { name: 'x', message: ['p', 'q'] };
  w.require(input);
  push(w, 'm', 'p', 1, 1);
  push(w, 'm', 'q', 1, 2);
  t.same(vec(vector(w, 'm', input, 1)), [1, 2]);
  push(w, 'm', 'p', 2, 3);
  t.equal(vector(w, 'm', input, 2), 'incomplete', 'q missing at ts 2');
});

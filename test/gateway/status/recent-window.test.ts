import t from 'tap';
import { RecentWindow } from '../../../gateway/status/recent-window.js';

t.test('keeps the last N points per series, oldest first', async (t) => {
  const w = new RecentWindow({ pointsPerSeries: 3, seriesPerAsset: 10, assets: 10 });
  for (let i = 1; i <= 5; i++) w.add('pump-1', 'temp', i, i * 10);
  t.same(w.series('pump-1').temp, [[3, 30], [4, 40], [5, 50]]);
  t.same(w.latest('pump-1'), { temp: [5, 50] });
  w.add('pump-1', 'temp', 5, 50);
  t.equal(w.series('pump-1').temp!.length, 3, 'an identical repeat is not stored twice');
});

t.test('caps assets and series, counting what it refuses', async (t) => {
  const w = new RecentWindow({ pointsPerSeries: 2, seriesPerAsset: 2, assets: 2 });
  w.add('engine-10', 'a', 1, 1);
  w.add('engine-2', 'a', 1, 1);
  w.add('engine-3', 'a', 1, 1);
  w.add('engine-2', 'b', 1, 1);
  w.add('engine-2', 'c', 1, 1);
  t.same(w.assets(), ['engine-2', 'engine-10'], 'natural order');
  t.same(Object.keys(w.latest('engine-2')), ['a', 'b']);
  t.equal(w.dropped, 2);
});

t.test('usual interval: the shortest median spacing of an asset\'s series', async (t) => {
  const { RecentWindow } = await import('../../../gateway/status/recent-window.js');
  const w = new RecentWindow({ pointsPerSeries: 50, seriesPerAsset: 8, assets: 8 });
  t.equal(w.usualInterval('p'), null, 'unknown asset');
  w.add('p', 'temp', 1_000, 1);
  t.equal(w.usualInterval('p'), null, 'one reading: not known yet');
  for (const ts of [2_000, 3_000, 4_000, 9_000, 10_000]) w.add('p', 'temp', ts, 1); // one gap of 5 s
  t.equal(w.usualInterval('p'), 1_000, 'the median ignores one gap');
  for (let i = 0; i < 5; i++) w.add('p', 'slow', i * 60_000, 1);
  t.equal(w.usualInterval('p'), 1_000, 'the fastest series decides');
});

t.test('series named __proto__ and constructor are kept like any other name', async (t) => {
  const w = new RecentWindow({ pointsPerSeries: 2, seriesPerAsset: 10, assets: 10 });
  for (const s of ['__proto__', 'constructor', 'toString']) w.add('__proto__', s, 1, 2);
  t.same(w.assets(), ['__proto__']);
  t.same(Object.keys(w.latest('__proto__')).sort(), ['__proto__', 'constructor', 'toString']);
  t.same(JSON.parse(JSON.stringify(w.series('__proto__')))['__proto__'], [[1, 2]], 'survives JSON as an own key');
});

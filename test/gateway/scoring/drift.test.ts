/** Drift per sensor between a recent window and the one before it, over readings from a small in-memory source. */
import t from 'tap';
import { driftReport, type DriftReadings } from '../../../gateway/scoring/drift.js';

const MIN = 60_000;
const now = 10_000 * MIN;

/** Readings of one asset by sensor, each as [ts, value]. */
function source(readings: Record<string, Array<[number, number]>>): DriftReadings & { asked: Array<[string, number, number]> } {
  const asked: Array<[string, number, number]> = [];
  return {
    asked,
    sensorsOf: () => Object.keys(readings),
    values(_asset, sensor, from, to, limit) {
      asked.push([sensor, from, to]);
      return (readings[sensor] ?? []).filter(([ts]) => ts >= from && ts < to).slice(0, limit).map(([, v]) => v);
    },
  };
}

/** n readings spread over [from, to], values from f. */
function spread(n: number, from: number, to: number, f: (i: number) => number): Array<[number, number]> {
  return Array.from({ length: n }, (_, i) => [from + ((to - from) * i) / (n - 1), f(i)]);
}

t.test('a shifted sensor drifts, a stable one does not; the strongest evidence comes first', async (t) => {
  const noise = (i: number) => Math.sin(i * 12.9898);
  const readings = source({
    stable: [...spread(50, now - 119 * MIN, now - 61 * MIN, noise), ...spread(50, now - 59 * MIN, now, (i) => noise(i + 7))],
    drifting: [...spread(50, now - 119 * MIN, now - 61 * MIN, noise), ...spread(50, now - 59 * MIN, now, (i) => 5 + noise(i))],
  });
  const r = driftReport(readings, { asset: 'pump-1', windowMs: 60 * MIN, pValueThreshold: 0.05, minSamples: 30, now });
  t.same(r.windows, { recent: { from: now - 60 * MIN, to: now }, reference: { from: now - 120 * MIN, to: now - 60 * MIN } });
  t.match(r.strongest, { sensor: 'drifting', statistic: 1, drift: true, insufficientData: false, counts: { recent: 50, reference: 50 } });
  t.match(r.sensors.find((s) => s.sensor === 'stable'), { drift: false, insufficientData: false });
  t.ok(readings.asked.some(([, , to]) => to === now + 1), 'a reading at `now` is in the recent window');
});

t.test('too few readings in either window: no verdict', async (t) => {
  const readings = source({ s: spread(40, now - 59 * MIN, now, (i) => i) });
  const r = driftReport(readings, { asset: 'a', sensor: 's', windowMs: 60 * MIN, pValueThreshold: 0.05, minSamples: 30, now });
  t.same(r.sensors, [{ sensor: 's', statistic: null, pValue: null, drift: false, insufficientData: true, counts: { recent: 40, reference: 0 } }]);
  t.equal(r.strongest, r.sensors[0], 'with nothing tested, the first sensor heads the report');
  t.equal(driftReport(source({}), { asset: 'ghost', windowMs: MIN, pValueThreshold: 0.05, minSamples: 2, now }).strongest, null);
});

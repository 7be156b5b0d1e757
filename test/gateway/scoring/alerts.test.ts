/**
 * Alert state is per (asset, model name, output, threshold severity and position): a version that orders its
 * thresholds differently does not take over, or lose, an alert another version raised; nothing is kept for values
 * that never raised anything.
 */
import t from 'tap';
import { AlertTracker, type AlertEvent } from '../../../gateway/scoring/alerts.js';
import type { ManifestThreshold } from '../../../shared/ml/manifest.js';

/** The events of one scored value. */
function evaluate(a: AlertTracker, args: { asset: string; model: string; version: string; output: string; value: number; ts: number;
  thresholds: readonly ManifestThreshold[] }): AlertEvent[] {
  const out: AlertEvent[] = [];
  a.evaluate(out, args.asset, args.model, args.version, args.output, args.value, args.ts, args.thresholds);
  return out;
}

const v1 = [
  { output: 'y', when: 'above' as const, value: 5, severity: 'warning' },
  { output: 'y', when: 'above' as const, value: 8, severity: 'critical' },
];
const v2 = [v1[1]!, v1[0]!]; // the same thresholds, the other way round

t.test('an alert raised under one threshold order clears under it after a swap to another order and back', async (t) => {
  const a = new AlertTracker();
  const ev = (value: number, ts: number, thresholds: typeof v1) => {
    const out: AlertEvent[] = [];
    a.evaluate(out, 'p', 'm', thresholds === v1 ? '1' : '2', 'y', value, ts, thresholds);
    return out.map((e) => `${e.state}:${e.id}`);
  };
  t.same(ev(6, 1, v1), ['raised:p/m/y/warning/1']);
  t.same(ev(9, 2, v2), ['raised:p/m/y/critical/2', 'raised:p/m/y/warning/2'], 'v2 keeps its own state for its own order');
  t.same(ev(3, 3, v1), ['cleared:p/m/y/warning/1'], 'back on v1, the alert v1 raised clears');
  t.same(ev(3, 4, v2), ['cleared:p/m/y/critical/2', 'cleared:p/m/y/warning/2']);
  t.same(a.active('p'), []);
});

t.test('events carry the value, the threshold crossed, and the fields in their usual order', async (t) => {
  const a = new AlertTracker();
  const [raised] = evaluate(a, { asset: 'p', model: 'm', version: '1', output: 'y', value: 6, ts: 10, thresholds: v1 });
  t.same(Object.keys(raised!), ['asset', 'model', 'version', 'output', 'severity', 'value', 'ts', 'id', 'state', 'threshold']);
  t.match(raised, { value: 6, threshold: 5, state: 'raised', severity: 'warning' });
  t.same(evaluate(a, { asset: 'p', model: 'm', version: '1', output: 'other', value: 99, ts: 11, thresholds: v1 }), [], 'other outputs: nothing');
  t.same(evaluate(a, { asset: 'p', model: 'm', version: '1', output: 'y', value: Number.NaN, ts: 12, thresholds: v1 }), [], 'NaN: nothing');
});

t.test('values that raise nothing leave no state behind', async (t) => {
  const a = new AlertTracker();
  for (let i = 0; i < 1000; i++) evaluate(a, { asset: `asset-${i}`, model: 'm', version: '1', output: 'y', value: 1, ts: i, thresholds: v1 });
  t.equal(a.trackedAssets, 0);
});

t.test('alert tracker: independent thresholds, one raise and one clear each', async (t) => {
  const a = new AlertTracker();
  const thresholds = [
    { output: 'p', when: 'above' as const, value: 0.5, clear: 0.3, severity: 'warning' },
    { output: 'p', when: 'above' as const, value: 0.9, severity: 'critical' },
  ];
  const ev = (value: number, ts: number) => evaluate(a, { asset: 'x', model: 'm', version: '1', output: 'p', value, ts, thresholds })
    .map((e) => `${e.severity}:${e.state}`);
  t.same(ev(0.6, 1), ['warning:raised']);
  t.same(ev(0.95, 2), ['critical:raised']);
  t.same(ev(0.92, 3), []);
  t.same(ev(0.8, 4), ['critical:cleared'], 'critical has no hysteresis band: clears at its value');
  t.same(ev(0.4, 5), [], 'warning holds until 0.3');
  t.same(a.active('x').length, 1);
  t.same(ev(0.3, 6), ['warning:cleared']);
  t.same(ev(Number.NaN, 7), [], 'non-finite values never alert');
  t.same(evaluate(a, { asset: 'x', model: 'm', version: '1', output: 'other', value: 5, ts: 8, thresholds }), []);
});

t.test('hold time: raise only once the condition has held `for`, clear only once back past `clear` for `clearFor`', async (t) => {
  const a = new AlertTracker();
  const held = [{ output: 'y', when: 'above' as const, value: 5, clear: 4, severity: 'warning', for: 10_000, clearFor: 5_000 }];
  const ev = (value: number, ts: number) => evaluate(a, { asset: 'p', model: 'm', version: '1', output: 'y', value, ts, thresholds: held })
    .map((e) => `${e.state}@${e.ts}`);
  t.same(ev(6, 0), [], 'crossed, not yet held');
  t.same(ev(7, 9_000), [], '9 s: still not long enough');
  t.same(ev(3, 9_500), [], 'an outlier back under the threshold breaks the hold');
  t.same(ev(6, 10_000), [], 'a new hold starts');
  t.same(ev(6, 19_999), []);
  t.same(ev(6, 20_000), ['raised@20000'], 'raised once it held 10 s');
  t.same(ev(9, 25_000), [], 'still raised: nothing new');
  t.same(ev(3, 26_000), [], 'back past clear, not yet for 5 s');
  t.same(ev(4.5, 28_000), [], 'between clear and value: the clearing hold is broken, the alert stays');
  t.same(ev(3, 29_000), []);
  t.same(ev(3, 33_999), []);
  t.same(ev(3, 34_000), ['cleared@34000'], 'cleared once it stayed back 5 s');
  t.same(a.active('p'), []);
});

t.test('a flapping value raises nothing; the tracker\'s default hold applies to thresholds without `for`', async (t) => {
  const a = new AlertTracker({ defaultForMs: 5_000 });
  const events: AlertEvent[] = [];
  // A score alternating around the threshold every second, as a noisy model output does.
  for (let i = 0; i < 60; i++) a.evaluate(events, 'p', 'm', '1', 'y', i % 2 === 0 ? 6 : 4, i * 1000, v1);
  t.same(events, [], 'no raise, no clear: 60 s of flapping is not an alert');
  for (let i = 60; i <= 66; i++) a.evaluate(events, 'p', 'm', '1', 'y', 6, i * 1000, v1);
  t.same(events.map((e) => `${e.state}:${e.severity}@${e.ts}`), ['raised:warning@65000'], 'a steady crossing raises after the default 5 s');
  const zero = new AlertTracker();
  t.equal(evaluate(zero, { asset: 'p', model: 'm', version: '1', output: 'y', value: 6, ts: 0, thresholds: v1 }).length, 1, 'default 0: at once');
});

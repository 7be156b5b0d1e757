import t from 'tap';
import { assetFreshness, assetSeverity, compareAssets, MIN_STALE_MS, UNKNOWN_INTERVAL_STALE_MS } from '../../../gateway/status/asset-health.js';

const NOW = 1_800_000_000_000;

t.test('stale after a multiple of the usual interval, never sooner than the floor', async (t) => {
  const sensors = { temp: [NOW - 30_000, 1] as [number, number], rpm: [NOW - 20_000, 2] as [number, number] };
  const f = assetFreshness(sensors, 2_000, NOW);
  t.equal(f.lastSeenAt, NOW - 20_000, 'last seen: the latest of its sensors');
  t.equal(f.staleAfterMs, MIN_STALE_MS, '5 × 2 s is under the floor');
  t.equal(f.stale, true);
  t.equal(assetFreshness(sensors, 60_000, NOW).stale, false, 'a once-a-minute asset silent for 20 s is fine');
  t.equal(assetFreshness(sensors, 60_000, NOW).staleAfterMs, 300_000);
  t.equal(assetFreshness(sensors, null, NOW).staleAfterMs, UNKNOWN_INTERVAL_STALE_MS, 'one reading so far: a fixed allowance');
  t.equal(assetFreshness({}, null, NOW).stale, false, 'no readings: not stale');
});

t.test('cards by severity (critical, warning, stale, healthy), then name', async (t) => {
  t.equal(assetSeverity(['warning', 'critical'], false), 'critical');
  t.equal(assetSeverity(['warning'], true), 'warning', 'an alert outranks staleness');
  t.equal(assetSeverity([], true), 'stale');
  t.equal(assetSeverity([], false), 'healthy');
  const cards = [
    { asset: 'bench-1', severity: 'stale' as const },
    { asset: 'engine-10', severity: 'healthy' as const },
    { asset: 'engine-2', severity: 'healthy' as const },
    { asset: 'engine-68', severity: 'warning' as const },
    { asset: 'engine-31', severity: 'critical' as const },
  ];
  t.same(cards.sort(compareAssets).map((c) => c.asset), ['engine-31', 'engine-68', 'bench-1', 'engine-2', 'engine-10']);
});

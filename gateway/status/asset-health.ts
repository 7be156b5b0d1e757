/**
 * How an asset card ranks on the status page: critical and warning alerts first, then assets that have gone
 * quiet (stale), then the healthy ones, each group by name — so a one-off asset of a bench or simulate run never
 * pushes an alerting engine below the fold. Stale means silent for a multiple of the asset's usual interval.
 */
import type { Point } from './recent-window.js';

export type AssetSeverity = 'critical' | 'warning' | 'stale' | 'healthy';

const RANK: Record<AssetSeverity, number> = { critical: 0, warning: 1, stale: 2, healthy: 3 };

/** Silent for this many usual intervals: stale. */
export const STALE_INTERVALS = 5;
/** Never stale sooner than this (a fast sensor missing a few readings is not news). */
export const MIN_STALE_MS = 10_000;
/** Staleness of an asset whose interval is not known yet (a single reading so far). */
export const UNKNOWN_INTERVAL_STALE_MS = 60_000;

export interface AssetFreshness {
  /** Latest reading time over all the asset's sensors. */
  lastSeenAt: number | null;
  /** Usual spacing of its readings (ms), null until two readings of a series are seen. */
  intervalMs: number | null;
  staleAfterMs: number;
  stale: boolean;
}

export function assetFreshness(sensors: Record<string, Point>, intervalMs: number | null, now: number): AssetFreshness {
  let lastSeenAt: number | null = null;
  for (const p of Object.values(sensors)) if (lastSeenAt === null || p[0] > lastSeenAt) lastSeenAt = p[0];
  const staleAfterMs = intervalMs === null ? UNKNOWN_INTERVAL_STALE_MS : Math.max(MIN_STALE_MS, STALE_INTERVALS * intervalMs);
  return { lastSeenAt, intervalMs, staleAfterMs, stale: lastSeenAt !== null && now - lastSeenAt > staleAfterMs };
}

export function assetSeverity(alertSeverities: readonly string[], stale: boolean): AssetSeverity {
  if (alertSeverities.includes('critical')) return 'critical';
  if (alertSeverities.length > 0) return 'warning';
  return stale ? 'stale' : 'healthy';
}

/** Severity first, then name (engine-2 before engine-10). */
export function compareAssets(a: { asset: string; severity: AssetSeverity }, b: { asset: string; severity: AssetSeverity }): number {
  return RANK[a.severity] - RANK[b.severity] || a.asset.localeCompare(b.asset, 'en', { numeric: true });
}

/**
 * The uplink in plain words for a technician, and the drain ETA of a backlog. The state comes from the last
 * contact with the cloud of any kind (batch or heartbeat), never from the sync engine merely having nothing to
 * send. The words are a public interface, the same on the status page, in /health/detailed and (as the kind) in
 * smartmaint_sync_state: "standalone (no cloud configured)", "never connected", "cloud unreachable since T",
 * "API key rejected", "backlog N readings, oldest T ago", "synced (last contact T ago)".
 */
import type { SyncStatus } from '../sync/engine.js';

/** Below this age the pending readings are the live flow in transit, not a backlog. */
export const BACKLOG_AGE_MS = 10_000;

export const UPLINK_KINDS = ['standalone', 'never-connected', 'unreachable', 'key-rejected', 'backlog', 'synced'] as const;
export type UplinkKind = (typeof UPLINK_KINDS)[number];

export interface UplinkView {
  kind: UplinkKind;
  words: string;
  pending: number;
  oldestPendingAgeMs: number | null;
  lastSuccessAt: number | null;
  /** Last contact with the cloud of any kind, its channel and what it said. */
  lastContactAt: number | null;
  lastContactVia: 'batch' | 'heartbeat' | null;
  failingSince: number | null;
  lastFailure: string | null;
  /** Seconds until the backlog is sent at the current net drain rate; null when not draining. */
  drainEtaS: number | null;
}

export function uplinkView(s: SyncStatus, now: number, drainRate: number | null): UplinkView {
  const c = s.contact;
  const failing = c.last !== null && c.last.result !== 'ok';
  const base = {
    pending: s.pending,
    oldestPendingAgeMs: s.oldestPendingAgeMs,
    lastSuccessAt: s.lastSuccessAt,
    lastContactAt: c.last?.at ?? null,
    lastContactVia: c.last?.via ?? null,
    failingSince: c.failingSince,
    lastFailure: failing ? `${c.last!.detail} (${c.last!.via})` : (s.lastFailure?.reason ?? null),
    drainEtaS: null as number | null,
  };
  if (s.state === 'disabled') return { ...base, kind: 'standalone', words: 'standalone (no cloud configured)' };
  if (s.state === 'auth-failed' || c.last?.result === 'key-rejected') return { ...base, kind: 'key-rejected', words: 'API key rejected' };
  if (c.last === null) return { ...base, kind: 'never-connected', words: 'never connected' };
  if (failing) {
    const since = c.failingSince ?? c.last.at;
    const tail = `cloud unreachable since ${clockTime(since)} (${ago(now - since)} ago)`;
    if (c.lastOkAt === null) return { ...base, kind: 'never-connected', words: `never connected: ${tail}` };
    return { ...base, kind: 'unreachable', words: tail };
  }
  const backlog = s.pending > 0 && (s.oldestPendingAgeMs ?? 0) >= BACKLOG_AGE_MS;
  if (backlog) {
    const eta = drainRate !== null && drainRate > 0 ? Math.ceil(s.pending / drainRate) : null;
    return {
      ...base, kind: 'backlog', drainEtaS: eta,
      words: `backlog ${s.pending} readings, oldest ${ago(s.oldestPendingAgeMs ?? 0)} ago`,
    };
  }
  return { ...base, kind: 'synced', words: `synced (last contact ${ago(now - c.last.at)} ago)` };
}

/** "42 s", "3 min", "2 h 5 min", "3 d 4 h". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** HH:MM:SS in UTC with the date when it is not today, so two sites compare times without a timezone. */
export function clockTime(ts: number): string {
  return new Date(ts).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

/**
 * Net drain rate of the backlog in readings per second, from how the pending count moved over the last
 * samples (pending falls at send rate minus ingest rate). Null until two samples exist or while it grows.
 */
export class DrainEstimator {
  readonly #samples: Array<{ at: number; pending: number }> = [];
  readonly #windowMs: number;

  constructor(windowMs = 30_000) {
    this.#windowMs = windowMs;
  }

  sample(at: number, pending: number): void {
    this.#samples.push({ at, pending });
    while (this.#samples.length > 2 && at - this.#samples[0]!.at > this.#windowMs) this.#samples.shift();
  }

  rate(): number | null {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (!first || !last || last.at <= first.at) return null;
    const perS = ((first.pending - last.pending) * 1000) / (last.at - first.at);
    return perS > 0 ? perS : null;
  }
}

/**
 * The sync part of /health/detailed: the uplink's kind and words first, the engine's own details after. A
 * refused key is a gateway fault an operator must fix (unhealthy); an unreachable cloud only degrades.
 */
export function uplinkHealth(s: SyncStatus, now: number): Record<string, unknown> & { healthy: boolean } {
  const view = uplinkView(s, now, null);
  const { state: engineState, ...rest } = s;
  return {
    healthy: view.kind !== 'key-rejected',
    degraded: view.kind === 'unreachable' || (view.kind === 'never-connected' && view.failingSince !== null),
    state: view.kind,
    words: view.words,
    lastContactAt: view.lastContactAt,
    lastContactVia: view.lastContactVia,
    engineState,
    ...rest,
  };
}

/** Fleet status of each gateway from the age of its last heartbeat. */
import type { FleetGateway, GatewayStatus } from '../../shared/protocol.js';
import type { GatewayRecord } from '../store/store.js';

export interface FleetThresholds {
  staleAfterMs: number;
  offlineAfterMs: number;
  authFailingWindowMs: number;
}

export function gatewayStatus(lastHeartbeatAt: number | null, now: number, t: FleetThresholds): GatewayStatus {
  if (lastHeartbeatAt === null) return 'offline';
  const age = now - lastHeartbeatAt;
  if (age < t.staleAfterMs) return 'healthy';
  if (age < t.offlineAfterMs) return 'stale';
  return 'offline';
}

export function fleetView(records: readonly GatewayRecord[], now: number, t: FleetThresholds): FleetGateway[] {
  return records.map((r) => {
    const backlog = r.heartbeat?.backlog;
    // An auth failure only counts while no later request of the gateway succeeded.
    const lastGood = Math.max(r.lastHeartbeatAt ?? 0, r.lastSyncAt ?? 0);
    const authFailing =
      r.lastAuthFailureAt !== null && now - r.lastAuthFailureAt < t.authFailingWindowMs && r.lastAuthFailureAt >= lastGood;
    return {
      id: r.id,
      status: gatewayStatus(r.lastHeartbeatAt, now, t),
      authFailing,
      lastHeartbeatAt: r.lastHeartbeatAt,
      lastSyncAt: r.lastSyncAt,
      lastBatchId: r.lastBatchId,
      backlog: backlog ? { pending: backlog.pending, oldestPendingAgeMs: backlog.oldestPendingAgeMs ?? null } : null,
      heartbeat: r.heartbeat,
    };
  });
}

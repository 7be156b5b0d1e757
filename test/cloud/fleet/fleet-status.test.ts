import t from 'tap';
import { fleetView, gatewayStatus } from '../../../cloud/fleet/fleet-status.js';

const th = { staleAfterMs: 100, offlineAfterMs: 1000, authFailingWindowMs: 500 };

t.test('status from heartbeat age', async (t) => {
  t.equal(gatewayStatus(null, 5, th), 'offline');
  t.equal(gatewayStatus(1000, 1099, th), 'healthy');
  t.equal(gatewayStatus(1000, 1100, th), 'stale');
  t.equal(gatewayStatus(1000, 2000, th), 'offline');
});

t.test('auth-failing only while recent and not followed by success', async (t) => {
  const base = { id: 'g', heartbeat: null, lastBatchId: null, lastSyncAt: null };
  t.equal(fleetView([{ ...base, lastHeartbeatAt: 900, lastAuthFailureAt: 950 }], 1000, th)[0]!.authFailing, true);
  t.equal(fleetView([{ ...base, lastHeartbeatAt: 960, lastAuthFailureAt: 950 }], 1000, th)[0]!.authFailing, false);
  t.equal(fleetView([{ ...base, lastHeartbeatAt: null, lastAuthFailureAt: 100 }], 1000, th)[0]!.authFailing, false);
});

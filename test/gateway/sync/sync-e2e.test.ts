/**
 * End to end: gateway and cloud as child processes; the cloud holds exactly the acknowledged set.
 */
import t from 'tap';
import { startSystem, stopSystem, Publishers, gatewayJson, waitForDrain, verifyExactlyOnce } from '../../helpers/sync-system.js';
import { request } from 'undici';

t.test('end to end: the cloud holds exactly the acknowledged set', async (t) => {
  const sys = await startSystem({ scoring: true });
  t.teardown(() => stopSystem(sys));
  const pubs = new Publishers(sys.mqttPort);
  await pubs.waitForAcks(2000);
  await pubs.stop();
  const sync = await waitForDrain(sys);
  t.equal(sync.engineState, 'idle');
  t.equal(sync.state, 'synced', 'the uplink state, from the last contact');
  t.match(sync.words, /^synced \(last contact \d+ s ago\)$/);
  await verifyExactlyOnce(t, sys, pubs);
  const metrics: string = await gatewayJson(sys.gateway.httpPort, '/metrics');
  t.match(metrics, /smartmaint_sync_readings_total \d+/);
  t.match(metrics, /smartmaint_outbox_oldest_pending_age_seconds 0/);
  t.match(metrics, /smartmaint_sync_state\{state="synced"\} 1/);
  // The heartbeat reached the cloud's fleet view.
  const fleet = await request(`http://127.0.0.1:${sys.cloud.port}/api/v1/gateways`, { headers: { authorization: `Bearer ${sys.operatorKey}` } });
  const body = (await fleet.body.json()) as any;
  const gw = (body.gateways ?? body).find((g: any) => g.id === 'gw-e2e');
  t.ok(gw?.lastHeartbeatAt, 'heartbeat received by the cloud');
});


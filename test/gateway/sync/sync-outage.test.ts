/**
 * The cloud is killed during load and comes back: no loss, no duplicates, the backlog drains.
 */
import t from 'tap';
import { startSystem, stopSystem, Publishers, gatewayJson, waitForDrain, verifyExactlyOnce } from '../../helpers/sync-system.js';
import { cloudReadings, spawnCloud } from '../../helpers/cloud.js';

t.test('cloud killed during load and restarted: no loss, no duplicates, backlog drained', async (t) => {
  const sys = await startSystem();
  t.teardown(() => stopSystem(sys));
  const pubs = new Publishers(sys.mqttPort);
  await pubs.waitForAcks(500);
  sys.cloud.child.kill('SIGKILL');
  await sys.cloud.exited;
  const t0 = Date.now();
  await pubs.waitForAcks(1500); // the gateway keeps acknowledging while the cloud is away
  const during = (await gatewayJson(sys.gateway.httpPort, '/health/detailed')).components.sync;
  t.equal(during.engineState, 'retrying', 'sync knows the cloud is away');
  t.equal(during.state, 'unreachable', 'and says so in the uplink words');
  t.match(during.words, /^cloud unreachable since /);
  t.ok(during.pending > 0, 'a backlog builds up');
  t.comment(`outage phase ${Date.now() - t0} ms`);
  sys.cloud = await spawnCloud(sys.cloudDir, sys.cloudPort);
  t.comment(`cloud back ${Date.now() - t0} ms`);
  await pubs.waitForAcks(500);
  await pubs.stop();
  await waitForDrain(sys);
  t.comment(`drained ${Date.now() - t0} ms`);
  await verifyExactlyOnce(t, sys, pubs);
  // The drain shows in the log: progress (readings left, rate, time to empty), then its end.
  const records = sys.gateway.lines.flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });
  const drained = records.find((r) => r.msg === 'backlog drained');
  t.ok(drained && drained.readings > 0 && drained.durationMs >= 0, `"backlog drained" logged (${JSON.stringify(drained)})`);
  const progress = records.filter((r) => r.msg === 'draining backlog');
  t.ok(progress.length > 0, `progress logged while draining (${progress.length} lines, every 20 ms here)`);
  for (const p of progress) t.ok(typeof p.pending === 'number' && typeof p.ratePerS === 'number' && 'etaS' in p, 'progress: left, rate, time to empty');
  const rows = await cloudReadings(sys.cloud.port, sys.operatorKey, 'gw-e2e');
  t.ok(rows.some((r) => r.historical === true), 'the backlog was marked historical');
});


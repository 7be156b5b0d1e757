/**
 * A TCP fault proxy between gateway and cloud cycles through latency, resets mid-body, a blackhole, a bandwidth limit
 * and refused connections during load: no loss, no duplicates.
 */
import t from 'tap';
import { startSystem, stopSystem, Publishers, waitForDrain, verifyExactlyOnce, sleep } from '../../helpers/sync-system.js';
import { FaultProxy } from '../../helpers/fault-proxy.js';

t.test('a TCP fault proxy cycling through faults during load: no loss, no duplicates', async (t) => {
  let proxy!: FaultProxy;
  const sys = await startSystem({
    cloudUrlPort: async (cloudPort) => {
      proxy = new FaultProxy(cloudPort);
      return proxy.start();
    },
  });
  t.teardown(async () => { await stopSystem(sys); await proxy.stop(); });
  const pubs = new Publishers(sys.mqttPort);
  const faults = [
    { kind: 'latency', ms: 150 },
    { kind: 'reset-mid-body', afterBytes: 300 },
    { kind: 'blackhole' },
    { kind: 'bandwidth', bytesPerSecond: 20_000 },
    { kind: 'refuse' },
    { kind: 'none' },
  ] as const;
  for (const fault of faults) {
    proxy.setFault(fault, true);
    await pubs.waitForAcks(300);
    await sleep(300);
  }
  proxy.setFault({ kind: 'none' }, true);
  await pubs.stop();
  await waitForDrain(sys);
  await verifyExactlyOnce(t, sys, pubs);
  t.ok(proxy.connections > 3, `connections were cut and remade (${proxy.connections})`);
});


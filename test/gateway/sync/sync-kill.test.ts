/**
 * SIGKILL of the gateway and of the cloud at random moments during sync, several rounds.
 */
import t from 'tap';
import { startSystem, stopSystem, Publishers, waitForDrain, verifyExactlyOnce, sleep } from '../../helpers/sync-system.js';
import { spawnCloud } from '../../helpers/cloud.js';
import { spawnGateway } from '../../helpers/gateway.js';

t.test('SIGKILL of the gateway and of the cloud at random moments during sync', async (t) => {
  const sys = await startSystem();
  t.teardown(() => stopSystem(sys));
  const pubs = new Publishers(sys.mqttPort);
  for (let round = 0; round < 3; round++) {
    await pubs.waitForAcks(400);
    await sleep(Math.floor(Math.random() * 200));
    if (round % 2 === 0) {
      sys.gateway.child.kill('SIGKILL');
      await sys.gateway.exited;
      sys.gateway = await spawnGateway(sys.gatewayArgs, sys.gatewayEnv);
    } else {
      sys.cloud.child.kill('SIGKILL');
      await sys.cloud.exited;
      sys.cloud = await spawnCloud(sys.cloudDir, sys.cloudPort);
    }
  }
  await pubs.waitForAcks(300);
  await pubs.stop();
  await waitForDrain(sys);
  await verifyExactlyOnce(t, sys, pubs);
});


/**
 * A wrong key puts the uplink in key-rejected (health, metrics, log); fixing the key file resumes with nothing lost.
 */
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { startSystem, stopSystem, Publishers, gatewayJson, waitForDrain, verifyExactlyOnce, sleep } from '../../helpers/sync-system.js';

t.test('a wrong key shows as "API key rejected"; fixing the key file resumes with nothing lost', async (t) => {
  const sys = await startSystem({ key: 'smk_000000000000_wrongwrongwrongwrongwrongwrongwrongwrong' });
  t.teardown(() => stopSystem(sys));
  const pubs = new Publishers(sys.mqttPort);
  await pubs.waitForAcks(300);
  const deadline = Date.now() + 10_000;
  let detailed: any;
  while (Date.now() < deadline) {
    detailed = await gatewayJson(sys.gateway.httpPort, '/health/detailed');
    if (detailed.components.sync.engineState === 'auth-failed') break;
    await sleep(50);
  }
  t.equal(detailed.components.sync.engineState, 'auth-failed', '/health/detailed: the engine waits for a key');
  t.equal(detailed.components.sync.state, 'key-rejected', 'the uplink state');
  t.equal(detailed.components.sync.words, 'API key rejected', 'the same words as the page');
  t.equal(detailed.components.sync.healthy, false);
  t.equal(detailed.status, 'unhealthy');
  t.match(detailed.components.sync.authFailure, { status: 401 });
  const metrics: string = await gatewayJson(sys.gateway.httpPort, '/metrics');
  t.match(metrics, /smartmaint_sync_state\{state="key-rejected"\} 1/);
  t.match(metrics, /smartmaint_sync_batches_total\{result="auth"\} [1-9]/);
  t.match(sys.gateway.lines.join('\n'), /API KEY REJECTED/, 'the log says so');
  writeFileSync(sys.keyFile, sys.gatewayKey);
  await pubs.waitForAcks(300);
  await pubs.stop();
  const sync = await waitForDrain(sys);
  t.not(sync.state, 'key-rejected');
  await verifyExactlyOnce(t, sys, pubs);
});

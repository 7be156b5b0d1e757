/**
 * Hostile-input suite: a subscriber that stops reading its socket must not stall the broker. A raw TCP
 * client subscribes to all telemetry and never reads; a publisher sends 1,000 QoS 1 messages (32 KB each, far more
 * than the socket buffers hold) and every one is acknowledged and stored; a healthy subscriber receives them all;
 * the frozen one is disconnected by Aedes' drainTimeout.
 */
import t from 'tap';
import { connect, endClient, removeDir, startGateway, tempDir } from '../helpers/gateway.js';
import { envCount } from '../helpers/child-stats.js';
import { connectPacket, rawConnect } from '../helpers/raw-mqtt.js';

const MESSAGES = envCount('SMARTMAINT_FROZEN_MESSAGES', 1_000);

t.test(`a frozen subscriber does not stop ${MESSAGES} publishes from others`, async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { mqtt: { drainTimeoutMs: 2_000 }, scoring: { enabled: false }, outbox: { durability: 'process-crash' } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });

  const frozen = await rawConnect(gw.mqttPort);
  frozen.send(connectPacket({ clientId: 'frozen' }));
  t.match(await frozen.next('connack'), { returnCode: 0 });
  frozen.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'telemetry/#', qos: 1 }] });
  t.ok(await frozen.next('suback'));
  frozen.socket.pause(); // stop reading: the kernel buffers fill, then the broker's writes stop draining
  // The paused client socket never emits 'close' (its unread data holds back 'end'): watch the broker's side.
  let frozenClosedAt = 0;
  gw.broker.aedes.on('clientDisconnect', (c) => { if (c.id === 'frozen') frozenClosedAt = Date.now(); });

  const healthy = await connect(gw.mqttPort, { clientId: 'healthy' });
  let received = 0;
  healthy.on('message', () => { received++; });
  await healthy.subscribeAsync('telemetry/#', { qos: 1 });

  const publisher = await connect(gw.mqttPort, { clientId: 'publisher' });
  const payload = JSON.stringify({ values: { temp: 20.5 }, pad: 'x'.repeat(32_000) });
  const started = Date.now();
  // 20 in flight at a time; 1,000 × 32 KB is far more than the frozen socket's kernel buffers hold.
  for (let i = 0; i < MESSAGES; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, MESSAGES - i) }, (_, k) =>
      publisher.publishAsync(`telemetry/pump-${(i + k) % 10}`, payload, { qos: 1 })));
  }
  const publishMs = Date.now() - started;
  t.pass(`all ${MESSAGES} publishes acknowledged in ${publishMs} ms`);
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(resolve, 15_000);
    const poll = setInterval(() => { if (received >= MESSAGES) { clearTimeout(deadline); clearInterval(poll); resolve(); } }, 20);
    deadline.unref();
  });
  t.equal(received, MESSAGES, 'the healthy subscriber got every message');
  await gw.pipeline.flush();
  t.equal(gw.outbox.stats().readings, MESSAGES, 'every acknowledged message is stored');
  for (let waited = 0; frozenClosedAt === 0 && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  frozen.socket.destroy();
  t.ok(frozenClosedAt > 0, 'the frozen subscriber was disconnected (drainTimeout)');
  t.comment(JSON.stringify({ messages: MESSAGES, publishMs, frozenClosedAfterMs: frozenClosedAt ? frozenClosedAt - started : null }));
  await endClient(publisher);
  await endClient(healthy);
});

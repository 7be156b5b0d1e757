import mqtt from 'mqtt';
import t from 'tap';
import { BareAedesProcess } from '../../../bench/lib/processes.js';

t.test('bare aedes (bench:ingest baseline): PUBACKs every QoS 1 publish and counts client publishes', async (t) => {
  const broker = new BareAedesProcess();
  t.teardown(() => broker.stop());
  await broker.start();
  t.ok(broker.ports.mqtt > 0 && broker.ports.http > 0, 'reports the ports it bound');
  t.not(broker.ports.mqtt, broker.ports.http);
  t.equal(await broker.received(), 0, 'nothing counted before a client publishes');

  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { clientId: 'bare-aedes-test', reconnectPeriod: 0 });
  t.teardown(() => client.endAsync());
  const pubacks: number[] = [];
  client.on('packetreceive', (packet) => {
    if (packet.cmd === 'puback') pubacks.push(packet.messageId ?? 0);
  });
  // publishAsync resolves a QoS 1 publish only when its PUBACK arrives.
  const sent = await Promise.all(Array.from({ length: 5 }, (_, i) => client.publishAsync('telemetry/bench-0/s1', `${i}.5`, { qos: 1 })));
  t.same([...pubacks].sort(), sent.map((p) => p?.messageId).sort(), 'a PUBACK for each QoS 1 publish');
  await client.publishAsync('telemetry/bench-0/s1', '9', { qos: 0 });

  const end = Date.now() + 5000;
  while ((await broker.received()) < 6 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  t.equal(await broker.received(), 6, 'five QoS 1 and one QoS 0 publish counted, $SYS heartbeats not');
  t.ok((broker.peakRssMb() ?? 0) > 0, 'peak RSS readable from /proc');
});

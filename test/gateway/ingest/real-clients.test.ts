/**
 * Independent real clients against the gateway: Paho Go (one in flight, packet id reused, identical payloads —
 * the mqtt-benchmark load our users run), mosquitto_pub and python3-paho-mqtt. Every PUBACK must be a stored
 * reading, whatever the client's habits.
 */
import t from 'tap';
import { removeDir, startGateway, tempDir } from '../../helpers/gateway.js';
import { mosquittoPubLines, pahoPythonPublish, runPahoGo, skipUnlessClient } from '../../helpers/real-clients.js';

t.test('Paho Go, one in flight, id reused: every PUBACK a stored reading', skipUnlessClient('paho-go'), async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const one = await runPahoGo({ port: gw.mqttPort, clients: 1, count: 200, clientIdPrefix: 'one' });
  t.equal(one.acked, 200, '200 PUBACKs');
  t.equal(gw.outbox.stats().readings, 200, '200 stored');
  const many = await runPahoGo({ port: gw.mqttPort, clients: 20, count: 200, clientIdPrefix: 'many' });
  t.equal(many.acked, 4_000, '4,000 PUBACKs');
  t.equal(gw.outbox.stats().readings, 4_200, '4,000 more stored');
  const rows = gw.outbox.queryReadings({ limit: 10 });
  t.ok(rows.every((r) => r.asset === 'x' && r.sensor === 's1' && r.value === 1));
});

t.test('Paho Go, paced with many in flight (bench:ingest\'s paho-go-<rate>/s): every PUBACK a stored reading', skipUnlessClient('paho-go'), async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const r = await runPahoGo({ port: gw.mqttPort, clients: 4, count: 250, rate: 500, inflight: 100, clientIdPrefix: 'paced' });
  t.equal(r.acked, 1_000, '1,000 PUBACKs');
  t.equal(r.errors, 0);
  t.ok(r.seconds >= 0.45, `the rate held the run to about 0.5 s (took ${r.seconds.toFixed(2)} s)`);
  t.equal(gw.outbox.stats().readings, 1_000, '1,000 stored');
});

t.test('mosquitto_pub -l, identical lines: every message stored', skipUnlessClient('mosquitto_pub'), async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  await mosquittoPubLines(gw.mqttPort, 'telemetry/m/s', Array.from({ length: 500 }, () => '7'), 'mosq-pub');
  t.equal(gw.outbox.stats().readings, 500);
});

t.test('python3-paho-mqtt, identical payloads: every PUBACK a stored reading', skipUnlessClient('paho-python'), async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const acked = await pahoPythonPublish(gw.mqttPort, 'telemetry/p/s', '{"value": 3}', 300, 'py-1');
  t.equal(acked, 300);
  t.equal(gw.outbox.stats().readings, 300);
});

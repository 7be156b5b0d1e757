/**
 * The spine end to end, in process: a real gateway on ephemeral ports, real mqtt.js clients, real HTTP.
 */
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generate, parser as mqttParser, type Packet } from 'mqtt-packet';
import t from 'tap';
import { request } from 'undici';
import { connect, endClient, publish, removeDir, startGateway, tempDir } from '../helpers/gateway.js';
import { Gateway } from '../../gateway/gateway.js';

async function getJson(port: number, path: string): Promise<{ status: number; body: any }> {
  const res = await request(`http://127.0.0.1:${port}${path}`);
  const text = await res.body.text();
  return { status: res.statusCode, body: text.startsWith('{') ? JSON.parse(text) : text };
}

async function allReadings(port: number, query = ''): Promise<any[]> {
  const out: any[] = [];
  let path: string | null = `/api/v1/readings?limit=10000${query}`;
  while (path) {
    const { body } = await getJson(port, path);
    out.push(...body.readings);
    path = body.next;
  }
  return out;
}

t.test('every telemetry shape is stored, bad payloads dead-lettered, other topics routed', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const client = await connect(gw.mqttPort, { clientId: 'plc-1' });
  const watcher = await connect(gw.mqttPort, { clientId: 'hmi' });
  const routed: string[] = [];
  watcher.on('message', (topic, payload) => routed.push(`${topic}=${payload.length}`));
  await watcher.subscribeAsync(['other/#', '/test'], { qos: 1 });

  const ts = Date.now() - 10_000;
  await publish(client, 'telemetry/pump-7/temp', '42.1', 1);
  await publish(client, 'telemetry/pump-7/rpm', '1500', 0);
  await publish(client, 'telemetry/pump-7/pressure', JSON.stringify({ value: 2.5, ts, unit: 'bar', quality: 'good' }), 1);
  await publish(client, 'telemetry/pump-7/flow', JSON.stringify({ value: 11, ts: new Date(ts).toISOString() }), 1);
  await publish(client, 'telemetry/pump-8', JSON.stringify({ ts, values: { temp: 40.5, vib: 0.31 } }), 1);
  // bad ones, each with its reason
  await publish(client, 'telemetry/pump-7/temp', '{"value": ', 1);
  await publish(client, 'telemetry/pump-7/temp', 'NaN', 1);
  await publish(client, 'telemetry/pump-7/temp', '{"unit": "C"}', 1);
  await publish(client, 'telemetry/pump-7/temp', '{"value": "hot"}', 1);
  await publish(client, 'telemetry/pump-7/temp', Buffer.from([0xc3, 0x28]), 1);
  // not telemetry: routed, counted, not stored
  await publish(client, 'other/status', 'running', 1);
  await publish(client, '/test', Buffer.alloc(100), 0);
  await new Promise((r) => setTimeout(r, 100));

  const readings = await allReadings(gw.httpPort);
  const byKey = new Map(readings.map((r) => [`${r.asset}/${r.sensor}`, r]));
  t.equal(readings.length, 6, 'six readings stored');
  t.match(byKey.get('pump-7/temp'), { value: 42.1, clientId: 'plc-1', source: 'mqtt' });
  t.equal(byKey.get('pump-7/temp').ts, byKey.get('pump-7/temp').receivedAt, 'no ts: receive time');
  t.match(byKey.get('pump-7/rpm'), { value: 1500 });
  t.match(byKey.get('pump-7/pressure'), { value: 2.5, ts, unit: 'bar', quality: 'good' });
  t.ok(byKey.get('pump-7/pressure').receivedAt >= ts + 10_000 - 1000, 'both times kept');
  t.match(byKey.get('pump-7/flow'), { value: 11, ts });
  t.match(byKey.get('pump-8/temp'), { value: 40.5, ts });
  t.match(byKey.get('pump-8/vib'), { value: 0.31, ts });
  const seqs = readings.map((r) => r.seq);
  t.same(seqs, [...seqs].sort((a, b) => a - b), 'seq increases');
  t.equal(new Set(seqs).size, seqs.length, 'seq unique');

  const { body: dl } = await getJson(gw.httpPort, '/api/v1/dead-letters');
  t.same(dl.deadLetters.map((d: any) => d.reason), ['invalid-json', 'non-finite', 'missing-value', 'wrong-type', 'unknown-encoding']);
  t.match(dl.deadLetters[0], { topic: 'telemetry/pump-7/temp', clientId: 'plc-1', payload: Buffer.from('{"value": ').toString('base64') });
  t.same(routed.sort(), ['/test=100', 'other/status=7']);

  const { body: metrics } = await getJson(gw.httpPort, '/metrics');
  t.match(metrics, /smartmaint_readings_received_total 6/);
  t.match(metrics, /smartmaint_readings_stored_total 6/);
  t.match(metrics, /smartmaint_readings_rejected_total\{reason="invalid-json"\} 1/);
  t.match(metrics, /smartmaint_mqtt_messages_total\{kind="telemetry"\} 10/);
  t.match(metrics, /smartmaint_mqtt_messages_total\{kind="other"\} 2/);
  t.match(metrics, /smartmaint_mqtt_clients 2/);
  t.match(metrics, /smartmaint_outbox_pending_readings 6/);
  t.match(metrics, /process_cpu_seconds_total/);
  await endClient(client);
  await endClient(watcher);
});

t.test('a QoS 1 PUBACK means the reading is committed', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  // A second connection, as another process would see the file.
  const reader = new Database(join(dir, 'outbox.db'), { readonly: true });
  t.teardown(() => reader.close());
  const find = reader.prepare('SELECT count(*) AS n FROM readings WHERE asset = ? AND value = ?');
  const client = await connect(gw.mqttPort, { clientId: 'plc-ack' });
  const misses: number[] = [];
  await Promise.all(Array.from({ length: 300 }, async (_, i) => {
    await publish(client, `telemetry/ack/s${i % 5}`, String(i), 1);
    // Checked synchronously in the PUBACK callback: no later commit can have helped.
    if ((find.get('ack', i) as { n: number }).n !== 1) misses.push(i);
  }));
  t.same(misses, [], 'every acknowledged reading was visible on disk when its PUBACK arrived');
  await endClient(client);
});

t.test('graceful stop commits queued QoS 0 readings', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { outbox: { flushIntervalMs: 10_000, maxBatchReadings: 100_000 } });
  const client = await connect(gw.mqttPort);
  for (let i = 0; i < 500; i++) client.publish(`telemetry/q0/s`, String(i), { qos: 0 });
  await client.publishAsync('other/barrier', 'x', { qos: 1 }); // all QoS 0 before it have been read by the broker
  t.equal(gw.pipeline.queuedRows, 500, 'readings wait for the flush interval');
  await gw.stop();
  await endClient(client).catch(() => {});
  const db = new Database(join(dir, 'outbox.db'), { readonly: true });
  t.equal((db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n, 500);
  db.close();
  removeDir(dir);
});

t.test('seq and epoch survive a restart; epoch names the database', async (t) => {
  const dir = tempDir();
  let gw = await startGateway(dir);
  let client = await connect(gw.mqttPort);
  await publish(client, 'telemetry/a/s', '1');
  const epoch = gw.outbox.epoch;
  await endClient(client);
  await gw.stop();
  gw = await startGateway(dir);
  client = await connect(gw.mqttPort);
  await publish(client, 'telemetry/a/s', '2');
  const rows = await allReadings(gw.httpPort);
  t.same(rows.map((r) => [r.seq, r.value]), [[1, 1], [2, 2]]);
  t.equal(gw.outbox.epoch, epoch);
  await endClient(client);
  await gw.stop();
  removeDir(dir);
  const other = tempDir();
  gw = await startGateway(other);
  t.not(gw.outbox.epoch, epoch, 'a new database gets a new epoch');
  await gw.stop();
  removeDir(other);
});

/** A raw MQTT 3.1.1 client, to control packet ids exactly. */
async function rawSession(port: number, clientId: string, publishes: Array<{ id: number; topic: string; payload: string; dup?: boolean }>): Promise<number[]> {
  const socket = netConnect(port, '127.0.0.1');
  const p = mqttParser();
  const acks: number[] = [];
  let connacked!: () => void;
  const ready = new Promise<void>((r) => { connacked = r; });
  p.on('packet', (packet: Packet) => {
    if (packet.cmd === 'connack') connacked();
    if (packet.cmd === 'puback') acks.push(packet.messageId!);
  });
  socket.on('data', (b) => p.parse(b));
  socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 30 }));
  await ready;
  for (const m of publishes) {
    socket.write(generate({ cmd: 'publish', topic: m.topic, payload: Buffer.from(m.payload), qos: 1, messageId: m.id, dup: m.dup === true, retain: false }));
  }
  const deadline = Date.now() + 5000;
  while (acks.length < publishes.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  socket.end(generate({ cmd: 'disconnect' }));
  return acks;
}

t.test('a QoS 1 redelivery after reconnect is acknowledged but stored once (MQTT-4.3.2)', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  t.same(await rawSession(gw.mqttPort, 'plc-r', [{ id: 7, topic: 'telemetry/r/s', payload: '1.5' }]), [7]);
  // The PUBACK "was lost": the device reconnects and sends the same packet again (DUP=1), and a new one, id 8.
  t.same(await rawSession(gw.mqttPort, 'plc-r', [
    { id: 7, topic: 'telemetry/r/s', payload: '1.5', dup: true },
    { id: 8, topic: 'telemetry/r/s', payload: '2.5' },
  ]), [7, 8]);
  // Same packet id but different content is a new message, even redelivered.
  t.same(await rawSession(gw.mqttPort, 'plc-r', [{ id: 7, topic: 'telemetry/r/s', payload: '9.5', dup: true }]), [7]);
  const rows = await allReadings(gw.httpPort);
  t.same(rows.map((r) => r.value), [1.5, 2.5, 9.5]);
  const { body: metrics } = await getJson(gw.httpPort, '/metrics');
  t.match(metrics, /smartmaint_readings_deduplicated_total 1/);
});

t.test('read API pages by cursor and filters', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const client = await connect(gw.mqttPort);
  const base = Date.now() - 100_000;
  for (let i = 0; i < 25; i++) await publish(client, 'telemetry/p', JSON.stringify({ ts: base + i * 1000, values: { a: i, b: -i } }));
  await endClient(client);
  const pages: number[][] = [];
  let path: string | null = '/api/v1/readings?asset=p&sensor=a&limit=10';
  while (path) {
    const { status, body } = await getJson(gw.httpPort, path);
    t.equal(status, 200);
    pages.push(body.readings.map((r: any) => r.value));
    path = body.next;
    if (path) t.match(path, /^\/api\/v1\/readings\?.*after=\d+/);
  }
  t.same(pages, [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19], [20, 21, 22, 23, 24]]);
  const ranged = await allReadings(gw.httpPort, `&asset=p&sensor=b&from=${base + 5000}&to=${new Date(base + 8000).toISOString()}`);
  t.same(ranged.map((r) => r.value), [-5, -6, -7]);
  const bad = await getJson(gw.httpPort, '/api/v1/readings?limit=0&from=yesterday&bogus=1');
  t.equal(bad.status, 400);
  t.equal(bad.body.error.code, 'SMARTMAINT_INVALID_REQUEST');
  t.match(bad.body.error.issues.map((i: any) => i.path).join('\n'), /limit/);
  t.match(bad.body.error.issues.map((i: any) => i.path).join('\n'), /from/);
  const missing = await getJson(gw.httpPort, '/api/v1/nope');
  t.equal(missing.status, 404);
  t.equal(missing.body.error.code, 'SMARTMAINT_NOT_FOUND');
});

t.test('health endpoints answer JSON and turn 503 when a part fails', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  for (const path of ['/health', '/health/db', '/health/broker', '/health/detailed']) {
    const { status, body } = await getJson(gw.httpPort, path);
    t.equal(status, 200, path);
    t.equal(body.status, 'ok', path);
  }
  const { body: detailed } = await getJson(gw.httpPort, '/health/detailed');
  t.match(detailed, { gatewayId: 'test-gw', versions: { node: process.versions.node }, components: { db: { healthy: true }, broker: { healthy: true } } });
  t.match(detailed.versions.aedes, /^1\./);
  await gw.outbox.close();
  const db = await getJson(gw.httpPort, '/health/db');
  t.equal(db.status, 503);
  t.equal(db.body.status, 'unhealthy');
  t.equal((await getJson(gw.httpPort, '/health/detailed')).status, 503);
  t.equal((await getJson(gw.httpPort, '/health')).status, 200, 'liveness is separate from readiness');
});

t.test('an announced oversize packet closes the connection before its body arrives', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { mqtt: { maxPacketSize: 4096 } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const socket = netConnect(gw.mqttPort, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'big', keepalive: 30 }));
  // PUBLISH announcing 256 MB, then a little of the body.
  socket.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 0x74]));
  socket.write(Buffer.alloc(1024));
  const closed = await new Promise<boolean>((resolve) => {
    socket.once('close', () => resolve(true));
    setTimeout(() => resolve(false), 5000);
  });
  t.ok(closed, 'connection closed');
  const { body: metrics } = await getJson(gw.httpPort, '/metrics');
  t.match(metrics, /smartmaint_mqtt_connections_refused_total\{reason="packet-too-large"\} 1/);
  // Packets under the limit still work.
  const client = await connect(gw.mqttPort);
  await publish(client, 'telemetry/ok/s', '1');
  await endClient(client);
});

t.test('components start in one listed order and a failed start leaves nothing running', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir);
  t.same(gw.components, ['outbox', 'pipeline', 'sync-store', 'scoring', 'scoring-stage', 'devices', 'origin-api', 'broker', 'http', 'sync',
    'retention', 'status-feed', 'budget'].filter((name) => gw.scoring !== undefined || !name.startsWith('scoring')));
  const port = gw.httpPort;
  await gw.stop();
  // The same HTTP port is taken now: the second gateway fails at 'http' and stops what it had started.
  const blocker = await startGateway(dir);
  t.teardown(async () => { await blocker.stop(); removeDir(dir); });
  const second = new Gateway({ config: { ...blocker.config, dataDir: join(dir, 'second'), http: { ...blocker.config.http, port: blocker.httpPort } }, log: blocker.log });
  await t.rejects(second.start(), /EADDRINUSE/);
  t.notOk(second.outbox.isOpen, 'the outbox opened before the failure is closed again');
  t.ok(port > 0);
});

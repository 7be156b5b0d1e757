/**
 * Per-device quotas (mqtt.quotas; gateway/broker/retain-quota.ts and the broker's subscribe/session checks)
 * against a real gateway with real mqtt.js clients: retained messages by count and bytes, dead-lettered
 * telemetry never retained, subscriptions by count and filter length, persistent sessions per device.
 */
import t from 'tap';
import type { MqttClient } from 'mqtt';
import { RetainQuota } from '../../../gateway/broker/retain-quota.js';
import { addDevice } from '../../helpers/devices.js';
import { connect, endClient, removeDir, startGateway, tempDir } from '../../helpers/gateway.js';

async function retainedOn(port: number, options: Parameters<typeof connect>[1], filter: string): Promise<Array<[string, number]>> {
  const c = await connect(port, options);
  const got: Array<[string, number]> = [];
  c.on('message', (topic, payload, packet) => { if (packet.retain) got.push([topic, payload.length]); });
  await c.subscribeAsync(filter, { qos: 1 });
  await new Promise((r) => setTimeout(r, 300));
  await endClient(c);
  return got.sort();
}

/** Granted QoS per filter (mqtt.js rejects a SUBACK holding 0x80; the list travels on the error). */
function granted(c: MqttClient, filters: string | string[], qos: 0 | 1): Promise<number[] | undefined> {
  return c.subscribeAsync(filters, { qos }).then((g) => g.map((x) => x.qos), (err: { packet?: { granted?: number[] } }) => err.packet?.granted);
}

async function code(port: number, options: Parameters<typeof connect>[1]): Promise<number> {
  try {
    await endClient(await connect(port, options));
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

t.test('RetainQuota: count and bytes per device, replacement and deletion', async (t) => {
  const q = new RetainQuota({ retainedMessages: 2, retainedBytes: 100 });
  t.ok(q.admit('a', 't/1', 40));
  t.ok(q.admit('a', 't/2', 40));
  t.notOk(q.admit('a', 't/3', 1), 'a third topic is over the count');
  t.ok(q.admit('a', 't/1', 60), 'replacing its own topic: same count, bytes 100');
  t.notOk(q.admit('a', 't/2', 41), 'bytes over 100');
  t.ok(q.admit('b', 't/3', 90), 'another device has its own quota');
  t.ok(q.admit('a', 't/1', 0), 'an empty payload deletes');
  t.same(q.usage('a'), { count: 1, bytes: 40 });
  t.ok(q.admit('b', 't/2', 5), 'taking over a topic moves the charge');
  t.same(q.usage('a'), { count: 0, bytes: 0 });
});

t.test('retained messages beyond a device\'s quota are delivered but not retained; dead-lettered telemetry is never retained', async (t) => {
  const dir = tempDir();
  const key = await addDevice(dir, 'dev-1', ['status/dev-1/#', 'telemetry/dev-1/#']);
  const gw = await startGateway(dir, { mqtt: { allowAnonymous: false, quotas: { retainedMessages: 3, retainedBytes: 2_000 } } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const opts = { username: 'dev-1', password: key };
  const pub: MqttClient = await connect(gw.mqttPort, opts);
  for (const topic of ['a', 'b', 'c', 'd']) await pub.publishAsync(`status/dev-1/${topic}`, 'x'.repeat(100), { qos: 1, retain: true });
  t.same(await retainedOn(gw.mqttPort, opts, 'status/dev-1/#'), [['status/dev-1/a', 100], ['status/dev-1/b', 100], ['status/dev-1/c', 100]], 'three kept');
  await pub.publishAsync('status/dev-1/a', '', { qos: 1, retain: true });
  await pub.publishAsync('status/dev-1/e', 'x'.repeat(1_900), { qos: 1, retain: true });
  t.same(await retainedOn(gw.mqttPort, opts, 'status/dev-1/#'), [['status/dev-1/b', 100], ['status/dev-1/c', 100]], '1,900 more bytes is over 2,000');
  await pub.publishAsync('status/dev-1/e', 'x'.repeat(1_700), { qos: 1, retain: true });
  t.same((await retainedOn(gw.mqttPort, opts, 'status/dev-1/#')).length, 3, 'deleting one made room');

  await pub.publishAsync('telemetry/dev-1/temp', 'not a number', { qos: 1, retain: true });
  t.same(await retainedOn(gw.mqttPort, opts, 'telemetry/dev-1/#'), [], 'dead-lettered telemetry is not retained');
  await endClient(pub);
  const m = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
  t.match(m, /smartmaint_mqtt_quota_refusals_total\{quota="retained"\} 2/);
});

t.test('subscriptions per session and filter length are bounded (SUBACK 0x80)', async (t) => {
  const dir = tempDir();
  const key = await addDevice(dir, 'dev-1', ['status/dev-1/#']);
  const gw = await startGateway(dir, { mqtt: { allowAnonymous: false, quotas: { subscriptions: 3, maxFilterLength: 64 } } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const c = await connect(gw.mqttPort, { username: 'dev-1', password: key });
  t.same(await granted(c, ['status/dev-1/a', 'status/dev-1/b', 'status/dev-1/c', 'status/dev-1/d'], 0), [0, 0, 0, 128], 'the fourth is refused');
  t.same(await granted(c, 'status/dev-1/a', 1), [1], 're-subscribing a held filter is a replacement');
  await c.unsubscribeAsync('status/dev-1/c');
  t.same(await granted(c, `status/dev-1/${'x'.repeat(60)}`, 0), [128], 'a filter over 64 characters');
  t.same(await granted(c, 'status/dev-1/e', 0), [0], 'unsubscribing made room');
  await endClient(c);
});

t.test('persistent sessions per device are bounded (CONNACK 2); resuming one is always fine', async (t) => {
  const dir = tempDir();
  const key = await addDevice(dir, 'dev-1', ['status/dev-1/#']);
  const gw = await startGateway(dir, { mqtt: { allowAnonymous: false, quotas: { persistentSessions: 2 } } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const opts = (clientId: string, clean = false) => ({ username: 'dev-1', password: key, clientId, clean });
  t.equal(await code(gw.mqttPort, opts('dev-1-a')), 0);
  t.equal(await code(gw.mqttPort, opts('dev-1-b')), 0);
  t.equal(await code(gw.mqttPort, opts('dev-1-c')), 2, 'a third stored session is refused');
  t.equal(await code(gw.mqttPort, opts('dev-1-a')), 0, 'resuming a held one is fine');
  t.equal(await code(gw.mqttPort, opts('dev-1-c', true)), 0, 'clean sessions are not counted');
  t.equal(await code(gw.mqttPort, opts('dev-1-b', true)), 0, 'a clean start gives a stored session back');
  t.equal(await code(gw.mqttPort, opts('dev-1-c')), 0);
});

t.test('messages queued for an offline persistent session are bounded (mqtt.quotas.queuedMessages)', async (t) => {
  const dir = tempDir();
  const key = await addDevice(dir, 'dev-1', ['status/dev-1/#']);
  const gw = await startGateway(dir, { mqtt: { allowAnonymous: false, quotas: { queuedMessages: 5 } } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const opts = { username: 'dev-1', password: key, clientId: 'dev-1-away', clean: false };
  const away = await connect(gw.mqttPort, opts);
  await away.subscribeAsync('status/dev-1/#', { qos: 1 });
  await endClient(away);
  const publishAll = async (n: number, from: number) => {
    for (let i = 0; i < n; i++) {
      await new Promise<void>((r) => gw.broker.aedes.publish({ cmd: 'publish', topic: 'status/dev-1/x', payload: Buffer.from(String(from + i)), qos: 1, retain: false, dup: false }, () => r()));
    }
  };
  const collect = async (): Promise<string[]> => {
    const back = await connect(gw.mqttPort, opts);
    const got: string[] = [];
    back.on('message', (_topic, payload) => got.push(payload.toString()));
    await new Promise((r) => setTimeout(r, 400));
    await endClient(back);
    return got;
  };
  await publishAll(20, 0);
  t.same(await collect(), ['0', '1', '2', '3', '4'], 'five kept while away, the rest dropped');
  await publishAll(3, 100);
  t.same(await collect(), ['100', '101', '102'], 'acknowledged messages free their slots');
  const m = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
  t.match(m, /smartmaint_mqtt_quota_refusals_total\{quota="queued"\} 15/);
});

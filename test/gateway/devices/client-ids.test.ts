/**
 * Client ids belong to devices (gateway/devices/device-registry.ts clientIdOwner, gateway/broker/broker.ts): a
 * device connects with its own id or `<prefix>-…`, anything else gets CONNACK 2; a stored session is never handed
 * to another device. Real mqtt.js clients against a real gateway.
 */
import t from 'tap';
import type { MqttClient } from 'mqtt';
import { request } from 'undici';
import { addDevice, devicesCli } from '../../helpers/devices.js';
import { connect, endClient, publish, removeDir, startGateway, tempDir } from '../../helpers/gateway.js';

const secure = { mqtt: { allowAnonymous: false }, devices: { pollIntervalMs: 50 } };

async function connectCode(port: number, options: Parameters<typeof connect>[1]): Promise<number> {
  try {
    await endClient(await connect(port, options));
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

function received(client: MqttClient, ms: number): Promise<string[]> {
  const topics: string[] = [];
  client.on('message', (topic) => topics.push(topic));
  return new Promise((resolve) => setTimeout(() => resolve(topics), ms));
}

t.test('a device may use only its own client id or its prefix; others get CONNACK 2 and take nothing over', async (t) => {
  const dir = tempDir();
  const pump7 = await addDevice(dir, 'plc-pump-7', ['pump-7']);
  const evil = await addDevice(dir, 'evil', ['*']);
  const plc = await addDevice(dir, 'plc', ['*']);
  const gw = await startGateway(dir, secure);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });

  const victim = await connect(gw.mqttPort, { username: 'plc-pump-7', password: pump7, clientId: 'plc-pump-7' });
  let victimClosed = false;
  victim.on('close', () => { victimClosed = true; });
  t.equal(await connectCode(gw.mqttPort, { username: 'evil', password: evil, clientId: 'plc-pump-7' }), 2, 'evil as plc-pump-7: identifier rejected');
  t.equal(await connectCode(gw.mqttPort, { username: 'plc', password: plc, clientId: 'plc-pump-7' }), 2,
    'device plc may not use plc-pump-7 either: the longer prefix owns it');
  t.equal(await connectCode(gw.mqttPort, { username: 'evil', password: evil, clientId: 'mqttjs_1234' }), 2, 'nor a random id');
  t.equal(await connectCode(gw.mqttPort, { username: 'plc', password: plc, clientId: 'plc-line-3' }), 0, 'plc-… ids no longer device owns are plc\'s');
  t.equal(await connectCode(gw.mqttPort, { username: 'plc-pump-7', password: pump7, clientId: 'plc-pump-7-b' }), 0, '<device>-… is the device\'s');
  t.equal(await connectCode(gw.mqttPort, { username: 'plc-pump-7', password: pump7, clientId: 'plc-pump-7x' }), 2, 'a bare prefix without - is not');
  await publish(victim, 'telemetry/pump-7/temp', '1');
  t.notOk(victimClosed, 'the real device kept its connection');
  await endClient(victim);
  const m = await (await request(`http://127.0.0.1:${gw.httpPort}/metrics`)).body.text();
  t.match(m, /smartmaint_mqtt_connections_refused_total\{reason="client-id-not-owned"\} 4/);
});

t.test('another device\'s persistent session is not handed over: no queued messages, CONNACK 2', async (t) => {
  const dir = tempDir();
  const pump7 = await addDevice(dir, 'pump-7', ['status/pump-7/#', 'status/pump-8/#', 'pump-*']);
  const pump8 = await addDevice(dir, 'pump-8', ['status/pump-8/#']);
  const gw = await startGateway(dir, secure);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });

  const owner = await connect(gw.mqttPort, { username: 'pump-8', password: pump8, clientId: 'pump-8', clean: false });
  await owner.subscribeAsync('status/pump-8/#', { qos: 1 });
  await endClient(owner);
  gw.broker.aedes.publish({ cmd: 'publish', topic: 'status/pump-8/valve', payload: Buffer.from('open'), qos: 1, retain: false, dup: false }, () => {});

  t.equal(await connectCode(gw.mqttPort, { username: 'pump-7', password: pump7, clientId: 'pump-8', clean: false }), 2,
    'pump-7 with pump-8\'s persistent client id: refused before the session is touched');
  const back = await connect(gw.mqttPort, { username: 'pump-8', password: pump8, clientId: 'pump-8', clean: false });
  t.same(await received(back, 300), ['status/pump-8/valve'], 'the queued message is still there for its device');
  await endClient(back);
});

t.test('a stored session stays with the device that made it, even when the client id changes hands', async (t) => {
  const dir = tempDir();
  const pump8 = await addDevice(dir, 'pump-8', ['status/pump-8/#']);
  const gw = await startGateway(dir, secure);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const first = await connect(gw.mqttPort, { username: 'pump-8', password: pump8, clientId: 'pump-8', clean: false });
  await first.subscribeAsync('status/pump-8/#', { qos: 1 });
  await endClient(first);

  t.equal((await devicesCli(['remove', 'pump-8', '--data-dir', dir])).code, 0);
  const heir = await addDevice(dir, 'heir', ['status/#'], ['pump-8']);
  await new Promise((r) => setTimeout(r, 300)); // the registry polls every 50 ms
  t.equal(await connectCode(gw.mqttPort, { username: 'heir', password: heir, clientId: 'pump-8', clean: false }), 2, 'resuming pump-8\'s session: refused');
  t.equal(await connectCode(gw.mqttPort, { username: 'heir', password: heir, clientId: 'pump-8', clean: true }), 0, 'a clean start (session discarded) is fine');
  t.equal(await connectCode(gw.mqttPort, { username: 'heir', password: heir, clientId: 'pump-8', clean: false }), 0, 'and from then on the session is heir\'s');
  t.equal(await connectCode(gw.mqttPort, { username: 'heir', password: heir, clientId: 'heir' }), 2, 'configured prefixes replace the default');
});

t.test('anonymous clients may not use a client id a device owns', async (t) => {
  const dir = tempDir();
  await addDevice(dir, 'plc-1', ['pump-*']);
  const gw = await startGateway(dir, { mqtt: { allowAnonymous: true } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  t.equal(await connectCode(gw.mqttPort, { clientId: 'plc-1' }), 2);
  t.equal(await connectCode(gw.mqttPort, { clientId: 'plc-1-x' }), 2);
  t.equal(await connectCode(gw.mqttPort, { clientId: 'lab-client' }), 0);
});

/**
 * Device identity and ACLs over real MQTT (mqtt.js) against a real gateway with anonymous access off.
 */
import t from 'tap';
import type { MqttClient } from 'mqtt';
import { request } from 'undici';
import { addDevice, devicesCli } from '../../helpers/devices.js';
import { connect, endClient, publish, removeDir, startGateway, tempDir } from '../../helpers/gateway.js';

const secure = { mqtt: { allowAnonymous: false }, devices: { pollIntervalMs: 50 } };

async function connectError(port: number, options: Parameters<typeof connect>[1]): Promise<number | undefined> {
  try {
    const c = await connect(port, options);
    await endClient(c);
    return undefined;
  } catch (err) {
    return (err as { code?: number }).code;
  }
}

function closed(client: MqttClient, ms = 5_000): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    client.once('close', () => { clearTimeout(timer); resolve(true); });
  });
}

async function metrics(port: number): Promise<string> {
  return (await request(`http://127.0.0.1:${port}/metrics`)).body.text();
}

async function readings(port: number): Promise<Array<{ asset: string; sensor: string; value: number; clientId?: string }>> {
  return ((await (await request(`http://127.0.0.1:${port}/api/v1/readings?limit=1000`)).body.json()) as { readings: any[] }).readings;
}

t.test('CONNECT: anonymous and wrong passwords are refused, device secrets and passwords accepted', async (t) => {
  const dir = tempDir();
  const secret = await addDevice(dir, 'plc-1', ['pump-*']);
  await addDevice(dir, 'hmi-1', ['alerts/+']);
  t.equal((await devicesCli(['passwd', 'hmi-1', '--data-dir', dir], 'operator-password\n')).code, 0);
  const gw = await startGateway(dir, secure);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });

  t.equal(await connectError(gw.mqttPort, {}), 5, 'anonymous: CONNACK 5 not authorized');
  t.equal(await connectError(gw.mqttPort, { username: 'plc-1', password: 'wrong' }), 4, 'wrong password: CONNACK 4');
  t.equal(await connectError(gw.mqttPort, { username: 'nobody', password: secret }), 4, 'unknown user: CONNACK 4');
  t.equal(await connectError(gw.mqttPort, { username: 'plc-1' }), 4, 'no password: CONNACK 4');
  const plc = await connect(gw.mqttPort, { username: 'plc-1', password: secret, clientId: 'plc-1-a' });
  const hmi = await connect(gw.mqttPort, { username: 'hmi-1', password: 'operator-password' });
  const hmi2 = await connect(gw.mqttPort, { username: 'hmi-1', password: 'operator-password' });
  await publish(plc, 'telemetry/pump-1/temp', '20.5');
  t.same((await readings(gw.httpPort)).map((r) => [r.asset, r.sensor, r.value, r.clientId]), [['pump-1', 'temp', 20.5, 'plc-1-a']]);
  const m = await metrics(gw.httpPort);
  t.match(m, /smartmaint_device_auth_failures_total\{transport="mqtt",reason="anonymous"\} 1/);
  t.match(m, /smartmaint_device_auth_failures_total\{transport="mqtt",reason="bad-credentials"\} 2/);
  t.match(m, /smartmaint_mqtt_connections_refused_total\{reason="bad-credentials"\} 3/);
  for (const c of [plc, hmi, hmi2]) await endClient(c);
});

t.test('ACL: a forbidden publish is not stored, closes the connection, is counted; subscriptions are checked', async (t) => {
  const dir = tempDir();
  const secret = await addDevice(dir, 'plc-2', ['pump-*', 'status/plc-2/#']);
  const gw = await startGateway(dir, secure);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const plc = await connect(gw.mqttPort, { username: 'plc-2', password: secret });
  // mqtt.js rejects a SUBACK holding any 0x80; the granted list travels on the error.
  const granted = await plc.subscribeAsync(['#', '$SYS/#', 'status/plc-2/+', 'alerts/pump-3', 'alerts/+'], { qos: 1 })
    .then((g) => g.map((x) => x.qos), (err: { packet?: { granted?: number[] } }) => err.packet?.granted);
  t.same(granted, [128, 128, 1, 1, 128], 'refused filters get 0x80 in the SUBACK');
  await publish(plc, 'status/plc-2/online', '1');
  await publish(plc, 'telemetry/pump-3/rpm', '1500');
  const gone = closed(plc);
  plc.publish('telemetry/mill-1/rpm', '99', { qos: 1 });
  t.ok(await gone, 'the connection is closed instead of a PUBACK');
  const rows = await readings(gw.httpPort);
  t.same(rows.map((r) => `${r.asset}/${r.sensor}=${r.value}`), ['pump-3/rpm=1500'], 'the forbidden reading was not stored');
  const m = await metrics(gw.httpPort);
  t.match(m, /smartmaint_acl_denied_total\{transport="mqtt",action="publish"\} 1/);
  t.match(m, /smartmaint_acl_denied_total\{transport="mqtt",action="subscribe"\} 3/);
  plc.end(true);
});

t.test('removing a device closes its live connection and refuses its HTTP key', async (t) => {
  const dir = tempDir();
  const secret = await addDevice(dir, 'plc-3', ['pump-*']);
  const other = await addDevice(dir, 'plc-4', ['pump-*']);
  const gw = await startGateway(dir, secure);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const victim = await connect(gw.mqttPort, { username: 'plc-3', password: secret });
  t.teardown(() => { victim.end(true); });
  const bystander = await connect(gw.mqttPort, { username: 'plc-4', password: other });
  const post = () => request(`http://127.0.0.1:${gw.httpPort}/api/v1/data/ingest`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': secret }, body: JSON.stringify({ sensor_id: 'pump-9', value: 1 }),
  });
  t.equal((await post()).statusCode, 200, 'the key works before removal');
  const gone = closed(victim);
  t.equal((await devicesCli(['remove', 'plc-3', '--data-dir', dir])).code, 0);
  t.ok(await gone, 'connection closed after removal');
  t.equal((await post()).statusCode, 401, 'the HTTP key is refused');
  t.equal(await connectError(gw.mqttPort, { username: 'plc-3', password: secret }), 4, 'and it cannot reconnect');
  t.ok(bystander.connected, 'other devices stay connected');
  await publish(bystander, 'telemetry/pump-4/s', '1');
  t.match(await metrics(gw.httpPort), /smartmaint_mqtt_connections_refused_total\{reason="device-revoked"\} 1/);
  await endClient(bystander);
});

t.test('anonymous access when switched on is unrestricted', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { mqtt: { allowAnonymous: true } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const c = await connect(gw.mqttPort);
  const granted = await c.subscribeAsync('#', { qos: 0 });
  t.same(granted.map((g) => g.qos), [0]);
  await publish(c, 'telemetry/any/s', '1');
  await endClient(c);
});

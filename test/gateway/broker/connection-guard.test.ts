/**
 * Hostile CONNECT / PUBLISH / SUBSCRIBE input against a real gateway: what Aedes 1.2 lets through on its
 * own is refused by gateway/broker/connection-guard.ts. Unit tests of the throttle use an injected clock.
 */
import t from 'tap';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { isValidMqttString } from '../../../gateway/broker/connection-guard.js';
import { FailureCounter, SignInThrottle } from '../../../gateway/auth/sign-in-throttle.js';
import { addDevice } from '../../helpers/devices.js';
import pino from 'pino';
import { Gateway } from '../../../gateway/gateway.js';
import { connect, endClient, gatewayConfig, removeDir, startGateway, tempDir } from '../../helpers/gateway.js';
import { connectPacket, rawConnect } from '../../helpers/raw-mqtt.js';

t.test('isValidMqttString: U+0000, replacement characters and lone surrogates are refused', async (t) => {
  t.ok(isValidMqttString('telemetry/pump-1/temp'));
  t.ok(isValidMqttString('température/😀'));
  t.notOk(isValidMqttString('a\u0000b'));
  t.notOk(isValidMqttString('a\ufffdb'));
  t.notOk(isValidMqttString('a\ud800b'));
  t.notOk(isValidMqttString('a\udc00'));
});

t.test('FailureCounter: free failures, then exponentially growing bans, forgotten after the window', async (t) => {
  let now = 0;
  const th = new FailureCounter({ banMs: 100, maxBanMs: 350, windowMs: 10_000 }, () => now, 3);
  th.recordFailure('k', 2);
  th.recordFailure('k', 2);
  t.equal(th.bannedFor('k'), 0, 'two free failures');
  th.recordFailure('k', 2);
  t.equal(th.bannedFor('k'), 100);
  th.recordFailure('k', 2);
  t.equal(th.bannedFor('k'), 200, 'doubles');
  th.recordFailure('k', 2);
  th.recordFailure('k', 2);
  t.equal(th.bannedFor('k'), 350, 'capped');
  now += 20_000;
  t.equal(th.bannedFor('k'), 0, 'forgotten after the window');
  for (const k of ['a', 'b', 'c', 'd']) th.recordFailure(k, 2);
  t.equal(th.trackedKeys, 3, 'bounded');
});

t.test('SignInThrottle: by address, by user only where that address failed, refused attempts count', async (t) => {
  const now = 0;
  const th = new SignInThrottle({ addressFreeFailures: 3, userFreeFailures: 5, banMs: 100, maxBanMs: 10_000, windowMs: 60_000 }, () => now);
  for (let i = 0; i < 3; i++) th.failed('10.0.0.9', 'plc-1');
  t.equal(th.refusedFor('10.0.0.9', 'plc-1'), 0, 'free failures');
  th.failed('10.0.0.9', 'plc-1');
  t.equal(th.refusedFor('10.0.0.9', 'anyone'), 100, 'the address is banned, whatever the user');
  t.equal(th.refusedFor('10.0.0.1', 'plc-1'), 0, 'another address is not');
  th.refused('10.0.0.9', 'plc-1');
  t.equal(th.refusedFor('10.0.0.9'), 200, 'an attempt refused during the ban counts and lengthens it');
  // plc-1 has 5 failures now; one more from another address puts the user over its bound.
  th.failed('10.0.0.7', 'plc-1');
  t.ok(th.refusedFor('10.0.0.7', 'plc-1') > 0, 'the user is refused from an address that failed for it');
  t.equal(th.refusedFor('10.0.0.1', 'plc-1'), 0, 'but not from an address that never failed (the real device)');
  t.equal(th.refusedFor('10.0.0.7', 'plc-2'), 0, 'nor for another user');
});

t.test('CONNECT: empty client id with clean=false → CONNACK 2; U+0000 and non-UTF-8 ids → CONNACK 2', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });

  const empty = await rawConnect(gw.mqttPort);
  // mqtt-packet will not generate this (it is a protocol violation): generate clean=true and clear the flag.
  const emptyBytes = mqttPacket.generate(connectPacket({ clientId: '', clean: true }) as unknown as Packet);
  t.equal(emptyBytes.subarray(2, 8).toString('latin1'), '\u0000\u0004MQTT');
  emptyBytes[9] = emptyBytes[9]! & ~0x02; // connect flags: CleanSession = 0 (MQTT-3.1.2.4)
  empty.socket.write(emptyBytes);
  t.match(await empty.next('connack'), { returnCode: 2 }, 'MQTT-3.1.3-8');
  await empty.closed;

  const emptyClean = await rawConnect(gw.mqttPort);
  emptyClean.send(connectPacket({ clientId: '', clean: true }));
  t.match(await emptyClean.next('connack'), { returnCode: 0 }, 'clean=true may omit the id (MQTT-3.1.3-6)');
  emptyClean.socket.destroy();

  const nul = await rawConnect(gw.mqttPort);
  nul.send(connectPacket({ clientId: 'dev\u0000ice' }));
  t.match(await nul.next('connack'), { returnCode: 2 }, 'U+0000 (MQTT-1.5.3-2)');
  await nul.closed;

  const bad = await rawConnect(gw.mqttPort);
  const bytes = mqttPacket.generate(connectPacket({ clientId: 'zzQQzz' }) as unknown as Packet);
  const at = bytes.indexOf('QQ');
  bytes[at] = 0xc3; bytes[at + 1] = 0x28; // an invalid 2-byte sequence
  bad.socket.write(bytes);
  t.match(await bad.next('connack'), { returnCode: 2 }, 'not UTF-8 (MQTT-1.5.3-1)');
  await bad.closed;

  const m = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
  t.match(m, /smartmaint_mqtt_connections_refused_total\{reason="empty-client-id"\} 1/);
  t.match(m, /smartmaint_mqtt_connections_refused_total\{reason="invalid-client-id"\} 2/);
});

t.test('PUBLISH / SUBSCRIBE with U+0000 in the topic close the connection; nothing is stored', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });

  const pub = await rawConnect(gw.mqttPort);
  pub.send(connectPacket({ clientId: 'p1' }));
  t.match(await pub.next('connack'), { returnCode: 0 });
  pub.send({ cmd: 'publish', topic: 'telemetry/pump\u0000-1/temp', payload: Buffer.from('1'), qos: 1, messageId: 1, retain: false, dup: false });
  await pub.closed;
  t.notOk(pub.packets.some((p) => p.cmd === 'puback'), 'no PUBACK');

  const sub = await rawConnect(gw.mqttPort);
  sub.send(connectPacket({ clientId: 's1' }));
  t.match(await sub.next('connack'), { returnCode: 0 });
  sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'alerts/\u0000', qos: 0 }] });
  await sub.closed;
  t.notOk(sub.packets.some((p) => p.cmd === 'suback'), 'no SUBACK');

  await gw.pipeline.flush();
  t.equal(gw.outbox.stats().readings, 0);
});

async function rawAttempt(port: number, from: string, fields: Record<string, unknown>): Promise<number | undefined> {
  const c = await rawConnect(port, from);
  c.send(connectPacket({ clean: true, ...fields }));
  const ack = await c.next('connack') as { returnCode?: number } | undefined;
  c.socket.destroy();
  return ack?.returnCode;
}

t.test('failures from one address, even with the victim\'s client id and user, never lock the real device out', async (t) => {
  const dir = tempDir();
  const secret = await addDevice(dir, 'plc-1', ['pump-*']);
  const gw = await startGateway(dir, { mqtt: { allowAnonymous: false, authThrottle: { banMs: 60_000 } } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const victim = { clientId: 'plc-1', username: 'plc-1' };
  const codes: Array<number | undefined> = [];
  for (let i = 0; i < 40; i++) codes.push(await rawAttempt(gw.mqttPort, '127.0.0.2', { ...victim, password: Buffer.from('wrong') }));
  t.same(codes.slice(0, 20), Array(20).fill(4), '20 free failures per address');
  t.same(codes.slice(21), Array(19).fill(5), 'then the attacker\'s address is refused unchecked');
  t.equal(await rawAttempt(gw.mqttPort, '127.0.0.2', { ...victim, password: Buffer.from(secret) }), 5, 'even with the right secret from that address');
  t.equal(await rawAttempt(gw.mqttPort, '127.0.0.1', { ...victim, password: Buffer.from(secret) }), 0, 'the real device, from its own address, is let in');
  const m = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
  t.match(m, /smartmaint_mqtt_connections_refused_total\{reason="auth-throttled"\} 20/, 'every refused attempt counted');
});

t.test('a user guessed at from many addresses is refused from those addresses only (userFreeFailures)', async (t) => {
  const dir = tempDir();
  const secret = await addDevice(dir, 'plc-1', ['pump-*']);
  const gw = await startGateway(dir, { mqtt: { allowAnonymous: false, authThrottle: { banMs: 60_000, userFreeFailures: 4 } } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const guess = { clientId: 'g', username: 'plc-1', password: Buffer.from('wrong') };
  for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6']) t.equal(await rawAttempt(gw.mqttPort, from, guess), 4);
  t.equal(await rawAttempt(gw.mqttPort, '127.0.0.3', { ...guess, password: Buffer.from(secret) }), 5,
    'over the user bound, an address that failed for it is refused without a check');
  t.equal(await rawAttempt(gw.mqttPort, '127.0.0.1', { clientId: 'plc-1', username: 'plc-1', password: Buffer.from(secret) }), 0,
    'an address that never failed is still checked and let in');
});

t.test('a banned client hammering CONNECT is counted every time but logged once a minute', async (t) => {
  const dir = tempDir();
  await addDevice(dir, 'plc-1', ['pump-*']);
  const lines: Array<{ msg: string; reason?: string; suppressed?: number }> = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
  const gw = new Gateway({ config: gatewayConfig(dir, { mqtt: { allowAnonymous: false, authThrottle: { banMs: 60_000, addressFreeFailures: 5 } } }), log });
  await gw.start();
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const attempt = async (): Promise<number> => {
    try {
      await endClient(await connect(gw.mqttPort, { username: 'plc-1', password: 'wrong', clientId: 'hammer' }));
      return 0;
    } catch (err) {
      return (err as { code: number }).code;
    }
  };
  for (let i = 0; i < 6; i++) await attempt(); // free failures, then the ban starts
  for (let i = 0; i < 10; i++) t.equal(await attempt(), 5, `banned attempt ${i + 1} refused`);
  const m = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
  t.match(m, /smartmaint_mqtt_connections_refused_total\{reason="auth-throttled"\} 10/, 'every refusal counted');
  const refused = lines.filter((l) => l.msg === 'mqtt connect refused' && l.reason === 'auth-throttled');
  t.equal(refused.length, 1, 'one log line for ten refusals within the minute');
});

t.test('inbound QoS 2 in flight is bounded (mqtt.maxInflightInbound): the connection is closed beyond it', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { mqtt: { maxInflightInbound: 10 } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const c = await rawConnect(gw.mqttPort);
  c.send(connectPacket({ clientId: 'q2' }));
  t.match(await c.next('connack'), { returnCode: 0 });
  // PUBREC each, never PUBREL: the 11th distinct message id is over the limit.
  for (let id = 1; id <= 11; id++) c.send({ cmd: 'publish', topic: 'telemetry/pump-1/temp', payload: Buffer.from(String(id)), qos: 2, messageId: id, retain: false, dup: false });
  await Promise.race([c.closed, new Promise((r) => setTimeout(r, 5_000))]);
  t.ok(c.socket.destroyed, 'connection closed');
  t.ok(c.packets.filter((p) => p.cmd === 'pubrec').length <= 10, 'at most 10 PUBRECs');
});

/**
 * MQTT over TLS (with and without client certificates, CN → device) and over WebSocket, against a real gateway
 * with anonymous access off.
 */
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import t from 'tap';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { addDevice } from '../../helpers/devices.js';
import { removeDir, startGateway, tempDir } from '../../helpers/gateway.js';
import { makePki } from '../../helpers/tls-certs.js';
import { silentSockets } from '../../helpers/raw-mqtt.js';

/** Client ids belong to devices: a device's clients here use `<device>-…` (the cert tests' CN is plc-1). */
function open(url: string, options: IClientOptions): Promise<MqttClient> {
  const clientId = `${options.username ?? 'plc-1'}-${Math.random().toString(16).slice(2, 8)}`;
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, clientId, ...options });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (err) => { client.end(true); reject(err); });
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

async function outcome(url: string, options: IClientOptions): Promise<string> {
  try {
    const c = await open(url, options);
    await c.endAsync();
    return 'connected';
  } catch (err) {
    const e = err as { code?: number | string; message: string };
    return typeof e.code === 'number' ? `connack ${e.code}` : 'tls-refused';
  }
}

t.test('mqtts: TLS ≥ 1.2, password auth over TLS, client certificates map CN → device', async (t) => {
  const dir = tempDir();
  const pki = makePki(dir);
  const secret = await addDevice(dir, 'plc-1', ['pump-*']);
  const gw = await startGateway(dir, {
    mqtt: { allowAnonymous: false, tls: { port: 0, certFile: pki.certFile, keyFile: pki.keyFile, caFile: pki.caFile, requireClientCert: false, handshakeTimeoutMs: 5_000 } },
  });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const url = `mqtts://127.0.0.1:${gw.broker.tlsPort}`;
  const ca = readFileSync(pki.caFile);
  t.ok(gw.broker.tlsPort > 0);

  t.equal(await outcome(url, { ca }), 'connack 5', 'no certificate, no password: not authorized');
  t.equal(await outcome(url, { ca, username: 'plc-1', password: secret }), 'connected', 'password over TLS without a client certificate');

  const good = pki.client('plc-1');
  const c = await open(url, { ca, cert: readFileSync(good.certFile), key: readFileSync(good.keyFile) });
  await c.publishAsync('telemetry/pump-1/temp', '21.5', { qos: 1 });
  t.equal(gw.outbox.stats().readings, 1, 'a certificate-authenticated device publishes within its ACL');
  await c.endAsync();

  const unknown = pki.client('nobody');
  t.equal(await outcome(url, { ca, cert: readFileSync(unknown.certFile), key: readFileSync(unknown.keyFile) }), 'connack 5',
    'a valid certificate whose CN is no registered device is anonymous: refused');
  const rogue = pki.client('plc-1', { untrusted: true });
  t.equal(await outcome(url, { ca, cert: readFileSync(rogue.certFile), key: readFileSync(rogue.keyFile) }), 'connack 5',
    'a certificate from another CA does not authenticate');

  const tls11 = await new Promise<string>((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port: gw.broker.tlsPort, ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    s.once('secureConnect', () => { s.destroy(); resolve('connected'); });
    s.once('error', () => resolve('refused'));
  });
  t.equal(tls11, 'refused', 'TLS 1.1 is refused');
});

t.test('mqtts with requireClientCert: no certificate, no TLS session', async (t) => {
  const dir = tempDir();
  const pki = makePki(dir);
  const secret = await addDevice(dir, 'plc-1', ['pump-*']);
  const gw = await startGateway(dir, {
    mqtt: { allowAnonymous: false, tls: { port: 0, certFile: pki.certFile, keyFile: pki.keyFile, caFile: pki.caFile, requireClientCert: true, handshakeTimeoutMs: 5_000 } },
  });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const url = `mqtts://127.0.0.1:${gw.broker.tlsPort}`;
  const ca = readFileSync(pki.caFile);
  t.equal(await outcome(url, { ca, username: 'plc-1', password: secret }), 'tls-refused', 'a password is not enough');
  const good = pki.client('plc-1');
  t.equal(await outcome(url, { ca, cert: readFileSync(good.certFile), key: readFileSync(good.keyFile) }), 'connected');
});

t.test('MQTT over WebSocket: same authentication, path enforced', async (t) => {
  const dir = tempDir();
  const secret = await addDevice(dir, 'hmi-1', ['pump-*']);
  const gw = await startGateway(dir, { mqtt: { allowAnonymous: false, ws: { port: 0, path: '/mqtt' } } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const url = `ws://127.0.0.1:${gw.broker.wsPort}/mqtt`;
  t.equal(await outcome(url, {}), 'connack 5', 'anonymous refused over ws too');
  const c = await open(url, { username: 'hmi-1', password: secret });
  await c.publishAsync('telemetry/pump-2/temp', '19', { qos: 1 });
  t.equal(gw.outbox.stats().readings, 1);
  await c.endAsync();
  t.not(await outcome(`ws://127.0.0.1:${gw.broker.wsPort}/other`, { username: 'hmi-1', password: secret }), 'connected', 'other paths refused');
});

t.test('silent TCP sockets on the mqtts and WebSocket ports are closed by their timeouts', async (t) => {
  const dir = tempDir();
  const pki = makePki(dir);
  const gw = await startGateway(dir, {
    mqtt: { allowAnonymous: false, connectTimeoutMs: 1_000, ws: { port: 0, path: '/mqtt' },
      tls: { port: 0, certFile: pki.certFile, keyFile: pki.keyFile, requireClientCert: false, handshakeTimeoutMs: 500 } },
  });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const ws = await silentSockets(gw.broker.wsPort, 10, 8_000);
  const tls = await silentSockets(gw.broker.tlsPort, 10, 8_000);
  t.ok(tls.every((ms) => ms !== null && ms < 3_000), `mqtts: closed after the 500 ms handshake timeout (${tls.join(', ')} ms)`);
  t.ok(ws.every((ms) => ms !== null && ms < 4_000), `ws: closed after the 1 s headers timeout (${ws.join(', ')} ms)`);
  const m = await (await fetch(`http://127.0.0.1:${gw.httpPort}/health`)).status;
  t.equal(m, 200);
});

/** Whether a TLS 1.2 handshake offering only these suites succeeds. */
function tls12With(port: number, ciphers: string, ca: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, maxVersion: 'TLSv1.2', ciphers });
    s.once('secureConnect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

t.test('mqtts offers ECDHE with AEAD only: CBC and static-RSA suites are refused', async (t) => {
  const dir = tempDir();
  const pki = makePki(dir);
  const gw = await startGateway(dir, { mqtt: { tls: { port: 0, certFile: pki.certFile, keyFile: pki.keyFile, requireClientCert: false, handshakeTimeoutMs: 5_000 } } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const ca = readFileSync(pki.caFile);
  t.ok(await tls12With(gw.broker.tlsPort, 'ECDHE-ECDSA-AES128-GCM-SHA256', ca), 'ECDHE + GCM');
  t.notOk(await tls12With(gw.broker.tlsPort, 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384', ca), 'ECDHE + CBC refused');
  t.notOk(await tls12With(gw.broker.tlsPort, 'AES128-GCM-SHA256:AES256-SHA', ca), 'static RSA key exchange refused');
});

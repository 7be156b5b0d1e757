/**
 * Memory before login (gateway/broker/packet-size-guard.ts, connect-budget.ts, address-limit.ts) against a real
 * gateway: a CONNECT over mqtt.maxConnectSize is closed from its header; CONNECTs being received share
 * mqtt.maxConnectBytesTotal; one address holds at most mqtt.maxConnectionsPerAddress connections.
 */
import { connect as netConnect, type Socket } from 'node:net';
import t from 'tap';
import { connectPacket, rawConnect } from '../../helpers/raw-mqtt.js';
import { removeDir, startGateway, tempDir } from '../../helpers/gateway.js';

function openSocket(port: number, localAddress = '127.0.0.1'): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ port, host: '127.0.0.1', localAddress });
    socket.on('error', () => {});
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

const isClosed = (closed: Promise<void>, ms = 2_000) => Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

async function metrics(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

t.test('a CONNECT larger than mqtt.maxConnectSize is closed from its header, before its body', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { mqtt: { maxConnectSize: 1_024 } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const big = await rawConnect(gw.mqttPort);
  big.send(connectPacket({ clientId: 'big', username: 'u', password: Buffer.alloc(2_000) }));
  t.equal(await big.next('connack', 3_000), undefined, 'no CONNACK');
  t.ok(big.socket.destroyed || await isClosed(big.closed), 'closed');
  const small = await rawConnect(gw.mqttPort);
  small.send(connectPacket({ clientId: 'small' }));
  t.match(await small.next('connack'), { returnCode: 0 }, 'a normal CONNECT is fine');
  small.socket.destroy();
  t.match(await metrics(gw.httpPort), /smartmaint_mqtt_connections_refused_total\{reason="connect-too-large"\} 1/);
});

t.test('CONNECTs being received share mqtt.maxConnectBytesTotal; the budget comes back when they close', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { mqtt: { maxConnectSize: 4_096, maxConnectBytesTotal: 10_000 } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  // CONNECT fixed header announcing 4,000 bytes (0x10, remaining length 3997 = 0x9d 0x1f), then a little body.
  const trickle = async () => {
    const s = await openSocket(gw.mqttPort);
    s.socket.write(Buffer.concat([Buffer.from([0x10, 0x9d, 0x1f]), Buffer.alloc(100)]));
    return s;
  };
  const a = await trickle();
  const b = await trickle();
  const c = await trickle();
  t.ok(await isClosed(c.closed), 'the third would exceed 10,000 bytes: closed');
  t.notOk(await isClosed(a.closed, 300), 'the first two wait (for the connect timeout)');
  a.socket.destroy();
  b.socket.destroy();
  await Promise.all([a.closed, b.closed]);
  await new Promise((r) => setTimeout(r, 100));
  const d = await trickle();
  t.notOk(await isClosed(d.closed, 300), 'their reservations came back');
  d.socket.destroy();
  t.match(await metrics(gw.httpPort), /smartmaint_mqtt_connections_refused_total\{reason="connect-budget"\} 1/);
});

t.test('one address holds at most mqtt.maxConnectionsPerAddress connections; other addresses are unaffected', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { mqtt: { maxConnectionsPerAddress: 5 } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const held = await Promise.all(Array.from({ length: 5 }, () => openSocket(gw.mqttPort)));
  const sixth = await openSocket(gw.mqttPort);
  t.ok(await isClosed(sixth.closed), 'the sixth from 127.0.0.1 is closed at once');
  const other = await rawConnect(gw.mqttPort, '127.0.0.2');
  other.send(connectPacket({ clientId: 'other-host' }));
  t.match(await other.next('connack'), { returnCode: 0 }, 'another address connects');
  other.socket.destroy();
  held[0]!.socket.destroy();
  await held[0]!.closed;
  await new Promise((r) => setTimeout(r, 100));
  const again = await rawConnect(gw.mqttPort);
  again.send(connectPacket({ clientId: 'again' }));
  t.match(await again.next('connack'), { returnCode: 0 }, 'a slot freed by a close is usable again');
  again.socket.destroy();
  for (const h of held) h.socket.destroy();
  t.match(await metrics(gw.httpPort), /smartmaint_mqtt_connections_refused_total\{reason="per-address-limit"\} 1/);
});

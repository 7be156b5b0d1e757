/**
 * RedeliveringStore against a scripted broker (raw packets): the first connection swallows a QoS 1 PUBLISH
 * without a PUBACK and drops; what the client re-sends on the next connection is inspected.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import mqtt, { type IClientOptions } from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import t, { type Test } from 'tap';
import { RedeliveringStore } from '../../../../gateway/tools/simulate/redelivering-store.js';

interface Seen { connection: number; messageId: number | undefined; dup: boolean; payload: string }

async function scriptedBroker(t: Test): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    const connection = ++connections;
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p: Packet) => {
      if (p.cmd === 'connect') socket.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
      if (p.cmd === 'publish') {
        seen.push({ connection, messageId: p.messageId, dup: p.dup, payload: p.payload.toString() });
        // The first connection "loses" the PUBACK: the link drops after the broker received the message.
        if (connection === 1) socket.destroy();
        else socket.write(mqttPacket.generate({ cmd: 'puback', messageId: p.messageId! }));
      }
    });
    socket.on('data', (d) => parser.parse(d));
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close(); });
  return { port: (server.address() as AddressInfo).port, seen };
}

const options: IClientOptions = { reconnectPeriod: 20, connectTimeout: 2_000, clean: false, clientId: 'store-test' };

t.test('mqtt.js alone re-sends an unacknowledged PUBLISH with DUP=0; with the store, DUP=1', async (t) => {
  for (const withStore of [false, true]) {
    const { port, seen } = await scriptedBroker(t);
    const store = new RedeliveringStore();
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, withStore ? { ...options, outgoingStore: store } : options);
    if (withStore) store.track(client);
    client.on('error', () => {});
    await new Promise((resolve) => client.once('connect', resolve));
    await client.publishAsync('telemetry/a/b', '1', { qos: 1 });
    await client.endAsync(true);
    t.equal(seen.length, 2, 'sent, then re-sent after the reconnect');
    t.same(seen.map((s) => [s.connection, s.messageId]), [[1, seen[0]!.messageId], [2, seen[0]!.messageId]], 'same packet id');
    t.equal(seen[0]!.dup, false, 'first delivery DUP=0');
    t.equal(seen[1]!.dup, withStore, withStore ? 'redelivery DUP=1 with the store' : 'redelivery DUP=0 without it (mqtt.js)');
  }
});

t.test('a message queued while offline is a first delivery: DUP=0', async (t) => {
  const { port, seen } = await scriptedBroker(t);
  const store = new RedeliveringStore();
  const client = store.track(mqtt.connect(`mqtt://127.0.0.1:${port}`, { ...options, outgoingStore: store, manualConnect: true }));
  client.on('error', () => {});
  const sent = client.publishAsync('telemetry/a/b', 'offline', { qos: 1 });
  client.connect();
  await sent;
  await client.endAsync(true);
  t.same(seen.map((s) => [s.connection, s.dup]), [[1, false], [2, true]], 'queued offline: DUP=0 first, DUP=1 on re-send');
});

import t from 'tap';
import { generate } from 'mqtt-packet';
import { PacketSizeTracker } from '../../../gateway/broker/packet-size-guard.js';

const publish = (size: number) => generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(size), qos: 0, dup: false, retain: false });

t.test('passes packets under the limit, split anywhere', async (t) => {
  const stream = Buffer.concat([publish(10), publish(200), publish(1000), generate({ cmd: 'pingreq' })]);
  for (const chunkSize of [1, 2, 3, 7, 64, stream.length]) {
    const tracker = new PacketSizeTracker(2000);
    let result: string | undefined;
    for (let i = 0; i < stream.length && result === undefined; i += chunkSize) result = tracker.push(stream.subarray(i, i + chunkSize));
    t.equal(result, undefined, `chunks of ${chunkSize}`);
  }
});

t.test('flags an oversize packet from its header alone', async (t) => {
  const tracker = new PacketSizeTracker(1024);
  t.equal(tracker.push(publish(100)), undefined);
  // Fixed header announcing 256 MB (remaining length 0xFFFFFF7F), no body sent.
  const header = Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]);
  t.match(tracker.push(header), /exceeds 1024/);
});

t.test('flags a remaining length longer than four bytes', async (t) => {
  const tracker = new PacketSizeTracker(1 << 30);
  t.match(tracker.push(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01])), /malformed/);
});

t.test('the first packet (CONNECT) has its own limit and a reservation from a shared budget until it has arrived', async (t) => {
  const reserved: number[] = [];
  const released: number[] = [];
  let budget = 1_000;
  const rules = {
    maxSize: 600,
    reserve: (n: number) => (n > budget ? 'over budget' : (budget -= n, reserved.push(n), undefined)),
    release: (n: number) => { budget += n; released.push(n); },
  };
  const connect = generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'c', keepalive: 0, username: 'u', password: Buffer.alloc(400) } as never);
  const tracker = new PacketSizeTracker(10_000, rules);
  t.equal(tracker.push(connect.subarray(0, 10)), undefined);
  t.same(reserved, [connect.length], 'reserved from its header');
  t.equal(tracker.push(connect.subarray(10)), undefined);
  t.same(released, [connect.length], 'released once it has arrived');
  t.equal(tracker.push(publish(5_000)), undefined, 'later packets: the general limit');

  const big = new PacketSizeTracker(10_000, rules);
  t.match(big.push(Buffer.from([0x10, 0xe8, 0x07])), /CONNECT of 1003 bytes exceeds 600/);
  t.equal(big.violation, 'connect-too-large');

  budget = 100;
  const starved = new PacketSizeTracker(10_000, rules);
  t.equal(starved.push(connect.subarray(0, 5)), 'over budget');
  t.equal(starved.violation, 'connect-budget');
});

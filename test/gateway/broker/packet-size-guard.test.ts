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

/**
 * Hostile-input suite: 100,000 mutated MQTT packets against the gateway's broker, run from dist/ as a
 * child process so a crash, an unhandled rejection or runaway memory is seen for what it is.
 *
 * Packets are generated with mqtt-packet (every control packet type, valid fields drawn at random), then mutated:
 * bit flips, random bytes, truncation, duplicated spans, forged Remaining Length bytes, wrong packet types. Each
 * connection sends a valid CONNECT (sometimes mutated too) then a run of mutated packets, so the parser sees the
 * mutations in a connected session (where PUBLISH/SUBSCRIBE handling, ACLs and ingest run), not only pre-CONNECT.
 * Randomness is seeded (SMARTMAINT_FUZZ_SEED) and printed, so a failure can be replayed.
 * SMARTMAINT_FUZZ_PACKETS scales the count (default 100,000).
 */
import { connect as netConnect } from 'node:net';
import t from 'tap';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { request } from 'undici';
import { crashPattern, envCount, rssBytes } from '../helpers/child-stats.js';
import { removeDir, spawnGateway, tempDir } from '../helpers/gateway.js';
import { createRng } from '../../models/train/rng.js';

const TOTAL = envCount('SMARTMAINT_FUZZ_PACKETS', 100_000);
const PER_CONNECTION = 50;
const CONCURRENCY = 32;
const SEED = envCount('SMARTMAINT_FUZZ_SEED', Date.now() % 1_000_000_007);


const rnd = createRng(SEED);
const int = (n: number): number => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const topics = ['telemetry/pump-1/temp', 'telemetry/pump-2', 'alerts/pump-1', '$SYS/broker', 'a/+/b', '#', 'x'.repeat(300), '', '/', 'telemetry/é/ü'];
const payloads = [() => Buffer.from(String(rnd() * 100)), () => Buffer.from('{"values":{"t":1.5}}'), () => Buffer.alloc(int(2048), int(256)),
  () => Buffer.from('{"values":' + '['.repeat(500)), () => Buffer.from('NaN'), () => Buffer.alloc(0)];

function validPacket(): Packet {
  const messageId = 1 + int(65535);
  switch (int(10)) {
    case 0: return { cmd: 'publish', topic: pick(topics.filter((s) => s !== '' && !/[+#]/.test(s))), payload: pick(payloads)(), qos: 0, retain: false, dup: false };
    case 1: return { cmd: 'publish', topic: pick(topics.filter((s) => s !== '' && !/[+#]/.test(s))), payload: pick(payloads)(), qos: 1, messageId, retain: rnd() < 0.1, dup: false };
    case 2: return { cmd: 'publish', topic: 'telemetry/pump-3/vib', payload: pick(payloads)(), qos: 2, messageId, retain: false, dup: false };
    case 3: return { cmd: 'subscribe', messageId, subscriptions: [{ topic: pick(topics.filter((s) => s !== '')), qos: int(3) as 0 | 1 | 2 }] };
    case 4: return { cmd: 'unsubscribe', messageId, unsubscriptions: [pick(topics.filter((s) => s !== ''))] };
    case 5: return { cmd: 'pubrel', messageId };
    case 6: return { cmd: 'puback', messageId };
    case 7: return { cmd: 'pubrec', messageId };
    case 8: return { cmd: 'pingreq' };
    default: return { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `c${int(1e6)}`, keepalive: int(120) };
  }
}

function mutate(buf: Buffer): Buffer {
  const b = Buffer.from(buf);
  switch (int(14)) { // about half the packets stay valid, so sessions live long enough to reach deeper states
    case 0: { // bit flips
      for (let i = 0, n = 1 + int(4); i < n && b.length > 0; i++) b[int(b.length)]! ^= 1 << int(8);
      return b;
    }
    case 1: { // random bytes
      for (let i = 0, n = 1 + int(8); i < n && b.length > 0; i++) b[int(b.length)] = int(256);
      return b;
    }
    case 2: return b.subarray(0, int(b.length + 1)); // truncation
    case 3: { // duplicated span
      const s = int(b.length + 1);
      return Buffer.concat([b.subarray(0, s), b.subarray(int(s + 1)), b.subarray(s)]);
    }
    case 4: { // forged Remaining Length (1–4 bytes, possibly over-long or announcing far more than follows)
      const len = [0x7f, 0xff, 0xff, 0xff, 0x7f].slice(0, 1 + int(5)).map((x) => x & (int(2) ? 0xff : 0x7f));
      return Buffer.concat([b.subarray(0, 1), Buffer.from(len), b.subarray(2)]);
    }
    case 5: { // wrong type / reserved flags
      if (b.length > 0) b[0] = (int(16) << 4) | int(16);
      return b;
    }
    case 6: return Buffer.from(Array.from({ length: int(64) }, () => int(256))); // noise
    default: return b;
  }
}

function session(port: number, packets: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = netConnect({ port, host: '127.0.0.1' });
    const done = (): void => { socket.destroy(); resolve(); };
    const timer = setTimeout(done, 5_000);
    socket.on('error', () => {});
    socket.on('close', () => { clearTimeout(timer); resolve(); });
    socket.on('data', () => {}); // read what the broker answers
    socket.once('connect', () => {
      const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: rnd() < 0.8, clientId: `fuzz-${int(1e9)}`, keepalive: 30 });
      const chunks = [rnd() < 0.1 ? mutate(connect) : connect];
      for (let i = 0; i < packets; i++) chunks.push(mutate(mqttPacket.generate(validPacket())));
      // Mixed chunking: the parser must cope with packets split across and joined within reads.
      const all = Buffer.concat(chunks);
      let at = 0;
      while (at < all.length) {
        const n = 1 + int(4096);
        socket.write(all.subarray(at, at + n));
        at += n;
      }
      socket.end();
      setTimeout(done, 200).unref();
    });
  });
}

t.test(`${TOTAL} mutated MQTT packets: no crash, no unhandled rejection, RSS bounded`, async (t) => {
  t.comment(`seed ${SEED} (replay with SMARTMAINT_FUZZ_SEED=${SEED})`);
  const dir = tempDir();
  const gw = await spawnGateway(['--data-dir', dir, '--mqtt-port', '0', '--http-port', '0', '--mqtt-host', '127.0.0.1', '--http-host', '127.0.0.1']);
  t.teardown(async () => {
    if (gw.child.exitCode === null) { gw.child.kill('SIGTERM'); await gw.exited; }
    removeDir(dir);
  });
  const rssStart = rssBytes(gw.child.pid!);
  let rssPeak = rssStart;
  let sent = 0;
  const started = Date.now();
  const worker = async (): Promise<void> => {
    while (sent < TOTAL && gw.child.exitCode === null) {
      const n = Math.min(PER_CONNECTION, TOTAL - sent);
      sent += n;
      await session(gw.mqttPort, n);
      if (sent % 5_000 < PER_CONNECTION) rssPeak = Math.max(rssPeak, rssBytes(gw.child.pid!));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = Date.now() - started;
  t.equal(gw.child.exitCode, null, 'gateway still running');
  t.equal(sent, TOTAL, 'every packet sent');
  const health = await request(`http://127.0.0.1:${gw.httpPort}/health/broker`);
  t.equal(health.statusCode, 200, 'broker healthy afterwards');
  await health.body.dump();
  const rssEnd = rssBytes(gw.child.pid!);
  rssPeak = Math.max(rssPeak, rssEnd);
  t.comment(JSON.stringify({ packets: sent, elapsedMs: elapsed, rssStartMB: +(rssStart / 2 ** 20).toFixed(1), rssPeakMB: +(rssPeak / 2 ** 20).toFixed(1), rssEndMB: +(rssEnd / 2 ** 20).toFixed(1) }));
  t.ok(rssPeak - rssStart < 150 * 2 ** 20, `RSS growth ${((rssPeak - rssStart) / 2 ** 20).toFixed(1)} MB stays under 150 MB`);
  const crashes = gw.lines.filter((l) => crashPattern.test(l));
  t.same(crashes.slice(0, 5), [], 'no uncaught exception, unhandled rejection or fatal log line');
});

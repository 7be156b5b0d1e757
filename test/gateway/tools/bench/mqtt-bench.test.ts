import net from 'node:net';
import { PassThrough } from 'node:stream';
import t, { type Test } from 'tap';
import { parseBenchArgs } from '../../../../gateway/tools/bench/flags.js';
import { expandTemplate } from '../../../../gateway/tools/bench/packets.js';
import { MqttBench } from '../../../../gateway/tools/bench/mqtt-bench.js';
import { main } from '../../../../gateway/tools/bench/cli.js';
import { runCli, type CliIo } from '../../../../deploy/cli/smartmaint.js';
import { UsageError } from '../../../../shared/errors.js';

interface PublishSeen {
  topic: string;
  payload: string;
  qos: number;
}

/** A real Aedes broker on an ephemeral port that records every publish from a client. */
async function startBroker(t: Test): Promise<{ port: number; seen: PublishSeen[] }> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const seen: PublishSeen[] = [];
  broker.on('publish', (packet, client) => {
    if (client) seen.push({ topic: packet.topic, payload: packet.payload.toString(), qos: packet.qos });
  });
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as net.AddressInfo).port, seen };
}

/** Waits for a condition, bounded in time (the assert that follows says what was expected). */
async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

function captureIo(): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { io: { stdout, stderr, env: {} }, out: () => out, err: () => err };
}

t.test('flags: mqtt-benchmark defaults, except -message-interval', async (t) => {
  const parsed = parseBenchArgs([]);
  if (parsed.help) throw new Error('unexpected help');
  const o = parsed.options;
  t.same(o.broker, { host: 'localhost', port: 1883 });
  t.equal(o.topic, '/test');
  t.equal(o.payload, '');
  t.equal(o.qos, 1);
  t.equal(o.size, 100);
  t.equal(o.count, 100);
  t.equal(o.clients, 10);
  t.equal(o.format, 'text');
  t.equal(o.quiet, false);
  t.equal(o.waitMs, 60000);
  t.equal(o.messageIntervalSeconds, 0);
  t.equal(o.inflight, 1);
  t.ok(Object.isFrozen(o));
});

t.test('flags: -flag value, --flag value, -flag=value and bare booleans', async (t) => {
  const parsed = parseBenchArgs(['-broker', 'tcp://127.0.0.1:1999', '--clients', '3', '-count=7', '--qos=0', '-quiet',
    '-format', 'json', '-inflight', '50', '-message-interval', '0.5', '-topic', 'a/{client}/{i}', '-quiet=false']);
  if (parsed.help) throw new Error('unexpected help');
  const o = parsed.options;
  t.same(o.broker, { host: '127.0.0.1', port: 1999 });
  t.equal(o.clients, 3);
  t.equal(o.count, 7);
  t.equal(o.qos, 0);
  t.equal(o.quiet, false, 'the last -quiet=false wins');
  t.equal(o.format, 'json');
  t.equal(o.inflight, 50);
  t.equal(o.messageIntervalSeconds, 0.5);
  t.equal(o.topic, 'a/{client}/{i}');
  t.same(parseBenchArgs(['-h']), { help: true });
});

t.test('flags: unknown or bad flags are usage errors', async (t) => {
  t.throws(() => parseBenchArgs(['-nope']), UsageError);
  t.throws(() => parseBenchArgs(['-clients']), /needs an argument/);
  t.throws(() => parseBenchArgs(['-clients', 'many']), /not an integer/);
  t.throws(() => parseBenchArgs(['-qos', '2']), /-qos/);
  t.throws(() => parseBenchArgs(['-format', 'xml']), /-format/);
  t.throws(() => parseBenchArgs(['-broker', 'ws://x:1']), /-broker/);
  t.throws(() => parseBenchArgs(['-client-cert', 'c.pem']), /not supported/);
  t.throws(() => parseBenchArgs(['stray']), /unexpected argument/);
  t.throws(() => parseBenchArgs(['-quiet=maybe']), /invalid boolean/);
});

t.test('cli: unknown flag exits 2 through the smartmaint entry point', async (t) => {
  const cap = captureIo();
  t.equal(await runCli(['bench', 'mqtt', '-no-such-flag'], cap.io), 2);
  t.match(cap.err(), /-no-such-flag/);
  const cap2 = captureIo();
  t.equal(await runCli(['bench', 'amqp'], cap2.io), 2);
});

t.test('{i} and {client} expand per message and per client', async (t) => {
  t.equal(expandTemplate('telemetry/bench-{client}/s1', 3, 9), 'telemetry/bench-3/s1');
  t.equal(expandTemplate('{"value": {i}, "c": {client}, "again": {i}}', 2, 41), '{"value": 41, "c": 2, "again": 41}');

  const { port, seen } = await startBroker(t);
  const parsed = parseBenchArgs(['-broker', `tcp://127.0.0.1:${port}`, '-clients', '2', '-count', '3', '-qos', '1',
    '-topic', 't/{client}', '-payload', '{client}:{i}', '-quiet']);
  if (parsed.help) throw new Error('unexpected help');
  const report = await new MqttBench(parsed.options).run();
  t.equal(report.totals.successes, 6);
  const got = seen.map((p) => `${p.topic} ${p.payload}`).sort();
  t.same(got, ['t/0 0:0', 't/0 0:1', 't/0 0:2', 't/1 1:0', 't/1 1:1', 't/1 1:2']);
});

for (const qos of [0, 1] as const) {
  t.test(`QoS ${qos} load against Aedes: text and JSON shapes`, async (t) => {
    const { port, seen } = await startBroker(t);
    const clients = 3;
    const count = 1500; // crosses a packet chunk boundary (1024)
    const common = ['-broker', `tcp://127.0.0.1:${port}`, '-clients', String(clients), '-count', String(count),
      '-qos', String(qos), '-size', '20', '-inflight', '16', '-quiet'];

    const json = captureIo();
    t.equal(await main(['mqtt', ...common, '-format', 'json'], json.io), 0, json.err());
    const report = JSON.parse(json.out()) as { runs: Record<string, unknown>[]; totals: Record<string, unknown> };
    t.equal(report.runs.length, clients);
    for (const run of report.runs) {
      t.same(Object.keys(run).sort(), ['failures', 'id', 'msg_time_max', 'msg_time_mean', 'msg_time_min', 'msg_time_std',
        'msgs_per_sec', 'run_time', 'successes'].sort());
      t.equal(run.successes, count);
    }
    for (const key of ['ratio', 'successes', 'failures', 'total_run_time', 'avg_run_time', 'msg_time_min', 'msg_time_max',
      'msg_time_mean_avg', 'msg_time_mean_std', 'total_msgs_per_sec', 'avg_msgs_per_sec', 'msg_time_p50', 'msg_time_p99']) {
      t.type(report.totals[key], 'number', `totals.${key}`);
    }
    t.equal(report.totals.successes, count * clients);
    t.equal(report.totals.failures, 0);
    t.equal(report.totals.ratio, 1);
    t.equal(report.totals.msg_time_kind, qos === 1 ? 'puback' : 'write');
    // QoS 0 completes on the socket write; the broker may still be reading what was written.
    const received = (): number => seen.filter((p) => p.qos === qos && p.payload.length === 20).length;
    await until(() => received() >= count * clients, 10_000);
    t.equal(received(), count * clients, 'broker received every message');

    const text = captureIo();
    t.equal(await main(['mqtt', ...common, '-format', 'text'], text.io), 0);
    const out = text.out();
    for (let i = 0; i < clients; i++) t.match(out, `======= CLIENT ${i} =======`);
    t.match(out, `========= TOTAL (${clients}) =========`);
    t.match(out, `Total Ratio:                 1.000 (${count * clients}/${count * clients})`);
    for (const label of ['Total Runtime (sec):', 'Average Runtime (sec):', 'Msg time min (ms):', 'Msg time max (ms):',
      'Msg time mean mean (ms):', 'Msg time mean std (ms):', 'Average Bandwidth (msg/sec):', 'Total Bandwidth (msg/sec):']) {
      t.match(out, label);
    }
  });
}

t.test('a broker that refuses connections: every message is a failure, exit 1', async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const cap = captureIo();
  const code = await main(['mqtt', '-broker', `tcp://127.0.0.1:${port}`, '-clients', '2', '-count', '5', '-quiet', '-format', 'json'], cap.io);
  t.equal(code, 1);
  const report = JSON.parse(cap.out()) as { totals: { successes: number; failures: number } };
  t.same({ s: report.totals.successes, f: report.totals.failures }, { s: 0, f: 10 });
});

t.test('-wait: a broker that never acknowledges makes the outstanding messages fail', async (t) => {
  // Accepts the connection and answers CONNACK, then swallows every PUBLISH.
  const server = net.createServer((socket) => {
    socket.once('data', () => socket.write(Buffer.from([0x20, 0x02, 0x00, 0x00])));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.unref(); }));
  const port = (server.address() as net.AddressInfo).port;
  const parsed = parseBenchArgs(['-broker', `tcp://127.0.0.1:${port}`, '-clients', '1', '-count', '4', '-qos', '1', '-inflight', '2', '-wait', '200', '-quiet']);
  if (parsed.help) throw new Error('unexpected help');
  const report = await new MqttBench(parsed.options).run();
  t.equal(report.totals.successes, 0);
  t.equal(report.totals.failures, 4);
});

t.test('-message-interval paces the clients and every message still succeeds', async (t) => {
  const { port } = await startBroker(t);
  const parsed = parseBenchArgs(['-broker', `tcp://127.0.0.1:${port}`, '-clients', '2', '-count', '20', '-qos', '1',
    '-inflight', '5', '-message-interval', '0.002', '-quiet']);
  if (parsed.help) throw new Error('unexpected help');
  const report = await new MqttBench(parsed.options).run();
  t.equal(report.totals.successes, 40);
  t.equal(report.totals.failures, 0);
});

t.test('packets generated during the run (over the pre-generation budget) arrive intact', async (t) => {
  const { port, seen } = await startBroker(t);
  const parsed = parseBenchArgs(['-broker', `tcp://127.0.0.1:${port}`, '-clients', '1', '-count', '2100', '-qos', '1',
    '-inflight', '100', '-payload', 'v{i}', '-quiet']);
  if (parsed.help) throw new Error('unexpected help');
  const report = await new MqttBench(parsed.options, { pregenerateBudgetBytes: 0 }).run();
  t.equal(report.totals.successes, 2100);
  const payloads = new Set(seen.map((p) => p.payload));
  t.equal(payloads.size, 2100);
  t.ok(payloads.has('v0') && payloads.has('v1023') && payloads.has('v1024') && payloads.has('v2099'));
});

import t from 'tap';
import { createServer, type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import mqtt from 'mqtt';
import { runCli } from '../../../../deploy/cli/smartmaint.js';
import { loadAi4i, loadFd001 } from '../../../../shared/ml/datasets.js';
import { ai4iMessages, cmapssMessages } from '../../../../gateway/tools/simulate/replay-sources.js';

t.test('C-MAPSS replay: round-robin over engines, one message per cycle with every column', async (t) => {
  const test = loadFd001().test;
  const first = [...cmapssMessages(test, 2)].slice(0, 4);
  t.same(first.map((m) => [m.topic, m.values.cycle]), [
    ['telemetry/engine-1', 1], ['telemetry/engine-2', 1], ['telemetry/engine-1', 2], ['telemetry/engine-2', 2]]);
  t.same(Object.keys(first[0]!.values).sort(), ['cycle', 'setting1', 'setting2', 'setting3',
    ...Array.from({ length: 21 }, (_, i) => `s${i + 1}`)].sort());
  t.equal([...cmapssMessages(test, 100)].length, 13096, 'every test row once');
});

t.test('AI4I replay: the names the ai4i-failure manifest reads', async (t) => {
  const [m] = [...ai4iMessages(loadAi4i(), 3)];
  t.same(m, { topic: 'telemetry/mill-M-1', values: { product_quality: 1, air_temp_k: 298.1, process_temp_k: 308.6,
    rpm: 1551, torque_nm: 42.8, tool_wear_min: 0 } });
});

t.test('smartmaint simulate publishes to a real broker', async (t) => {
  const { Aedes } = await import('aedes');
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sub = await mqtt.connectAsync(url);
  t.teardown(() => sub.endAsync());
  const got: Array<{ topic: string; body: { ts: number; values: Record<string, number> } }> = [];
  sub.on('message', (topic, payload) => got.push({ topic, body: JSON.parse(payload.toString()) }));
  await sub.subscribeAsync('telemetry/#', { qos: 1 });
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await runCli(['simulate', '--dataset', 'cmapss', '--engines', '3', '--limit', '6', '--rate', '500', '--qos', '1',
    '--broker', url.replace('mqtt://', 'tcp://')], { stdout, stderr: new PassThrough(), env: {} });
  t.equal(code, 0);
  t.match(JSON.parse(out), { dataset: 'cmapss', published: 6 });
  for (let i = 0; i < 200 && got.length < 6; i++) await new Promise((r) => setTimeout(r, 10));
  t.same(got.map((g) => g.topic), ['telemetry/engine-1', 'telemetry/engine-2', 'telemetry/engine-3',
    'telemetry/engine-1', 'telemetry/engine-2', 'telemetry/engine-3']);
  t.equal(got[3]!.body.values.cycle, 2);
  t.ok(got[0]!.body.ts > 946_684_800_000, 'epoch milliseconds');
  const bad = await runCli(['simulate', '--dataset', 'nope'], { stdout: new PassThrough(), stderr: new PassThrough(), env: {} });
  t.equal(bad, 2);
});

t.test('timestamps are strictly increasing per asset even when the clock stands still', async (t) => {
  const { Aedes } = await import('aedes');
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sub = await mqtt.connectAsync(url);
  t.teardown(() => sub.endAsync());
  const ts: number[] = [];
  sub.on('message', (_topic, payload) => ts.push(JSON.parse(payload.toString()).ts));
  await sub.subscribeAsync('telemetry/engine-1', { qos: 1 });
  const { ReplayPublisher } = await import('../../../../gateway/tools/simulate/replay-publisher.js');
  const messages = () => [1, 2, 3, 4].map((c) => ({ topic: 'telemetry/engine-1', values: { cycle: c } }));
  const sent = await new ReplayPublisher({ broker: url, rate: 100_000, qos: 1, clientId: 'frozen', limit: 0, loop: false },
    { messages, clock: () => 1_800_000_000_000 }).run();
  t.equal(sent, 4);
  for (let i = 0; i < 200 && ts.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
  t.same(ts, [1_800_000_000_000, 1_800_000_000_001, 1_800_000_000_002, 1_800_000_000_003]);
});

t.test('with device credentials in --broker it signs in as that device and never prints the secret', async (t) => {
  const { addDevice } = await import('../../../helpers/devices.js');
  const { removeDir, startGateway, tempDir } = await import('../../../helpers/gateway.js');
  const dir = tempDir();
  const secret = await addDevice(dir, 'simulator', ['engine-*']);
  const gw = await startGateway(dir, { mqtt: { allowAnonymous: false } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => { out += d.toString(); });
  stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await runCli(['simulate', '--dataset', 'cmapss', '--engines', '2', '--limit', '4', '--rate', '500', '--qos', '1',
    '--broker', `mqtt://simulator:${secret}@127.0.0.1:${gw.mqttPort}`], { stdout, stderr, env: {} });
  t.equal(code, 0, 'its client id (simulator-…) belongs to the device');
  gw.pipeline.flush();
  t.ok(gw.outbox.stats().readings > 0, 'readings stored');
  t.notMatch(out, secret, 'the secret is not printed');
  t.match(out, /mqtt:\/\/simulator:\*\*\*@127\.0\.0\.1/, 'the URL is shown with its secret masked');
});

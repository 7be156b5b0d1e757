/**
 * POST /api/v1/data/ingest over real HTTP (undici) against a real gateway: the origin's two shapes and batches,
 * 200 only after commit, auth, ACL, every refusal status, Idempotency-Key semantics, and HTTP + MQTT in one outbox.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { pino } from 'pino';
import { Gateway } from '../../../../gateway/gateway.js';
import { OutboxFullError, StorageError } from '../../../../shared/errors.js';
import { addDevice, devicesCli } from '../../../helpers/devices.js';
import { connect, endClient, gatewayConfig, publish, removeDir, startGateway, tempDir } from '../../../helpers/gateway.js';
import { httpJson } from '../../../helpers/http.js';

const PATH = '/api/v1/data/ingest';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function setup(t: { teardown: (fn: () => unknown) => void }, overrides: Parameters<typeof startGateway>[1] = {}) {
  const dir = tempDir();
  const key = await addDevice(dir, 'sensor-box', ['pump-*', 'LOAD_TEST_*']);
  const gw = await startGateway(dir, overrides);
  const db = new Database(join(dir, 'outbox.db'), { readonly: true });
  t.teardown(async () => { db.close(); await gw.stop(); removeDir(dir); });
  const post = (body: unknown, headers: Record<string, string> = { 'x-api-key': key }) => httpJson(gw.httpPort, 'POST', PATH, body, headers);
  const count = () => (db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
  return { dir, key, gw, db, post, count };
}

t.test('both origin shapes and batches are stored, and 200 means committed', async (t) => {
  const { key, gw, db, post } = await setup(t);
  const find = db.prepare('SELECT asset, sensor, value, unit, quality, source, client_id AS clientId, ts FROM readings WHERE asset = ? ORDER BY seq');
  const single = await post({ sensor_id: 'pump-1', value: 41.5, sensor_type: 'temperature', unit: 'C', quality: 0.95, timestamp: '2026-01-01T00:00:00Z' });
  // Read synchronously on arrival of the answer, through another connection: no later commit can have helped.
  const rows = find.all('pump-1');
  t.equal(single.status, 200);
  t.match(single.body, { status: 'event_published', sensor_id: 'pump-1' });
  t.match(single.body.event_id, UUID);
  t.match(single.body.correlation_id, UUID);
  t.same(rows, [{ asset: 'pump-1', sensor: 'temperature', value: 41.5, unit: 'C', quality: 0.95, source: 'http', clientId: 'sensor-box', ts: Date.parse('2026-01-01T00:00:00Z') }]);

  const multi = await post({ sensor_id: 'LOAD_TEST_3', timestamp: Date.now() / 1000, temperature: 41.2, pressure: 2.3, vibration: 0.4, humidity: 55, load_test: true },
    { authorization: `Bearer ${key}` });
  t.equal(multi.status, 200, JSON.stringify(multi.body));
  t.same(find.all('LOAD_TEST_3').map((r: any) => [r.sensor, r.value]), [['temperature', 41.2], ['pressure', 2.3], ['vibration', 0.4], ['humidity', 55]]);
  const ev = db.prepare('SELECT count, event_id AS eventId, sensor_id AS sensorId, device_id AS deviceId, metadata FROM http_events WHERE event_id = ?').get(multi.body.event_id);
  t.same(ev, { count: 4, eventId: multi.body.event_id, sensorId: 'LOAD_TEST_3', deviceId: 'sensor-box', metadata: '{"load_test":true}' }, 'metadata kept with the event');

  const corr = '5d3c8a52-8b1f-4e0e-9d55-0c1f2e3d4a5b';
  const batch = await post([{ sensor_id: 'pump-2', value: 1, correlation_id: corr }, { sensor_id: 'pump-3', temperature: 2, pressure: 3 }]);
  t.equal(batch.status, 200);
  t.equal(batch.body.status, 'event_published');
  t.equal(batch.body.count, 2);
  t.match(batch.body.results, [{ status: 'event_published', sensor_id: 'pump-2', correlation_id: corr }, { status: 'event_published', sensor_id: 'pump-3' }]);
  t.not(batch.body.results[0].event_id, batch.body.results[1].event_id);
  t.equal(find.all('pump-3').length, 2);
  const { body: m } = await httpJson(gw.httpPort, 'GET', '/metrics');
  t.match(m, /smartmaint_http_ingest_requests_total\{status="200"\} 3/);
  t.match(m, /smartmaint_readings_stored_total 8/);
});

t.test('auth: 401 without or with an unknown key; Basic for password devices; 403 for sensors the device may not write', async (t) => {
  // Polled often: every refused attempt while the new device is not yet loaded counts against this address.
  const { dir, gw, post, count } = await setup(t, { devices: { pollIntervalMs: 50 } });
  const none = await post({ sensor_id: 'pump-1', value: 1 }, {});
  t.equal(none.status, 401);
  t.equal(none.body.error.code, 'SMARTMAINT_UNAUTHORIZED');
  t.match(none.headers['www-authenticate'], /Bearer/);
  t.equal((await post({ sensor_id: 'pump-1', value: 1 }, { 'x-api-key': 'smd_nope' })).status, 401);
  t.equal((await post({ sensor_id: 'pump-1', value: 1 }, { authorization: 'Token abc' })).status, 401);
  const metrics = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
  t.match(metrics, /smartmaint_http_ingest_requests_total\{status="401"\} 3/, 'refusals by the access check are counted as ingest answers');
  await addDevice(dir, 'hmi', ['pump-7']);
  t.equal((await devicesCli(['passwd', 'hmi', '--data-dir', dir], 'long enough password\n')).code, 0);
  // The gateway polls devices.db; wait (bounded) for the change to arrive.
  const basic = (pw: string) => ({ authorization: `Basic ${Buffer.from(`hmi:${pw}`).toString('base64')}` });
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    status = (await post({ sensor_id: 'pump-7', value: 1 }, basic('long enough password'))).status;
    if (status !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(status, 200, 'Basic id:password works for a password device');
  t.equal((await post({ sensor_id: 'pump-7', value: 1 }, basic('wrong password'))).status, 401);
  const before = count();
  const forbidden = await post([{ sensor_id: 'pump-7', value: 1 }, { sensor_id: 'mill-1', temperature: 3 }], basic('long enough password'));
  t.equal(forbidden.status, 403);
  t.equal(forbidden.body.error.code, 'SMARTMAINT_FORBIDDEN');
  t.same(forbidden.body.error.denied, ['mill-1/temperature']);
  t.equal(count(), before, 'nothing of a refused batch is stored');
});

t.test('422 names every bad field; bad JSON is 422; 413 for oversize bodies and batches', async (t) => {
  const { post, count, gw, key } = await setup(t, { api: { maxBodyBytes: 4096, maxBatchItems: 5 } });
  const bad = await post([{ sensor_id: 'pump-1', value: 'hot', quality: 7 }, { sensor_id: 'pump-2', timestamp: 'soon', temperature: 1 }, 'x']);
  t.equal(bad.status, 422);
  t.equal(bad.body.error.code, 'SMARTMAINT_INVALID_REQUEST');
  t.same(bad.body.error.issues.map((i: any) => i.path), ['[0].quality', '[0].value', '[1].timestamp', '[2]']);
  const json = await post('{"sensor_id": "pump-1", "value": ');
  t.equal(json.status, 422);
  t.match(json.body.error.message, /not valid JSON/);
  const big = await post({ sensor_id: 'pump-1', value: 1, metadata: { blob: 'x'.repeat(5000) } });
  t.equal(big.status, 413);
  const many = await post(Array.from({ length: 6 }, (_, i) => ({ sensor_id: 'pump-1', value: i })));
  t.equal(many.status, 413);
  t.equal(many.body.error.code, 'SMARTMAINT_BATCH_TOO_LARGE');
  const xml = await post('<reading/>', { 'x-api-key': key, 'content-type': 'application/xml' });
  t.equal(xml.status, 415);
  const text = await post('pump-1 1', { 'x-api-key': key, 'content-type': 'text/plain' });
  t.equal(text.status, 422, 'a text body is not a reading');
  t.equal(count(), 0, 'nothing stored');
  const { body: m } = await httpJson(gw.httpPort, 'GET', '/metrics');
  t.match(m, /smartmaint_http_ingest_requests_total\{status="422"\} 3/);
  t.match(m, /smartmaint_http_ingest_requests_total\{status="413"\} 2/);
});

t.test('429 with Retry-After while the outbox refuses data; 503 when the write fails; nothing acknowledged', async (t) => {
  const { gw, post, count } = await setup(t);
  const write = gw.outbox.write.bind(gw.outbox);
  let fault: Error | null = new OutboxFullError();
  gw.outbox.write = (entries) => {
    if (fault) throw fault;
    return write(entries);
  };
  const full = await post({ sensor_id: 'pump-1', value: 1 });
  t.equal(full.status, 429);
  t.equal(full.body.error.code, 'SMARTMAINT_OUTBOX_FULL');
  t.match(full.headers['retry-after'], /^\d+$/);
  fault = new StorageError('disk I/O error');
  const failed = await post({ sensor_id: 'pump-1', value: 2 });
  t.equal(failed.status, 503);
  t.equal(failed.headers['retry-after'], '1');
  t.equal(count(), 0);
  fault = null;
  t.equal((await post({ sensor_id: 'pump-1', value: 3 })).status, 200, 'recovers when the outbox does');
  t.equal(count(), 1);
});

t.test('Idempotency-Key: repeats store nothing, different bodies 422, in-flight 409, records survive a restart', async (t) => {
  const dir = tempDir();
  const key = await addDevice(dir, 'box', ['pump-*']);
  t.teardown(() => removeDir(dir));
  let gw = await startGateway(dir);
  const post = (body: unknown, idem: string) => httpJson(gw.httpPort, 'POST', PATH, body, { 'x-api-key': key, 'idempotency-key': idem });
  const body = { sensor_id: 'pump-1', value: 7 };
  const first = await post(body, 'k-1');
  t.equal(first.status, 200);
  const again = await post(body, 'k-1');
  t.equal(again.status, 200);
  t.same(again.body, { status: 'duplicate_ignored', event_id: first.body.event_id, correlation_id: first.body.correlation_id, sensor_id: 'pump-1' });
  t.equal((await post({ sensor_id: 'pump-1', value: 8 }, 'k-1')).status, 422, 'same key, different body');
  const batch = [{ sensor_id: 'pump-2', value: 1 }, { sensor_id: 'pump-3', value: 2 }];
  const b1 = await post(batch, 'k-batch');
  const b2 = await post(batch, 'k-batch');
  t.equal(b2.body.status, 'duplicate_ignored');
  t.same(b2.body.results.map((r: any) => [r.status, r.event_id]), b1.body.results.map((r: any) => ['duplicate_ignored', r.event_id]));

  // Hold the first request's commit to see the second arrive while it is in flight.
  const submit = gw.pipeline.submit.bind(gw.pipeline);
  let releaseHeld!: () => void;
  const held = new Promise<void>((r) => { releaseHeld = r; });
  let holding = true;
  gw.pipeline.submit = (entry, done) => submit(entry, done && holding ? (err) => { void held.then(() => done(err)); } : done);
  const slow = post({ sensor_id: 'pump-4', value: 1 }, 'k-slow');
  await new Promise((r) => setTimeout(r, 50));
  const during = await post({ sensor_id: 'pump-4', value: 1 }, 'k-slow');
  t.equal(during.status, 409);
  t.equal(during.body.error.code, 'SMARTMAINT_IDEMPOTENCY_IN_FLIGHT');
  holding = false;
  releaseHeld();
  t.equal((await slow).status, 200);
  t.equal((await post({ sensor_id: 'pump-4', value: 1 }, 'k-slow')).body.status, 'duplicate_ignored');

  const stored = ((await httpJson(gw.httpPort, 'GET', '/api/v1/readings')).body.readings as unknown[]).length;
  t.equal(stored, 4, 'one reading per distinct request');
  await gw.stop();
  gw = await startGateway(dir);
  t.teardown(() => gw.stop());
  const after = await post(body, 'k-1');
  t.equal(after.body.status, 'duplicate_ignored', 'the record survived the restart');
  t.equal(after.body.event_id, first.body.event_id);
  t.equal((await post(body, 'k-other')).body.status, 'event_published', 'keys are per request, not per body');
  t.equal((await post(body, 'x'.repeat(300))).status, 422, 'an oversize key is refused');
});

t.test('Idempotency-Key records expire after the window', async (t) => {
  const dir = tempDir();
  const key = await addDevice(dir, 'box', ['pump-*']);
  let now = Date.now();
  const gw = new Gateway({ config: gatewayConfig(dir, { api: { idempotencyWindowMs: 60_000 } }), log: pino({ level: 'silent' }), clock: () => now });
  await gw.start();
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const post = () => httpJson(gw.httpPort, 'POST', PATH, { sensor_id: 'pump-1', value: 1 }, { 'x-api-key': key, 'idempotency-key': 'k' });
  const first = await post();
  t.equal((await post()).body.event_id, first.body.event_id);
  now += 61_000;
  const later = await post();
  t.equal(later.body.status, 'event_published', 'past the window the key is new again');
  t.not(later.body.event_id, first.body.event_id);
});

t.test('a reading posted over HTTP and one published over MQTT land in the same outbox and the same sync queue', async (t) => {
  const { gw, key, post } = await setup(t);
  t.equal((await post({ sensor_id: 'pump-1', value: 1.5, sensor_type: 'pressure' })).status, 200);
  const client = await connect(gw.mqttPort, { username: 'sensor-box', password: key, clientId: 'sensor-box-mqtt' });
  await publish(client, 'telemetry/pump-1/pressure', '2.5');
  await endClient(client);
  const { body } = await httpJson(gw.httpPort, 'GET', '/api/v1/readings?asset=pump-1&sensor=pressure');
  t.same(body.readings.map((r: any) => [r.seq, r.value, r.source]), [[1, 1.5, 'http'], [2, 2.5, 'mqtt']]);
  t.equal(gw.syncStore.pending, 2, 'both wait for the same sync');
});

t.test('metadata nested 100,000 levels: 422 naming the limit, nothing stored, no 500', async (t) => {
  const { post, count } = await setup(t);
  const body = '{"sensor_id":"pump-1","value":1,"metadata":' + '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000) + '}';
  const res = await post(body);
  t.equal(res.status, 422);
  t.match(res.body, { error: { code: 'SMARTMAINT_INVALID_REQUEST', issues: [{ path: 'metadata', message: 'nested more than 16 levels' }] } });
  t.equal(count(), 0);
});

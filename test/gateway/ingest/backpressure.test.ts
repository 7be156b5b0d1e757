/**
 * Backpressure instead of memory growth: a second connection holds the outbox's write lock (a real fault: the
 * writer thread waits on SQLite's lock as it would on a stalled disk), a QoS 0 flood queues up, ingest pauses —
 * MQTT sockets are no longer read, HTTP ingest answers 503 with Retry-After — and once the lock is gone every
 * reading is stored and ingest resumes.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { addDevice } from '../../helpers/devices.js';
import { connect, endClient, removeDir, startGateway, tempDir } from '../../helpers/gateway.js';
import { httpJson } from '../../helpers/http.js';

async function metric(port: number, name: string): Promise<number> {
  const { body } = await httpJson(port, 'GET', '/metrics');
  const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(body as string);
  return Number(m?.[1] ?? NaN);
}

async function until(what: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

t.test('a writer that falls behind pauses ingest; nothing is lost; ingest resumes', async (t) => {
  const dir = tempDir();
  const key = await addDevice(dir, 'box', ['*']);
  const gw = await startGateway(dir, { outbox: { maxQueuedReadings: 1_000 } });
  const blocker = new Database(join(dir, 'outbox.db'));
  t.teardown(async () => { if (blocker.inTransaction) blocker.exec('ROLLBACK'); blocker.close(); await gw.stop(); removeDir(dir); });
  t.equal(await metric(gw.httpPort, 'smartmaint_ingest_paused'), 0);

  blocker.exec('BEGIN IMMEDIATE'); // the writer thread's next commit waits for this lock
  const client = await connect(gw.mqttPort, { clientId: 'flood' });
  const values = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`s${i}`, i]));
  const messages = 200; // 20,000 readings, 20× the bound
  for (let i = 0; i < messages; i++) client.publish('telemetry/flood', JSON.stringify({ values }), { qos: 0 });

  t.ok(await until(async () => await metric(gw.httpPort, 'smartmaint_ingest_paused') === 1, 5_000), 'ingest paused');
  const queued = gw.pipeline.queuedRows;
  await new Promise((r) => setTimeout(r, 300));
  t.ok(gw.pipeline.queuedRows <= queued + 10_000, `the queue stops growing while paused (${queued} → ${gw.pipeline.queuedRows} readings)`);
  t.ok(gw.pipeline.queuedRows < messages * 100, 'the flood is held back in the sockets, not in memory');
  const refused = await httpJson(gw.httpPort, 'POST', '/api/v1/data/ingest', { sensor_id: 'pump-1', value: 1 }, { 'x-api-key': key });
  t.equal(refused.status, 503, 'HTTP ingest refused while paused');
  t.equal(refused.headers['retry-after'], '1');
  t.equal(refused.body.error.code, 'SMARTMAINT_BUSY');

  blocker.exec('ROLLBACK');
  t.ok(await until(() => gw.outbox.stats().readings === messages * 100, 20_000), 'every reading of the flood stored');
  t.ok(await until(async () => await metric(gw.httpPort, 'smartmaint_ingest_paused') === 0, 5_000), 'ingest resumed');
  t.ok(await metric(gw.httpPort, 'smartmaint_ingest_paused_seconds_total') > 0, 'paused time counted');
  const { body: metrics } = await httpJson(gw.httpPort, 'GET', '/metrics');
  t.notMatch(metrics, /^smartmaint_readings_lost_total\{[^}]*\} [1-9]/m, 'nothing counted as lost');
  const accepted = await httpJson(gw.httpPort, 'POST', '/api/v1/data/ingest', { sensor_id: 'pump-1', value: 1 }, { 'x-api-key': key });
  t.equal(accepted.status, 200, 'HTTP ingest accepted again');
  await endClient(client);
});

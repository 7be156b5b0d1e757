/** The origin's ops endpoints over real HTTP against a real gateway. */
import t from 'tap';
import { addDevice } from '../../../helpers/devices.js';
import { connect, endClient, publish, removeDir, startGateway, tempDir } from '../../../helpers/gateway.js';
import { httpJson } from '../../../helpers/http.js';

t.test('status, system and performance metrics, recent readings, /health/redis', async (t) => {
  const dir = tempDir();
  const key = await addDevice(dir, 'box', ['pump-*']);
  const gw = await startGateway(dir, { scoring: { enabled: false } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const get = (path: string) => httpJson(gw.httpPort, 'GET', path);
  const base = Date.now() - 60_000;
  for (let i = 0; i < 5; i++) {
    const r = await httpJson(gw.httpPort, 'POST', '/api/v1/data/ingest', { sensor_id: 'pump-1', timestamp: (base + i * 1000) / 1000, temperature: 40 + i, pressure: i },
      { 'x-api-key': key, 'idempotency-key': `k${i}` });
    t.equal(r.status, 200);
  }
  const client = await connect(gw.mqttPort);
  await publish(client, 'telemetry/pump-1/temperature', JSON.stringify({ value: 99, ts: base + 10_000 }));
  await endClient(client);

  const status = await get('/api/v1/status');
  t.equal(status.status, 200);
  t.match(status.body, { status: 'operational', gateway_id: 'test-gw', components: {
    mqtt_broker: { status: 'up' }, outbox: { status: 'up', readings: 11 }, models: { status: 'not-loaded' }, devices: { registered: 1 } } });

  const system = await get('/api/v1/metrics/system');
  t.equal(system.status, 200);
  t.ok(system.body.cpu.cores >= 1);
  t.type(system.body.cpu.processPercent, 'number');
  t.ok(system.body.memory.rssBytes > 0);
  t.type(system.body.eventLoop.lagP99Ms, 'number');
  t.ok(system.body.disk.totalBytes > 0 && system.body.disk.availableBytes >= 0, JSON.stringify(system.body.disk));

  const perf = await get('/api/v1/metrics/performance');
  t.equal(perf.status, 200);
  t.equal(perf.body.ingest.readings_stored_total, 11);
  t.equal(perf.body.http_ingest_latency_ms.count, 5);
  t.type(perf.body.http_ingest_latency_ms.p99, 'number');
  t.type(perf.body.commit_latency_ms.p50, 'number');
  t.ok(perf.body.commit_latency_ms.p99 >= perf.body.commit_latency_ms.p50);

  const recent = await get('/api/v1/data/sensor/pump-1/recent?limit=3');
  t.equal(recent.status, 200);
  t.equal(recent.body.count, 3);
  t.same(recent.body.readings.map((r: any) => [r.sensor, r.value]), [['temperature', 99], ['pressure', 4], ['temperature', 44]], 'newest first (then latest stored)');
  t.equal(recent.body.readings[0].timestamp, new Date(base + 10_000).toISOString());
  const one = await get('/api/v1/data/sensor/pump-1/recent?sensor=pressure');
  t.equal(one.body.count, 5);
  t.equal((await get('/api/v1/data/sensor/none/recent')).body.count, 0);
  t.equal((await get('/api/v1/data/sensor/pump-1/recent?limit=0')).status, 400);

  const redis = await get('/health/redis');
  t.equal(redis.status, 200);
  t.match(redis.body, { status: 'ok', event_bus: { healthy: true }, idempotency_store: { healthy: true, keys: 5, window_seconds: 600 } });
  await gw.outbox.close();
  const down = await get('/health/redis');
  t.equal(down.status, 503);
  t.equal(down.body.idempotency_store.healthy, false);
  t.equal((await get('/api/v1/status')).status, 503);
  t.equal((await get('/api/v1/status')).body.status, 'degraded');
});

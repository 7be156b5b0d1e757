/**
 * The disk budget's policies, in process (standalone gateway, so nothing is synced and unsynced data fills the
 * budget). Counts must add up exactly: received = stored + dropped + folded (+ refused QoS 0).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { databaseOf } from '../../../gateway/outbox/outbox.js';
import { connect, endClient, removeDir, startGateway, tempDir } from '../../helpers/gateway.js';
import type { Gateway } from '../../../gateway/gateway.js';

const MiB = 1_048_576;

async function fill(gw: Gateway, messages: number, asset = 'fill'): Promise<void> {
  const client = await connect(gw.mqttPort);
  const base = Date.now() - 3_600_000;
  for (let i = 0; i < messages; i++) {
    // 10 sensors per message, one message per second of device time.
    const values: Record<string, number> = {};
    for (let k = 0; k < 10; k++) values[`s${k}`] = i + k / 10;
    client.publish(`telemetry/${asset}`, JSON.stringify({ ts: base + i * 1000, values }), { qos: 0 });
  }
  await client.publishAsync('other/barrier', 'x', { qos: 1 });
  await gw.pipeline.flush();
  await endClient(client);
}

function counts(dir: string): { readings: number; raw: number; aggregates: number; gaps: Record<string, number> } {
  const db = new Database(join(dir, 'outbox.db'), { readonly: true });
  const readings = (db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
  const aggregates = (db.prepare("SELECT count(*) AS n FROM readings WHERE source = 'aggregate'").get() as { n: number }).n;
  const gaps: Record<string, number> = {};
  for (const g of db.prepare('SELECT reason, sum(count) AS n FROM gaps GROUP BY reason').all() as Array<{ reason: string; n: number }>) gaps[g.reason] = g.n;
  db.close();
  return { readings, raw: readings - aggregates, aggregates, gaps };
}

t.test('drop-oldest: the oldest unsynced readings go, a gap accounts for them', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { outbox: { maxBytes: 2 * MiB, whenFull: 'drop-oldest', budgetCheckIntervalMs: 60_000 } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  await fill(gw, 3000);
  t.ok(gw.budget.usedBytes() >= 2 * MiB, 'over budget before the check');
  for (let i = 0; i < 50 && gw.budget.usedBytes() >= 2 * MiB; i++) await gw.budget.check();
  t.ok(gw.budget.usedBytes() < 2 * MiB, `under budget after (${gw.budget.usedBytes()} bytes)`);
  const c = counts(dir);
  t.ok(c.gaps['dropped-oldest']! > 0, 'a gap was recorded');
  t.equal(c.raw + c.gaps['dropped-oldest']!, 30_000, 'received = stored + dropped');
  const oldest = gw.outbox.queryReadings({ limit: 1 })[0]!;
  t.ok(oldest.seq > 1, 'the oldest went first');
  t.equal(gw.syncStore.pending, c.readings, 'pending count follows');
});

t.test('downsample: old normal readings fold into aggregates, anomalous ones stay raw', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { outbox: { maxBytes: 2 * MiB, whenFull: 'downsample', downsampleWindowMs: 60_000, budgetCheckIntervalMs: 60_000 } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  await fill(gw, 3000);
  // As scoring would: mark some old readings anomalous.
  databaseOf(gw.outbox).prepare("UPDATE readings SET priority = 1 WHERE sensor = 's0' AND seq < 5000").run();
  const anomalous = (databaseOf(gw.outbox).prepare('SELECT count(*) AS n FROM readings WHERE priority = 1').get() as { n: number }).n;
  // Each pass is bounded in time (it must not stall ingestion); the timer would run several.
  for (let i = 0; i < 50 && gw.budget.usedBytes() >= 2 * MiB; i++) await gw.budget.check();
  t.ok(gw.budget.usedBytes() < 2 * MiB, 'under budget after');
  const c = counts(dir);
  t.ok(c.gaps.downsampled! > 0, 'a gap records what was folded');
  t.ok(c.aggregates > 0, 'aggregates written');
  t.equal(c.raw + c.gaps.downsampled!, 30_000, 'received = stored + folded');
  const stillAnomalous = (databaseOf(gw.outbox).prepare('SELECT count(*) AS n FROM readings WHERE priority = 1').get() as { n: number }).n;
  t.equal(stillAnomalous, anomalous, 'anomalous readings stay raw');
  const agg = gw.outbox.queryReadings({ asset: 'fill', sensor: 's1:count', limit: 5 });
  t.ok(agg.length > 0 && agg.every((r) => r.quality === 'aggregate' && r.value > 4), 'count aggregates present');
  const means = gw.outbox.queryReadings({ asset: 'fill', sensor: 's1', limit: 100_000 }).filter((r) => r.quality === 'aggregate');
  const first = means[0]!;
  // Window [0, 60 s) of device time holds values i + 0.1 for i in that window.
  t.ok(Number.isFinite(first.value), 'mean aggregate');
});

t.test('reject-new: QoS 1 is not acknowledged, QoS 0 is dropped and counted', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { outbox: { maxBytes: 2 * MiB, whenFull: 'reject-new', budgetCheckIntervalMs: 60_000 } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  await fill(gw, 3000);
  await gw.budget.check();
  t.ok(gw.pipeline.refusing, 'refusing new readings');
  const client = await connect(gw.mqttPort, { reconnectPeriod: 0 });
  client.on('error', () => {});
  for (let i = 0; i < 100; i++) client.publish('telemetry/late/s', String(i), { qos: 0 });
  const acked = await Promise.race([
    client.publishAsync('telemetry/late/s', '1000', { qos: 1 }).then(() => true, () => false),
    new Promise<boolean>((r) => setTimeout(() => r(false), 2000)),
  ]);
  t.notOk(acked, 'QoS 1 publish not acknowledged');
  client.end(true);
  await gw.budget.check();
  const c = counts(dir);
  t.equal(c.gaps['rejected-full'], 100, 'refused QoS 0 readings are accounted for in a gap');
  t.equal(c.raw, 30_000, 'what was stored stays');
  const metrics = await gw.metrics.registry.getSingleMetricAsString('smartmaint_readings_lost_total');
  t.match(metrics, /reason="rejected-full"\} 100/);
});

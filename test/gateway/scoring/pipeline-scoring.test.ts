/**
 * Scoring inside the running gateway: C-MAPSS cycles published over MQTT are scored after the commit, the scores
 * stored in the outbox equal a direct onnxruntime call on the same inputs, and a degrading engine raises one
 * alert on `alerts/{asset}` (retained) that clears with hysteresis once it looks healthy again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import t from 'tap';
import { projectRoot } from '../../../shared/version.js';
import { databaseOf } from '../../../gateway/outbox/outbox.js';
import { connect, endClient, removeDir, startGateway, tempDir } from '../../helpers/gateway.js';

const SENSORS = ['s2', 's3', 's4', 's7', 's8', 's9', 's11', 's12', 's13', 's14', 's15', 's17', 's20', 's21'];

function engineRows(unit: number): Array<Record<string, number>> {
  const text = readFileSync(join(projectRoot, 'models/data/cmapss/train_FD001.txt'), 'utf8');
  const rows: Array<Record<string, number>> = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length < 26 || f[0] !== unit) continue;
    const r: Record<string, number> = { cycle: f[1]!, setting1: f[2]!, setting2: f[3]!, setting3: f[4]! };
    for (let s = 1; s <= 21; s++) r[`s${s}`] = f[4 + s]!;
    rows.push(r);
  }
  return rows;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('scores match onnxruntime, alerts raise once and clear with hysteresis', async (t) => {
  const dir = tempDir();
  // Hold times are alerts.test.ts's subject: here a cycle every 10 s, so the manifest's holds (10 s up, 20 s down)
  // span one and two cycles.
  const gw = await startGateway(dir, { scoring: { enabled: true, alertForMs: 0 } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  t.ok(gw.scoring?.list().some((m) => m.name === 'anomaly' && m.status === 'active'), 'default models loaded');

  const hmi = await connect(gw.mqttPort, { clientId: 'hmi' });
  const alerts: Array<{ state: string; model: string; asset: string }> = [];
  hmi.on('message', (_topic, payload) => alerts.push(JSON.parse(payload.toString())));
  await hmi.subscribeAsync('alerts/#', { qos: 1 });

  const rows = engineRows(1);
  const healthy = rows.slice(0, 40);
  const failing = rows.slice(-40);
  const plc = await connect(gw.mqttPort, { clientId: 'engine-1-plc' });
  const base = Date.now() - 1_000_000;
  let i = 0;
  const send = async (r: Record<string, number>) => {
    await plc.publishAsync('telemetry/engine-1', JSON.stringify({ ts: base + (i++) * 10_000, values: r }), { qos: 1 });
  };
  for (const r of healthy) await send(r);
  for (const r of failing) await send(r);
  for (const r of healthy) await send(r);
  await endClient(plc);
  const deadline = Date.now() + 10_000;
  while (gw.scoringStage!.scoredUpTo < gw.outbox.stats().lastSeq && Date.now() < deadline) await sleep(20);

  // Scores are stored in the outbox with the reading that triggered them.
  const db = databaseOf(gw.outbox);
  const stored = db.prepare(`SELECT s.seq, s.value, r.ts FROM scores s JOIN readings r ON r.seq = s.seq
    WHERE s.model = 'anomaly' AND s.output = 'anomaly_score' ORDER BY s.seq`).all() as Array<{ seq: number; value: number; ts: number }>;
  t.ok(stored.length >= 100, `anomaly scores stored (${stored.length})`);
  t.ok(db.prepare("SELECT count(*) AS n FROM scores WHERE model = 'turbofan-rul'").get() as { n: number }, 'RUL scored too');

  // The same inputs through onnxruntime directly: the mean of the last 10 values of each sensor.
  const all = [...healthy, ...failing, ...healthy];
  const session = await ort.InferenceSession.create(join(projectRoot, 'models/anomaly/1.0.0/model.onnx'));
  let compared = 0;
  for (const s of stored.slice(-30)) {
    const idx = (s.ts - base) / 1000;
    const window = all.slice(idx - 9, idx + 1);
    const features = Float32Array.from(SENSORS.map((name) => window.reduce((a, r) => a + r[name]!, 0) / window.length));
    const out = await session.run({ features: new ort.Tensor('float32', features, [1, SENSORS.length]) });
    const direct = Number((out.score!.data as Float32Array)[0]);
    if (Math.abs(direct - s.value) > 1e-3 * Math.max(1, Math.abs(direct))) t.fail(`seq ${s.seq}: stored ${s.value} vs direct ${direct}`);
    compared++;
  }
  t.equal(compared, 30, 'stored scores equal a direct onnxruntime run');

  await sleep(200);
  const anomaly = alerts.filter((a) => a.model === 'anomaly' && a.asset === 'engine-1');
  t.same(anomaly.map((a) => a.state), ['raised', 'cleared'], 'one raise for the degraded run, one clear after it (hysteresis)');
  const stored2 = db.prepare("SELECT state FROM alerts WHERE model = 'anomaly' ORDER BY ts").all() as Array<{ state: string }>;
  t.same(stored2.map((a) => a.state), ['raised', 'cleared'], 'alerts stored for sync');
  t.ok((db.prepare('SELECT count(*) AS n FROM readings WHERE priority = 1').get() as { n: number }).n > 0, 'readings that raised an alert go ahead of the backlog');

  // Retained: a client connecting later learns the last alert state at once.
  const late = await connect(gw.mqttPort, { clientId: 'late-hmi' });
  const retained = new Promise<any>((resolve) => late.on('message', (_t, p) => resolve(JSON.parse(p.toString()))));
  await late.subscribeAsync('alerts/engine-1', { qos: 1 });
  const last = await Promise.race([retained, sleep(2000).then(() => null)]);
  t.ok(last, 'alerts/engine-1 is retained');
  await endClient(late);
  await endClient(hmi);
});

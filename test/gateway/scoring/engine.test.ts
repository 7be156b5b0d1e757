import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { Registry } from 'prom-client';
import { createLogger } from '../../../shared/logger.js';
import { ScoringBatch, ScoringEngine, type ScoringInput } from '../../../gateway/scoring/engine.js';
import type { RegistryEvent } from '../../../gateway/scoring/model-registry.js';
import type { ModelService } from '../../../gateway/scoring/model-service.js';
import type { ScoringConfigInput } from '../../../gateway/config/scoring-config.js';
import { rewriteZipMap } from '../../../gateway/scoring/zipmap-rewrite.js';
import {
  REGRESSOR_FEATURES, breaksOnBatches, classifierManifest, expectedFailureProbability, expectedRul, mlRegressor, regressorManifest,
  sklTreeClassifier, writeModelDir,
} from './fixtures.js';

const repoModels = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'models');

function tmp(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'smartmaint-scoring-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Harness {
  engine: ScoringEngine;
  metrics: Registry;
  events: RegistryEvent[];
  timer: { step: number };
}

async function startEngine(t: Test, modelsDir: string, config: ScoringConfigInput = {}): Promise<Harness> {
  const metrics = new Registry();
  const events: RegistryEvent[] = [];
  const timer = { step: 0, now: 0 };
  const engine = new ScoringEngine({
    modelsDir, log: createLogger({ level: 'silent', name: 'test' }), clock: () => 0, registry: metrics,
    // Hold times are alerts.test.ts's subject; here every crossing counts at once.
    config: { watch: false, pollIntervalMs: 0, alertForMs: 0, ...config },
    // every reading of the timer advances it by `step` ms: a run() then "takes" exactly `step` ms
    timer: () => (timer.now += timer.step),
    onModelEvent: (e) => events.push(e),
  });
  await engine.start();
  t.teardown(() => engine.stop());
  const service: ModelService = engine; // the HTTP layer's view of the engine (type-checked)
  void service;
  return { engine, metrics, events, timer };
}

let seq = 0;
/** One multi-sensor message as readings. */
function message(asset: string, ts: number, values: Record<string, number>): ScoringInput[] {
  return Object.entries(values).map(([sensor, value]) => ({ seq: ++seq, ts, asset, sensor, value }));
}
const x = (a: number, b: number, c: number) => ({ a, b, c });

t.test('one score per (asset, ts) event, on the seq of its last reading; bad readings are counted', async (t) => {
  const root = tmp(t);
  writeModelDir(root, classifierManifest('1'), sklTreeClassifier());
  const { engine, metrics } = await startEngine(t, root);
  const m1 = message('press-1', 1000, { temp: 60, vibration: 5 });
  const partial = message('press-2', 1000, { temp: 90 }); // no vibration in this message: cannot be scored
  const m2 = message('press-1', 2000, { temp: 40, vibration: 1 });
  const other = message('lathe-9', 1000, { temp: 99, vibration: 9 }); // not one of the manifest's assets
  const bad = [{ seq: ++seq, ts: 3000, asset: 'press-1', sensor: 'temp', value: Number.NaN },
    { seq: ++seq, ts: 3000, asset: '', sensor: 'temp', value: 1 }] as ScoringInput[];
  const { scores, alerts } = await engine.score([...m1, ...partial, ...other, ...m2, ...bad]);
  t.same(scores.filter((s) => s.output === 'p_fail').map((s) => s.seq), [m1[1]!.seq, m2[1]!.seq]);
  const p1 = scores.find((s) => s.seq === m1[1]!.seq && s.output === 'p_fail')!;
  t.ok(Math.abs(p1.value - expectedFailureProbability(60, 5)) < 1e-6);
  t.match(p1, { model: 'failure-test', version: '1' });
  t.equal(scores.find((s) => s.seq === m1[1]!.seq && s.output === 'label')!.value, 1);
  t.same(alerts.map((a) => [a.asset, a.state, a.severity, a.ts]),
    [['press-1', 'raised', 'warning', 1000], ['press-1', 'cleared', 'warning', 2000]], 'p 0.90 > 0.8 raises, p 0.06 <= 0.5 clears');
  t.equal(alerts[0]!.id, alerts[1]!.id, 'the clear event names the alert it clears');
  const text = await metrics.metrics();
  t.match(text, /smartmaint_scoring_bad_readings_total\{reason="value"\} 1/);
  t.match(text, /smartmaint_scoring_bad_readings_total\{reason="asset"\} 1/);
  t.match(text, /smartmaint_model_rows_scored_total\{model="failure-test",version="1"\} 2/);
  t.match(text, /smartmaint_alerts_total\{severity="warning",state="raised"\} 1/);
  t.match(text, /smartmaint_alerts_total\{severity="warning",state="cleared"\} 1/);
  t.match(engine.latest('press-1'), { 'failure-test/p_fail': { version: '1', ts: 2000 } });
  t.match(engine.list(), [{ name: 'failure-test', version: '1', status: 'active', rowsScored: 2, assets: ['press-1', 'press-2'],
    outputs: ['p_fail', 'label'] }]);
});

t.test('score(batch, from, to) scores only that part of a batch, as scoring the part on its own does', async (t) => {
  const root = tmp(t);
  writeModelDir(root, regressorManifest('1'), mlRegressor());
  const a = await startEngine(t, root);
  const b = await startEngine(t, root);
  const readings = [...message('machine-1', 1, x(13, 0, 5)), ...message('machine-1', 2, x(11, 0, 5)), ...message('machine-2', 2, x(12, 1, 5)),
    ...message('machine-1', 3, x(10, 0, 6))];
  const batch = ScoringBatch.from(readings);
  const part = await a.engine.score(batch, 3, 9);
  const alone = await b.engine.score(readings.slice(3, 9));
  t.same(part.scores, alone.scores);
  t.same(part.scores.map((s) => s.seq), [readings[5]!.seq, readings[8]!.seq], 'the two events of readings 3..8');
  t.same((await a.engine.score(batch, 9, 100)).scores.map((s) => s.seq), [readings[11]!.seq], 'an end past the batch stops at its end');
});

t.test('batches of very different sizes score as message by message (buffers reused from batch to batch)', async (t) => {
  const root = tmp(t);
  writeModelDir(root, regressorManifest('1'), mlRegressor());
  const batched = await startEngine(t, root);
  const single = await startEngine(t, root);
  let ts = 0;
  // 150 events (past the 64 rows a job starts with, and 450 readings of one asset, past its first index buffer),
  // then 3, then 200 over two assets, then 1: stale rows of a bigger batch must never leak into a smaller one.
  const sizes = [150, 3, 200, 1];
  for (const size of sizes) {
    const readings: ScoringInput[] = [];
    for (let e = 0; e < size; e++) {
      ts++;
      readings.push(...message(e % 2 === 0 ? 'machine-1' : 'machine-2', ts, x(10 + (ts % 7), ts % 2, 5 + (ts % 3))));
    }
    const got = await batched.engine.score(readings);
    const want: Array<{ seq: number; value: number }> = [];
    for (let e = 0; e < size; e++) want.push(...(await single.engine.score(readings.slice(e * 3, e * 3 + 3))).scores);
    const bySeq = (xs: Array<{ seq: number; value: number }>) => xs.map((s) => [s.seq, s.value]).sort((a, b) => a[0]! - b[0]!);
    t.same(bySeq(got.scores), bySeq(want), `a batch of ${size} events (scores grouped by asset, so compared by seq)`);
  }
});

t.test('window features keep the last value of sensors not in the current message', async (t) => {
  const root = tmp(t);
  writeModelDir(root, regressorManifest('1'), mlRegressor());
  const { engine } = await startEngine(t, root);
  const first = message('machine-1', 1, x(13, 0, 5));
  const onlyA = message('machine-1', 2, { a: 11 });
  const { scores } = await engine.score([...first, ...onlyA]);
  t.same(scores.map((s) => [s.seq, s.value]), [[first[2]!.seq, expectedRul(13, 0, 5)], [onlyA[0]!.seq, expectedRul(11, 0, 5)]]);
});

t.test('alerts raise once and clear with hysteresis', async (t) => {
  const root = tmp(t);
  writeModelDir(root, regressorManifest('1'), mlRegressor()); // raise below 85, clear at >= 95
  const { engine } = await startEngine(t, root);
  const inputs = [x(13, 0, 5), x(11, 0, 5), x(11, 0, 6), x(11, 0, 5), x(11, 0, 6), x(13, 0, 5), x(11, 0, 6)];
  // rul:          107          90           80 raise     90 (held)    80 (held)    107 clear    80 raise
  const states: string[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const { alerts } = await engine.score(message('machine-7', 1000 * (i + 1), inputs[i]!));
    states.push(alerts.map((a) => `${a.state}@${a.ts}:${a.value}`).join(',') || '-');
  }
  t.same(states, ['-', '-', 'raised@3000:80', '-', '-', 'cleared@6000:107', 'raised@7000:80']);
});

t.test('thresholds of an output come from the loaded manifest', async (t) => {
  const root = tmp(t);
  const manifest = regressorManifest('1');
  writeModelDir(root, manifest, mlRegressor());
  const { engine } = await startEngine(t, root);
  const output = manifest.thresholds[0]!.output;
  t.same(engine.thresholds(manifest.name, '1', output), manifest.thresholds.filter((th) => th.output === output));
  t.same(engine.thresholds(manifest.name, '1', 'no-such-output'), []);
  t.same(engine.thresholds('no-such-model', '1', output), []);
});

t.test('the gateway path gives what a direct onnxruntime call gives on the same inputs (turbofan-rul, FD001 replay)', async (t) => {
  const { engine } = await startEngine(t, repoModels);
  const { loadFd001 } = await import('../../../shared/ml/datasets.js');
  const { turbofanTestSet } = await import('../../../models/train/turbofan-rul.js');
  const fd001 = loadFd001(join(repoModels, 'data'));
  const engineRows = fd001.test[0]!.rows;
  let last: number | undefined;
  for (const row of engineRows) {
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(row)) if (k !== 'unit') values[k] = v;
    const { scores } = await engine.score(message('engine-1', row.cycle! * 1000, values));
    last = scores.find((s) => s.model === 'turbofan-rul' && s.output === 'rul')?.value ?? last;
  }
  const bytes = rewriteZipMap(readFileSync(join(repoModels, 'turbofan-rul', '1.0.0', 'model.onnx'))).bytes;
  const session = await ort.InferenceSession.create(bytes);
  const features = turbofanTestSet(fd001).X[0]!;
  const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from(features), [1, features.length]) });
  await session.release();
  t.equal(last, (out.rul!.data as Float32Array)[0], 'identical float32 result');
  const latest = engine.latest('engine-1');
  t.ok(latest['anomaly/anomaly_score'] && latest['turbofan-rul/rul'], 'both engine models scored');
});

t.test('hot swap: a new version is validated and swapped in; a mismatched one is refused and the old keeps serving', async (t) => {
  const root = tmp(t);
  writeModelDir(root, regressorManifest('1'), mlRegressor());
  const { engine, events } = await startEngine(t, root);
  const score = async () => (await engine.score(message('machine-1', ++seq, x(13, 0, 5)))).scores[0]!;
  t.match(await score(), { version: '1', value: 107 });
  writeModelDir(root, regressorManifest('2'), mlRegressor({ base: 200 }));
  await engine.refresh();
  t.match(await score(), { version: '2', value: 207 });
  writeModelDir(root, regressorManifest('3', { input: { name: 'input', features: REGRESSOR_FEATURES } as never }),
    mlRegressor({ base: 300 }));
  await engine.refresh();
  t.match(await score(), { version: '2', value: 207 }, 'version 2 keeps serving');
  const v3 = engine.list().find((m) => m.version === '3')!;
  t.equal(v3.status, 'failed');
  t.match(v3.error, /input 'input' not in the graph \(inputs: X\)/);
  t.same(engine.list().map((m) => [m.version, m.status]), [['1', 'retired'], ['2', 'active'], ['3', 'failed']]);
  t.same(events.map((e) => e.kind), ['loaded', 'swapped', 'refused']);
});

t.test('the watcher picks up a version folder dropped in', async (t) => {
  const root = tmp(t);
  writeModelDir(root, regressorManifest('1'), mlRegressor());
  const h = await startEngine(t, root, { watch: true, settleMs: 20 });
  const swapped = new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (h.events.some((e) => e.kind === 'swapped')) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
    t.teardown(() => clearInterval(timer));
  });
  writeModelDir(root, regressorManifest('2'), mlRegressor({ base: 200 }));
  await swapped;
  t.match((await h.engine.score(message('machine-1', 1, x(13, 0, 5)))).scores, [{ version: '2', value: 207 }]);
});

t.test('hot swap under load loses no reading', async (t) => {
  const root = tmp(t);
  writeModelDir(root, regressorManifest('1'), mlRegressor());
  const { engine } = await startEngine(t, root);
  const pending: Array<Promise<{ scores: Array<{ seq: number; version: string }> }>> = [];
  const expected: number[] = [];
  let swap: Promise<void> | null = null;
  for (let i = 0; i < 200; i++) {
    const batch = [1, 2, 3, 4].flatMap((m) => message(`machine-${m}`, i + 1, x(13, i, 5)));
    for (let k = 2; k < batch.length; k += 3) expected.push(batch[k]!.seq);
    pending.push(engine.score(batch)); // not awaited: batches queue up while the swap happens
    if (i === 100) {
      writeModelDir(root, regressorManifest('2'), mlRegressor({ base: 200 }));
      swap = engine.refresh();
    }
  }
  await swap;
  const results = await Promise.all(pending);
  const scored = results.flatMap((r) => r.scores);
  t.same(scored.map((s) => s.seq).sort((a, b) => a - b), expected.sort((a, b) => a - b), 'every event scored exactly once');
  const versions = new Set(scored.map((s) => s.version));
  t.ok(versions.has('1'), 'version 1 scored before the swap');
  const after = await engine.score(message('machine-1', 1000, x(13, 0, 5)));
  t.equal(after.scores[0]!.version, '2');
});

t.test('shadow: scored and returned, never alerts, until promoted', async (t) => {
  const root = tmp(t);
  writeModelDir(root, regressorManifest('1'), mlRegressor({ base: 200 })); // never below 85
  writeModelDir(root, regressorManifest('2', { mode: 'shadow' }), mlRegressor()); // 80 on this input
  const { engine } = await startEngine(t, root);
  t.same(engine.list().map((m) => [m.version, m.status]), [['1', 'active'], ['2', 'shadow']]);
  const r = await engine.score(message('machine-1', 1, x(11, 0, 6)));
  t.same(r.scores.map((s) => [s.version, s.value]).sort(), [['1', 180], ['2', 80]]);
  t.same(r.alerts, [], 'no alert from the shadow version');
  t.same(Object.values(engine.latest('machine-1')).map((l) => l.version), ['1'], 'status page shows the active version');
  engine.promote('rul-test', '2');
  const after = await engine.score(message('machine-1', 2, x(11, 0, 6)));
  t.same(after.scores.map((s) => s.version), ['2']);
  t.same(after.alerts.map((a) => [a.version, a.state]), [['2', 'raised']]);
});

t.test('rollback: a version whose runs keep failing goes back to the previous one', async (t) => {
  const root = tmp(t);
  writeModelDir(root, regressorManifest('1'), mlRegressor());
  writeModelDir(root, regressorManifest('2'), breaksOnBatches()); // loads, scores one row, fails on two
  const { engine, metrics, events } = await startEngine(t, root, { rollback: { consecutiveErrors: 3 } });
  t.same(engine.list().map((m) => [m.version, m.status]), [['1', 'retired'], ['2', 'active']]);
  const two = (ts: number) => [...message('machine-1', ts, x(13, 0, 5)), ...message('machine-2', ts, x(11, 0, 5))];
  t.same((await engine.score(two(1))).scores, [], 'failed run: nothing scored, no throw');
  t.same((await engine.score(two(2))).scores, []);
  const third = await engine.score(two(3));
  t.same(third.scores.map((s) => [s.version, s.value]), [['1', 107], ['1', 90]], 'third failure rolls back and rescoring uses 1');
  t.same(engine.list().map((m) => [m.version, m.status]), [['1', 'active'], ['2', 'failed']]);
  t.match(engine.list()[1]!.error, /rolled back: 3 consecutive failed runs/);
  t.match(await metrics.metrics(), /smartmaint_model_errors_total\{model="rul-test",version="2",reason="run"\} 3/);
  t.ok(events.some((e) => e.kind === 'rolled-back'));
  await engine.refresh();
  t.equal(engine.list()[1]!.status, 'failed', 'the rolled-back folder is not reloaded until it changes');
});

t.test('rollback to a version with another input: its rows are not rescored by it, its next batches are', async (t) => {
  const root = tmp(t);
  writeModelDir(root, regressorManifest('1'), mlRegressor());
  writeModelDir(root, regressorManifest('2', { input: { name: 'X', features: [...REGRESSOR_FEATURES,
    { sensor: 'd', aggregation: 'last', window: { readings: 1 } }] } as never }), breaksOnBatches(4));
  const { engine } = await startEngine(t, root, { rollback: { consecutiveErrors: 3 } });
  const two = (ts: number) => [...message('machine-1', ts, { ...x(13, 0, 5), d: 1 }), ...message('machine-2', ts, { ...x(11, 0, 5), d: 1 })];
  await engine.score(two(1));
  await engine.score(two(2));
  t.same((await engine.score(two(3))).scores, [], 'rolled back, but 4-feature rows are not fed to the 3-feature version');
  t.same(engine.list().map((m) => [m.version, m.status]), [['1', 'active'], ['2', 'failed']]);
  t.same((await engine.score(two(4))).scores.map((s) => [s.version, s.value]), [['1', 107], ['1', 90]], 'then version 1 scores from its own input');
});

t.test('rollback to a version whose features share names but not windows: its rows are not rescored by it', async (t) => {
  const root = tmp(t);
  writeModelDir(root, regressorManifest('1'), mlRegressor());
  const features = [REGRESSOR_FEATURES[0]!, REGRESSOR_FEATURES[1]!, { name: 'c.last', sensor: 'c', aggregation: 'mean', window: { readings: 2 } }];
  writeModelDir(root, regressorManifest('2', { input: { name: 'X', features } } as never), breaksOnBatches());
  const { engine } = await startEngine(t, root, { rollback: { consecutiveErrors: 3 } });
  const two = (ts: number) => [...message('machine-1', ts, x(13, 0, 5)), ...message('machine-2', ts, x(11, 0, 5))];
  await engine.score(two(1));
  await engine.score(two(2));
  t.same((await engine.score(two(3))).scores, [], 'rolled back; rows of the other windows are not fed to version 1');
  t.same(engine.list().map((m) => [m.version, m.status]), [['1', 'active'], ['2', 'failed']]);
});

t.test('rollback on a latency blow-up', async (t) => {
  const root = tmp(t);
  writeModelDir(root, regressorManifest('1'), mlRegressor());
  const h = await startEngine(t, root, { rollback: { minRuns: 3, latencyFactor: 10 } });
  h.timer.step = 1; // 1 ms per run
  for (let i = 0; i < 3; i++) await h.engine.score(message('machine-1', i + 1, x(13, 0, 5)));
  writeModelDir(root, regressorManifest('2'), mlRegressor({ base: 200 }));
  await h.engine.refresh();
  h.timer.step = 50; // the new version "takes" 50 ms per row
  const versions: string[] = [];
  for (let i = 0; i < 4; i++) versions.push(...(await h.engine.score(message('machine-1', 10 + i, x(13, 0, 5)))).scores.map((s) => s.version));
  t.same(versions, ['2', '2', '2', '1'], 'judged after minRuns runs, then back on 1');
  t.match(h.engine.list().find((m) => m.version === '2'), { status: 'failed', error: /latency/ });
});

t.test('predict: named features in, outputs out; wrong names are refused by code', async (t) => {
  const root = tmp(t);
  writeModelDir(root, regressorManifest('1'), mlRegressor());
  const { engine } = await startEngine(t, root);
  t.same(await engine.predict('rul-test', 'auto', { 'a.last': 13, 'b.last': 0, 'c.last': 5 }), { outputs: { rul: 107 }, version: '1' });
  t.same(await engine.predict('rul-test', '1', { 'a.last': 11, 'b.last': 0, 'c.last': 6 }), { outputs: { rul: 80 }, version: '1' });
  await t.rejects(engine.predict('rul-test', 'auto', { 'a.last': 1, 'b.last': 2, d: 3 }),
    { code: 'SMARTMAINT_MODEL_FEATURES_MISMATCH', missing: ['c.last'], extra: ['d'], message: /missing c\.last; unknown d/ });
  await t.rejects(engine.predict('nope', 'auto', {}), { code: 'SMARTMAINT_MODEL_NOT_FOUND' });
  await t.rejects(engine.predict('rul-test', '9', {}), { code: 'SMARTMAINT_MODEL_NOT_FOUND' });
  await t.rejects(engine.predict('rul-test', 'auto', { 'a.last': Number.NaN, 'b.last': 0, 'c.last': 0 }), { code: 'SMARTMAINT_MODEL_FEATURES_INVALID' });
});

t.test('a models dir that does not exist is not fatal', async (t) => {
  const { engine } = await startEngine(t, join(tmp(t), 'missing'));
  t.same(engine.list(), []);
  t.same(await engine.score(message('machine-1', 1, x(1, 2, 3))), { scores: [], alerts: [] });
});

t.test('a version folder rewritten in place: shadow → active promotes; a broken rewrite keeps the loaded copy', async (t) => {
  const root = tmp(t);
  writeModelDir(root, regressorManifest('1'), mlRegressor());
  const dir2 = writeModelDir(root, regressorManifest('2', { mode: 'shadow' }), mlRegressor({ base: 200 }));
  const { engine } = await startEngine(t, root);
  t.same(engine.list().map((m) => m.status), ['active', 'shadow']);
  writeFileSync(join(dir2, 'manifest.json'), JSON.stringify(regressorManifest('2')));
  await engine.refresh();
  t.same(engine.list().map((m) => m.status), ['retired', 'active']);
  writeFileSync(join(dir2, 'model.onnx'), Buffer.from('truncated'));
  await engine.refresh();
  t.match(engine.list()[1], { status: 'active', error: /model.onnx is not an ONNX model/ });
  t.same((await engine.score(message('machine-1', 1, x(13, 0, 5)))).scores.map((s) => [s.version, s.value]), [['2', 207]]);
});

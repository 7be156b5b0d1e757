/**
 * The origin's ML endpoints over real HTTP, with a small fake implementing the scoring engine's interface
 * (gateway/scoring/model-service.ts), and check_drift over readings stored through the real pipeline.
 */
import t from 'tap';
import { pino } from 'pino';
import type { ModelService, ModelServiceListing } from '../../../../gateway/scoring/model-service.js';
import { Gateway } from '../../../../gateway/gateway.js';
import { SmartmaintError } from '../../../../shared/errors.js';
import { addDevice } from '../../../helpers/devices.js';
import { gatewayConfig, removeDir, startGateway, tempDir } from '../../../helpers/gateway.js';
import { httpJson } from '../../../helpers/http.js';

class Mismatch extends SmartmaintError {
  constructor(readonly missing: string[], readonly extra: string[]) {
    super('SMARTMAINT_MODEL_FEATURES_MISMATCH', `missing ${missing.join(', ')}; unknown ${extra.join(', ')}`);
  }
}

function fakeEngine(): ModelService & { calls: number } {
  const models: Array<ModelServiceListing & { features: string[] }> = [
    { name: 'ai4i-failure', version: '1.0.0', status: 'active', rowsScored: 10, meanScoreMs: 0.2, assets: ['mill-*'], outputs: ['failure_probability', 'failure_label'], features: ['rpm', 'torque_nm'] },
    { name: 'ai4i-failure', version: '1.1.0', status: 'shadow', rowsScored: 3, meanScoreMs: 0.3, assets: ['mill-*'], outputs: ['failure_probability', 'failure_label'], features: ['rpm', 'torque_nm'] },
    { name: 'anomaly', version: '1.0.0', status: 'active', rowsScored: 0, meanScoreMs: 0, assets: ['engine-*'], outputs: ['anomaly_score'], features: ['s2'] },
    { name: 'turbofan-rul', version: '0.9.0', status: 'failed', rowsScored: 0, meanScoreMs: 0, assets: [], outputs: [], features: [], error: 'bad onnx' },
  ];
  const engine = {
    calls: 0,
    list: () => models.map(({ features: _f, ...m }) => m),
    async predict(name: string, version: string, features: Record<string, number>): Promise<{ outputs: Record<string, number>; version: string }> {
      engine.calls++;
      const m = models.find((x) => x.name === name && (version === 'auto' ? x.status === 'active' : x.version === version) && x.status !== 'failed');
      if (!m) throw new SmartmaintError('SMARTMAINT_MODEL_NOT_FOUND', `no loaded model ${name}`);
      const missing = m.features.filter((f) => !(f in features));
      const extra = Object.keys(features).filter((f) => !m.features.includes(f));
      if (missing.length || extra.length) throw new Mismatch(missing, extra);
      if (name === 'anomaly') return { outputs: { anomaly_score: features.s2! }, version: m.version };
      const p = Math.min(1, features.torque_nm! / 100);
      return { outputs: { failure_probability: p, failure_label: p > 0.5 ? 1 : 0 }, version: m.version };
    },
    latest: () => ({}),
  };
  return engine;
}

t.test('model listing, versions, latest, health; 503 without an engine', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { scoring: { enabled: false } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const get = (p: string) => httpJson(gw.httpPort, 'GET', p);
  t.equal((await get('/api/v1/ml/models')).status, 503);
  t.equal((await get('/api/v1/ml/health')).status, 503);
  t.equal((await httpJson(gw.httpPort, 'POST', '/api/v1/ml/predict', { model_name: 'anomaly', features: {} })).status, 503);
  gw.originApi.setModelService(() => fakeEngine());
  const list = await get('/api/v1/ml/models');
  t.equal(list.status, 200);
  t.equal(list.body.count, 4);
  t.match(list.body.models[0], { name: 'ai4i-failure', version: '1.0.0', status: 'active', rows_scored: 10, outputs: ['failure_probability', 'failure_label'] });
  t.same((await get('/api/v1/ml/models/list')).body, list.body);
  const versions = await get('/api/v1/ml/models/ai4i-failure/versions');
  t.same(versions.body.versions.map((v: any) => [v.version, v.status]), [['1.0.0', 'active'], ['1.1.0', 'shadow']]);
  t.equal((await get('/api/v1/ml/models/nope/versions')).status, 404);
  t.match((await get('/api/v1/ml/models/ai4i-failure/latest')).body, { version: '1.0.0', status: 'active' });
  t.equal((await get('/api/v1/ml/models/turbofan-rul/latest')).status, 404, 'a failed model has no active version');
  const health = await get('/api/v1/ml/health');
  t.equal(health.status, 200);
  t.match(health.body, { status: 'degraded', models_loaded: 3, models_failed: 1 });
});

t.test('predict, predict/failure, predict/anomaly, detect_anomaly', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const engine = fakeEngine();
  gw.originApi.setModelService(() => engine);
  const post = (p: string, body: unknown) => httpJson(gw.httpPort, 'POST', p, body);
  const pred = await post('/api/v1/ml/predict', { model_name: 'ai4i-failure', model_version: 'auto', features: { rpm: 1500, torque_nm: 80 }, sensor_id: 'mill-1' });
  t.equal(pred.status, 200);
  t.match(pred.body, { prediction: 0.8, confidence: 0.8, model_info: { name: 'ai4i-failure', version: '1.0.0', output: 'failure_probability' },
    outputs: { failure_probability: 0.8, failure_label: 1 }, sensor_id: 'mill-1' });
  t.match(pred.body.request_id, /^[0-9a-f-]{36}$/);
  t.ok(Number.isFinite(Date.parse(pred.body.timestamp)));
  t.equal((await post('/api/v1/ml/predict', { model_name: 'ai4i-failure', model_version: '1.1.0', features: { rpm: 1, torque_nm: 10 } })).body.model_info.version, '1.1.0');
  const mismatch = await post('/api/v1/ml/predict', { model_name: 'ai4i-failure', features: { rpm: 1500, speed: 3 } });
  t.equal(mismatch.status, 422);
  t.same([mismatch.body.error.missing, mismatch.body.error.extra], [['torque_nm'], ['speed']], 'names what is missing and extra');
  const invalid = await post('/api/v1/ml/predict', { features: { rpm: 'fast' } });
  t.equal(invalid.status, 422);
  t.match(invalid.body.error.issues.map((i: any) => i.path).join('\n'), /model_name/);
  t.match(invalid.body.error.issues.map((i: any) => i.path).join('\n'), /features\.rpm/);
  t.equal((await post('/api/v1/ml/predict', { model_name: 'ghost', features: {} })).status, 404);
  const failure = await post('/api/v1/ml/predict/failure', { sensor_id: 'mill-2', features: { rpm: 1, torque_nm: 20 } });
  t.match(failure.body, { prediction: 0.2, confidence: 0.8, model_info: { name: 'ai4i-failure' } });
  const anomaly = await post('/api/v1/ml/predict/anomaly', { sensor_id: 'engine-1', features: { s2: 3.5 } });
  t.match(anomaly.body, { prediction: 3.5, confidence: null, model_info: { name: 'anomaly', output: 'anomaly_score' } });

  const values = [10, 10.2, 9.9, 10.1, 10, 35, 9.8, 10.05];
  const stat = await post('/api/v1/ml/detect_anomaly', { sensor_readings: values });
  t.equal(stat.status, 200);
  t.match(stat.body, { total_readings_analyzed: 8, anomaly_count: 1, anomalies_detected: [{ index: 5, value: 35 }], model_info: { name: 'robust-zscore' } });
  const objs = await post('/api/v1/ml/detect_anomaly', { sensor_readings: values.map((value) => ({ value })), sensitivity: 0.5 });
  t.equal(objs.body.anomaly_count, 1);
  const calls = engine.calls;
  const byModel = await post('/api/v1/ml/detect_anomaly', { sensor_readings: [1, 2, 9].map((s2) => ({ features: { s2 } })), threshold: 2.4 });
  t.match(byModel.body, { anomaly_count: 1, anomalies_detected: [{ index: 2, score: 9 }], model_info: { name: 'anomaly', version: '1.0.0', threshold: 2.4 } });
  t.equal(engine.calls - calls, 3, 'each feature set scored through the engine');
  t.equal((await post('/api/v1/ml/detect_anomaly', { sensor_readings: [] })).status, 422);
  t.equal((await post('/api/v1/ml/detect_anomaly', { sensor_readings: [1, { features: { s2: 1 } }] })).status, 422);
});

t.test('check_drift: KS over the stored recent window against the preceding one', async (t) => {
  const dir = tempDir();
  const key = await addDevice(dir, 'box', ['pump-*']);
  const now = Date.now();
  const gw = new Gateway({ config: gatewayConfig(dir), log: pino({ level: 'silent' }), clock: () => now });
  await gw.start();
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const post = (p: string, body: unknown) => httpJson(gw.httpPort, 'POST', p, body, { 'x-api-key': key });
  // 60 readings per window; the stable sensor keeps its distribution, the drifting one shifts by +5.
  const batch = [];
  for (let i = 0; i < 60; i++) {
    const noise = Math.sin(i * 12.9898) * 1;
    batch.push({ sensor_id: 'pump-1', timestamp: (now - 119.5 * 60_000 + i * 60_000) / 1000, stable: 20 + noise, drifting: 20 + noise });
    batch.push({ sensor_id: 'pump-1', timestamp: (now - 50 * 60_000 + i * 50_000) / 1000, stable: 20 + Math.sin(i * 78.233), drifting: 25 + noise });
  }
  t.equal((await post('/api/v1/data/ingest', batch)).status, 200);
  const drift = await post('/api/v1/ml/check_drift', { sensor_id: 'pump-1', window_minutes: 60, p_value_threshold: 0.05, min_samples: 30 });
  t.equal(drift.status, 200);
  t.match(drift.body, { sensor_id: 'pump-1', sensor: 'drifting', ks_statistic: 1, drift_detected: true, insufficient_data: false, counts: { recent: 60, reference: 60 } });
  t.ok(drift.body.p_value < 1e-6);
  const stable = drift.body.sensors.find((s: any) => s.sensor === 'stable');
  t.equal(stable.drift_detected, false, `p=${stable.p_value}`);
  const few = await post('/api/v1/ml/check_drift', { sensor_id: 'pump-1', sensor: 'stable', min_samples: 100 });
  t.match(few.body, { insufficient_data: true, ks_statistic: null, p_value: null, drift_detected: false, counts: { recent: 60, reference: 60 } });
  t.match((await post('/api/v1/ml/check_drift', { sensor_id: 'ghost' })).body, { insufficient_data: true });
  t.equal((await post('/api/v1/ml/check_drift', { sensor_id: 'pump-1', window_minutes: -1 })).status, 422);
});

t.test('with the real scoring engine and the shipped models', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { scoring: { enabled: true } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const features = { product_quality: 1, air_temp_k: 300.1, process_temp_k: 310.2, rpm: 1500, torque_nm: 40.5, tool_wear_min: 120 };
  const pred = await httpJson(gw.httpPort, 'POST', '/api/v1/ml/predict', { model_name: 'ai4i-failure', model_version: 'auto', features });
  t.equal(pred.status, 200, JSON.stringify(pred.body));
  t.ok(pred.body.prediction >= 0 && pred.body.prediction <= 1);
  t.match(pred.body.model_info, { name: 'ai4i-failure', output: 'failure_probability' });
  const { torque_nm: _t, ...missing } = features;
  const bad = await httpJson(gw.httpPort, 'POST', '/api/v1/ml/predict/failure', { sensor_id: 'mill-1', features: { ...missing, torque: 1 } });
  t.equal(bad.status, 422);
  t.same([bad.body.error.missing, bad.body.error.extra], [['torque_nm'], ['torque']]);
  const list = await httpJson(gw.httpPort, 'GET', '/api/v1/ml/models');
  t.same(list.body.models.map((m: any) => m.name).sort(), ['ai4i-failure', 'anomaly', 'turbofan-rul']);
});

import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../../deploy/cli/smartmaint.js';
import { classifierManifest, expectedFailureProbability, mlRegressor, regressorManifest, sklTreeClassifier, writeModelDir } from './fixtures.js';

async function cli(argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => { out += d.toString(); });
  stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await runCli(argv, { stdout, stderr, env: {} });
  return { code, out, err };
}

t.test('models list shows each version with status; a refused one makes the exit code 1', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'smartmaint-cli-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  writeModelDir(root, regressorManifest('1'), mlRegressor());
  let r = await cli(['models', 'list', '--models-dir', root, '--json']);
  t.equal(r.code, 0);
  t.match(JSON.parse(r.out), [{ name: 'rul-test', version: '1', status: 'active', outputs: ['rul'] }]);
  writeModelDir(root, regressorManifest('2', { outputs: [{ name: 'rul', kind: 'rul', onnxOutput: 'nope' }], thresholds: [] }), mlRegressor());
  r = await cli(['models', 'list', '--models-dir', root]);
  t.equal(r.code, 1);
  t.match(r.out, /rul-test\s+2\s+failed/);
  t.match(r.out, /output 'nope' \(rul\) not in the graph/);
});

t.test('models check validates a folder and scores vectors through the gateway path', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'smartmaint-cli-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dir = writeModelDir(root, classifierManifest('1'), sklTreeClassifier());
  let r = await cli(['models', 'check', dir]);
  t.equal(r.code, 0);
  t.match(JSON.parse(r.out), { ok: true, features: ['temp', 'vibration'], outputs: ['p_fail', 'label'] });
  const input = join(root, 'in.json');
  writeFileSync(input, JSON.stringify([[60, 5], { temp: 40, vibration: 1 }]));
  r = await cli(['models', 'check', dir, '--input', input]);
  t.equal(r.code, 0);
  const out = JSON.parse(r.out) as Array<{ outputs: { p_fail: number; label: number } }>;
  t.ok(Math.abs(out[0]!.outputs.p_fail - expectedFailureProbability(60, 5)) < 1e-6);
  t.equal(out[1]!.outputs.label, 0);
  writeFileSync(input, JSON.stringify([{ temp: 40 }]));
  r = await cli(['models', 'check', dir, '--input', input]);
  t.equal(r.code, 2, 'bad input is a usage error');
  t.match(r.err, /vector 0: missing vibration/);
  const bad = writeModelDir(root, regressorManifest('1', { input: { name: 'wrong', message: ['a', 'b', 'c'] } }), mlRegressor(), { name: 'bad', version: '1' });
  r = await cli(['models', 'check', bad]);
  t.equal(r.code, 1);
  t.match(JSON.parse(r.out), { ok: false, code: 'SMARTMAINT_MODEL_INVALID', problems: [/input 'wrong' not in the graph/] });
  r = await cli(['models', 'frobnicate']);
  t.equal(r.code, 2);
});

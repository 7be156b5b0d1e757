import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assetMatcher, featureNames, manifestSchema } from '../../../shared/ml/manifest.js';
import { formatIssues } from '../../../shared/config-layers.js';
import { regressorManifest } from '../../gateway/scoring/fixtures.js';

const repoModels = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'models');

function issues(m: unknown): string[] {
  const r = manifestSchema.safeParse(m);
  return r.success ? [] : formatIssues(r.error);
}

t.test('the committed manifests parse', async (t) => {
  for (const name of ['turbofan-rul', 'ai4i-failure', 'anomaly']) {
    const m = manifestSchema.parse(JSON.parse(readFileSync(join(repoModels, name, '1.0.0', 'manifest.json'), 'utf8')));
    t.equal(m.name, name);
  }
});

t.test('defaults: mode active, window of one reading, no thresholds', async (t) => {
  const m = manifestSchema.parse({ name: 'm', version: '1', assets: { ids: ['a'] },
    input: { name: 'x', features: [{ sensor: 's', aggregation: 'mean' }] }, outputs: [{ name: 'o', kind: 'rul', onnxOutput: 'y' }] });
  t.equal(m.mode, 'active');
  t.same(m.thresholds, []);
  t.same('features' in m.input && m.input.features[0]!.window, { readings: 1 });
  t.same(featureNames(m.input), ['s.mean']);
});

t.test('every problem is reported with its path', async (t) => {
  const bad = {
    ...regressorManifest('1'),
    name: 'Bad Name',
    assets: {},
    input: { name: 'X', features: [{ sensor: 'a', aggregation: 'median', window: { readings: 0 } }], scaling: { center: [1, 2], scale: [0, 1] } },
    outputs: [{ name: 'o', kind: 'score', onnxOutput: 'y' }, { name: 'o', kind: 'rul', onnxOutput: 'y' }],
    thresholds: [{ output: 'o', when: 'above', value: 1, clear: 2, severity: 'warning' }],
  };
  const got = issues(bad).join('\n');
  t.match(got, /name: lower-case/);
  t.match(got, /assets: give ids or glob/);
  t.match(got, /input/);
  t.match(got, /outputs\.0\.kind/);
  t.match(got, /thresholds\.0\.clear: clear must be on the healthy side/);
});

t.test('hysteresis direction, duplicates and scaling width are checked', async (t) => {
  const base = regressorManifest('1');
  t.match(issues({ ...base, thresholds: [{ output: 'rul', when: 'below', value: 10, clear: 5, severity: 'x' }] }).join(), /clear must be on the healthy side/);
  t.match(issues({ ...base, outputs: [...base.outputs, ...base.outputs] }).join(), /duplicate output rul/);
  t.match(issues({ ...base, input: { ...base.input, scaling: { center: [0], scale: [1] } } }).join(), /center and scale need 3 values/);
  t.same(issues({ ...base, input: { name: 'X', message: ['a', 'b', 'c'] } }), [], 'message inputs are fine');
});

t.test('asset ids and globs', async (t) => {
  const m = assetMatcher({ ids: ['press-1'], glob: 'engine-*' });
  t.ok(m('press-1'));
  t.ok(m('engine-17'));
  t.notOk(m('press-2'));
  t.notOk(m('xengine-1'));
  t.ok(assetMatcher({ glob: 'mill-?-1' })('mill-L-1'));
  t.notOk(assetMatcher({ glob: 'a.b' })('axb'), 'dots are literal');
});

t.test('threshold hold times: Prometheus durations or milliseconds', async (t) => {
  const { thresholdSchema } = await import('../../../shared/ml/manifest.js');
  const parse = (extra: Record<string, unknown>) => thresholdSchema.safeParse({ output: 'y', when: 'above', value: 1, severity: 'warning', ...extra });
  t.equal(parse({ for: '30s' }).data?.for, 30_000);
  t.equal(parse({ for: '2m', clearFor: '500ms' }).data?.clearFor, 500);
  t.equal(parse({ for: '1h' }).data?.for, 3_600_000);
  t.equal(parse({ for: 1500 }).data?.for, 1500);
  t.notOk(parse({ for: '30 seconds' }).success, 'an unknown unit is refused');
  t.notOk(parse({ for: -1 }).success);
});

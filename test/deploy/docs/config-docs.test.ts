import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { generate } from '../../../deploy/docs/config-docs.js';
import { validateConfig } from '../../../shared/config-layers.js';
import { stripJsonComments } from '../../../shared/jsonc.js';
import { projectRoot } from '../../../shared/version.js';
import { gatewayConfigSchema } from '../../../gateway/config/config.js';
import { cloudConfigSchema } from '../../../cloud/config/config.js';

t.test('generated configuration docs and examples are current (run `npm run docs:config`)', async (t) => {
  for (const [file, text] of Object.entries(await generate())) {
    t.equal(readFileSync(join(projectRoot, file), 'utf8'), text, file);
  }
});

t.test('the example configs are valid configs', async (t) => {
  const gw = JSON.parse(stripJsonComments(readFileSync(join(projectRoot, 'deploy/gateway.example.json'), 'utf8')));
  t.doesNotThrow(() => validateConfig(gatewayConfigSchema, gw, 'gateway'));
  const cloud = JSON.parse(stripJsonComments(readFileSync(join(projectRoot, 'deploy/cloud.example.json'), 'utf8')));
  t.doesNotThrow(() => validateConfig(cloudConfigSchema, cloud, 'cloud'));
});

t.test('comments are stripped outside strings only', async (t) => {
  t.same(JSON.parse(stripJsonComments('{ // c\n "a": "x//y", /* b */ "b": "/*z*/" }')), { a: 'x//y', b: '/*z*/' });
});

t.test('every SMARTMAINT_* code the sources use is in the error registry, and nothing else is', async (t) => {
  const { ERROR_CODES } = await import('../../../shared/errors.js');
  const { readdirSync, statSync } = await import('node:fs');
  const used = new Set<string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/'(SMARTMAINT_[A-Z_]+)'/g)) used.add(m[1]!);
    }
  };
  for (const dir of ['gateway', 'cloud', 'shared']) walk(join(projectRoot, dir));
  // Environment variables share the prefix; they are not error codes.
  const env = [...used].filter((c) => !(c in ERROR_CODES) && /^SMARTMAINT_(BROKER|CONFIG|API_KEY|DEBUG|SCORING|MODELS_DIR|DATA_DIR)$/.test(c));
  for (const e of env) used.delete(e);
  t.same([...used].filter((c) => !(c in ERROR_CODES)).sort(), [], 'codes used but not documented');
  t.same(Object.keys(ERROR_CODES).filter((c) => c.startsWith('SMARTMAINT_') && !used.has(c)).sort(), [], 'codes documented but never used');
  // The cloud's wire codes: the registry holds exactly the ones protocol.ts names, each with its HTTP status.
  const { ERROR_CODES: WIRE } = await import('../../../shared/protocol.js');
  t.same(Object.keys(ERROR_CODES).filter((c) => !c.startsWith('SMARTMAINT_')).sort(), Object.values(WIRE).sort(), 'cloud codes in the registry');
  t.same(Object.values(WIRE).filter((c) => ERROR_CODES[c]?.status === undefined), [], 'cloud codes without an HTTP status');
});

t.test('the generated tables hold the codes, metrics and commands users look up', async (t) => {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  for (const code of ['SMARTMAINT_UNAUTHORIZED', 'SMARTMAINT_MODEL_NOT_FOUND', 'SMARTMAINT_MODEL_INVALID']) t.match(readme, `| \`${code}\` |`);
  for (const metric of ['smartmaint_model_rows_scored_total', 'smartmaint_alerts_total', 'smartmaint_model_status']) t.match(readme, `\`${metric}`);
  t.match(readme, /\| \[`status-password`\]\(docs\/cli\.md#smartmaint-status-password\) \|/, 'status-password in the CLI table');
  const cli = readFileSync(join(projectRoot, 'docs/cli.md'), 'utf8');
  t.match(cli, /## smartmaint cloud\n[\s\S]*--log-level/, 'the cloud\'s --log-level in its usage');
  t.match(cli, /--\[no-\]scoring/, 'the gateway\'s --no-scoring');
});

t.test('the hand-written security limits quote the schema\'s rate-limit defaults', async (t) => {
  const { auth } = cloudConfigSchema.parse({});
  const security = readFileSync(join(projectRoot, 'docs/security.md'), 'utf8');
  t.match(security, `| \`auth.rateLimit\` | ${auth.rateLimit.requestsPerSecond} req/s, burst ${auth.rateLimit.burst}, per key |`);
});

t.test('every source file the README names exists', async (t) => {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const named = [...new Set([...readme.matchAll(/`((?:gateway|cloud|shared|models|deploy|test)\/[\w./-]+\.ts)`/g)].map((m) => m[1]!))];
  t.ok(named.length > 20, 'the README names the files of a reading\'s walk');
  const { existsSync } = await import('node:fs');
  t.same(named.filter((f) => !existsSync(join(projectRoot, f))), [], 'files named in the README that do not exist');
});

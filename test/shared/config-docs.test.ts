import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { generate } from '../../shared/config-docs.js';
import { validateConfig } from '../../shared/config-layers.js';
import { stripJsonComments } from '../../shared/jsonc.js';
import { projectRoot } from '../../shared/version.js';
import { gatewayConfigSchema } from '../../gateway/config.js';
import { cloudConfigSchema } from '../../cloud/config.js';

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

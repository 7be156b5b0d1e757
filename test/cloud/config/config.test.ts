import t from 'tap';
import { resolveConfig } from '../../../shared/config-layers.js';
import { ConfigError } from '../../../shared/errors.js';
import { cloudConfigSchema, cloudFlags } from '../../../cloud/config/config.js';

t.test('defaults, env and flags', async (t) => {
  const r = resolveConfig({
    schema: cloudConfigSchema, what: 'cloud', flags: cloudFlags,
    argv: ['--port', '0', '--data-dir', '/tmp/x'],
    env: { SMARTMAINT_DATABASE_URL: 'postgres://u@h/db', SMARTMAINT_HOST: '127.0.0.1' },
  });
  t.match(r.config, { http: { port: 0, host: '127.0.0.1' }, storage: { dataDir: '/tmp/x', databaseUrl: 'postgres://u@h/db' } });
  t.equal(r.config.auth.cacheTtlMs, 2000);
});

t.test('bad fields reported with their path', async (t) => {
  try {
    resolveConfig({ schema: cloudConfigSchema, what: 'cloud', flags: cloudFlags, argv: ['--port', 'x', '--database-url', 'mysql://a'], env: {} });
    t.fail('should throw');
  } catch (err) {
    t.type(err, ConfigError);
    const issues = (err as ConfigError).issues.join('\n');
    t.match(issues, /http\.port/);
    t.match(issues, /storage\.databaseUrl/);
  }
});

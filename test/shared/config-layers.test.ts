import t from 'tap';
import { z } from 'zod';
import { resolveConfig, validateConfig, setPath, type FlagSpec } from '../../shared/config-layers.js';
import { ConfigError, UsageError } from '../../shared/errors.js';

const schema = z.strictObject({
  name: z.string().default('x'),
  net: z.strictObject({ port: z.number().int().min(0).max(65535).default(1883) }).prefault({}),
});
const flags: FlagSpec[] = [
  { flag: 'name', path: 'name', type: 'string', description: 'name' },
  { flag: 'port', path: 'net.port', type: 'number', description: 'port' },
];

t.test('defaults, env and flags layer in that order', async (t) => {
  const none = resolveConfig({ schema, what: 'test', argv: [], env: {}, flags });
  t.same(none.config, { name: 'x', net: { port: 1883 } });
  const env = resolveConfig({ schema, what: 'test', argv: [], env: { SMARTMAINT_PORT: '1900' }, flags });
  t.equal(env.config.net.port, 1900);
  const both = resolveConfig({ schema, what: 'test', argv: ['--port', '0'], env: { SMARTMAINT_PORT: '1900' }, flags });
  t.equal(both.config.net.port, 0);
  t.ok(Object.isFrozen(both.config.net), 'config is deep-frozen');
});

t.test('a boolean flag is negated with --no-<flag>; the later of the two wins', async (t) => {
  const bool = z.strictObject({ on: z.boolean().default(true) });
  const boolFlags: FlagSpec[] = [{ flag: 'scoring', path: 'on', type: 'boolean', description: 'on' }];
  const run = (argv: string[], env: Record<string, string> = {}) => resolveConfig({ schema: bool, what: 'test', argv, env, flags: boolFlags }).config.on;
  t.equal(run([]), true);
  t.equal(run(['--no-scoring']), false);
  t.equal(run(['--no-scoring'], { SMARTMAINT_SCORING: 'true' }), false, 'the flag beats the environment');
  t.equal(run(['--no-scoring', '--scoring']), true);
  t.equal(run(['--scoring', '--no-scoring']), false);
  t.throws(() => resolveConfig({ schema, what: 'test', argv: ['--no-port'], env: {}, flags }), UsageError, 'only boolean flags negate');
});

t.test('unknown flags are usage errors', async (t) => {
  t.throws(() => resolveConfig({ schema, what: 'test', argv: ['--nope'], env: {}, flags }), UsageError);
});

t.test('every bad field is reported with its path', async (t) => {
  try {
    validateConfig(schema, { name: 3, net: { port: 'abc' }, extra: 1 }, 'test');
    t.fail('should throw');
  } catch (err) {
    t.type(err, ConfigError);
    const issues = (err as ConfigError).issues.join('\n');
    t.match(issues, /name:/);
    t.match(issues, /net\.port:/);
    t.match(issues, /extra/);
  }
});

t.test('setPath creates intermediate objects', async (t) => {
  const o: Record<string, unknown> = { a: 1 };
  setPath(o, 'a.b.c', 2);
  t.same(o, { a: { b: { c: 2 } } });
});

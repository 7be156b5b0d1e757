/**
 * The cloud URL carries the gateway's key (gateway/config/cloud-url.ts): plain http:// to another host is a config
 * error unless sync.allowInsecureHttp (then a warning); credentials in the URL never reach the log or the
 * health answers.
 */
import t from 'tap';
import { pino } from 'pino';
import { gatewayConfigSchema } from '../../../gateway/config/config.js';
import { Gateway } from '../../../gateway/gateway.js';
import { redactUrl } from '../../../gateway/config/cloud-url.js';
import { validateConfig } from '../../../shared/config-layers.js';
import { ConfigError } from '../../../shared/errors.js';
import { gatewayConfig, removeDir, tempDir } from '../../helpers/gateway.js';

const parse = (sync: Record<string, unknown>) => validateConfig(gatewayConfigSchema, { sync }, 'gateway');

t.test('http:// to another host is refused unless sync.allowInsecureHttp; loopback and https are fine', async (t) => {
  t.throws(() => parse({ cloudUrl: 'http://cloud.example.com:8090' }), ConfigError);
  const err = (() => { try { parse({ cloudUrl: 'http://user:hunter2-secret@cloud.example.com' }); } catch (e) { return e as ConfigError; } return undefined; })();
  t.ok(err);
  t.notMatch(JSON.stringify({ message: err!.message, issues: err!.issues }), /hunter2-secret/, 'the refusal does not echo the password');
  t.doesNotThrow(() => parse({ cloudUrl: 'http://cloud.example.com:8090', allowInsecureHttp: true }));
  for (const url of ['https://cloud.example.com', 'http://127.0.0.1:8090', 'http://localhost:8090', 'http://[::1]:8090']) {
    t.doesNotThrow(() => parse({ cloudUrl: url }), url);
  }
});

t.test('redactUrl hides user name and password', async (t) => {
  t.equal(redactUrl('https://user:pw@cloud.example.com/base'), 'https://***:***@cloud.example.com/base');
  t.equal(redactUrl('https://token@cloud.example.com/'), 'https://***@cloud.example.com/');
  t.equal(redactUrl('https://cloud.example.com/'), 'https://cloud.example.com/');
});

t.test('the running gateway logs and reports the cloud URL without its credentials; insecure http is warned about', async (t) => {
  const dir = tempDir();
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => { lines.push(s); } });
  const gw = new Gateway({
    config: gatewayConfig(dir, { sync: { cloudUrl: 'http://operator:hunter2-secret@cloud.invalid:8090', allowInsecureHttp: true } }), log,
  });
  await gw.start();
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const health = await (await fetch(`http://127.0.0.1:${gw.httpPort}/health/detailed`)).text();
  t.notMatch(health, /hunter2-secret/, 'not in /health/detailed');
  t.match(health, /http:\/\/\*\*\*:\*\*\*@cloud\.invalid:8090/);
  t.notMatch(lines.join(''), /hunter2-secret/, 'not in the log');
  const warn = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level === 40 && /in clear/.test(l.msg));
  t.ok(warn, 'allowInsecureHttp is logged as a warning');
});

/**
 * Gateway HTTP hardening: security headers, 415 for content codings the gateway does not decode, and
 * the bind rule (loopback unless a technician password is configured).
 */
import t from 'tap';
import { request } from 'undici';
import { gatewayConfigSchema } from '../../../../gateway/config/config.js';
import { HTML_CSP, installHttpHardening } from '../../../../gateway/http/support/hardening.js';
import { isLoopbackHost } from '../../../../gateway/config/security-config.js';
import { validateConfig } from '../../../../shared/config-layers.js';
import { ConfigError } from '../../../../shared/errors.js';
import Fastify from 'fastify';
import { removeDir, startGateway, tempDir } from '../../../helpers/gateway.js';

t.test('security headers on JSON answers; Content-Encoding other than identity → 415, nothing read', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const res = await request(`http://127.0.0.1:${gw.httpPort}/health`);
  await res.body.dump();
  t.match(res.headers, { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' });
  const gz = await request(`http://127.0.0.1:${gw.httpPort}/api/v1/data/ingest`, {
    method: 'POST', body: '{"sensor_id":"pump-1","value":1}', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
  });
  t.equal(gz.statusCode, 415);
  t.match(await gz.body.json(), { error: { code: 'SMARTMAINT_UNSUPPORTED_MEDIA_TYPE' } });
  t.equal(gw.http.server.headersTimeout, 10_000, 'headers timeout lowered from 60 s');
});

t.test('HTML answers get a strict CSP unless they set their own', async (t) => {
  const app = Fastify();
  installHttpHardening(app);
  app.get('/page', async (_req, reply) => reply.type('text/html').send('<p>hi</p>'));
  app.get('/own', async (_req, reply) => reply.type('text/html').header('content-security-policy', "default-src 'none'").send('<p>x</p>'));
  const page = await app.inject('/page');
  t.equal(page.headers['content-security-policy'], HTML_CSP);
  t.equal(page.headers['cache-control'], undefined, 'HTML may be cached by its route');
  t.equal((await app.inject('/own')).headers['content-security-policy'], "default-src 'none'");
  await app.close();
});

t.test('HTTP binds beyond loopback only with a technician password', async (t) => {
  t.ok(isLoopbackHost('127.0.0.1'));
  t.ok(isLoopbackHost('::1'));
  t.ok(isLoopbackHost('localhost'));
  t.notOk(isLoopbackHost('0.0.0.0'));
  t.notOk(isLoopbackHost('192.168.1.10'));
  t.throws(() => validateConfig(gatewayConfigSchema, { http: { host: '0.0.0.0' } }, 'gateway'), ConfigError);
  t.doesNotThrow(() => validateConfig(gatewayConfigSchema, { http: { host: '0.0.0.0', password: 'technician-pw' } }, 'gateway'));
  t.doesNotThrow(() => validateConfig(gatewayConfigSchema, {}, 'gateway'), 'default 127.0.0.1');
});

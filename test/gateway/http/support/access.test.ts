/**
 * One authentication decision for every gateway HTTP route (gateway/http/support/access.ts): with a technician password,
 * every route in the fastify route table that is not on the allow-list answers 401 without credentials; the
 * right credential class opens each; failed HTTP credentials are throttled like MQTT CONNECTs.
 */
import t from 'tap';
import { request as httpRequest } from 'node:http';
import { request } from 'undici';
import { OPEN_ROUTES } from '../../../../gateway/http/support/access.js';
import { hashPassword } from '../../../../gateway/auth/scrypt-password.js';
import { addDevice } from '../../../helpers/devices.js';
import { removeDir, startGateway, tempDir } from '../../../helpers/gateway.js';

const PASSWORD = 'correct horse battery';

/** A GET from another loopback address, standing for another machine (undici's Agent ignores localAddress). */
function getFrom(localAddress: string, port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, localAddress }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    req.end();
  });
}

async function call(port: number, method: string, path: string, headers: Record<string, string> = {}) {
  const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    method: method as 'GET',
    headers: hasBody ? { 'content-type': 'application/json', ...headers } : headers,
    ...(hasBody ? { body: '{}' } : {}),
  });
  await res.body.dump();
  return { status: res.statusCode, headers: res.headers };
}

const concrete = (url: string): string => url.replace(/:[A-Za-z_]+/g, 'x').replace(/\*$/, 'x');
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

t.test('every route not on the allow-list answers 401 without credentials', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { http: { password: await hashPassword(PASSWORD) } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const table = gw.http.routeAccess;
  t.ok(table.length >= 30, `the route table was walked (${table.length} routes)`);
  for (const route of table) {
    const path = concrete(route.url);
    const res = await call(gw.httpPort, route.method, path);
    if (OPEN_ROUTES.includes(`${route.method} ${route.url}`)) {
      t.equal(res.status, 200, `${route.method} ${route.url} is on the allow-list`);
    } else {
      t.equal(res.status, 401, `${route.method} ${path} (${route.access})`);
      t.ok(res.headers['www-authenticate'], `${route.method} ${path} says how to authenticate`);
    }
  }
  t.same([...OPEN_ROUTES].sort(), ['GET /health', 'HEAD /health'], 'the allow-list is only the liveness probe');
  t.equal((await call(gw.httpPort, 'GET', '/no/such/route')).status, 401, 'unknown paths are not probeable either');
});

t.test('each route opens with the credential it needs, and only that one', async (t) => {
  const dir = tempDir();
  const key = await addDevice(dir, 'plc-1', ['pump-*']);
  const gw = await startGateway(dir, { http: { password: await hashPassword(PASSWORD) } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const tech = basic('tech', PASSWORD);
  const device = { 'x-api-key': key };
  for (const path of ['/api/v1/readings', '/api/v1/dead-letters', '/metrics', '/health/detailed', '/api/v1/status', '/api/v1/metrics/system', '/api/v1/data/sensor/pump-1/recent']) {
    t.not((await call(gw.httpPort, 'GET', path, tech)).status, 401, `${path}: technician`);
    t.equal((await call(gw.httpPort, 'GET', path, device)).status, 401, `${path}: a device key is not a technician`);
  }
  const ingest = (headers: Record<string, string>) => request(`http://127.0.0.1:${gw.httpPort}/api/v1/data/ingest`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ sensor_id: 'pump-1', value: 1 }),
  }).then(async (r) => { await r.body.dump(); return r.statusCode; });
  t.equal(await ingest(device), 200, 'ingest: device key');
  t.equal(await ingest(tech), 401, 'ingest: the technician password is not a device');
  // An empty body is refused by the route itself (422), so it was let through.
  t.equal((await call(gw.httpPort, 'POST', '/api/v1/ml/predict', device)).status, 422, 'predict: device key');
  t.equal((await call(gw.httpPort, 'POST', '/api/v1/ml/predict', tech)).status, 422, 'predict: technician');
});

t.test('without a technician password (loopback only) the pages stay open; ingest still needs a device', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir);
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  t.equal((await call(gw.httpPort, 'GET', '/api/v1/readings')).status, 200);
  t.equal((await call(gw.httpPort, 'POST', '/api/v1/data/ingest')).status, 401);
});

t.test('failed HTTP credentials are throttled by address (MQTT policy); another address is unaffected', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { http: { password: await hashPassword(PASSWORD) }, mqtt: { authThrottle: { addressFreeFailures: 3, banMs: 60_000 } } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const wrong = basic('tech', 'wrong password');
  for (let i = 0; i < 3; i++) t.equal((await call(gw.httpPort, 'GET', '/api/v1/readings', wrong)).status, 401);
  t.equal((await call(gw.httpPort, 'GET', '/api/v1/readings', wrong)).status, 401, 'the failure that starts the ban');
  const banned = await call(gw.httpPort, 'GET', '/api/v1/readings', basic('tech', PASSWORD));
  t.equal(banned.status, 429, 'banned address: refused without the (slow) password check');
  t.ok(Number(banned.headers['retry-after']) >= 1);
  t.equal(await getFrom('127.0.0.2', gw.httpPort, '/api/v1/readings', basic('tech', PASSWORD)), 200, 'another address signs in');
  t.equal((await call(gw.httpPort, 'POST', '/api/v1/data/ingest', { 'x-api-key': 'smd_nope' })).status, 429, 'device keys share the budget');
});

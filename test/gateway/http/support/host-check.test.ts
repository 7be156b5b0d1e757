/**
 * DNS rebinding (gateway/http/support/host-check.ts): the gateway answers only to IP addresses, localhost and the names
 * in http.allowedHosts; any other Host header gets 421 before anything else is looked at.
 */
import { request } from 'node:http';
import t from 'tap';
import { hostAllowed } from '../../../../gateway/http/support/host-check.js';
import { removeDir, startGateway, tempDir } from '../../../helpers/gateway.js';

function statusWithHost(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    req.end();
  });
}

t.test('hostAllowed: IP literals, localhost and listed names, with or without a port', async (t) => {
  const listed = new Set(['gateway.plant.local']);
  for (const h of ['127.0.0.1', '127.0.0.1:8080', '[::1]:8080', '::1', '10.1.2.3', 'localhost:8080', 'LOCALHOST', 'gateway.plant.local:8080', 'Gateway.Plant.Local']) {
    t.ok(hostAllowed(h, listed), h);
  }
  for (const h of ['evil.example', 'evil.example:8080', 'localhost.evil.example', '127.0.0.1.nip.io', 'gateway.plant.local.evil.example']) {
    t.notOk(hostAllowed(h, listed), h);
  }
});

t.test('a rebinding page naming its own domain gets 421 on every route; the gateway\'s own names work', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { http: { allowedHosts: ['gateway.plant.local'] } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const port = gw.httpPort;
  for (const path of ['/api/v1/readings', '/api/v1/status/snapshot', '/health', '/']) {
    t.equal(await statusWithHost(port, path, `attacker.example:${port}`), 421, `${path} refused for attacker.example`);
  }
  t.equal(await statusWithHost(port, '/api/v1/readings', `127.0.0.1:${port}`), 200);
  t.equal(await statusWithHost(port, '/api/v1/readings', `localhost:${port}`), 200);
  t.equal(await statusWithHost(port, '/api/v1/readings', `gateway.plant.local:${port}`), 200, 'a listed name');
});

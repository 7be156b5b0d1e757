/**
 * The cloud over HTTPS: a TCP client that never starts a TLS handshake is closed after http.tls.handshakeTimeoutMs
 * (Node reports the timeout but leaves the socket open unless cloud/server.ts closes it); real clients still work.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import t from 'tap';
import { silentSockets } from '../helpers/raw-mqtt.js';
import { makePki } from '../helpers/tls-certs.js';
import { openStore, startCloud, tempDir } from './helpers.js';

t.test('silent sockets on the HTTPS port are closed by the handshake timeout', async (t) => {
  const pki = makePki(tempDir(t));
  const store = await openStore(t, 'sqlite');
  const { url } = await startCloud(t, store, { http: { tls: { certFile: pki.certFile, keyFile: pki.keyFile, handshakeTimeoutMs: 500 } } });
  const port = Number(new URL(url).port);
  const open = await silentSockets(port, 10, 6_000);
  t.ok(open.every((ms) => ms !== null && ms < 3_000), `closed after the 500 ms handshake timeout (${open.join(', ')} ms)`);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', ca: readFileSync(pki.caFile) }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    req.end();
  });
  t.equal(status, 200, 'a TLS client is served');
});

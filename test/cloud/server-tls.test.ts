/**
 * The cloud over HTTPS: a TCP client that never starts a TLS handshake is closed after http.tls.handshakeTimeoutMs
 * (Node reports the timeout but leaves the socket open unless cloud/server.ts closes it); real clients still work.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
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

t.test('the cloud\'s HTTPS offers ECDHE with AEAD only', async (t) => {
  const pki = makePki(tempDir(t));
  const store = await openStore(t, 'sqlite');
  const { url } = await startCloud(t, store, { http: { tls: { certFile: pki.certFile, keyFile: pki.keyFile } } });
  const port = Number(new URL(url).port);
  const ca = readFileSync(pki.caFile);
  const tls12 = (ciphers: string) => new Promise<boolean>((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, maxVersion: 'TLSv1.2', ciphers });
    s.once('secureConnect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
  t.ok(await tls12('ECDHE-ECDSA-AES256-GCM-SHA384'), 'ECDHE + GCM');
  t.notOk(await tls12('ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384'), 'CBC refused');
  t.notOk(await tls12('AES128-GCM-SHA256:AES256-SHA'), 'static RSA key exchange refused');
});

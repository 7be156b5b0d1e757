/**
 * Hostile-input suite: 1,000 sockets that never send CONNECT and 14 that announce 100 MB packets, against
 * the gateway from dist/ as a child process. Its RSS grows by less than 50 MB, and every socket is closed by the
 * broker: the silent ones by the connect timeout, the oversize ones by the packet-size guard as soon as the
 * fixed header arrives.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { crashPattern, envCount, rssBytes } from '../helpers/child-stats.js';
import { removeDir, spawnGateway, tempDir } from '../helpers/gateway.js';

const SILENT = envCount('SMARTMAINT_IDLE_SOCKETS', 1_000);
const OVERSIZE = 14;
const CONNECT_TIMEOUT_MS = 3_000;

function open(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, closed: new Promise((r) => socket.once('close', () => r(Date.now()))) }));
    socket.once('error', reject);
  });
}

t.test(`${SILENT} silent sockets and ${OVERSIZE} announcing 100 MB: RSS growth < 50 MB, all closed`, async (t) => {
  const dir = tempDir();
  const configFile = join(dir, 'gateway.json');
  writeFileSync(configFile, JSON.stringify({ mqtt: { connectTimeoutMs: CONNECT_TIMEOUT_MS, maxConnectionsPerAddress: SILENT + OVERSIZE + 10 }, scoring: { enabled: false } }));
  const gw = await spawnGateway(['--config', configFile, '--data-dir', dir, '--mqtt-port', '0', '--http-port', '0', '--mqtt-host', '127.0.0.1', '--http-host', '127.0.0.1']);
  t.teardown(async () => {
    if (gw.child.exitCode === null) { gw.child.kill('SIGTERM'); await gw.exited; }
    removeDir(dir);
  });
  await new Promise((r) => setTimeout(r, 500));
  const rssStart = rssBytes(gw.child.pid!);
  const openedAt = Date.now();
  const silent: Array<{ socket: Socket; closed: Promise<number> }> = [];
  for (let i = 0; i < SILENT; i += 50) {
    silent.push(...await Promise.all(Array.from({ length: Math.min(50, SILENT - i) }, () => open(gw.mqttPort))));
  }
  const oversize = await Promise.all(Array.from({ length: OVERSIZE }, () => open(gw.mqttPort)));
  // PUBLISH fixed header announcing 100 MB (Remaining Length 104857600 = 0x80 0x80 0x80 0x32), then 64 KB of body.
  for (const { socket } of oversize) {
    socket.write(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x32]));
    socket.write(Buffer.alloc(65_536, 0x61));
  }
  const rssLoaded = rssBytes(gw.child.pid!);
  const oversizeClosed = await Promise.all(oversize.map((s) => s.closed));
  t.ok(oversizeClosed.every((at) => at - openedAt < CONNECT_TIMEOUT_MS + 5_000), 'oversize sockets closed');
  const deadline = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), CONNECT_TIMEOUT_MS + 20_000));
  const all = await Promise.race([Promise.all(silent.map((s) => s.closed)), deadline]);
  t.not(all, 'timeout', 'every silent socket was closed by the broker');
  if (all !== 'timeout') {
    const first = Math.min(...all) - openedAt;
    t.ok(first >= CONNECT_TIMEOUT_MS - 500, `none closed before the connect timeout (first after ${first} ms)`);
  }
  const rssEnd = rssBytes(gw.child.pid!);
  const growth = Math.max(rssLoaded, rssEnd) - rssStart;
  t.comment(JSON.stringify({ silent: SILENT, oversize: OVERSIZE, rssStartMB: +(rssStart / 2 ** 20).toFixed(1), rssLoadedMB: +(rssLoaded / 2 ** 20).toFixed(1), rssEndMB: +(rssEnd / 2 ** 20).toFixed(1) }));
  t.ok(growth < 50 * 2 ** 20, `RSS growth ${(growth / 2 ** 20).toFixed(1)} MB < 50 MB`);
  t.same(gw.lines.filter((l) => crashPattern.test(l)).slice(0, 5), []);
  t.equal(gw.child.exitCode, null, 'gateway still running');
  t.ok(gw.lines.filter((l) => l.includes('oversize packet')).length >= OVERSIZE, 'oversize closes logged');
});

/**
 * Hostile-input suite: a slow-header / slow-body client flood against the gateway's HTTP server (run from
 * dist/ as a child process). While 300 clients trickle headers and 100 trickle request bodies a byte a second,
 * other clients' requests keep being answered: p99 latency stays under 100 ms (a loose functional bound from the
 * issue, not a benchmark). The slow-header clients are cut off by the headers timeout (10 s, not Node's 60 s).
 */
import { connect as netConnect, type Socket } from 'node:net';
import t from 'tap';
import { Agent, request } from 'undici';
import { crashPattern, envCount } from '../helpers/child-stats.js';
import { removeDir, spawnGateway, tempDir } from '../helpers/gateway.js';

const SLOW_HEADERS = envCount('SMARTMAINT_SLOW_HEADER_CLIENTS', 300);
const SLOW_BODIES = envCount('SMARTMAINT_SLOW_BODY_CLIENTS', 100);
const PROBES = 300;

function slowClient(port: number, head: string, trickle: string): { socket: Socket; closedAt: Promise<number>; stop: () => void } {
  const socket = netConnect({ port, host: '127.0.0.1' });
  socket.on('error', () => {});
  socket.on('data', () => {});
  const closedAt = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  let i = 0;
  const timer = setInterval(() => { if (!socket.destroyed) socket.write(trickle[i++ % trickle.length]!); }, 1_000);
  socket.once('connect', () => socket.write(head));
  socket.once('close', () => clearInterval(timer));
  return { socket, closedAt, stop: () => { clearInterval(timer); socket.destroy(); } };
}

t.test(`${SLOW_HEADERS} slow-header and ${SLOW_BODIES} slow-body clients: others' p99 < 100 ms`, async (t) => {
  const dir = tempDir();
  const gw = await spawnGateway(['--data-dir', dir, '--mqtt-port', '0', '--http-port', '0', '--mqtt-host', '127.0.0.1', '--http-host', '127.0.0.1']);
  const agent = new Agent({ connections: 4 });
  const slow: Array<ReturnType<typeof slowClient>> = [];
  t.teardown(async () => {
    for (const s of slow) s.stop();
    await agent.close();
    if (gw.child.exitCode === null) { gw.child.kill('SIGTERM'); await gw.exited; }
    removeDir(dir);
  });
  const started = Date.now();
  for (let i = 0; i < SLOW_HEADERS; i++) slow.push(slowClient(gw.httpPort, 'GET /health/detailed HTTP/1.1\r\nHost: gw\r\n', 'X-Slow: aaaaaaaaaaaaaaaa\r\n'));
  const headerClients = slow.slice();
  for (let i = 0; i < SLOW_BODIES; i++) {
    slow.push(slowClient(gw.httpPort, 'POST /api/v1/data/ingest HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n', '['));
  }
  await new Promise((r) => setTimeout(r, 1_500)); // let the flood establish itself

  const latencies: number[] = [];
  // /health/detailed is left out: it probes the database with a synced write, so it measures the disk, not the flood.
  const paths = ['/health', '/api/v1/readings?limit=10', '/metrics'];
  for (let i = 0; i < PROBES; i++) {
    const t0 = performance.now();
    const res = await request(`http://127.0.0.1:${gw.httpPort}${paths[i % paths.length]}`, { dispatcher: agent });
    await res.body.dump();
    latencies.push(performance.now() - t0);
    if (res.statusCode >= 500 && paths[i % paths.length] !== '/health/detailed') t.fail(`status ${res.statusCode}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const byPath = new Map<string, number[]>();
  latencies.forEach((ms, i) => byPath.set(paths[i % paths.length]!, [...(byPath.get(paths[i % paths.length]!) ?? []), ms]));
  for (const [path, ms] of byPath) t.comment(`${path}: max ${Math.max(...ms).toFixed(1)} ms`);
  latencies.sort((a, b) => a - b);
  const p50 = latencies[Math.floor(PROBES * 0.5)]!;
  const p99 = latencies[Math.floor(PROBES * 0.99)]!;
  t.comment(JSON.stringify({ slowHeaders: SLOW_HEADERS, slowBodies: SLOW_BODIES, probes: PROBES, p50Ms: +p50.toFixed(1), p99Ms: +p99.toFixed(1), maxMs: +latencies.at(-1)!.toFixed(1) }));
  t.ok(p99 < 100, `p99 ${p99.toFixed(1)} ms < 100 ms while flooded`);

  const deadline = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000));
  const closed = await Promise.race([Promise.all(headerClients.map((c) => c.closedAt)), deadline]);
  t.not(closed, 'timeout', 'every slow-header client was cut off');
  if (closed !== 'timeout') t.ok(Math.max(...closed) - started < 20_000, `by the headers timeout (last after ${Math.max(...closed) - started} ms)`);
  t.equal(gw.child.exitCode, null, 'gateway still running');
  t.same(gw.lines.filter((l) => crashPattern.test(l)).slice(0, 5), []);
});

/**
 * npm run bench:origin — the origin system's Day-17 load test, reproduced against the gateway's HTTP API.
 *
 * The origin (Locust, 50 users, 3 minutes) peaked at 104 req/s with 88.5% of requests failing. Here, with no
 * Locust needed:
 *   phase "origin": 25 API users (task weights health 30 / ingest 20 / prediction 15 / metrics 10 / sensor query 5,
 *                   waits 0.5–2 s) + 25 high-volume ingest users (waits 0.1–0.5 s), --duration seconds (180);
 *   phase "ceiling": the same mix with no waits (--ceiling-users per group, default 25), --ceiling-duration (30).
 * The gateway runs as a child process from dist/ (so the load generator does not share its event loop), with a
 * device key provisioned through the real `smartmaint devices add` CLI. Every 200 from ingestion must be durable:
 * after each phase the outbox's reading count is compared with the readings acknowledged.
 *
 * Baseline, measured in the same run with the same load generator: a bare fastify server (child process) answering
 * POST /echo with a constant JSON, 50 users, no waits (--baseline-duration, 10 s). It is this machine's HTTP
 * ceiling at that moment; the gateway's ingest rate is reported as a ratio to it.
 *
 * Options: --duration S  --ceiling-duration S  --ceiling-users N  --baseline-duration S  --skip-origin  --skip-ceiling
 *          --skip-baseline  --out FILE  --json
 * Prints a Locust-style table per phase and a JSON document (only the JSON with --json).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { GatewayProcess } from './lib/processes.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '180' },
    'ceiling-duration': { type: 'string', default: '30' },
    'ceiling-users': { type: 'string', default: '25' },
    'baseline-duration': { type: 'string', default: '10' },
    'skip-baseline': { type: 'boolean', default: false },
    'skip-origin': { type: 'boolean', default: false },
    'skip-ceiling': { type: 'boolean', default: false },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});

const ORIGIN = { peakRps: 104, failurePercent: 88.5, users: 50, durationS: 180 };
const TARGETS = { originFailures: 0, ceilingIngestRps: 10_000, ceilingIngestP99Ms: 20 };
const tty = process.stderr.isTTY === true && !args.json;
const progress = (line: string): void => {
  if (tty) process.stderr.write(`${line}\n`);
};

type Endpoint = 'GET /health' | 'POST /api/v1/data/ingest' | 'POST /api/v1/ml/predict' | 'GET /api/v1/metrics/performance' | 'GET /api/v1/data/sensor/[id]/recent';
const API_TASKS: ReadonlyArray<[Endpoint, number]> = [
  ['GET /health', 30], ['POST /api/v1/data/ingest', 20], ['POST /api/v1/ml/predict', 15], ['GET /api/v1/metrics/performance', 10],
  ['GET /api/v1/data/sensor/[id]/recent', 5],
];
const WEIGHT_TOTAL = API_TASKS.reduce((s, [, w]) => s + w, 0);
/** Numeric fields per ingest body: each becomes one reading. */
const FIELDS_PER_INGEST = 4;

class Recorder {
  readonly latencies = new Map<Endpoint, number[]>();
  readonly failures = new Map<Endpoint, number>();
  readonly failureKinds = new Map<string, number>();
  ingestAcked = 0;

  record(endpoint: Endpoint, ms: number, ok: boolean, kind?: string): void {
    let list = this.latencies.get(endpoint);
    if (!list) this.latencies.set(endpoint, (list = []));
    list.push(ms);
    if (!ok) {
      this.failures.set(endpoint, (this.failures.get(endpoint) ?? 0) + 1);
      const k = `${endpoint} ${kind ?? '?'}`;
      this.failureKinds.set(k, (this.failureKinds.get(k) ?? 0) + 1);
    }
  }
}

interface Row { name: string; requests: number; failures: number; median: number; p95: number; p99: number; max: number; rps: number }

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function rows(rec: Recorder, seconds: number): Row[] {
  const out: Row[] = [];
  const all: number[] = [];
  let failures = 0;
  for (const [name] of API_TASKS) {
    const l = rec.latencies.get(name) ?? [];
    all.push(...l);
    const f = rec.failures.get(name) ?? 0;
    failures += f;
    const s = Float64Array.from(l).sort();
    out.push({ name, requests: l.length, failures: f, median: round(percentile(s, 0.5)), p95: round(percentile(s, 0.95)), p99: round(percentile(s, 0.99)),
      max: round(s.length ? s[s.length - 1]! : 0), rps: round(l.length / seconds) });
  }
  const s = Float64Array.from(all).sort();
  out.push({ name: 'Aggregated', requests: all.length, failures, median: round(percentile(s, 0.5)), p95: round(percentile(s, 0.95)),
    p99: round(percentile(s, 0.99)), max: round(s.length ? s[s.length - 1]! : 0), rps: round(all.length / seconds) });
  return out;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function table(title: string, r: Row[]): string {
  const head = ['Name', '# reqs', '# fails', 'Median (ms)', '95%ile (ms)', '99%ile (ms)', 'Max (ms)', 'req/s'];
  const body = r.map((x) => [x.name, String(x.requests), `${x.failures} (${x.requests ? round((x.failures / x.requests) * 100) : 0}%)`,
    String(x.median), String(x.p95), String(x.p99), String(x.max), String(x.rps)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [title, line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.slice(0, -1).map(line), widths.map((w) => '-'.repeat(w)).join('  '), line(body[body.length - 1]!)].join('\n');
}

const uniform = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ingestBody(user: number): string {
  return JSON.stringify({
    sensor_id: `LOAD_TEST_${user % 10}`,
    timestamp: new Date().toISOString(),
    temperature: round(20 + Math.random() * 60),
    pressure: round(1 + Math.random() * 3),
    vibration: round(Math.random()),
    humidity: round(30 + Math.random() * 40),
    load_test: true,
  });
}

const PREDICT_BODY = JSON.stringify({
  model_name: 'ai4i-failure', model_version: 'auto',
  features: { product_quality: 1, air_temp_k: 300.1, process_temp_k: 310.2, rpm: 1500, torque_nm: 40.5, tool_wear_min: 120 },
});

async function call(pool: Pool, rec: Recorder, endpoint: Endpoint, key: string, user: number): Promise<void> {
  const t0 = performance.now();
  let status = 0;
  let kind: string | undefined;
  try {
    let res;
    switch (endpoint) {
      case 'GET /health':
        res = await pool.request({ method: 'GET', path: '/health' });
        break;
      case 'POST /api/v1/data/ingest':
        res = await pool.request({ method: 'POST', path: '/api/v1/data/ingest', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: ingestBody(user) });
        break;
      case 'POST /api/v1/ml/predict':
        res = await pool.request({ method: 'POST', path: '/api/v1/ml/predict', headers: { 'content-type': 'application/json' }, body: PREDICT_BODY });
        break;
      case 'GET /api/v1/metrics/performance':
        res = await pool.request({ method: 'GET', path: '/api/v1/metrics/performance' });
        break;
      default:
        res = await pool.request({ method: 'GET', path: `/api/v1/data/sensor/LOAD_TEST_${user % 10}/recent?sensor=temperature&limit=10` });
    }
    status = res.statusCode;
    await res.body.dump();
  } catch (err) {
    kind = (err as { code?: string }).code ?? 'error';
  }
  const ok = status === 200;
  if (ok && endpoint === 'POST /api/v1/data/ingest') rec.ingestAcked++;
  rec.record(endpoint, performance.now() - t0, ok, kind ?? String(status));
}

function pickTask(): Endpoint {
  let r = Math.random() * WEIGHT_TOTAL;
  for (const [name, w] of API_TASKS) {
    if ((r -= w) < 0) return name;
  }
  return API_TASKS[0]![0];
}

async function runPhase(name: string, port: number, key: string, seconds: number, usersPerGroup: number, waits: boolean): Promise<{ rec: Recorder; seconds: number }> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: usersPerGroup * 2, pipelining: 1, keepAliveTimeout: 30_000 });
  const rec = new Recorder();
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  const apiUser = async (u: number) => {
    if (waits) await sleep(uniform(0, 1000)); // Locust-style ramp: users do not all fire in the same millisecond
    while (performance.now() < end) {
      await call(pool, rec, pickTask(), key, u);
      if (waits) await sleep(uniform(500, 2000));
    }
  };
  const ingestUser = async (u: number) => {
    if (waits) await sleep(uniform(0, 500));
    while (performance.now() < end) {
      await call(pool, rec, 'POST /api/v1/data/ingest', key, u);
      if (waits) await sleep(uniform(100, 500));
    }
  };
  const timer = setInterval(() => {
    const done = [...rec.latencies.values()].reduce((s, l) => s + l.length, 0);
    progress(`  ${name}: ${Math.round((performance.now() - started) / 1000)}/${seconds}s, ${done} requests`);
  }, 5_000);
  await Promise.all([
    ...Array.from({ length: usersPerGroup }, (_, u) => apiUser(u)),
    ...Array.from({ length: usersPerGroup }, (_, u) => ingestUser(usersPerGroup + u)),
  ]);
  clearInterval(timer);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return { rec, seconds: elapsed };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); null elsewhere. */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

// A bare fastify server: what Node's HTTP stack and fastify alone cost on this machine, right now.
const BASELINE_SERVER = `
const Fastify = require(process.argv[1]);
const app = (Fastify.default || Fastify)({ logger: false });
app.post('/echo', async (req) => ({ status: 'event_published', fields: Object.keys(req.body).length }));
app.listen({ port: 0, host: '127.0.0.1' }).then(() => process.stdout.write(String(app.server.address().port) + '\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

async function runBaseline(seconds: number): Promise<{ rps: number; p50: number; p99: number; serverCpuUsPerRequest: number | null }> {
  const fastifyPath = join(process.cwd(), 'node_modules/fastify/fastify.js');
  const child = spawn(process.execPath, ['-e', BASELINE_SERVER, fastifyPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      child.once('exit', (code) => reject(new Error(`baseline server exited (${code})`)));
    });
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 50 });
    const end = performance.now() + seconds * 1000;
    const lat: number[] = [];
    const cpu0 = cpuSeconds(child.pid);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 50 }, async (_, u) => {
      while (performance.now() < end) {
        const s = performance.now();
        const res = await pool.request({ method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: ingestBody(u) });
        await res.body.dump();
        lat.push(performance.now() - s);
      }
    }));
    const elapsed = (performance.now() - t0) / 1000;
    const cpu1 = cpuSeconds(child.pid);
    await pool.close();
    const sorted = Float64Array.from(lat).sort();
    return { rps: round(lat.length / elapsed), p50: round(percentile(sorted, 0.5)), p99: round(percentile(sorted, 0.99)),
      serverCpuUsPerRequest: cpu0 === null || cpu1 === null ? null : round(((cpu1 - cpu0) * 1e6) / lat.length) };
  } finally {
    child.kill('SIGTERM');
  }
}

async function outboxReadings(port: number): Promise<number> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
  try {
    const res = await pool.request({ method: 'GET', path: '/health/db' });
    return ((await res.body.json()) as { readings: number }).readings;
  } finally {
    await pool.close();
  }
}

async function gatewayPerf(port: number): Promise<unknown> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
  try {
    const res = await pool.request({ method: 'GET', path: '/api/v1/metrics/performance' });
    return await res.body.json();
  } finally {
    await pool.close();
  }
}

async function main(): Promise<void> {
  const cliPath = join(process.cwd(), 'dist/deploy/cli/smartmaint.js');
  if (!existsSync(cliPath)) throw new Error('dist/ is missing: run `npm run build` first (npm run bench:origin does)');
  const dataDir = mkdtempSync(join(tmpdir(), 'smartmaint-bench-origin-'));
  // The device key, provisioned as an operator would: through the CLI, secret on the last line of stdout.
  const added = execFileSync(process.execPath, [cliPath, 'devices', 'add', 'bench-device', '--data-dir', dataDir, '--allow', 'LOAD_TEST_*'], { encoding: 'utf8' });
  const key = added.trimEnd().split('\n').pop()!;
  const gw = new GatewayProcess({ cliPath, extraArgs: ['--data-dir', dataDir, '--allow-anonymous'] });
  const phases: Record<string, unknown> = {};
  let acked = 0;
  let ok = true;
  const text: string[] = [];
  try {
    await gw.start();
    const run = async (name: string, seconds: number, users: number, waits: boolean) => {
      progress(`${name}: ${users * 2} users, ${seconds}s${waits ? '' : ', no waits'}`);
      const gwCpu0 = cpuSeconds(gw.pid);
      const selfCpu0 = process.cpuUsage();
      const { rec, seconds: elapsed } = await runPhase(name, gw.ports.http, key, seconds, users, waits);
      const gwCpu1 = cpuSeconds(gw.pid);
      const selfCpu = process.cpuUsage(selfCpu0);
      const requests = [...rec.latencies.values()].reduce((n, l) => n + l.length, 0);
      // CPU per request, so a run on a busy machine can still be read: capacity of one free core = 1e6 / µs per request.
      const cpu = {
        gatewayCpuSeconds: gwCpu0 === null || gwCpu1 === null ? null : round(gwCpu1 - gwCpu0),
        gatewayCpuUsPerRequest: gwCpu0 === null || gwCpu1 === null || requests === 0 ? null : round(((gwCpu1 - gwCpu0) * 1e6) / requests),
        loadGeneratorCpuUsPerRequest: requests === 0 ? null : round((selfCpu.user + selfCpu.system) / requests),
        gatewayCpuShareOfWall: gwCpu0 === null || gwCpu1 === null ? null : round((gwCpu1 - gwCpu0) / elapsed),
        loadAverage1m: round((await import('node:os')).loadavg()[0]!),
      };
      acked += rec.ingestAcked * FIELDS_PER_INGEST;
      const stored = await outboxReadings(gw.ports.http);
      const r = rows(rec, elapsed);
      const ingest = r.find((x) => x.name === 'POST /api/v1/data/ingest')!;
      const agg = r[r.length - 1]!;
      const result = {
        users: users * 2, waits, seconds: round(elapsed), rows: r,
        failures: agg.failures, failurePercent: agg.requests ? round((agg.failures / agg.requests) * 100) : 0,
        failureKinds: Object.fromEntries(rec.failureKinds),
        readingsAcknowledged: acked, readingsInOutbox: stored, everyAckDurable: stored >= acked,
        gatewayPerformance: await gatewayPerf(gw.ports.http),
        peakRssMb: gw.peakRssMb(),
        cpu,
      };
      phases[name] = result;
      text.push(table(`\n== ${name}: ${users * 2} users, ${round(elapsed)} s${waits ? '' : ', no waits'}; readings acknowledged ${acked}, in outbox ${stored}`, r));
      if (rec.failureKinds.size > 0) text.push(`failures: ${JSON.stringify(Object.fromEntries(rec.failureKinds))}`);
      text.push(`gateway CPU: ${cpu.gatewayCpuUsPerRequest ?? '?'} µs/request (${cpu.gatewayCpuShareOfWall ?? '?'} cores busy); ` +
        `load generator ${cpu.loadGeneratorCpuUsPerRequest ?? '?'} µs/request; 1-min load average ${cpu.loadAverage1m} on ${(await import('node:os')).cpus().length} cores`);
      if (stored < acked) ok = false;
      return { ingest, agg };
    };
    if (!args['skip-origin']) {
      const { agg } = await run('origin', Number(args.duration), 25, true);
      if (agg.failures > TARGETS.originFailures) ok = false;
    }
    if (!args['skip-ceiling']) {
      const { ingest } = await run('ceiling', Number(args['ceiling-duration']), Number(args['ceiling-users']), false);
      if (!args['skip-baseline']) {
        progress('baseline: bare fastify, 50 users, no waits');
        const baseline = await runBaseline(Number(args['baseline-duration']));
        (phases.ceiling as Record<string, unknown>).baseline = { ...baseline, gatewayIngestToBaselineRatio: round(ingest.rps / baseline.rps) };
        text.push(`baseline (bare fastify POST /echo, same load generator, 50 users, no waits): ${baseline.rps} req/s, p50 ${baseline.p50} ms, ` +
          `p99 ${baseline.p99} ms, server CPU ${baseline.serverCpuUsPerRequest ?? '?'} µs/request; gateway ingest / baseline = ${round(ingest.rps / baseline.rps)}`);
      }
      (phases.ceiling as Record<string, unknown>).targets = {
        ingestRps: { target: TARGETS.ceilingIngestRps, measured: ingest.rps, met: ingest.rps >= TARGETS.ceilingIngestRps },
        ingestP99Ms: { target: TARGETS.ceilingIngestP99Ms, measured: ingest.p99, met: ingest.p99 <= TARGETS.ceilingIngestP99Ms },
      };
    }
  } finally {
    await gw.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
  const doc = {
    bench: 'origin',
    node: process.versions.node,
    cpus: (await import('node:os')).cpus().length,
    origin: ORIGIN,
    targets: TARGETS,
    phases,
    durable: ok,
  };
  if (!args.json) {
    process.stdout.write(`origin system (Day-17, Locust): ${ORIGIN.users} users, ${ORIGIN.durationS} s, peak ${ORIGIN.peakRps} req/s, ${ORIGIN.failurePercent}% failures\n`);
    process.stdout.write(`${text.join('\n')}\n\n`);
  }
  const json = JSON.stringify(doc, null, 2);
  process.stdout.write(`${json}\n`);
  if (args.out) writeFileSync(args.out, `${json}\n`);
  if (!ok) process.exitCode = 1;
}

await main();

/**
 * `npm run bench:cloud` — the cloud ingestion API under load, as a child process (from dist/ when built,
 * else through tsx), driven over real HTTP with undici.
 *
 *  1. Ingest throughput, per backend (SQLite, PostgreSQL): N simulated gateways, each POSTing gzip batches
 *     of B readings back to back for a fixed time. Prints readings/s, requests/s, p50/p99 batch latency,
 *     errors. Baseline measured in the same run: the same batches written straight into the store,
 *     in-process, without HTTP — the ceiling the API can approach.
 *  2. A run shaped like the origin system's load test: 50 concurrent clients mixing ingestion (40%),
 *     /health (20%), /api/v1/ml/models (20%) and /api/v1/readings reads (20%), 30 s by default.
 *     Prints per-endpoint RPS, p50/p95/p99 and error rate.
 *
 * Every ingest request carries an Idempotency-Key, as the gateway's sync engine sends them.
 * Flags: --seconds 10 --gateways 8 --batch 500 --origin-seconds 30 --origin-clients 50
 *        --backends sqlite,postgres --database-url postgres://postgres@127.0.0.1:5432/postgres
 * Output: a readable table on stderr, one JSON document on stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { pino } from 'pino';
import { Pool } from 'undici';
import { generateKey, MAX_LIVE_KEYS_PER_GATEWAY } from '../../cloud/auth/keys.js';
import { checkReading } from '../../cloud/ingest/validate-reading.js';
import { PostgresStore } from '../../cloud/store/postgres.js';
import { SqliteStore } from '../../cloud/store/sqlite.js';
import type { CloudStore, ReadingRow } from '../../cloud/store/store.js';
import { PATHS } from '../../shared/protocol.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    gateways: { type: 'string', default: '8' },
    batch: { type: 'string', default: '500' },
    'origin-seconds': { type: 'string', default: '30' },
    'origin-clients': { type: 'string', default: '50' },
    backends: { type: 'string', default: 'sqlite,postgres' },
    'database-url': { type: 'string', default: process.env.SMARTMAINT_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const SECONDS = Number(opts.seconds);
const GATEWAYS = Number(opts.gateways);
const BATCH = Number(opts.batch);
const ORIGIN_SECONDS = Number(opts['origin-seconds']);
const ORIGIN_CLIENTS = Number(opts['origin-clients']);
const BACKENDS = opts.backends!.split(',').filter(Boolean) as Array<'sqlite' | 'postgres'>;
const tty = process.stderr.isTTY;
const note = (msg: string): void => {
  process.stderr.write(`${msg}\n`);
};
const log = pino({ level: 'silent' });

// ---------------------------------------------------------------------------------------------- data
const SENSORS = ['temp', 'vibration', 'pressure', 'rpm'];
/** One gzip batch: realistic readings, every 5th with two model scores. */
function makeBatch(gatewayId: string, epoch: string, startSeq: number, size: number, t0: number): { gz: Buffer; json: string } {
  const parts = new Array<string>(size);
  for (let i = 0; i < size; i++) {
    const seq = startSeq + i;
    const ts = t0 + seq * 10;
    const value = Math.round(Math.random() * 100_000) / 1000;
    const sensor = SENSORS[seq % 4]!;
    const scores = seq % 5 === 0
      ? `,"scores":[{"model":"rul","version":"3","output":"rul","value":${(Math.random() * 200).toFixed(2)}},{"model":"anomaly","version":"1","output":"score","value":${Math.random().toFixed(4)}}]`
      : '';
    parts[i] = `{"seq":${seq},"ts":${ts},"receivedAt":${ts + 3},"asset":"engine-${seq % 20}","sensor":"${sensor}","value":${value},"unit":"u","quality":"good"${scores}}`;
  }
  const json = `{"v":1,"gatewayId":"${gatewayId}","epoch":"${epoch}","batchId":"${gatewayId}-${startSeq}","readings":[${parts.join(',')}]}`;
  return { gz: gzipSync(json, { level: 1 }), json };
}

/** Enough distinct batches per gateway for `seconds` at up to `maxRate` readings/s (overall). */
function prepare(gateways: string[], seconds: number, maxRate: number): Map<string, Buffer[]> {
  const perGateway = Math.ceil((maxRate * seconds) / gateways.length / BATCH);
  const out = new Map<string, Buffer[]>();
  const t0 = Date.now() - 86_400_000;
  const epoch = randomBytes(6).toString('hex');
  for (const g of gateways) {
    const list: Buffer[] = [];
    for (let i = 0; i < perGateway; i++) list.push(makeBatch(g, epoch, i * BATCH, BATCH, t0).gz);
    out.set(g, list);
  }
  return out;
}

// ------------------------------------------------------------------------------------------- stats
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const r1 = (n: number): number => Math.round(n * 10) / 10;
const r2 = (n: number): number => Math.round(n * 100) / 100;

// ----------------------------------------------------------------------------------------- server
interface Server {
  url: string;
  child: ChildProcess;
  stop: () => Promise<void>;
}

function startServer(args: string[], configFile: string): Promise<Server> {
  const dist = join(ROOT, 'dist/deploy/cli/smartmaint.js');
  const useDist = existsSync(dist) && existsSync(join(ROOT, 'dist/cloud/cli.js'));
  const cmd = useDist ? [dist] : ['--import', 'tsx', join(ROOT, 'deploy/cli/smartmaint.ts')];
  const child = spawn(process.execPath, [...cmd, 'cloud', '--port', '0', '--host', '127.0.0.1', '--config', configFile, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    let errText = '';
    child.stderr!.on('data', (d: Buffer) => (errText += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"port":(\d+)[^\n]*"msg":"http listening"/.exec(buf);
      if (m) {
        buf = '';
        resolve({
          url: `http://127.0.0.1:${m[1]}`,
          child,
          stop: () => new Promise((r) => {
            child.once('close', () => r());
            child.kill('SIGTERM');
          }),
        });
      } else if (buf.length > 1e6) buf = buf.slice(-1000);
    });
    child.once('close', (code) => reject(new Error(`cloud exited ${code}: ${errText}`)));
    setTimeout(() => reject(new Error(`cloud did not report 'http listening' within 60 s: ${errText}`)), 60_000).unref();
  });
}

// ------------------------------------------------------------------------------------- throughput
interface IngestFigures {
  readingsPerS: number;
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  accepted: number;
  duplicates: number;
  seconds: number;
}

async function driveIngest(url: string, batches: Map<string, Buffer[]>, keys: Map<string, string>, seconds: number): Promise<IngestFigures> {
  const runId = randomBytes(4).toString('hex');
  const pool = new Pool(url, { connections: batches.size, pipelining: 1 });
  const lat: number[] = [];
  let errors = 0;
  let accepted = 0;
  let duplicates = 0;
  let requests = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    [...batches].map(async ([g, list]) => {
      const key = keys.get(g)!;
      for (let i = 0; i < list.length && performance.now() < end; i++) {
        const t = performance.now();
        try {
          const res = await pool.request({
            path: PATHS.ingest,
            method: 'POST',
            // Like the gateway's sync engine: every batch carries an Idempotency-Key.
            headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${key}`, 'idempotency-key': `${runId}-${g}-${i}` },
            body: list[i],
          });
          const body = (await res.body.json()) as { accepted?: number; duplicates?: number };
          if (res.statusCode !== 200) errors++;
          else {
            accepted += body.accepted ?? 0;
            duplicates += body.duplicates ?? 0;
          }
        } catch {
          errors++;
        }
        lat.push(performance.now() - t);
        requests++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  lat.sort((a, b) => a - b);
  return {
    readingsPerS: Math.round(accepted / elapsed),
    requestsPerS: r1(requests / elapsed),
    p50Ms: r2(percentile(lat, 50)),
    p99Ms: r2(percentile(lat, 99)),
    errors,
    accepted,
    duplicates,
    seconds: r2(elapsed),
  };
}

/** Baseline: the same readings written straight into a store, no HTTP, `concurrency` writers. */
async function baseline(store: CloudStore, batches: Map<string, Buffer[]>, seconds: number): Promise<{ readingsPerS: number }> {
  const { gunzipSync } = await import('node:zlib');
  let stored = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    [...batches].map(async ([g, list]) => {
      for (let i = 0; i < list.length && performance.now() < end; i++) {
        const body = JSON.parse(gunzipSync(list[i]!).toString()) as { epoch: string; batchId: string; readings: unknown[] };
        const rows: ReadingRow[] = [];
        const models = new Set<string>();
        for (const r of body.readings) {
          const row = checkReading(r, models);
          if (typeof row !== 'string') rows.push(row);
        }
        const res = await store.ingest({
          gatewayId: `${g}-baseline`, epoch: body.epoch, batchId: body.batchId, readings: rows, alerts: [], gaps: [],
          models: [...models].map((k) => ({ model: k.split('\0')[0]!, version: k.split('\0')[1]! })), now: Date.now(),
        });
        stored += res.accepted;
      }
    }),
  );
  return { readingsPerS: Math.round(stored / ((performance.now() - start) / 1000)) };
}

// ------------------------------------------------------------------------------------- origin run
interface EndpointFigures {
  requests: number;
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  errorRate: number;
}

async function originRun(url: string, gatewayKeys: Map<string, string>, operatorKey: string, seconds: number, clients: number): Promise<Record<string, EndpointFigures>> {
  const pool = new Pool(url, { connections: clients, pipelining: 1 });
  const gws = [...gatewayKeys.keys()];
  const epoch = randomBytes(6).toString('hex');
  const seqs = new Map<string, number>(gws.map((g) => [g, 0]));
  const kinds = ['ingest', 'ingest', 'health', 'models', 'readings'] as const;
  const stats = new Map<string, { lat: number[]; errors: number }>(['ingest', 'health', 'models', 'readings'].map((k) => [k, { lat: [], errors: 0 }]));
  const start = performance.now();
  const end = start + seconds * 1000;
  const t0 = Date.now() - 3_600_000;
  // Bodies are built before the clock starts (as in part 1): gzipping them is the load generator's work, and
  // on a shared 2-core machine it would otherwise sit inside the latencies measured and take CPU from the
  // server during the run. Enough for ~1,500 ingest requests/s; more are built on the fly if needed.
  const bodies = new Map<string, Buffer[]>();
  const perGateway = Math.ceil((1_500 * seconds) / gws.length);
  for (const g of gws) {
    const list: Buffer[] = [];
    for (let j = 0; j < perGateway; j++) list.push(makeBatch(g, epoch, j * 100, 100, t0).gz);
    bodies.set(g, list);
  }
  let done = 0;
  const progress = tty ? setInterval(() => process.stderr.write(`\r  origin-shaped run: ${Math.round((performance.now() - start) / 1000)}/${seconds} s, ${done} requests`), 1000) : undefined;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      let i = c;
      while (performance.now() < end) {
        const kind = kinds[i++ % kinds.length]!;
        const t = performance.now();
        let status = 0;
        try {
          if (kind === 'ingest') {
            const g = gws[c % gws.length]!;
            const s = seqs.get(g)!;
            seqs.set(g, s + 100);
            const body = bodies.get(g)![s / 100] ?? makeBatch(g, epoch, s, 100, t0).gz;
            const res = await pool.request({
              path: PATHS.ingest,
              method: 'POST',
              headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${gatewayKeys.get(g)}`, 'idempotency-key': `${epoch}-${g}-${s}` },
              body,
            });
            await res.body.dump();
            status = res.statusCode;
          } else {
            const path = kind === 'health' ? '/health' : kind === 'models' ? PATHS.models : `${PATHS.readings}?limit=100&asset=engine-${c % 20}`;
            const res = await pool.request({ path, method: 'GET', headers: kind === 'health' ? {} : { authorization: `Bearer ${operatorKey}` } });
            await res.body.dump();
            status = res.statusCode;
          }
        } catch {
          status = 0;
        }
        const s = stats.get(kind)!;
        s.lat.push(performance.now() - t);
        if (status !== 200) s.errors++;
        done++;
      }
    }),
  );
  if (progress) {
    clearInterval(progress);
    process.stderr.write('\n');
  }
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  const out: Record<string, EndpointFigures> = {};
  for (const [k, s] of stats) {
    s.lat.sort((a, b) => a - b);
    out[k] = {
      requests: s.lat.length,
      rps: r1(s.lat.length / elapsed),
      p50Ms: r2(percentile(s.lat, 50)),
      p95Ms: r2(percentile(s.lat, 95)),
      p99Ms: r2(percentile(s.lat, 99)),
      errorRate: s.lat.length ? r2((100 * s.errors) / s.lat.length) : 0,
    };
  }
  return out;
}

// ------------------------------------------------------------------------------------------- main
async function createKeys(store: CloudStore, gateways: string[]): Promise<{ keys: Map<string, string>; operator: string }> {
  const keys = new Map<string, string>();
  for (const g of gateways) {
    const k = generateKey('gateway', g, Date.now());
    await store.createKey(k.record, MAX_LIVE_KEYS_PER_GATEWAY);
    keys.set(g, k.key);
  }
  const op = generateKey('operator', null, Date.now());
  await store.createKey(op.record, MAX_LIVE_KEYS_PER_GATEWAY);
  return { keys, operator: op.key };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'smartmaint-bench-cloud-'));
  // A load test is not an abusive client: the per-key rate limit is lifted for the run.
  const configFile = join(work, 'cloud.json');
  writeFileSync(configFile, JSON.stringify({ log: { level: 'info' }, auth: { rateLimit: { requestsPerSecond: 0 } } }));
  const gateways = Array.from({ length: GATEWAYS }, (_, i) => `bench-gw-${i}`);
  note(`preparing ${GATEWAYS} gateways × gzip batches of ${BATCH} readings…`);
  const batches = prepare(gateways, SECONDS, 400_000);
  const wire = [...batches.values()][0]![0]!.length;
  note(`  one batch: ${wire} bytes gzip (${r2(wire / BATCH)} bytes/reading on the wire)`);
  const result: Record<string, unknown> = {
    // Other work on the machine skews every figure: the load average is recorded with them.
    machine: { cpus: os.cpus().length, node: process.version, loadAvgAtStart: os.loadavg().map(r2) },
    params: { seconds: SECONDS, gateways: GATEWAYS, batch: BATCH, originSeconds: ORIGIN_SECONDS, originClients: ORIGIN_CLIENTS },
    bytesPerReadingGzip: r2(wire / BATCH),
  };
  const ingest: Record<string, unknown> = {};
  let origin: Record<string, EndpointFigures> | undefined;
  const pgDbs: string[] = [];
  const admin = opts['database-url']!;
  try {
    for (const backend of BACKENDS) {
      let storeUrlArgs: string[];
      let store: CloudStore;
      if (backend === 'sqlite') {
        const dir = join(work, 'sqlite');
        store = new SqliteStore({ dataDir: dir, synchronous: 'full' });
        storeUrlArgs = ['--data-dir', dir];
      } else {
        const name = `smartmaint_bench_${randomBytes(4).toString('hex')}`;
        const c = new pg.Client({ connectionString: admin });
        try {
          await c.connect();
          await c.query(`CREATE DATABASE ${name}`);
        } catch (err) {
          note(`PostgreSQL skipped: ${(err as Error).message}`);
          ingest.postgres = { skipped: (err as Error).message };
          continue;
        } finally {
          await c.end().catch(() => undefined);
        }
        pgDbs.push(name);
        const u = new URL(admin);
        u.pathname = `/${name}`;
        store = new PostgresStore({ url: u.toString(), poolSize: GATEWAYS, log });
        storeUrlArgs = ['--database-url', u.toString()];
      }
      await store.open();
      const { keys, operator } = await createKeys(store, gateways);
      note(`${backend}: baseline (store alone, in-process, ${Math.min(SECONDS, 5)} s)…`);
      const base = await baseline(store, batches, Math.min(SECONDS, 5));
      await store.close();
      note(`${backend}: ${GATEWAYS} gateways over HTTP for ${SECONDS} s…`);
      const server = await startServer(storeUrlArgs, configFile);
      try {
        const figures = await driveIngest(server.url, batches, keys, SECONDS);
        ingest[backend] = { ...figures, baselineStoreOnlyReadingsPerS: base.readingsPerS };
        if (backend === BACKENDS[0] && ORIGIN_SECONDS > 0) {
          note(`origin-shaped run on ${backend}: ${ORIGIN_CLIENTS} clients for ${ORIGIN_SECONDS} s…`);
          origin = await originRun(server.url, keys, operator, ORIGIN_SECONDS, ORIGIN_CLIENTS);
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    for (const name of pgDbs) {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await c.end();
    }
    rmSync(work, { recursive: true, force: true });
  }
  result.ingest = ingest;
  (result.machine as Record<string, unknown>).loadAvgAtEnd = os.loadavg().map(r2);
  if (origin) result.originShaped = { backend: BACKENDS[0], clients: ORIGIN_CLIENTS, seconds: ORIGIN_SECONDS, endpoints: origin };

  // Readable table.
  const lines: string[] = ['', `cloud ingest: ${GATEWAYS} gateways, gzip batches of ${BATCH}, ${SECONDS} s (load average ${os.loadavg().map(r2).join(' ')} on ${os.cpus().length} CPUs)`];
  lines.push('backend    readings/s  requests/s  p50 ms  p99 ms  errors  store-only baseline readings/s');
  for (const [b, f] of Object.entries(ingest)) {
    const x = f as IngestFigures & { baselineStoreOnlyReadingsPerS?: number; skipped?: string };
    if (x.skipped) lines.push(`${b.padEnd(10)} skipped: ${x.skipped}`);
    else {
      lines.push(
        `${b.padEnd(10)} ${String(x.readingsPerS).padStart(10)}  ${String(x.requestsPerS).padStart(10)}  ${String(x.p50Ms).padStart(6)}  ${String(x.p99Ms).padStart(6)}  ${String(x.errors).padStart(6)}  ${String(x.baselineStoreOnlyReadingsPerS).padStart(10)}`,
      );
    }
  }
  if (origin) {
    lines.push('', `origin-shaped run (${BACKENDS[0]}): ${ORIGIN_CLIENTS} clients, ${ORIGIN_SECONDS} s`);
    lines.push('endpoint   requests     rps   p50 ms  p95 ms  p99 ms  error %');
    for (const [k, f] of Object.entries(origin)) {
      lines.push(`${k.padEnd(10)} ${String(f.requests).padStart(8)} ${String(f.rps).padStart(7)}  ${String(f.p50Ms).padStart(6)}  ${String(f.p95Ms).padStart(6)}  ${String(f.p99Ms).padStart(6)}  ${String(f.errorRate).padStart(7)}`);
    }
  }
  note(lines.join('\n'));
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:cloud failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});

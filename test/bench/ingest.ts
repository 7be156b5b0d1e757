/**
 * npm run bench:ingest — ingest throughput and PUBACK latency of the gateway against a Mosquitto baseline
 * measured in the same run, with the same load driver (gateway/bench, the `smartmaint bench mqtt` engine),
 * on the same machine:
 *   (a) a private Mosquitto (defaults, one listener on a free port) delivering into one QoS 0 subscriber;
 *   (b) the gateway (dist/shared/cli.js gateway, power-loss durability by default) storing into its outbox.
 * For QoS 0 and QoS 1, numeric and ~100-byte JSON payloads, the systems alternate for --rounds rounds and
 * medians are reported; mqtt-benchmark's own style (100 clients, one QoS 1 message in flight each) and a
 * paced run at --rate msgs/s (QoS 1, PUBACK p50/p99 at a fixed load) are part of every round.
 *
 * Options: --rounds N (3)  --scale X (1; multiplies message counts)  --payloads numeric,json100
 *          --rate N (10000)  --rate-seconds N (5)  --skip-gateway  --skip-mosquitto  --out FILE  --json
 * Prints a readable table and the JSON document (or only the JSON with --json).
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parseBenchArgs } from '../../gateway/bench/flags.js';
import { MqttBench } from '../../gateway/bench/mqtt-bench.js';
import type { BenchReport } from '../../gateway/bench/results.js';
import { CountingSubscriber } from './lib/counting-subscriber.js';
import { GatewayProcess, MosquittoProcess } from './lib/processes.js';

type SystemName = 'mosquitto' | 'gateway';
type PayloadKind = 'numeric' | 'json100';

interface Scenario {
  name: string;
  qos: 0 | 1;
  clients: number;
  count: number;
  inflight: number;
  payload: PayloadKind;
  intervalSec: number;
}

interface RunResult {
  system: SystemName;
  scenario: string;
  round: number;
  sent: number;
  /** Driver successes: PUBACKs at QoS 1, completed writes at QoS 0. */
  acked: number;
  failures: number;
  /** successes / wall time of the load (publish rate, or PUBACK rate at QoS 1). */
  driverMsgsPerSec: number;
  /** Received by the subscriber (Mosquitto) or stored in the outbox (gateway). */
  delivered: number;
  /** delivered / time from first publish until the last one was received/stored. */
  deliveredMsgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number | null;
}

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    scale: { type: 'string', default: '1' },
    payloads: { type: 'string', default: 'numeric,json100' },
    rate: { type: 'string', default: '10000' },
    'rate-seconds': { type: 'string', default: '5' },
    'skip-gateway': { type: 'boolean', default: false },
    'skip-mosquitto': { type: 'boolean', default: false },
    'skip-scoring-cost': { type: 'boolean', default: false },
    'only-scoring-cost': { type: 'boolean', default: false },
    'scoring-rate': { type: 'string', default: '80000' },
    'scoring-seconds': { type: 'string', default: '10' },
    'scoring-rounds': { type: 'string', default: '5' },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});

const rounds = Math.max(1, Number(args.rounds));
const scale = Number(args.scale);
const payloadKinds = String(args.payloads).split(',').filter((p): p is PayloadKind => p === 'numeric' || p === 'json100');
const rate = Number(args.rate);
const rateSeconds = Number(args['rate-seconds']);
const tty = process.stderr.isTTY === true && !args.json;
const progress = (line: string): void => {
  if (tty) process.stderr.write(`${line}\n`);
};

const TOPIC = 'telemetry/bench-{client}/s1';
const PAYLOAD_SIZE = 100;

/** Payload template: a bare number, or JSON padded with whitespace to PAYLOAD_SIZE for the largest {i}. */
function payloadTemplate(kind: PayloadKind, count: number): string {
  if (kind === 'numeric') return '{i}.5';
  const core = '{"value": {i}.5, "unit": "mm/s"';
  const longest = core.replace('{i}', String(count - 1)).length + 1;
  return `${core}${' '.repeat(Math.max(0, PAYLOAD_SIZE - longest))}}`;
}

function scenarios(): Scenario[] {
  const n = (x: number): number => Math.max(1, Math.round(x * scale));
  const list: Scenario[] = [];
  for (const payload of payloadKinds) {
    list.push({ name: `qos0-${payload}`, qos: 0, clients: 4, count: n(100_000), inflight: 1, payload, intervalSec: 0 });
    list.push({ name: `qos1-${payload}`, qos: 1, clients: 8, count: n(25_000), inflight: 64, payload, intervalSec: 0 });
  }
  // mqtt-benchmark's own style: one QoS 1 message in flight per client, many clients (PERF-NOTES compares this).
  list.push({ name: 'qos1-numeric-100x1', qos: 1, clients: 100, count: n(1_000), inflight: 1, payload: 'numeric', intervalSec: 0 });
  return list;
}

function fixedRateScenario(): Scenario {
  const clients = 10;
  const perClient = rate / clients;
  return {
    name: `qos1-numeric-${rate}/s`, qos: 1, clients, count: Math.max(1, Math.round(perClient * rateSeconds)),
    inflight: 1000, payload: 'numeric', intervalSec: 1 / perClient,
  };
}

function benchFor(s: Scenario, port: number): MqttBench {
  const parsed = parseBenchArgs(['-broker', `tcp://127.0.0.1:${port}`, '-clients', String(s.clients), '-count', String(s.count),
    '-qos', String(s.qos), '-inflight', String(s.inflight), '-topic', TOPIC, '-payload', payloadTemplate(s.payload, s.count),
    '-message-interval', String(s.intervalSec), '-wait', '30000', '-quiet']);
  if (parsed.help) throw new Error('unreachable');
  return new MqttBench(parsed.options);
}

/** Polls `read` until it reaches `target` or stops increasing for `idleMs`; returns the count and when it was reached. */
async function settle(read: () => Promise<number> | number, target: number, idleMs: number): Promise<{ count: number; at: number }> {
  let count = await read();
  let at = performance.now();
  let changedAt = at;
  const deadline = at + 120_000;
  while (count < target && performance.now() - changedAt < idleMs && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    const next = await read();
    if (next !== count) {
      count = next;
      at = performance.now();
      changedAt = at;
    }
  }
  return { count, at };
}

function summarise(system: SystemName, s: Scenario, round: number, report: BenchReport, delivered: number, deliveredSec: number, rss: number | null): RunResult {
  const t = report.totals;
  return {
    system, scenario: s.name, round, sent: s.clients * s.count, acked: t.successes, failures: t.failures,
    driverMsgsPerSec: t.wall_msgs_per_sec, delivered, deliveredMsgsPerSec: deliveredSec > 0 ? delivered / deliveredSec : 0,
    p50Ms: t.msg_time_p50, p99Ms: t.msg_time_p99, peakRssMb: rss,
  };
}

async function runMosquitto(mosq: MosquittoProcess, sub: CountingSubscriber, s: Scenario, round: number): Promise<RunResult> {
  sub.reset();
  const bench = benchFor(s, mosq.port);
  const report = await bench.run();
  const expected = s.clients * s.count;
  await settle(() => sub.received, expected, 1000);
  const sec = sub.lastAt > 0 ? (sub.lastAt - bench.publishStartedAt) / 1000 : 0;
  return summarise('mosquitto', s, round, report, sub.received, sec, null);
}

/** Extra gateway flags, settled on the first start (`--allow-anonymous` only if the gateway knows it). */
let gatewayExtraArgs: string[] | undefined;

async function startGateway(cliPath: string): Promise<GatewayProcess> {
  const candidates = gatewayExtraArgs ? [gatewayExtraArgs] : [['--allow-anonymous'], []];
  let lastError: unknown;
  for (const extra of candidates) {
    const gw = new GatewayProcess({ cliPath, extraArgs: extra });
    try {
      await gw.start();
      gatewayExtraArgs = extra;
      return gw;
    } catch (err) {
      lastError = err;
      await gw.stop();
      if (!/allow-anonymous/.test(String((err as Error).message))) break;
    }
  }
  throw lastError;
}

interface ScoringCost {
  scoring: 'on' | 'off';
  round: number;
  readingsStored: number;
  cpuSeconds: number;
  cpuMicrosPerReading: number;
  readingsPerSecond: number;
}

/** Readings per C-MAPSS-shaped message of the scoring-cost run (cycle, two settings, 21 sensors). */
const SCORING_READINGS_PER_MESSAGE = 24;

/**
 * What scoring costs per stored reading, with all three default models active: C-MAPSS-shaped messages
 * (24 values) on `telemetry/engine-{client}`, so turbofan-rul and anomaly score every message, at QoS 0 and at
 * `readingsPerSecond` (the spine issue's QoS 0 target rate by default), once with scoring on and once with
 * SMARTMAINT_SCORING=false; gateway CPU (all threads) from /proc/<pid>/stat, from the first publish until every
 * reading is stored and scoring has finished.
 */
async function scoringCost(cliPath: string, on: boolean, round: number, readingsPerSecond: number, seconds: number): Promise<ScoringCost> {
  const gw = new GatewayProcess({ cliPath, extraArgs: gatewayExtraArgs ?? ['--allow-anonymous'], env: { SMARTMAINT_SCORING: on ? 'true' : 'false' } });
  live.add(gw);
  try {
    await gw.start();
    const sensors = Array.from({ length: 21 }, (_, k) => `"s${k + 1}": ${500 + k}.{i}`).join(', ');
    const payload = `{"values": {"cycle": {i}, "setting1": 0.001, "setting2": 0.0002, ${sensors}}}`;
    const clients = 4;
    const messagesPerClientPerSecond = readingsPerSecond / SCORING_READINGS_PER_MESSAGE / clients;
    const count = Math.max(10, Math.round(messagesPerClientPerSecond * seconds));
    const parsed = parseBenchArgs(['-broker', `tcp://127.0.0.1:${gw.ports.mqtt}`, '-clients', String(clients), '-count', String(count),
      '-qos', '0', '-topic', 'telemetry/engine-{client}', '-payload', payload, '-message-interval', String(1 / messagesPerClientPerSecond),
      '-wait', '30000', '-quiet']);
    if (parsed.help) throw new Error('unreachable');
    const expected = clients * count * SCORING_READINGS_PER_MESSAGE;
    const cpu0 = gw.cpuSeconds() ?? 0;
    const t0 = performance.now();
    await new MqttBench(parsed.options).run();
    const stored = await settle(() => gw.readings(), expected, 2000);
    // Let scoring finish the last micro-batches (batchDelayMs) before reading the CPU counter.
    await new Promise((r) => setTimeout(r, 500));
    const cpu = (gw.cpuSeconds() ?? 0) - cpu0;
    return {
      scoring: on ? 'on' : 'off', round, readingsStored: stored.count, cpuSeconds: Math.round(cpu * 100) / 100,
      cpuMicrosPerReading: Math.round((cpu / Math.max(1, stored.count)) * 1e6 * 100) / 100,
      readingsPerSecond: Math.round(stored.count / ((stored.at - t0) / 1000)),
    };
  } finally {
    live.delete(gw);
    await gw.stop();
  }
}

/** Child processes alive right now, stopped on SIGINT/SIGTERM so none outlives the harness. */
const live = new Set<{ stop(): Promise<void> }>();

async function runGateway(cliPath: string, s: Scenario, round: number): Promise<RunResult> {
  const gw = await startGateway(cliPath);
  live.add(gw);
  try {
    const bench = benchFor(s, gw.ports.mqtt);
    const report = await bench.run();
    const expected = s.clients * s.count;
    const stored = await settle(() => gw.readings(), expected, 2000);
    const sec = (stored.at - bench.publishStartedAt) / 1000;
    return summarise('gateway', s, round, report, stored.count, sec, gw.peakRssMb());
  } finally {
    live.delete(gw);
    await gw.stop();
  }
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Row {
  scenario: string;
  /** The figure compared: stored/received msgs/s at QoS 0, acknowledged msgs/s at QoS 1. */
  metric: 'delivered msgs/s' | 'acked msgs/s';
  mosquitto: Summary | null;
  gateway: Summary | null;
  ratio: number | null;
}

interface Summary {
  msgsPerSec: number;
  driverMsgsPerSec: number;
  deliveredMsgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  deliveredOfSent: string;
  peakRssMb: number | null;
  rounds: number;
}

function summary(runs: RunResult[], qos: 0 | 1): Summary | null {
  if (runs.length === 0) return null;
  const pick = (r: RunResult): number => (qos === 1 ? r.driverMsgsPerSec : r.deliveredMsgsPerSec);
  const worst = runs.reduce((a, b) => (b.delivered / b.sent < a.delivered / a.sent ? b : a));
  const rss = runs.map((r) => r.peakRssMb).filter((x): x is number => x !== null);
  return {
    msgsPerSec: median(runs.map(pick)),
    driverMsgsPerSec: median(runs.map((r) => r.driverMsgsPerSec)),
    deliveredMsgsPerSec: median(runs.map((r) => r.deliveredMsgsPerSec)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    deliveredOfSent: `${worst.delivered}/${worst.sent}`,
    peakRssMb: rss.length ? Math.max(...rss) : null,
    rounds: runs.length,
  };
}

function table(rows: Row[]): string {
  const fmt = (n: number | null | undefined, d = 0): string => (n === null || n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));
  const head = ['scenario', 'metric', 'mosquitto', 'gateway', 'gw/mosq', 'mosq p50/p99 ms', 'gw p50/p99 ms', 'gw stored (worst)', 'gw peak RSS MB'];
  const body = rows.map((r) => [
    r.scenario, r.metric, fmt(r.mosquitto?.msgsPerSec), fmt(r.gateway?.msgsPerSec), fmt(r.ratio, 2),
    r.mosquitto ? `${fmt(r.mosquitto.p50Ms, 2)}/${fmt(r.mosquitto.p99Ms, 2)}` : '-',
    r.gateway ? `${fmt(r.gateway.p50Ms, 2)}/${fmt(r.gateway.p99Ms, 2)}` : '-',
    r.gateway?.deliveredOfSent ?? '-', fmt(r.gateway?.peakRssMb ?? null),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  const cliPath = new URL('../../dist/shared/cli.js', import.meta.url).pathname;
  const gatewayBuilt = existsSync(cliPath) && existsSync(new URL('../../dist/gateway/cli.js', import.meta.url).pathname);
  // The build is the gateway measured: note when dist/ changes under a run (someone rebuilt it).
  const builtAt = (): string | null => (gatewayBuilt ? statSync(new URL('../../dist/gateway/cli.js', import.meta.url).pathname).mtime.toISOString() : null);
  const builtAtStart = builtAt();
  let gatewayNote: string | null = null;
  if (args['skip-gateway']) gatewayNote = 'skipped (--skip-gateway)';
  else if (!gatewayBuilt) gatewayNote = 'not available: dist/gateway/cli.js missing (run npm run build once the gateway exists)';

  const mosq = new MosquittoProcess();
  const useMosquitto = !args['skip-mosquitto'];
  const runs: RunResult[] = [];
  const errors: string[] = [];
  let subscriber: CountingSubscriber | undefined;
  try {
    if (useMosquitto) {
      live.add(mosq);
      await mosq.start();
      subscriber = new CountingSubscriber({ host: '127.0.0.1', port: mosq.port, filter: 'telemetry/#' });
      await subscriber.start();
      // Warm the driver's JIT before anything is measured.
      progress('warm-up against mosquitto');
      await runMosquitto(mosq, subscriber, { name: 'warm-up', qos: 1, clients: 4, count: 5000, inflight: 32, payload: 'numeric', intervalSec: 0 }, 0);
    }

    const plan = scenarios();
    const one = async (system: SystemName, s: Scenario, round: number): Promise<void> => {
      progress(`round ${round}/${rounds}  ${system}  ${s.name}`);
      try {
        if (system === 'mosquitto') runs.push(await runMosquitto(mosq, subscriber!, s, round));
        else runs.push(await runGateway(cliPath, s, round));
      } catch (err) {
        errors.push(`${system} ${s.name} round ${round}: ${(err as Error).message}`);
        if (system === 'gateway') gatewayNote ??= `failed: ${(err as Error).message.split('\n')[0]}`;
      }
    };
    const systems = (round: number): SystemName[] => {
      const list: SystemName[] = [];
      if (useMosquitto) list.push('mosquitto');
      if (gatewayNote === null) list.push('gateway');
      // Alternate which system goes first, so neither always runs on a warmer/cooler machine.
      return round % 2 === 0 ? list.reverse() : list;
    };
    plan.push(fixedRateScenario());
    if (args['only-scoring-cost']) plan.length = 0;
    for (let round = 1; round <= rounds; round++) {
      for (const s of plan) for (const system of systems(round)) await one(system, s, round);
    }

    const rows: Row[] = plan.map((s) => {
      const of = (system: SystemName): Summary | null => summary(runs.filter((r) => r.system === system && r.scenario === s.name), s.qos);
      const m = of('mosquitto');
      const g = of('gateway');
      return {
        scenario: s.name, metric: s.qos === 1 ? 'acked msgs/s' : 'delivered msgs/s', mosquitto: m, gateway: g,
        ratio: m && g && m.msgsPerSec > 0 ? g.msgsPerSec / m.msgsPerSec : null,
      };
    });
    let scoring: { readingsPerSecond: number; seconds: number; rounds: ScoringCost[]; medianOff: number; medianOn: number; overheadPercent: number } | null = null;
    if (!args['skip-scoring-cost'] && gatewayNote === null) {
      const target = Number(args['scoring-rate']);
      const seconds = Number(args['scoring-seconds']) * scale;
      const scoringRounds = Math.max(1, Number(args['scoring-rounds']));
      const costs: ScoringCost[] = [];
      for (let round = 1; round <= scoringRounds; round++) {
        // Alternate which goes first, so neither always runs on a warmer machine.
        for (const on of round % 2 === 0 ? [true, false] : [false, true]) {
          progress(`scoring cost round ${round}/${scoringRounds}: scoring ${on ? 'on (turbofan-rul, anomaly, ai4i-failure loaded)' : 'off'}`);
          costs.push(await scoringCost(cliPath, on, round, target, seconds));
        }
      }
      const medianOff = median(costs.filter((c) => c.scoring === 'off').map((c) => c.cpuMicrosPerReading));
      const medianOn = median(costs.filter((c) => c.scoring === 'on').map((c) => c.cpuMicrosPerReading));
      scoring = { readingsPerSecond: target, seconds, rounds: costs, medianOff, medianOn,
        overheadPercent: Math.round(((medianOn / medianOff) - 1) * 1000) / 10 };
    }
    const rssAll = runs.map((r) => r.peakRssMb).filter((x): x is number => x !== null);
    const doc = {
      bench: 'ingest',
      date: new Date().toISOString(),
      node: process.version,
      rounds,
      scale,
      gateway: gatewayNote ?? 'measured',
      gatewayArgs: gatewayExtraArgs ?? null,
      gatewayBuiltAt: builtAtStart,
      gatewayRebuiltDuringRun: builtAt() !== builtAtStart,
      gatewayPeakRssMb: rssAll.length ? Math.max(...rssAll) : null,
      scenarios: plan,
      rows,
      scoring,
      runs,
      errors,
    };
    if (args.out) writeFileSync(args.out, `${JSON.stringify(doc, null, 2)}\n`);
    if (!args.json) {
      process.stdout.write(`ingest benchmark: median of ${rounds} round(s); QoS 0 compares messages received by the Mosquitto subscriber / stored by the gateway per second, QoS 1 compares PUBACKs per second.\n`);
      process.stdout.write(`${table(rows)}\n`);
      if (scoring) {
        process.stdout.write(`scoring cost (C-MAPSS-shaped messages, 24 readings each, QoS 0, ${scoring.readingsPerSecond} readings/s for ${scoring.seconds} s, `
          + `median of ${scoring.rounds.length / 2} rounds): off ${scoring.medianOff} µs CPU/reading, on ${scoring.medianOn} µs CPU/reading: `
          + `+${scoring.overheadPercent}% (target ≤ 15%)\n`);
        process.stdout.write(`  rounds (µs CPU/reading off / on): ${[...new Set(scoring.rounds.map((c) => c.round))].map((r) => {
          const of = (x: 'on' | 'off') => scoring!.rounds.find((c) => c.round === r && c.scoring === x)?.cpuMicrosPerReading ?? NaN;
          return `${of('off')} / ${of('on')}`;
        }).join(', ')}\n`);
      }
      if (gatewayNote !== null) process.stdout.write(`gateway: ${gatewayNote}\n`);
      if (doc.gatewayRebuiltDuringRun) process.stdout.write('warning: dist/ was rebuilt during the run; gateway rounds may have measured different builds\n');
      for (const e of errors) process.stdout.write(`error: ${e}\n`);
      process.stdout.write('\n');
    }
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return errors.length === 0 ? 0 : 1;
  } finally {
    subscriber?.stop();
    if (useMosquitto) await mosq.stop();
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.allSettled([...live].map((p) => p.stop())).then(() => process.exit(130));
  });
}

main().then((code) => {
  process.exitCode = code;
}, (err: unknown) => {
  process.stderr.write(`bench:ingest: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});

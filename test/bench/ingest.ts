/**
 * npm run bench:ingest — ingest throughput and PUBACK latency of the gateway against two baselines measured in
 * the same run, on the same machine, with the same load:
 *   (a) a private Mosquitto (defaults, one listener on a free port) delivering into one QoS 0 subscriber;
 *   (b) bare Aedes (lib/bare-aedes.ts: the broker the gateway builds on, no storage, no hooks), counting what
 *       it receives; it shows what the gateway's storage and hooks cost on top of its broker;
 *   (c) the gateway (dist/deploy/cli/smartmaint.js gateway, power-loss durability by default) storing into its outbox.
 * Load from the raw-socket driver (gateway/tools/bench, the `smartmaint bench mqtt` engine): QoS 0 and QoS 1, numeric
 * and ~100-byte JSON payloads, mqtt-benchmark's style (100 clients, one QoS 1 message in flight each) and a paced
 * run at --rate msgs/s (QoS 1, PUBACK p50/p99/p99.9 at a fixed load). Load from the Paho Go client
 * (test/helpers/paho-go): paho-go-100x500, what mqtt-benchmark itself does (100 clients × 500 QoS 1 messages, one
 * in flight, packet id reused, payload {"value":1}), with the gateway's stored/acked check; and paho-go-<rate>/s,
 * 10 clients paced to --rate together (up to 1,000 in flight each), PUBACK p50/p99/p99.9. The systems take turns
 * going first, for --rounds rounds; medians are reported, with peak RSS per run of bare Aedes and the gateway
 * (each started fresh per run). A final part measures what scoring costs in gateway CPU per reading.
 *
 * Options: --rounds N (3)  --scale X (1; multiplies message counts)  --payloads numeric,json100
 *          --rate N (10000)  --rate-seconds N (5)  --skip-gateway  --skip-aedes  --skip-mosquitto  --skip-paho
 *          --skip-scoring-cost  --only-scoring-cost  --scoring-rate N  --scoring-seconds N  --scoring-rounds N
 *          --out FILE  --json
 * Prints a readable table and the JSON document (or only the JSON with --json); exits 1 on an error or when
 * the gateway acknowledged a message it did not store.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parseBenchArgs } from '../../gateway/tools/bench/flags.js';
import { MqttBench } from '../../gateway/tools/bench/mqtt-bench.js';
import { missingClient, pahoGoBinary, runPahoGo } from '../helpers/real-clients.js';
import { CountingSubscriber } from './lib/counting-subscriber.js';
import { row, summary, table, median, SYSTEMS, type LatencyKind, type Row, type RunResult, type SystemName } from './lib/ingest-report.js';
import { BareAedesProcess, GatewayProcess, MosquittoProcess } from './lib/processes.js';

type PayloadKind = 'numeric' | 'json100' | 'paho';

interface Scenario {
  name: string;
  /** The load client; the raw-socket driver unless 'paho-go'. */
  driver: 'node' | 'paho-go';
  qos: 0 | 1;
  clients: number;
  count: number;
  inflight: number;
  payload: PayloadKind;
  intervalSec: number;
  latency: LatencyKind;
}

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    scale: { type: 'string', default: '1' },
    payloads: { type: 'string', default: 'numeric,json100' },
    rate: { type: 'string', default: '10000' },
    'rate-seconds': { type: 'string', default: '5' },
    'skip-gateway': { type: 'boolean', default: false },
    'skip-aedes': { type: 'boolean', default: false },
    'skip-mosquitto': { type: 'boolean', default: false },
    'skip-paho': { type: 'boolean', default: false },
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
/** The same topics in Paho Go's notation (%d: the client number). */
const PAHO_TOPIC = 'telemetry/bench-%d/s1';
/** mqtt-benchmark's kind of payload: the same bytes in every message. */
const PAHO_PAYLOAD = '{"value":1}';
const PAYLOAD_SIZE = 100;

/** Payload template: a bare number, or JSON padded with whitespace to PAYLOAD_SIZE for the largest {i}. */
function payloadTemplate(kind: PayloadKind, count: number): string {
  if (kind === 'numeric') return '{i}.5';
  if (kind === 'paho') return PAHO_PAYLOAD;
  const core = '{"value": {i}.5, "unit": "mm/s"';
  const longest = core.replace('{i}', String(count - 1)).length + 1;
  return `${core}${' '.repeat(Math.max(0, PAYLOAD_SIZE - longest))}}`;
}

function scenarios(): Scenario[] {
  const n = (x: number): number => Math.max(1, Math.round(x * scale));
  const list: Scenario[] = [];
  const node = { driver: 'node', intervalSec: 0, latency: 'p50/p99' } as const;
  for (const payload of payloadKinds) {
    list.push({ ...node, name: `qos0-${payload}`, qos: 0, clients: 4, count: n(100_000), inflight: 1, payload });
    list.push({ ...node, name: `qos1-${payload}`, qos: 1, clients: 8, count: n(25_000), inflight: 64, payload });
  }
  // mqtt-benchmark's own style: one QoS 1 message in flight per client, many clients.
  list.push({ ...node, name: 'qos1-numeric-100x1', qos: 1, clients: 100, count: n(1_000), inflight: 1, payload: 'numeric' });
  return list;
}

function fixedRateScenario(): Scenario {
  const clients = 10;
  const perClient = rate / clients;
  return {
    name: `qos1-numeric-${rate}/s`, driver: 'node', qos: 1, clients, count: Math.max(1, Math.round(perClient * rateSeconds)),
    inflight: 1000, payload: 'numeric', intervalSec: 1 / perClient, latency: 'p50/p99/p99.9',
  };
}

function pahoScenarios(): Scenario[] {
  const clients = 10;
  const perClient = rate / clients;
  return [
    // What the real mqtt-benchmark does: Paho Go, one message in flight, so every message reuses packet id 1.
    { name: 'paho-go-100x500', driver: 'paho-go', qos: 1, clients: 100, count: Math.max(1, Math.round(500 * scale)), inflight: 1,
      payload: 'paho', intervalSec: 0, latency: 'mean/p99' },
    // Paced like the driver's fixed-rate run; more than one in flight, else a client falls behind its schedule
    // whenever a PUBACK takes longer than the interval between its messages.
    { name: `paho-go-${rate}/s`, driver: 'paho-go', qos: 1, clients, count: Math.max(1, Math.round(perClient * rateSeconds)),
      inflight: 1000, payload: 'paho', intervalSec: 1 / perClient, latency: 'p50/p99/p99.9' },
  ];
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

/** A system ready for one run: where to connect, how to count what arrived, its peak RSS. */
interface Target {
  port: number;
  /** Messages received/counted/stored so far and when the last one arrived (ms, performance.now()). */
  settle(target: number): Promise<{ count: number; at: number }>;
  peakRssMb(): number | null;
}

/** What a load client reports, whichever it was. */
interface Load {
  startedAt: number;
  acked: number;
  failures: number;
  msgsPerSec: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
}

async function runLoad(s: Scenario, port: number): Promise<Load> {
  if (s.driver === 'paho-go') {
    const r = await runPahoGo({
      port, clients: s.clients, count: s.count, qos: s.qos, topic: PAHO_TOPIC, payload: PAHO_PAYLOAD,
      rate: s.intervalSec > 0 ? 1 / s.intervalSec : 0, inflight: s.inflight, clientIdPrefix: 'paho-bench',
    });
    const [p50, p99, p999, , mean] = r.latencyMs;
    // Paho Go times its own run; the start is placed that long before it exited (connects not counted).
    return { startedAt: performance.now() - r.seconds * 1000, acked: r.acked, failures: r.sent - r.acked, msgsPerSec: r.perSecond,
      meanMs: mean, p50Ms: p50, p99Ms: p99, p999Ms: p999 };
  }
  const bench = benchFor(s, port);
  const { totals: t } = await bench.run();
  // Every client sends the same count, so the mean of the client means is the mean over all messages.
  return { startedAt: bench.publishStartedAt, acked: t.successes, failures: t.failures, msgsPerSec: t.wall_msgs_per_sec,
    meanMs: t.msg_time_mean_avg, p50Ms: t.msg_time_p50, p99Ms: t.msg_time_p99, p999Ms: t.msg_time_p999 };
}

async function measure(system: SystemName, target: Target, s: Scenario, round: number): Promise<RunResult> {
  const load = await runLoad(s, target.port);
  const sent = s.clients * s.count;
  const delivered = await target.settle(sent);
  const sec = (delivered.at - load.startedAt) / 1000;
  return {
    system, scenario: s.name, round, driver: s.driver, sent, acked: load.acked, failures: load.failures,
    driverMsgsPerSec: load.msgsPerSec, delivered: delivered.count, deliveredMsgsPerSec: sec > 0 ? delivered.count / sec : 0,
    meanMs: load.meanMs, p50Ms: load.p50Ms, p99Ms: load.p99Ms, p999Ms: load.p999Ms, peakRssMb: target.peakRssMb(),
  };
}

async function runMosquitto(mosq: MosquittoProcess, sub: CountingSubscriber, s: Scenario, round: number): Promise<RunResult> {
  sub.reset();
  return measure('mosquitto', {
    port: mosq.port,
    settle: async (n) => {
      await settle(() => sub.received, n, 1000);
      return { count: sub.received, at: sub.lastAt };
    },
    // A shared process, up for the whole run: its peak RSS would not be this scenario's.
    peakRssMb: () => null,
  }, s, round);
}

async function runAedes(s: Scenario, round: number): Promise<RunResult> {
  const broker = new BareAedesProcess();
  live.add(broker);
  try {
    await broker.start();
    return await measure('aedes', { port: broker.ports.mqtt, settle: (n) => settle(() => broker.received(), n, 2000), peakRssMb: () => broker.peakRssMb() }, s, round);
  } finally {
    live.delete(broker);
    await broker.stop();
  }
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

async function runGateway(cliPath: string, s: Scenario, round: number): Promise<RunResult> {
  const gw = await startGateway(cliPath);
  live.add(gw);
  try {
    return await measure('gateway', { port: gw.ports.mqtt, settle: (n) => settle(() => gw.readings(), n, 2000), peakRssMb: () => gw.peakRssMb() }, s, round);
  } finally {
    live.delete(gw);
    await gw.stop();
  }
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

async function main(): Promise<number> {
  const cliPath = new URL('../../dist/deploy/cli/smartmaint.js', import.meta.url).pathname;
  const gatewayBuilt = existsSync(cliPath) && existsSync(new URL('../../dist/gateway/cli.js', import.meta.url).pathname);
  // The build is the gateway measured: note when dist/ changes under a run (someone rebuilt it).
  const builtAt = (): string | null => (gatewayBuilt ? statSync(new URL('../../dist/gateway/cli.js', import.meta.url).pathname).mtime.toISOString() : null);
  const builtAtStart = builtAt();
  /** Why a system is not (or no longer) measured; null while it is. */
  const notes: Record<SystemName, string | null> = {
    mosquitto: args['skip-mosquitto'] ? 'skipped (--skip-mosquitto)' : null,
    aedes: args['skip-aedes'] ? 'skipped (--skip-aedes)' : null,
    gateway: args['skip-gateway'] ? 'skipped (--skip-gateway)'
      : gatewayBuilt ? null : 'not available: dist/gateway/cli.js missing (run npm run build once the gateway exists)',
  };
  let pahoNote: string | null = args['skip-paho'] ? 'skipped (--skip-paho)' : null;
  if (pahoNote === null && !args['only-scoring-cost']) {
    const missing = missingClient('paho-go');
    if (missing !== undefined) pahoNote = `not available: ${missing}`;
    else {
      try {
        progress('building the Paho Go load client');
        await pahoGoBinary();
      } catch (err) {
        pahoNote = `not available: the Paho Go client did not build: ${(err as Error).message.split('\n')[0]}`;
      }
    }
  }

  const mosq = new MosquittoProcess();
  const useMosquitto = notes.mosquitto === null;
  const runs: RunResult[] = [];
  const errors: string[] = [];
  const unstored: string[] = [];
  let subscriber: CountingSubscriber | undefined;
  try {
    if (useMosquitto) {
      live.add(mosq);
      await mosq.start();
      subscriber = new CountingSubscriber({ host: '127.0.0.1', port: mosq.port, filter: 'telemetry/#' });
      await subscriber.start();
      // Warm the driver's JIT before anything is measured.
      progress('warm-up against mosquitto');
      await runMosquitto(mosq, subscriber, { name: 'warm-up', driver: 'node', qos: 1, clients: 4, count: 5000, inflight: 32, payload: 'numeric', intervalSec: 0, latency: 'p50/p99' }, 0);
    }

    const plan = [...scenarios(), fixedRateScenario(), ...(pahoNote === null ? pahoScenarios() : [])];
    if (args['only-scoring-cost']) plan.length = 0;
    const one = async (system: SystemName, s: Scenario, round: number): Promise<void> => {
      progress(`round ${round}/${rounds}  ${system}  ${s.name}`);
      try {
        const r = system === 'mosquitto' ? await runMosquitto(mosq, subscriber!, s, round)
          : system === 'aedes' ? await runAedes(s, round) : await runGateway(cliPath, s, round);
        runs.push(r);
        if (system === 'gateway' && s.qos === 1 && r.delivered < r.acked) {
          const line = `FAIL: gateway ${s.name} round ${round}: ${r.acked - r.delivered} acknowledged message(s) not stored `
            + `(${r.delivered} stored, ${r.acked} acknowledged)`;
          unstored.push(line);
          process.stderr.write(`${line}\n`);
        }
      } catch (err) {
        errors.push(`${system} ${s.name} round ${round}: ${(err as Error).message}`);
        // A failed Paho Go run may be the client's doing; any other failure retires the system from the run.
        if (s.driver === 'node' && system !== 'mosquitto') notes[system] ??= `failed: ${(err as Error).message.split('\n')[0]}`;
      }
    };
    const systems = (round: number): SystemName[] => {
      const list = SYSTEMS.filter((system) => notes[system] === null);
      // Rotate which system goes first, so none always runs on a warmer/cooler machine.
      const k = list.length === 0 ? 0 : (round - 1) % list.length;
      return [...list.slice(k), ...list.slice(0, k)];
    };
    for (let round = 1; round <= rounds; round++) {
      for (const s of plan) for (const system of systems(round)) await one(system, s, round);
    }

    const rows: Row[] = plan.map((s) => row(s.name, s.qos, s.latency,
      (system) => summary(runs.filter((r) => r.system === system && r.scenario === s.name), s.qos)));
    let scoring: { readingsPerSecond: number; seconds: number; rounds: ScoringCost[]; medianOff: number; medianOn: number; overheadPercent: number } | null = null;
    if (!args['skip-scoring-cost'] && notes.gateway === null) {
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
    const peak = (system: SystemName): number | null => {
      const rss = runs.filter((r) => r.system === system).map((r) => r.peakRssMb).filter((x): x is number => x !== null);
      return rss.length ? Math.max(...rss) : null;
    };
    const doc = {
      bench: 'ingest',
      date: new Date().toISOString(),
      node: process.version,
      rounds,
      scale,
      gateway: notes.gateway ?? 'measured',
      aedes: notes.aedes ?? 'measured',
      mosquitto: notes.mosquitto ?? 'measured',
      pahoGo: pahoNote ?? 'measured',
      gatewayArgs: gatewayExtraArgs ?? null,
      gatewayBuiltAt: builtAtStart,
      gatewayRebuiltDuringRun: builtAt() !== builtAtStart,
      gatewayPeakRssMb: peak('gateway'),
      aedesPeakRssMb: peak('aedes'),
      /** Gateway QoS 1 runs in which an acknowledged message was not stored (empty is the promise kept). */
      ackedNotStored: unstored,
      scenarios: plan,
      rows,
      scoring,
      runs,
      errors,
    };
    if (args.out) writeFileSync(args.out, `${JSON.stringify(doc, null, 2)}\n`);
    if (!args.json) {
      process.stdout.write(`ingest benchmark: median of ${rounds} round(s); QoS 0 compares messages received by the Mosquitto subscriber / counted by bare Aedes / `
        + 'stored by the gateway per second, QoS 1 compares PUBACKs per second; paho-go rows use the Paho Go client.\n');
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
      for (const system of SYSTEMS) if (notes[system] !== null) process.stdout.write(`${system}: ${notes[system]}\n`);
      if (pahoNote !== null) process.stdout.write(`paho-go rows: ${pahoNote}\n`);
      if (doc.gatewayRebuiltDuringRun) process.stdout.write('warning: dist/ was rebuilt during the run; gateway rounds may have measured different builds\n');
      for (const line of unstored) process.stdout.write(`${line}\n`);
      for (const e of errors) process.stdout.write(`error: ${e}\n`);
      process.stdout.write('\n');
    }
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return errors.length === 0 && unstored.length === 0 ? 0 : 1;
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

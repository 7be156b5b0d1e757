/**
 * npm run bench:scoring — CPU cost of local scoring per reading, with the three default models active, against a
 * baseline measured in the same run: the same engine and the same readings with an empty models dir (feature
 * windows off, nothing scored). Readings: the FD001 test engines (22 values per cycle message) and AI4I rows (6 per
 * message), interleaved, in micro-batches of --batch messages.
 *
 * Options: --batch N (64 messages)  --rounds N (3)  --runner worker|inline (worker)  --json
 * Prints a readable table and the JSON document (or only the JSON with --json).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../shared/logger.js';
import { ScoringEngine, type ScoringInput } from '../../gateway/scoring/engine.js';
import { loadAi4i, loadFd001 } from '../../shared/ml/datasets.js';
import { ai4iMessages, cmapssMessages } from '../../gateway/tools/simulate/replay-sources.js';

const { values } = parseArgs({ options: { batch: { type: 'string' }, rounds: { type: 'string' }, json: { type: 'boolean' },
  runner: { type: 'string' } } });
const runner = values.runner === 'inline' ? 'inline' as const : 'worker' as const;
const batchMessages = Number(values.batch ?? 64);
const rounds = Number(values.rounds ?? 3);
const modelsDir = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'models');

function readings(): ScoringInput[][] {
  const data = join(modelsDir, 'data');
  const a = [...cmapssMessages(loadFd001(data).test, 100)];
  const b = [...ai4iMessages(loadAi4i(data), 3)];
  const messages = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i]) messages.push(a[i]!);
    if (b[i]) messages.push(b[i]!);
  }
  let seq = 0;
  const batches: ScoringInput[][] = [];
  for (let i = 0; i < messages.length; i += batchMessages) {
    batches.push(messages.slice(i, i + batchMessages).flatMap((m, k) => {
      const ts = 1_700_000_000_000 + (i + k) * 1000;
      const asset = m.topic.slice('telemetry/'.length);
      return Object.entries(m.values).map(([sensor, value]) => ({ seq: ++seq, ts, asset, sensor, value }));
    }));
  }
  return batches;
}

async function run(dir: string, batches: ScoringInput[][]) {
  const engine = new ScoringEngine({ modelsDir: dir, log: createLogger({ level: 'silent', name: 'bench' }), clock: Date.now,
    config: { watch: false, pollIntervalMs: 0, runner } });
  await engine.start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let scores = 0;
  let alerts = 0;
  for (const b of batches) {
    const r = await engine.score(b);
    scores += r.scores.length;
    alerts += r.alerts.length;
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const models = engine.list().map((m) => ({ model: m.name, rows: m.rowsScored, meanRunMs: m.meanScoreMs }));
  await engine.stop();
  const n = batches.reduce((s, b) => s + b.length, 0);
  return { readings: n, scores, alerts, wallMs, cpuMicrosPerReading: (cpu.user + cpu.system) / n, models };
}

const batches = readings();
const empty = mkdtempSync(join(tmpdir(), 'smartmaint-bench-empty-'));
const results: Array<{ round: number; off: Awaited<ReturnType<typeof run>>; on: Awaited<ReturnType<typeof run>> }> = [];
try {
  for (let r = 0; r < rounds; r++) results.push({ round: r + 1, off: await run(empty, batches), on: await run(modelsDir, batches) });
} finally {
  rmSync(empty, { recursive: true, force: true });
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const off = median(results.map((r) => r.off.cpuMicrosPerReading));
const on = median(results.map((r) => r.on.cpuMicrosPerReading));
const doc = {
  batchMessages, rounds, runner, readings: results[0]!.on.readings, scores: results[0]!.on.scores, alerts: results[0]!.on.alerts,
  cpuMicrosPerReading: { scoringOff: off, scoringOn: on, addedByScoring: on - off },
  rounds_: results,
};
if (!values.json) {
  process.stdout.write([
    `scoring bench: ${doc.readings} readings in micro-batches of ${batchMessages} messages, sessions ${runner}, median of ${rounds} rounds`,
    `  CPU per reading, no models (baseline)   ${off.toFixed(2)} µs`,
    `  CPU per reading, 3 default models       ${on.toFixed(2)} µs   (${doc.scores} scores, ${doc.alerts} alert events)`,
    `  added by scoring                        ${(on - off).toFixed(2)} µs per reading`,
    ...results[results.length - 1]!.on.models.map((m) => `    ${m.model.padEnd(14)} ${String(m.rows).padStart(6)} rows, `
      + `mean run() per micro-batch ${m.meanRunMs.toFixed(3)} ms`),
    '',
  ].join('\n'));
}
process.stdout.write(`${JSON.stringify(doc)}\n`);

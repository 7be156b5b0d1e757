/**
 * Results in mqtt-benchmark's shape (field names as in its main.go RunResults/TotalResults JSON tags),
 * plus percentiles and a wall-clock rate under names of our own. Times are in ms, run times in seconds.
 */

/** One client's measurements, produced by the driver. */
export interface ClientMeasurement {
  id: number;
  successes: number;
  failures: number;
  runTimeSec: number;
  /** Latency of each successful message in ms (publish→PUBACK, or write time at QoS 0). */
  latenciesMs: Float64Array;
}

export interface RunResults {
  id: number;
  successes: number;
  failures: number;
  run_time: number;
  msg_time_min: number;
  msg_time_max: number;
  msg_time_mean: number;
  msg_time_std: number;
  msgs_per_sec: number;
}

export interface TotalResults {
  ratio: number;
  successes: number;
  failures: number;
  total_run_time: number;
  avg_run_time: number;
  msg_time_min: number;
  msg_time_max: number;
  msg_time_mean_avg: number;
  msg_time_mean_std: number;
  total_msgs_per_sec: number;
  avg_msgs_per_sec: number;
  // Not in mqtt-benchmark:
  /** What msg_time measures: "puback" (QoS 1 publish→PUBACK) or "write" (QoS 0 socket write). */
  msg_time_kind: 'puback' | 'write';
  msg_time_p50: number;
  msg_time_p90: number;
  msg_time_p99: number;
  msg_time_p999: number;
  /** successes / total_run_time: the rate all clients reached together, in wall-clock time. */
  wall_msgs_per_sec: number;
  qos: 0 | 1;
  inflight: number;
}

export interface BenchReport {
  runs: RunResults[];
  totals: TotalResults;
}

function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** Sample standard deviation; 0 for fewer than 2 samples (mqtt-benchmark's convention, JSON has no NaN). */
function sampleStd(xs: ArrayLike<number>): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i]! - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  // (p / 100) * n is 999.0000000000001 for p99.9 of 1,000, which would take the rank above; p * n / 100 is
  // exact for the percentiles used here, and the tolerance covers the rest.
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p * sorted.length) / 100 - 1e-9) - 1));
  return sorted[rank]!;
}

export function runResults(m: ClientMeasurement): RunResults {
  let min = Infinity;
  let max = 0;
  for (let i = 0; i < m.latenciesMs.length; i++) {
    const v = m.latenciesMs[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return {
    id: m.id,
    successes: m.successes,
    failures: m.failures,
    run_time: m.runTimeSec,
    msg_time_min: m.latenciesMs.length === 0 ? 0 : min,
    msg_time_max: max,
    msg_time_mean: mean(m.latenciesMs),
    msg_time_std: sampleStd(m.latenciesMs),
    msgs_per_sec: m.runTimeSec > 0 ? m.successes / m.runTimeSec : 0,
  };
}

export function buildReport(
  measurements: readonly ClientMeasurement[],
  totalRunTimeSec: number,
  meta: { qos: 0 | 1; inflight: number },
): BenchReport {
  const runs = measurements.map(runResults);
  const successes = runs.reduce((s, r) => s + r.successes, 0);
  const failures = runs.reduce((s, r) => s + r.failures, 0);
  const all = new Float64Array(measurements.reduce((s, m) => s + m.latenciesMs.length, 0));
  let at = 0;
  for (const m of measurements) {
    all.set(m.latenciesMs, at);
    at += m.latenciesMs.length;
  }
  all.sort();
  const withSamples = runs.filter((r) => r.successes > 0);
  const totals: TotalResults = {
    ratio: successes + failures === 0 ? 0 : successes / (successes + failures),
    successes,
    failures,
    total_run_time: totalRunTimeSec,
    avg_run_time: mean(runs.map((r) => r.run_time)),
    msg_time_min: withSamples.length === 0 ? 0 : Math.min(...withSamples.map((r) => r.msg_time_min)),
    msg_time_max: Math.max(0, ...runs.map((r) => r.msg_time_max)),
    msg_time_mean_avg: mean(runs.map((r) => r.msg_time_mean)),
    msg_time_mean_std: sampleStd(runs.map((r) => r.msg_time_mean)),
    // mqtt-benchmark's "Total Bandwidth" is the sum of the per-client rates.
    total_msgs_per_sec: runs.reduce((s, r) => s + r.msgs_per_sec, 0),
    avg_msgs_per_sec: mean(runs.map((r) => r.msgs_per_sec)),
    msg_time_kind: meta.qos === 1 ? 'puback' : 'write',
    msg_time_p50: percentile(all, 50),
    msg_time_p90: percentile(all, 90),
    msg_time_p99: percentile(all, 99),
    msg_time_p999: percentile(all, 99.9),
    wall_msgs_per_sec: totalRunTimeSec > 0 ? successes / totalRunTimeSec : 0,
    qos: meta.qos,
    inflight: meta.inflight,
  };
  return { runs, totals };
}

const f3 = (n: number): string => n.toFixed(3);

/** mqtt-benchmark's text output, then our extra lines. */
export function formatText(report: BenchReport): string {
  const out: string[] = [];
  for (const r of report.runs) {
    const total = r.successes + r.failures;
    out.push(`======= CLIENT ${r.id} =======`);
    out.push(`Ratio:               ${f3(total === 0 ? 0 : r.successes / total)} (${r.successes}/${total})`);
    out.push(`Runtime (s):         ${f3(r.run_time)}`);
    out.push(`Msg time min (ms):   ${f3(r.msg_time_min)}`);
    out.push(`Msg time max (ms):   ${f3(r.msg_time_max)}`);
    out.push(`Msg time mean (ms):  ${f3(r.msg_time_mean)}`);
    out.push(`Msg time std (ms):   ${f3(r.msg_time_std)}`);
    out.push(`Bandwidth (msg/sec): ${f3(r.msgs_per_sec)}`);
    out.push('');
  }
  const t = report.totals;
  out.push(`========= TOTAL (${report.runs.length}) =========`);
  out.push(`Total Ratio:                 ${f3(t.ratio)} (${t.successes}/${t.successes + t.failures})`);
  out.push(`Total Runtime (sec):         ${f3(t.total_run_time)}`);
  out.push(`Average Runtime (sec):       ${f3(t.avg_run_time)}`);
  out.push(`Msg time min (ms):           ${f3(t.msg_time_min)}`);
  out.push(`Msg time max (ms):           ${f3(t.msg_time_max)}`);
  out.push(`Msg time mean mean (ms):     ${f3(t.msg_time_mean_avg)}`);
  out.push(`Msg time mean std (ms):      ${f3(t.msg_time_mean_std)}`);
  out.push(`Average Bandwidth (msg/sec): ${f3(t.avg_msgs_per_sec)}`);
  out.push(`Total Bandwidth (msg/sec):   ${f3(t.total_msgs_per_sec)}`);
  out.push(`Wall Bandwidth (msg/sec):    ${f3(t.wall_msgs_per_sec)}`);
  out.push(`Msg time p50/p90/p99/p99.9 (ms, ${t.msg_time_kind}): ${f3(t.msg_time_p50)} / ${f3(t.msg_time_p90)} / ${f3(t.msg_time_p99)} / ${f3(t.msg_time_p999)}`);
  return `${out.join('\n')}\n`;
}

/** Indented with tabs like mqtt-benchmark's json.Indent(..., "", "\t"). */
export function formatJson(report: BenchReport): string {
  return `${JSON.stringify(report, null, '\t')}\n`;
}

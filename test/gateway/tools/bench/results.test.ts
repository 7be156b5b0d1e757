import t from 'tap';
import { buildReport, formatJson, formatText, percentile } from '../../../../gateway/tools/bench/results.js';

t.test('percentile: nearest rank over an ascending array', async (t) => {
  const xs = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
  t.equal(percentile(xs, 50), 500);
  t.equal(percentile(xs, 99), 990);
  t.equal(percentile(xs, 99.9), 999);
  t.equal(percentile(xs, 100), 1000);
  t.equal(percentile(new Float64Array(0), 99.9), 0, 'no samples: 0, as JSON has no NaN');
});

t.test('p99.9 over the latencies of all clients together, in JSON and text', async (t) => {
  // Two clients of 1,000 messages: all 1 ms except three slow ones, so only p99.9 and max see the tail.
  const client = (id: number, slow: number[]): { id: number; successes: number; failures: number; runTimeSec: number; latenciesMs: Float64Array } => {
    const latenciesMs = new Float64Array(1000).fill(1);
    slow.forEach((ms, k) => (latenciesMs[k] = ms));
    return { id, successes: 1000, failures: 0, runTimeSec: 1, latenciesMs };
  };
  const report = buildReport([client(0, [50, 40]), client(1, [30])], 1, { qos: 1, inflight: 1 });
  const totals = report.totals;
  t.equal(totals.msg_time_p99, 1);
  // rank ceil(0.999 × 2000) = 1998 of 2000: the third-slowest message.
  t.equal(totals.msg_time_p999, 30);
  t.equal(totals.msg_time_max, 50);
  t.match(formatText(report), /Msg time p50\/p90\/p99\/p99\.9 \(ms, puback\): 1\.000 \/ 1\.000 \/ 1\.000 \/ 30\.000/);
  t.equal((JSON.parse(formatJson(report)) as { totals: { msg_time_p999: number } }).totals.msg_time_p999, 30);
});

/**
 * bench:ingest's results: one record per run, the per-scenario medians over the rounds for each system,
 * the ratios between systems, and the readable table.
 */

export type SystemName = 'mosquitto' | 'aedes' | 'gateway';
export const SYSTEMS: readonly SystemName[] = ['mosquitto', 'aedes', 'gateway'];

/** Which latency figures a scenario's row shows (all are in the JSON). */
export type LatencyKind = 'p50/p99' | 'p50/p99/p99.9' | 'mean/p99';

export interface RunResult {
  system: SystemName;
  scenario: string;
  round: number;
  /** The load client: the raw-socket driver (gateway/tools/bench) or the Paho Go client. */
  driver: 'node' | 'paho-go';
  sent: number;
  /** Driver successes: PUBACKs at QoS 1, completed writes at QoS 0. */
  acked: number;
  failures: number;
  /** successes / wall time of the load (publish rate, or PUBACK rate at QoS 1). */
  driverMsgsPerSec: number;
  /** Received by the subscriber (Mosquitto), counted by the broker (bare Aedes) or stored in the outbox (gateway). */
  delivered: number;
  /** delivered / time from the first publish until the last one was received/counted/stored. */
  deliveredMsgsPerSec: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  peakRssMb: number | null;
}

export interface Summary {
  msgsPerSec: number;
  driverMsgsPerSec: number;
  deliveredMsgsPerSec: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** delivered/sent of the run that delivered the smallest share. */
  deliveredOfSent: string;
  /** delivered/acked of the run with the most acknowledged messages not delivered (QoS 1). */
  deliveredOfAcked: string;
  /** The most acknowledged messages any run did not deliver (for the gateway: not stored); 0 is the promise. */
  ackedNotDelivered: number;
  peakRssMb: number | null;
  rounds: number;
}

export interface Row {
  scenario: string;
  /** The figure compared: stored/received msgs/s at QoS 0, acknowledged msgs/s at QoS 1. */
  metric: 'delivered msgs/s' | 'acked msgs/s';
  latency: LatencyKind;
  mosquitto: Summary | null;
  aedes: Summary | null;
  gateway: Summary | null;
  /** gateway / Mosquitto. */
  ratio: number | null;
  /** gateway / bare Aedes. */
  ratioGatewayAedes: number | null;
  /** bare Aedes / Mosquitto. */
  ratioAedesMosquitto: number | null;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summary(runs: RunResult[], qos: 0 | 1): Summary | null {
  if (runs.length === 0) return null;
  const pick = (r: RunResult): number => (qos === 1 ? r.driverMsgsPerSec : r.deliveredMsgsPerSec);
  const worst = runs.reduce((a, b) => (b.delivered / b.sent < a.delivered / a.sent ? b : a));
  const missing = (r: RunResult): number => Math.max(0, r.acked - r.delivered);
  const worstAcked = runs.reduce((a, b) => (missing(b) > missing(a) ? b : a));
  const rss = runs.map((r) => r.peakRssMb).filter((x): x is number => x !== null);
  return {
    msgsPerSec: median(runs.map(pick)),
    driverMsgsPerSec: median(runs.map((r) => r.driverMsgsPerSec)),
    deliveredMsgsPerSec: median(runs.map((r) => r.deliveredMsgsPerSec)),
    meanMs: median(runs.map((r) => r.meanMs)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    p999Ms: median(runs.map((r) => r.p999Ms)),
    deliveredOfSent: `${worst.delivered}/${worst.sent}`,
    deliveredOfAcked: `${worstAcked.delivered}/${worstAcked.acked}`,
    ackedNotDelivered: missing(worstAcked),
    peakRssMb: rss.length ? Math.max(...rss) : null,
    rounds: runs.length,
  };
}

function ratio(a: Summary | null, b: Summary | null): number | null {
  return a && b && b.msgsPerSec > 0 ? a.msgsPerSec / b.msgsPerSec : null;
}

export function row(scenario: string, qos: 0 | 1, latency: LatencyKind, of: (system: SystemName) => Summary | null): Row {
  const mosquitto = of('mosquitto');
  const aedes = of('aedes');
  const gateway = of('gateway');
  return {
    scenario, metric: qos === 1 ? 'acked msgs/s' : 'delivered msgs/s', latency, mosquitto, aedes, gateway,
    ratio: ratio(gateway, mosquitto), ratioGatewayAedes: ratio(gateway, aedes), ratioAedesMosquitto: ratio(aedes, mosquitto),
  };
}

const fmt = (n: number | null | undefined, d = 0): string => (n === null || n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));

function latencyCell(s: Summary | null, kind: LatencyKind): string {
  if (!s) return '-';
  switch (kind) {
    case 'p50/p99': return `${fmt(s.p50Ms, 2)}/${fmt(s.p99Ms, 2)}`;
    case 'p50/p99/p99.9': return `${fmt(s.p50Ms, 2)}/${fmt(s.p99Ms, 2)}/${fmt(s.p999Ms, 2)}`;
    case 'mean/p99': return `${fmt(s.meanMs, 2)}/${fmt(s.p99Ms, 2)}`;
  }
}

export function table(rows: Row[]): string {
  const head = ['scenario', 'metric', 'mosquitto', 'bare aedes', 'gateway', 'gw/aedes', 'gw/mosq', 'aedes/mosq',
    'latency ms', 'mosq', 'aedes', 'gw', 'gw stored/sent (worst)', 'gw stored/acked (worst)', 'peak RSS MB aedes/gw'];
  const body = rows.map((r) => [
    r.scenario, r.metric, fmt(r.mosquitto?.msgsPerSec), fmt(r.aedes?.msgsPerSec), fmt(r.gateway?.msgsPerSec),
    fmt(r.ratioGatewayAedes, 2), fmt(r.ratio, 2), fmt(r.ratioAedesMosquitto, 2),
    r.latency, latencyCell(r.mosquitto, r.latency), latencyCell(r.aedes, r.latency), latencyCell(r.gateway, r.latency),
    r.gateway?.deliveredOfSent ?? '-', r.metric === 'acked msgs/s' ? r.gateway?.deliveredOfAcked ?? '-' : '-',
    `${fmt(r.aedes?.peakRssMb ?? null)}/${fmt(r.gateway?.peakRssMb ?? null)}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

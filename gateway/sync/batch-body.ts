/**
 * The JSON body of one ingest batch (shared/protocol.ts `ingestBatchSchema`), written field by field.
 * Why not JSON.stringify: the readings come out of the outbox carrying a size estimate that is not part of the
 * wire contract, and copying every reading without it and then stringifying cost about 1.1 µs per reading; this
 * writer takes about 0.7 µs and reads the readings as they are. The result parses to exactly what
 * `JSON.stringify` gives for the same batch (test/gateway/sync/batch-body.test.ts).
 */
import type { Alert, Gap, Reading } from '../../shared/protocol.js';

export interface BatchBody {
  gatewayId: string;
  epoch: string;
  batchId: string;
  readings: readonly Reading[];
  alerts?: readonly Alert[];
  gaps?: readonly Gap[];
}

export function encodeBatchBody(b: BatchBody): string {
  let s = `{"v":1,"gatewayId":${JSON.stringify(b.gatewayId)},"epoch":${JSON.stringify(b.epoch)},"batchId":${JSON.stringify(b.batchId)},"readings":[`;
  const readings = b.readings;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i]!;
    if (i > 0) s += ',';
    s += `{"seq":${num(r.seq)},"ts":${num(r.ts)},"receivedAt":${num(r.receivedAt)},"asset":${JSON.stringify(r.asset)},"sensor":${
      JSON.stringify(r.sensor)},"value":${num(r.value)}`;
    if (r.unit !== undefined) s += `,"unit":${JSON.stringify(r.unit)}`;
    if (r.quality !== undefined) s += `,"quality":${typeof r.quality === 'number' ? num(r.quality) : JSON.stringify(r.quality)}`;
    if (r.scores !== undefined) s += `,"scores":${JSON.stringify(r.scores)}`;
    if (r.historical !== undefined) s += `,"historical":${r.historical ? 'true' : 'false'}`;
    s += '}';
  }
  s += ']';
  if (b.alerts && b.alerts.length > 0) s += `,"alerts":${JSON.stringify(b.alerts)}`;
  if (b.gaps && b.gaps.length > 0) s += `,"gaps":${JSON.stringify(b.gaps)}`;
  return `${s}}`;
}

/** A number as JSON.stringify writes it: the shortest round-trip form, null when not finite. */
function num(n: number): string {
  return Number.isFinite(n) ? `${n}` : 'null';
}

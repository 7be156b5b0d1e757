/**
 * The batch body writer gives, byte for byte, what JSON.stringify gives for the same batch (with the wire fields
 * only), for every optional field and for strings that need escaping; and the body passes the wire contract.
 */
import t from 'tap';
import { encodeBatchBody } from '../../../gateway/sync/batch-body.js';
import { ingestBatchSchema, type Alert, type Gap, type Reading } from '../../../shared/protocol.js';

const awkward = ['plain', 'quote " and \\ backslash', 'tab\tnew\nline', 'ctrl \u0001\u001f', 'ünïcødé ✓ 🚂', 'lone \ud800 surrogate', '</script>'];

function reading(i: number): Reading & { sizeEstimate: number } {
  const r: Reading & { sizeEstimate: number } = {
    seq: i + 1, ts: 1_764_000_000_000 + i, receivedAt: 1_764_000_000_500 + i, asset: awkward[i % awkward.length]!,
    sensor: `s${i}`, value: [0, -0, 1.5, -273.15, 1e21, 5e-324, Number.MAX_VALUE, 0.1 + 0.2][i % 8]!, sizeEstimate: 99,
  };
  if (i % 2 === 0) r.unit = awkward[(i + 1) % awkward.length]!;
  if (i % 3 === 0) r.quality = i % 2 === 0 ? 'GOOD "q"' : 192;
  if (i % 4 === 0) r.scores = [{ model: 'anomaly', version: '1.0.0', output: 'anomaly_score', value: i / 7 }];
  if (i % 5 === 0) r.historical = true;
  return r;
}

/** What the engine sent before: the readings without their size estimate, through JSON.stringify. */
function reference(b: { gatewayId: string; epoch: string; batchId: string; readings: Array<Reading & { sizeEstimate: number }>; alerts?: Alert[]; gaps?: Gap[] }): string {
  const doc: Record<string, unknown> = { v: 1, gatewayId: b.gatewayId, epoch: b.epoch, batchId: b.batchId,
    readings: b.readings.map(({ sizeEstimate: _s, ...r }) => r) };
  if (b.alerts && b.alerts.length > 0) doc.alerts = b.alerts;
  if (b.gaps && b.gaps.length > 0) doc.gaps = b.gaps;
  return JSON.stringify(doc);
}

t.test('readings with every optional field: the same bytes as JSON.stringify, and a valid batch', async (t) => {
  const readings = Array.from({ length: 200 }, (_, i) => reading(i));
  const batch = { gatewayId: 'gw-1', epoch: 'e"poch', batchId: 'b\u2028', readings };
  const body = encodeBatchBody(batch);
  t.equal(body, reference(batch));
  const parsed = ingestBatchSchema.safeParse(JSON.parse(body));
  t.ok(parsed.success, 'the body passes the wire contract');
  t.notOk(body.includes('sizeEstimate'), 'the size estimate stays out of the body');
});

t.test('alerts and gaps are written when present, left out when empty', async (t) => {
  const alerts: Alert[] = [{ id: 'a/1', asset: 'pump-1', model: 'anomaly', version: '1.0.0', output: 'anomaly_score', severity: 'warning',
    state: 'raised', value: 4.2, threshold: 3, ts: 1_764_000_000_000 }];
  const gaps: Gap[] = [{ fromTs: 1, toTs: 2, count: 3, reason: 'budget-drop-oldest' }];
  const withBoth = { gatewayId: 'gw', epoch: 'e', batchId: 'b', readings: [reading(1)], alerts, gaps };
  t.equal(encodeBatchBody(withBoth), reference(withBoth));
  const empty = { gatewayId: 'gw', epoch: 'e', batchId: 'b', readings: [], alerts: [], gaps: [] };
  t.equal(encodeBatchBody(empty), '{"v":1,"gatewayId":"gw","epoch":"e","batchId":"b","readings":[]}');
});

t.test('a number JSON cannot carry becomes null, as JSON.stringify writes it', async (t) => {
  const r = { ...reading(1), value: Number.NaN, quality: Number.POSITIVE_INFINITY };
  const batch = { gatewayId: 'gw', epoch: 'e', batchId: 'b', readings: [r] };
  t.equal(encodeBatchBody(batch), reference(batch));
  t.match(encodeBatchBody(batch), /"value":null,/);
});

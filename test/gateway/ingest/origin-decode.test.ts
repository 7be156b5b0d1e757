import t from 'tap';
import { decodeOriginBody, TooManyItemsError } from '../../../gateway/ingest/origin-decode.js';
import type { Issue } from '../../../shared/http-errors.js';

const line = (i: Issue): string => `${i.path}: ${i.message}`;

const now = Date.parse('2026-05-01T12:00:00Z');
const limits = { maxPayloadBytes: 1_048_576, maxReadingsPerMessage: 50, maxFutureSkewMs: 86_400_000, maxBatchItems: 3 };

t.test('single shape: sensor_id is the asset, sensor_type (or "value") the sensor', async (t) => {
  const r = decodeOriginBody({ sensor_id: 'pump-1', value: 41.5, sensor_type: 'temperature', unit: 'C', quality: 0.9,
    timestamp: '2026-05-01T11:59:00Z', correlation_id: '0B0E0F3C-1111-4222-8333-444455556666', metadata: { line: 3 } }, now, limits);
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.batch, false);
  t.same(r.items[0]!.readings, [{ ts: now - 60_000, receivedAt: now, asset: 'pump-1', sensor: 'temperature', value: 41.5, unit: 'C', quality: 0.9 }]);
  t.equal(r.items[0]!.correlationId, '0b0e0f3c-1111-4222-8333-444455556666');
  t.equal(r.items[0]!.metadata, '{"line":3}');
  const bare = decodeOriginBody({ sensor_id: 'pump-1', value: 2 }, now, limits);
  t.ok(bare.ok && bare.items[0]!.readings[0]!.sensor === 'value' && bare.items[0]!.readings[0]!.quality === 1 && bare.items[0]!.readings[0]!.ts === now);
  t.ok(bare.ok && /^[0-9a-f-]{36}$/.test(bare.items[0]!.correlationId), 'a correlation id is made when none is given');
});

t.test('multi-measurement shape: one reading per numeric field; booleans and strings become metadata', async (t) => {
  const r = decodeOriginBody({ sensor_id: 'LOAD_TEST_7', timestamp: now / 1000 - 5, temperature: 41.2, pressure: 2.3, vibration: 0.4,
    humidity: 55, load_test: true, site: 'A' }, now, limits);
  t.ok(r.ok);
  if (!r.ok) return;
  t.same(r.items[0]!.readings.map((x) => [x.sensor, x.value, x.ts]), [
    ['temperature', 41.2, now - 5000], ['pressure', 2.3, now - 5000], ['vibration', 0.4, now - 5000], ['humidity', 55, now - 5000]]);
  t.same(JSON.parse(r.items[0]!.metadata!), { load_test: true, site: 'A' });
  const ms = decodeOriginBody({ sensor_id: 'a', timestamp: now - 1000, t: 1 }, now, limits);
  t.ok(ms.ok && ms.items[0]!.readings[0]!.ts === now - 1000, 'epoch milliseconds are recognised too');
});

t.test('every bad field is reported with its path, in batches with the item index', async (t) => {
  const r = decodeOriginBody({ value: 'hot', timestamp: 'yesterday', sensor_type: 'smell', quality: 3, correlation_id: 'x', unit: 5, metadata: [1] }, now, limits);
  t.notOk(r.ok);
  if (r.ok) return;
  const text = r.issues.map(line).join('\n');
  for (const f of ['sensor_id', 'value', 'timestamp', 'sensor_type', 'quality', 'correlation_id', 'unit', 'metadata']) t.match(text, new RegExp(`^${f}:`, 'm'), f);
  const b = decodeOriginBody([{ sensor_id: 'a', value: 1 }, 7, { sensor_id: 'b/c', temperature: 1 }], now, limits);
  t.notOk(b.ok);
  if (!b.ok) t.same(b.issues.map((i) => i.path), ['[1]', '[2].sensor_id']);
  const empty = decodeOriginBody({ sensor_id: 'a', load_test: true }, now, limits);
  t.ok(!empty.ok && /value: required/.test(line(empty.issues[0]!)));
  const future = decodeOriginBody({ sensor_id: 'a', value: 1, timestamp: now / 1000 + 2 * 86_400 }, now, limits);
  t.ok(!future.ok && /timestamp: .*future/.test(line(future.issues[0]!)));
  const old = decodeOriginBody({ sensor_id: 'a', value: 1, timestamp: '1999-01-01T00:00:00Z' }, now, limits);
  t.ok(!old.ok && /timestamp:/.test(line(old.issues[0]!)));
  const nested = decodeOriginBody({ sensor_id: 'a', temperature: 1, extra: { deep: 1 } }, now, limits);
  t.ok(!nested.ok && /^extra:/.test(line(nested.issues[0]!)));
  t.notOk(decodeOriginBody([], now, limits).ok);
  t.notOk(decodeOriginBody('text', now, limits).ok);
});

t.test('a batch over the item limit is refused as too large', async (t) => {
  let thrown: unknown;
  try {
    decodeOriginBody([1, 2, 3, 4].map((v) => ({ sensor_id: 'a', value: v })), now, limits);
  } catch (err) {
    thrown = err;
  }
  t.ok(thrown instanceof TooManyItemsError);
  const ok = decodeOriginBody([1, 2, 3].map((v) => ({ sensor_id: 'a', value: v })), now, limits);
  t.ok(ok.ok && ok.batch && ok.items.length === 3);
});

t.test('metadata nested deeper than MAX_METADATA_DEPTH is an issue, not a stack overflow', async (t) => {
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  const r = decodeOriginBody({ sensor_id: 'pump-1', value: 1, metadata: deep }, now, limits);
  t.same(r, { ok: false, issues: [{ path: 'metadata', message: 'nested more than 16 levels' }] });
  let ok: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < 15; i++) ok = { a: ok };
  t.equal(decodeOriginBody({ sensor_id: 'pump-1', value: 1, metadata: ok }, now, limits).ok, true, '16 levels are fine');
});

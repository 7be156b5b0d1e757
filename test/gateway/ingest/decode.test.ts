import t from 'tap';
import { decodeTelemetry, type DecodeResult } from '../../../gateway/ingest/decode.js';

const limits = { maxPayloadBytes: 1024, maxReadingsPerMessage: 10, maxFutureSkewMs: 60_000 };
const now = Date.parse('2026-06-01T12:00:00Z');
const single = { asset: 'pump-7', sensor: 'temp' };
const multi = { asset: 'pump-7', sensor: undefined };
const decode = (m: typeof single | typeof multi, payload: string | Buffer): DecodeResult =>
  decodeTelemetry(m, Buffer.isBuffer(payload) ? payload : Buffer.from(payload), now, limits);

function reason(r: DecodeResult): string {
  return r.ok ? 'ok' : r.reason;
}

t.test('bare numbers', async (t) => {
  for (const text of ['42.1', ' -3 ', '1e3', '+0.5', '.5', '7.']) {
    const r = decode(single, text);
    t.ok(r.ok, text);
    if (r.ok) {
      t.equal(r.readings[0]!.value, Number(text.trim()));
      t.equal(r.readings[0]!.ts, now, 'missing ts means receive time');
      t.equal(r.readings[0]!.receivedAt, now);
    }
  }
});

t.test('JSON single value with ts as ms and as ISO-8601', async (t) => {
  const ms = decode(single, JSON.stringify({ value: 42.1, ts: now - 5000, unit: 'C', quality: 'good' }));
  t.ok(ms.ok);
  if (ms.ok) t.match(ms.readings[0], { value: 42.1, ts: now - 5000, receivedAt: now, unit: 'C', quality: 'good', asset: 'pump-7', sensor: 'temp' });
  const iso = decode(single, JSON.stringify({ value: 1, ts: '2026-06-01T11:59:00Z' }));
  t.ok(iso.ok);
  if (iso.ok) t.equal(iso.readings[0]!.ts, now - 60_000);
  const q = decode(single, JSON.stringify({ value: 1, quality: 0.97 }));
  if (q.ok) t.equal(q.readings[0]!.quality, 0.97);
});

t.test('multi-value messages give one reading per sensor', async (t) => {
  const r = decode(multi, JSON.stringify({ ts: now - 1000, values: { temp: 42.1, vib: 0.31 }, units: { temp: 'C' } }));
  t.ok(r.ok);
  if (r.ok) {
    t.same(r.readings.map((x) => [x.sensor, x.value, x.ts, x.unit]), [['temp', 42.1, now - 1000, 'C'], ['vib', 0.31, now - 1000, null]]);
  }
});

t.test('every bad payload gets its reason', async (t) => {
  const cases: Array<[typeof single | typeof multi, string | Buffer, string]> = [
    [single, '{"value": 1', 'invalid-json'],
    [single, 'NaN', 'non-finite'],
    [single, 'Infinity', 'non-finite'],
    [single, '1e999', 'non-finite'],
    [single, 'hot', 'not-a-number'],
    [single, '0x10', 'not-a-number'],
    [single, '', 'empty-payload'],
    [single, '   ', 'empty-payload'],
    [single, '{"unit": "C"}', 'missing-value'],
    [single, '{"value": null}', 'missing-value'],
    [single, '{"value": "42"}', 'wrong-type'],
    [single, '{"value": 1, "unit": 5}', 'wrong-type'],
    [single, '[1,2]', 'not-a-number'],
    [single, '{"value": 1, "ts": 1700000000}', 'bad-timestamp'],
    [single, `{"value": 1, "ts": ${now + 3_600_000}}`, 'bad-timestamp'],
    [single, '{"value": 1, "ts": "yesterday"}', 'bad-timestamp'],
    [single, Buffer.from([0xff, 0xfe, 0x31]), 'unknown-encoding'],
    [single, 'x'.repeat(2000), 'oversized'],
    [multi, '42', 'wrong-type'],
    [multi, '{"values": []}', 'wrong-type'],
    [multi, '{"values": {}}', 'missing-value'],
    [multi, '{"quality": "good"}', 'missing-value'],
    [multi, '{"values": {"a": 1, "b": "x"}}', 'wrong-type'],
    [multi, '{"values": {"a": true}}', 'wrong-type'],
    [multi, `{"values": {${Array.from({ length: 11 }, (_, i) => `"s${i}": ${i}`).join(',')}}}`, 'too-many-values'],
    [multi, '{"values": {"a/b": 1}}', 'bad-name'],
    [{ asset: 'bad\u0000asset', sensor: 'x' }, '1', 'bad-name'],
  ];
  for (const [m, payload, expected] of cases) {
    t.equal(reason(decode(m, payload)), expected, `${JSON.stringify(String(payload).slice(0, 30))} → ${expected}`);
  }
});

t.test('a failed message never yields partial readings', async (t) => {
  const r = decode(multi, '{"values": {"a": 1, "b": null}}');
  t.notOk(r.ok);
  t.notOk('readings' in r);
});

import fc from 'fast-check';
import t from 'tap';
import { LIMITS, readingSchema } from '../../../shared/protocol.js';
import { checkReading } from '../../../cloud/ingest/validate-reading.js';

const good = { seq: 3, ts: 1_700_000_000_000, receivedAt: 1_700_000_000_005, asset: 'pump-7', sensor: 'temp', value: 21.5 };

t.test('a valid reading becomes a row; optional fields serialised', async (t) => {
  const models = new Set<string>();
  const row = checkReading({ ...good, unit: 'C', quality: 192, historical: true, extra: 'ignored', scores: [{ model: 'rul', version: '2', output: 'rul', value: 7, junk: 1 }] }, models);
  t.same(row, {
    seq: 3, ts: good.ts, receivedAt: good.receivedAt, asset: 'pump-7', sensor: 'temp', value: 21.5, unit: 'C', quality: '192',
    scores: '[{"model":"rul","version":"2","output":"rul","value":7}]', historical: true,
  });
  t.same([...models], ['rul\u00002']);
});

t.test('each rule gives its own reason', async (t) => {
  const m = new Set<string>();
  t.equal(checkReading(null, m), 'reading: expected an object');
  t.equal(checkReading({ ...good, seq: -1 }, m), 'seq: expected a non-negative integer');
  t.equal(checkReading({ ...good, ts: 1.5 }, m), 'ts: expected integer epoch milliseconds');
  t.equal(checkReading({ ...good, asset: '' }, m), 'asset: expected a string of 1..128 characters');
  t.equal(checkReading({ ...good, value: '3' }, m), 'value: expected a finite number');
  t.equal(checkReading({ ...good, quality: 'x'.repeat(LIMITS.maxQualityLength + 1) }, m), 'quality: expected a string of at most 64 characters or a number');
  t.equal(checkReading({ ...good, scores: [{ model: 'm', version: '1', output: 'o' }] }, m), 'scores.0.value: expected a finite number');
  t.equal(checkReading({ ...good, historical: 'yes' }, m), 'historical: expected a boolean');
  t.equal(m.size, 0, 'models of refused readings are not recorded');
});

// The hand-written hot path and the shared zod schema must agree on every input.
t.test('checkReading accepts exactly what readingSchema accepts', async (t) => {
  const text = (max: number) => fc.oneof(fc.string({ maxLength: max + 2 }), fc.constant(''), fc.integer(), fc.constant(undefined));
  const num = fc.oneof(fc.integer({ min: -5, max: 1e16 }), fc.double({ noNaN: false }), fc.constant(8.64e15), fc.string({ maxLength: 2 }), fc.constant(null));
  const score = fc.record({ model: text(128), version: text(64), output: text(64), value: num }, { requiredKeys: [] });
  const arb = fc.record(
    {
      seq: num,
      ts: num,
      receivedAt: num,
      asset: text(128),
      sensor: text(128),
      value: num,
      unit: text(32),
      quality: fc.oneof(text(64), num),
      scores: fc.oneof(fc.array(score, { maxLength: 3 }), fc.constant('x')),
      historical: fc.oneof(fc.boolean(), fc.constant(1)),
    },
    { requiredKeys: [] },
  );
  // Most random records are invalid; also check mostly-valid ones by overlaying a good base.
  const overlay = arb.map((partial) => ({ ...good, ...partial }));
  let agreed = 0;
  fc.assert(
    fc.property(fc.oneof(arb, overlay), (input) => {
      const fast = typeof checkReading(input, new Set()) !== 'string';
      const zod = readingSchema.safeParse(input).success;
      if (fast !== zod) throw new Error(`disagree on ${JSON.stringify(input)}: fast=${fast} zod=${zod}`);
      agreed++;
    }),
    { numRuns: 3000, seed: 42 },
  );
  t.equal(agreed, 3000);
});

t.test('reading times are bounded like the gateway bounds them', async (t) => {
  const m = new Set<string>();
  t.equal(checkReading({ ...good, ts: 0 }, m), 'ts: before 2000-01-01 (seconds instead of milliseconds?)');
  t.equal(checkReading({ ...good, ts: 1_700_000_000 }, m), 'ts: before 2000-01-01 (seconds instead of milliseconds?)', 'seconds');
  t.equal(checkReading({ ...good, receivedAt: 5 }, m), 'receivedAt: before 2000-01-01');
  t.equal(checkReading({ ...good, ts: 8.64e15, receivedAt: good.receivedAt }, m), 'ts: is more than a day after receivedAt', 'the year 275760');
  t.equal(checkReading({ ...good, ts: good.receivedAt + LIMITS.maxFutureSkewMs }, m) !== null && typeof checkReading({ ...good, ts: good.receivedAt + LIMITS.maxFutureSkewMs }, m), 'object', 'a day ahead is still fine');
  t.notOk(readingSchema.safeParse({ ...good, ts: 0 }).success, 'the shared schema agrees');
});

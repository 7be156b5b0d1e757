import pg from 'pg';
import t from 'tap';
import { quote, readingColumns } from '../../../cloud/store/pg-reading-columns.js';
import type { ReadingRow } from '../../../cloud/store/store.js';
import { pgUnavailable, throwawayDatabase } from '../helpers.js';

const awkward = ['plain', 'with "quotes"', 'back\\slash', 'comma, {braces}', ' spaced ', 'NULL', '', 'ünïcödé ✓', 'a\\"b'];

function row(i: number, over: Partial<ReadingRow> = {}): ReadingRow {
  return {
    seq: i, ts: 1_700_000_000_000 + i, receivedAt: 1_700_000_000_003 + i, asset: awkward[i % awkward.length]!, sensor: 'temp',
    value: [1.5, -0.25, 1e21, 123456789.123456789, 5e-324][i % 5]!, unit: i % 2 ? null : 'C', quality: i % 3 ? '"good"' : null,
    scores: i % 4 ? null : JSON.stringify([{ model: 'rul', version: '3', output: 'rul', value: i / 3 }]), historical: i % 2 === 1, ...over,
  };
}

t.test('literals: numbers joined, text quoted, NULL bare', async (t) => {
  const cols = readingColumns([row(0), row(1)]);
  t.equal(cols.length, 10);
  t.equal(cols[0], '{0,1}');
  t.equal(cols[3], '{"plain","with \\"quotes\\""}');
  t.equal(cols[6], '{"C",NULL}');
  t.equal(cols[9], '{f,t}');
  t.equal(quote('a\\"b'), '"a\\\\\\"b"');
  t.same(readingColumns([]), ['{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}']);
});

const unavailable = await pgUnavailable();
t.test('PostgreSQL parses every literal back to the values it was built from', { skip: unavailable ?? false }, async (t) => {
  const client = new pg.Client({ connectionString: await throwawayDatabase(t) });
  await client.connect();
  t.teardown(() => client.end());
  const rows = Array.from({ length: 40 }, (_, i) => row(i));
  const { rows: out } = await client.query(
    `SELECT x.* FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::float8[], $7::text[], $8::text[],
                            $9::text[], $10::bool[]) AS x(seq, ts, rec, asset, sensor, value, unit, quality, scores, hist)`,
    readingColumns(rows),
  );
  t.same(
    out.map((r) => [Number(r.seq), Number(r.ts), Number(r.rec), r.asset, r.sensor, r.value, r.unit, r.quality, r.scores, r.hist]),
    rows.map((r) => [r.seq, r.ts, r.receivedAt, r.asset, r.sensor, r.value, r.unit, r.quality, r.scores, r.historical]),
  );
});

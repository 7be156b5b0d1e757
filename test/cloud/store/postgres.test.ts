import pg from 'pg';
import t from 'tap';
import { MIGRATIONS, PostgresStore } from '../../../cloud/store/postgres.js';
import { openStore, pgUnavailable, silentLog, throwawayDatabase } from '../helpers.js';
import { storeContract } from '../store-contract.js';

const unavailable = await pgUnavailable();
if (unavailable) {
  t.test('PostgreSQL backend', { skip: `PostgreSQL contract tests skipped: ${unavailable}` }, async () => {});
} else {
  storeContract(t, (tt) => openStore(tt, 'postgres'));

  t.test('migration v2 moves v1 readings to (stream_id, seq) identities: kept, still unique, ids continue', async (t) => {
    const url = await throwawayDatabase(t);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    t.teardown(() => client.end());
    // A v1 database with readings of two gateways.
    await client.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    await client.query(MIGRATIONS[0]!(false));
    await client.query('INSERT INTO schema_migrations VALUES (1, 0)');
    await client.query(
      `INSERT INTO readings (gateway_id, epoch, seq, ts, received_at, ingested_at, asset, sensor, value, unit, quality, scores, historical)
       SELECT g, 'e1', s, 1000 + s, 2000 + s, 3000, 'pump-1', 'temp', s * 1.5, 'C', '"good"', NULL, s = 2
       FROM unnest(ARRAY['gw1', 'gw2']) AS g, generate_series(1, 3) AS s`,
    );

    const store = new PostgresStore({ url, poolSize: 2, log: silentLog });
    await store.open();
    t.teardown(() => store.close());
    const { rows: version } = await client.query('SELECT max(version)::int AS v FROM schema_migrations');
    t.equal(version[0].v, MIGRATIONS.length);
    const gw1 = await store.queryReadings({ gatewayId: 'gw1', limit: 10 });
    t.same(gw1.rows, [1, 2, 3].map((s) => ({
      gatewayId: 'gw1', epoch: 'e1', seq: s, ts: 1000 + s, receivedAt: 2000 + s, asset: 'pump-1', sensor: 'temp', value: s * 1.5,
      unit: 'C', quality: 'good', ...(s === 2 ? { historical: true } : {}),
    })), 'every column of the v1 rows kept');
    const row = (seq: number) => ({ seq, ts: 1000 + seq, receivedAt: 2000 + seq, asset: 'pump-1', sensor: 'temp', value: 1, unit: null, quality: null, scores: null, historical: false });
    const again = await store.ingest({ gatewayId: 'gw2', epoch: 'e1', batchId: 'b', readings: [2, 3, 4].map(row), alerts: [], gaps: [], models: [], now: 9 });
    t.same(again, { accepted: 1, duplicates: 2 }, 'migrated readings still count as duplicates');
    const { rows: ids } = await client.query('SELECT r.id, r.seq FROM readings r JOIN streams s ON s.id = r.stream_id WHERE s.gateway_id = $1 ORDER BY r.id', ['gw2']);
    t.ok(Number(ids[ids.length - 1].id) > 6 && Number(ids[ids.length - 1].seq) === 4, 'new ids continue after the migrated ones');
    const { rows: cols } = await client.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'readings' AND column_name IN ('gateway_id', 'epoch')");
    t.same(cols, [], 'the text identity columns are gone from readings');
  });

  t.test('migration v2 waits for a previous-version instance writing at that moment; its rows are kept', async (t) => {
    const url = await throwawayDatabase(t);
    const old = new pg.Client({ connectionString: url });
    await old.connect();
    t.teardown(() => old.end());
    await old.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    await old.query(MIGRATIONS[0]!(false));
    await old.query('INSERT INTO schema_migrations VALUES (1, 0)');
    // An instance of the previous version is inside its insert when the new one starts.
    await old.query('BEGIN');
    await old.query(
      `INSERT INTO readings (gateway_id, epoch, seq, ts, received_at, ingested_at, asset, sensor, value)
       VALUES ('gw1', 'e1', 1, 1001, 1002, 3000, 'pump-1', 'temp', 1.5)`,
    );
    const store = new PostgresStore({ url, poolSize: 2, log: silentLog });
    t.teardown(() => store.close());
    const opening = store.open();
    await new Promise((r) => setTimeout(r, 300));
    await old.query('COMMIT');
    await opening;
    const page = await store.queryReadings({ gatewayId: 'gw1', limit: 10 });
    t.same(page.rows.map((r) => r.seq), [1], 'the reading committed during the migration was copied');
  });
}

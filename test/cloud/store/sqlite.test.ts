import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { SqliteStore } from '../../../cloud/store/sqlite.js';
import { openStore } from '../helpers.js';
import { storeContract } from '../store-contract.js';

t.test('with the writer thread (the default)', async (t) => storeContract(t, (tt) => openStore(tt, 'sqlite', { writerThread: true })));

t.test('inline writes on the calling thread', async (t) => storeContract(t, (tt) => openStore(tt, 'sqlite', { writerThread: false })));

t.test('migration v2 puts asset and sensor into the time index of an existing database; readings are kept', async (t) => {
  const dataDir = t.testdir();
  const first = new SqliteStore({ dataDir, synchronous: 'normal', writerThread: false });
  await first.open();
  const rows = [1, 2, 3].map((seq) => ({
    seq, ts: 1_000 + seq, receivedAt: 2_000 + seq, asset: seq === 2 ? 'fan-2' : 'pump-1', sensor: 'temp', value: seq,
    unit: null, quality: null, scores: null, historical: false,
  }));
  await first.ingest({ gatewayId: 'gw1', epoch: 'e1', batchId: 'b', readings: rows, alerts: [], gaps: [], models: [], now: 5 });
  await first.close();
  // Turn the file back into a v1 database: the old (ts, id) index.
  const db = new Database(join(dataDir, 'cloud.db'));
  db.exec('DROP INDEX readings_ts; CREATE INDEX readings_ts ON readings (ts, id); PRAGMA user_version = 1;');
  db.close();

  const store = new SqliteStore({ dataDir, synchronous: 'normal', writerThread: false });
  await store.open();
  t.teardown(() => store.close());
  const check = new Database(join(dataDir, 'cloud.db'), { readonly: true });
  t.teardown(() => check.close());
  t.equal(check.pragma('user_version', { simple: true }), 2);
  t.same((check.pragma('index_info(readings_ts)') as Array<{ name: string }>).map((c) => c.name), ['ts', 'id', 'asset', 'sensor']);
  const page = await store.queryReadings({ asset: 'pump-1', limit: 10 });
  t.same(page.rows.map((r) => r.seq), [1, 3], 'the readings survived the migration');
});

t.test('writer thread: an answer recorded just before close is written before the thread stops', async (t) => {
  const dataDir = t.testdir();
  const open = async (): Promise<SqliteStore> => {
    const store = new SqliteStore({ dataDir, synchronous: 'normal' });
    await store.open();
    return store;
  };
  const first = await open();
  const idem = { scope: 'gw1', key: 'k1', bodyHash: 'h1', staleAfterMs: 60_000 };
  const write = { gatewayId: 'gw1', epoch: 'e1', batchId: 'b', readings: [], alerts: [], gaps: [], models: [], now: 5 };
  t.same(await first.ingestOnce(write, idem), { kind: 'stored', result: { accepted: 0, duplicates: 0 } });
  await first.completeIdempotencyKey('gw1', 'k1', 200, '{"accepted":0}'); // queued for the next group commit
  await first.close();
  const second = await open();
  t.teardown(() => second.close());
  t.same(await second.ingestOnce(write, idem), { kind: 'replay', status: 200, body: '{"accepted":0}' });
});

t.test('the last-sync mark and model last-seen times are written at most once a second of batch time', async (t) => {
  const store = new SqliteStore({ dataDir: t.testdir(), synchronous: 'normal', writerThread: false });
  await store.open();
  t.teardown(() => store.close());
  const row = (seq: number) => ({ seq, ts: seq, receivedAt: seq, asset: 'a', sensor: 's', value: 1, unit: null, quality: null, scores: null, historical: false });
  const write = (seq: number, now: number) => ({
    gatewayId: 'gw1', epoch: 'e1', batchId: `b-${seq}`, readings: [row(seq)], alerts: [], gaps: [], models: [{ model: 'rul', version: '3' }], now,
  });
  await store.ingest(write(1, 10_000));
  await store.ingest(write(2, 10_500));
  t.match((await store.listGateways())[0], { lastSyncAt: 10_000, lastBatchId: 'b-1' }, 'within the second: not rewritten');
  t.match((await store.listModels())[0], { firstSeen: 10_000, lastSeen: 10_000 });
  await store.ingest(write(3, 11_000));
  t.match((await store.listGateways())[0], { lastSyncAt: 11_000, lastBatchId: 'b-3' });
  t.match((await store.listModels())[0], { firstSeen: 10_000, lastSeen: 11_000 });
  t.equal((await store.queryReadings({ limit: 10 })).rows.length, 3, 'every reading stored regardless');
});

/**
 * The sync store reads pending readings lane by lane, in seq order, with every stored field: optional fields
 * only when set, `historical` only on the backlog lane, scores attached; accepted readings leave the lanes.
 */
import t from 'tap';
import { pino } from 'pino';
import { databaseOf, Outbox, type ReadingRow } from '../../../gateway/outbox/outbox.js';
import { SyncStore } from '../../../gateway/outbox/sync-store.js';
import { removeDir, tempDir } from '../../helpers/gateway.js';

t.test('lanes give the stored readings, historical only on the backlog, optional fields only when set', async (t) => {
  const dir = tempDir();
  const outbox = new Outbox({ dataDir: dir, durability: 'process-crash', log: pino({ level: 'silent' }) });
  await outbox.open();
  t.teardown(() => {
    outbox.close();
    removeDir(dir);
  });
  const readings: ReadingRow[] = [
    { ts: 1_764_000_000_000, receivedAt: 1_764_000_000_005, asset: 'pump-1', sensor: 'temp', value: 21.5, unit: 'C', quality: 'good' },
    { ts: 1_764_000_000_001, receivedAt: 1_764_000_000_006, asset: 'pump-1', sensor: 'vib', value: -0.25, unit: null, quality: 192 },
    { ts: 1_764_000_000_002, receivedAt: 1_764_000_000_007, asset: 'pump-2', sensor: 'temp', value: 0, unit: null, quality: null },
  ];
  await outbox.write([{ source: 'mqtt', clientId: 'c', packetId: null, digest: null, readings, deadLetter: null }]);
  const store = new SyncStore({ outbox });
  store.open();
  databaseOf(outbox).prepare("INSERT INTO scores (seq, model, version, output, value) VALUES (2, 'anomaly', '1.0.0', 'anomaly_score', 0.5)").run();

  const strip = (r: object) => {
    const { sizeEstimate: _s, ...rest } = r as { sizeEstimate: number };
    return rest;
  };
  const live = store.readLane('live', 0, Number.MAX_SAFE_INTEGER, 10, 1_000_000);
  t.same(live.map(strip), [
    { seq: 1, ts: 1_764_000_000_000, receivedAt: 1_764_000_000_005, asset: 'pump-1', sensor: 'temp', value: 21.5, unit: 'C', quality: 'good' },
    { seq: 2, ts: 1_764_000_000_001, receivedAt: 1_764_000_000_006, asset: 'pump-1', sensor: 'vib', value: -0.25, quality: 192,
      scores: [{ model: 'anomaly', version: '1.0.0', output: 'anomaly_score', value: 0.5 }] },
    { seq: 3, ts: 1_764_000_000_002, receivedAt: 1_764_000_000_007, asset: 'pump-2', sensor: 'temp', value: 0 },
  ]);
  t.notOk(live.some((r) => 'historical' in r), 'live readings carry no historical flag');
  const backlog = store.readLane('backlog', 0, 2, 10, 1_000_000);
  t.same(backlog.map((r) => [r.seq, r.historical]), [[1, true], [2, true]], 'the backlog lane stops at its bound and marks historical');
  t.same(store.readLane('live', 1, Number.MAX_SAFE_INTEGER, 1, 1_000_000).map((r) => r.seq), [2], 'after a seq, at most maxReadings');

  t.equal(await store.recordOutcome({ accepted: [1, 2], refused: [], alerts: [], gapIds: [], at: 0 }), 2);
  t.same(store.readLane('live', 0, Number.MAX_SAFE_INTEGER, 10, 1_000_000).map((r) => r.seq), [3], 'accepted readings leave the lane');
  t.equal(store.pending, 1);
});

/**
 * Retention prunes only synced readings past their age, in bounded chunks, and never pending ones.
 */
import t from 'tap';
import { databaseOf } from '../../../gateway/outbox/outbox.js';
import { connect, endClient, removeDir, startGateway, tempDir } from '../../helpers/gateway.js';

t.test('prunes synced readings past retention, keeps pending and recent ones', async (t) => {
  const dir = tempDir();
  const gw = await startGateway(dir, { retention: { syncedMaxAgeMs: 60_000, pruneIntervalMs: 3_600_000, pruneChunkRows: 100 } });
  t.teardown(async () => { await gw.stop(); removeDir(dir); });
  const client = await connect(gw.mqttPort);
  for (let i = 0; i < 1000; i++) client.publish('telemetry/r/s', String(i), { qos: 0 });
  await client.publishAsync('other/barrier', 'x', { qos: 1 });
  await gw.pipeline.flush();
  await endClient(client);
  const db = databaseOf(gw.outbox);
  // As if synced long ago: seq 1..600 synced, of which 1..400 received two minutes ago; 601..1000 pending.
  db.prepare('UPDATE readings SET synced = 1 WHERE seq <= 600').run();
  db.prepare('UPDATE readings SET received_at = received_at - 120000 WHERE seq <= 400 OR seq > 900').run();
  const deleted = await gw.retention.pruneOnce(1_000);
  t.equal(deleted, 400, 'only old synced readings pruned');
  const left = db.prepare('SELECT min(seq) AS lo, count(*) AS n FROM readings').get() as { lo: number; n: number };
  t.same(left, { lo: 401, n: 600 });
  t.equal((db.prepare('SELECT count(*) AS n FROM readings WHERE seq > 900').get() as { n: number }).n, 100, 'old but pending readings kept');
  t.equal(gw.outbox.stats().readings, 600, 'counts follow');
  t.equal(await gw.retention.pruneOnce(1_000), 0, 'nothing more due');
});

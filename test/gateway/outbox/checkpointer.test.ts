/** Opt-in WAL checkpoints in a worker thread: readings stay intact and the WAL is folded into the database. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { databaseOf } from '../../../gateway/outbox/outbox.js';
import { connect, endClient, removeDir, startGateway, tempDir } from '../../helpers/gateway.js';

t.test('checkpoints run in the worker and everything committed is in the database after stop', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const gw = await startGateway(dir, { outbox: { checkpointInWorker: true } });
  const client = await connect(gw.mqttPort);
  for (let i = 0; i < 3000; i++) client.publish('telemetry/ckpt/s', String(i), { qos: 0 });
  await client.publishAsync('other/barrier', 'x', { qos: 1 });
  await gw.pipeline.flush();
  const deadline = Date.now() + 5000;
  while (gw.checkpointer.last === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.ok(gw.checkpointer.last, 'the worker reported a checkpoint');
  t.match(await gw.outbox.writer.settings(), { walAutocheckpoint: 0, checkpoints: false }, 'the writer runs no checkpoints meanwhile');
  await endClient(client);
  await gw.stop();
  const wal = join(dir, 'outbox.db-wal');
  t.ok(!existsSync(wal) || statSync(wal).size === 0, 'WAL folded in on close');
  const db = new Database(join(dir, 'outbox.db'), { readonly: true });
  t.equal((db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n, 3000);
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
});

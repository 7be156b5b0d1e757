/**
 * The outbox's group fsync: callers are answered only after an fsync that started after they asked, callers
 * that ask while one runs share the next, and close() answers whoever still waits.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { Outbox } from '../../../gateway/outbox/outbox.js';
import { WalSync } from '../../../gateway/outbox/wal-sync.js';
import { removeDir, tempDir } from '../../helpers/gateway.js';

t.test('requests made while an fsync runs share the next one; durableUpTo follows', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const db = join(dir, 'x.db');
  writeFileSync(db, 'db');
  writeFileSync(`${db}-wal`, 'wal');
  const durations: number[] = [];
  const sync = new WalSync({ dbPath: db, observe: (s) => durations.push(s) });
  sync.open(10);
  t.equal(sync.durableUpTo, 10, 'what is there at open counts as durable');
  const order: string[] = [];
  sync.request(11, (err) => order.push(`a:${err}`));
  t.ok(sync.busy);
  // Asked while the first fsync runs: answered by a second one, which covers both.
  sync.request(12, (err) => order.push(`b:${err}`));
  sync.request(13, (err) => order.push(`c:${err}`));
  t.equal(sync.durableUpTo, 10, 'nothing is durable before its fsync returned');
  await new Promise<void>((resolve) => sync.request(13, () => resolve()));
  t.same(order, ['a:null', 'b:null', 'c:null']);
  t.equal(sync.durableUpTo, 13);
  t.equal(durations.length, 2, 'two fsyncs for four requests');
  t.notOk(sync.busy);
  sync.close();
});

t.test('close() answers the waiting callers after a last fsync; later requests fail', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const db = join(dir, 'x.db');
  writeFileSync(db, 'db');
  writeFileSync(`${db}-wal`, 'wal');
  const sync = new WalSync({ dbPath: db });
  sync.open(0);
  const answers: Array<Error | null> = [];
  sync.request(1, (err) => answers.push(err));
  sync.request(2, (err) => answers.push(err));
  sync.close();
  await new Promise((r) => setTimeout(r, 100));
  t.same(answers, [null, null], 'both answered: stored');
  t.equal(sync.durableUpTo, 2);
  let late: Error | null = null;
  sync.request(3, (err) => { late = err; });
  t.match(late, { code: 'SMARTMAINT_STORAGE' }, 'after close: refused');
});

t.test('the outbox: power-loss waits for the fsync, process-crash answers at once', async (t) => {
  for (const durability of ['power-loss', 'process-crash'] as const) {
    const dir = tempDir();
    const outbox = new Outbox({ dataDir: dir, durability, log: pino({ level: 'silent' }) });
    outbox.open();
    const now = Date.now();
    outbox.write([{ source: 'mqtt', clientId: 'c', packetId: null, digest: null, deadLetter: null,
      readings: [{ ts: now, receivedAt: now, asset: 'a', sensor: 's', value: 1, unit: null, quality: null }] }]);
    let answered = false;
    const done = new Promise<void>((resolve) => outbox.whenDurable((err) => { t.equal(err, null); answered = true; resolve(); }));
    if (durability === 'power-loss') {
      t.notOk(answered, 'power-loss: not before the fsync');
      t.equal(outbox.durableUpTo, 0, 'the new reading is not durable yet');
    } else {
      t.ok(answered, 'process-crash: at once');
    }
    await done;
    t.equal(outbox.durableUpTo, 1, `${durability}: durable up to the new reading`);
    outbox.close();
    removeDir(dir);
  }
});

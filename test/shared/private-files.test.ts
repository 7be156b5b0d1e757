/**
 * Data directories 0700 and database files 0600 (shared/private-files.ts), whatever the umask: the gateway's
 * devices.db and outbox.db and the cloud's cloud.db, with their -wal/-shm files, in a directory they create.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { SqliteStore } from '../../cloud/store/sqlite.js';
import { makePrivateDbFile } from '../../shared/private-files.js';
import { addDevice } from '../helpers/devices.js';
import { removeDir, startGateway, tempDir } from '../helpers/gateway.js';

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

function dbFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.db(-wal|-shm)?$/.test(f));
}

t.test('gateway: a data directory it creates is 0700, devices.db and outbox.db (and -wal/-shm) 0600', async (t) => {
  const parent = tempDir();
  const dir = join(parent, 'data', 'gateway');
  const previous = process.umask(0o022);
  t.teardown(() => { process.umask(previous); removeDir(parent); });
  await addDevice(dir, 'plc-1', ['pump-*']);
  const gw = await startGateway(dir);
  t.equal(mode(dir), '700');
  t.equal(mode(join(parent, 'data')), '700', 'every directory it created');
  const files = dbFiles(dir);
  t.ok(files.includes('devices.db') && files.includes('outbox.db') && files.includes('outbox.db-wal'), files.join(' '));
  for (const f of files) t.equal(mode(join(dir, f)), '600', f);
  await gw.stop();
});

t.test('cloud: cloud.db and its companions are 0600', async (t) => {
  const parent = tempDir();
  const dir = join(parent, 'cloud');
  t.teardown(() => removeDir(parent));
  const store = new SqliteStore({ dataDir: dir, synchronous: 'normal', writerThread: false });
  await store.open();
  t.teardown(() => store.close());
  t.equal(mode(dir), '700');
  for (const f of dbFiles(dir)) t.equal(mode(join(dir, f)), '600', f);
});

t.test('an existing database file created 0644 is tightened', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const file = join(dir, 'old.db');
  writeFileSync(file, '', { mode: 0o644 });
  writeFileSync(`${file}-wal`, '', { mode: 0o644 });
  makePrivateDbFile(file);
  t.equal(mode(file), '600');
  t.equal(mode(`${file}-wal`), '600');
});

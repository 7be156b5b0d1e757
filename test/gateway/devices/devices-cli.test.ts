import t from 'tap';
import { DeviceStore } from '../../../gateway/devices/device-store.js';
import { sha256Hex } from '../../../gateway/devices/secrets.js';
import { verifyPassword } from '../../../gateway/auth/scrypt-password.js';
import { runCliCaptured as run } from '../../helpers/cli.js';
import { removeDir, tempDir } from '../../helpers/gateway.js';

t.test('devices add | list | passwd | remove', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const added = await run(['devices', 'add', 'plc-1', '--data-dir', dir, '--allow', 'pump-*', '--allow', 'status/plc-1/#']);
  t.equal(added.code, 0, added.stderr);
  const secret = added.stdout.trimEnd().split('\n').pop()!;
  t.match(secret, /^smd_[A-Za-z0-9_-]{43}$/, 'the secret alone on the last line');
  const store = DeviceStore.open(dir);
  t.teardown(() => store.close());
  const rec = store.get('plc-1')!;
  t.equal(rec.scheme, 'sha256');
  t.equal(rec.hash, sha256Hex(secret), 'stored as SHA-256, not in clear');
  t.same(rec.allow, ['pump-*', 'status/plc-1/#']);
  t.notMatch(JSON.stringify(store.all()), secret);

  t.equal((await run(['devices', 'add', 'plc-1', '--data-dir', dir])).code, 1, 'an existing id is refused');
  const dflt = await run(['devices', 'add', 'engine-9', '--data-dir', dir]);
  t.equal(dflt.code, 0);
  t.same(store.get('engine-9')!.allow, ['engine-9'], 'default: its own id as asset');

  const list = await run(['devices', 'list', '--data-dir', dir]);
  t.equal(list.code, 0);
  t.match(list.stdout, /^ID\s+AUTH\s+ALLOW/);
  t.match(list.stdout, /plc-1\s+secret\s+pump-\* status\/plc-1\/#/);
  t.notMatch(list.stdout, secret);

  const pw = await run(['devices', 'passwd', 'plc-1', '--data-dir', dir], 'a long password\nignored\n');
  t.equal(pw.code, 0, pw.stderr);
  t.equal(store.get('plc-1')!.scheme, 'scrypt');
  t.ok(await verifyPassword('a long password', store.get('plc-1')!.hash));
  t.equal((await run(['devices', 'passwd', 'plc-1', '--data-dir', dir], 'short\n')).code, 1, 'too short');
  t.equal((await run(['devices', 'passwd', 'ghost', '--data-dir', dir], 'a long password\n')).code, 1, 'unknown device');
  const regen = await run(['devices', 'passwd', 'plc-1', '--generate', '--data-dir', dir]);
  t.equal(regen.code, 0);
  t.equal(store.get('plc-1')!.hash, sha256Hex(regen.stdout.trimEnd().split('\n').pop()!));

  t.equal((await run(['devices', 'remove', 'plc-1', '--data-dir', dir])).code, 0);
  t.equal(store.get('plc-1'), undefined);
  t.equal((await run(['devices', 'remove', 'plc-1', '--data-dir', dir])).code, 1, 'removing twice fails');
});

t.test('usage errors exit 2', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  t.equal((await run(['devices'])).code, 2);
  t.equal((await run(['devices', 'frobnicate', '--data-dir', dir])).code, 2);
  t.equal((await run(['devices', 'add', '--data-dir', dir])).code, 2, 'missing id');
  t.equal((await run(['devices', 'add', 'bad id!', '--data-dir', dir])).code, 2, 'bad id');
  t.equal((await run(['devices', 'add', 'x', '--allow', '#', '--data-dir', dir])).code, 2, '# is refused');
  t.equal((await run(['devices', 'add', 'x', '--allow', '$SYS/#', '--data-dir', dir])).code, 2);
  t.equal((await run(['devices', 'passwd', 'x', 'hunter2', '--data-dir', dir])).code, 2, 'no password on argv');
  t.equal((await run(['devices', 'list', '--bogus'])).code, 2);
});

import t from 'tap';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { DeviceRegistry } from '../../../gateway/devices/device-registry.js';
import { DeviceStore } from '../../../gateway/devices/device-store.js';
import { generateSecret, sha256Hex } from '../../../gateway/devices/secrets.js';
import { hashPassword, verifyPassword } from '../../../gateway/auth/scrypt-password.js';
import { removeDir, tempDir } from '../../helpers/gateway.js';


function setup(t: { teardown(fn: () => void): void }) {
  const dir = tempDir();
  const registry = new DeviceRegistry({ dataDir: dir, pollIntervalMs: 60_000, log: pino({ level: 'silent' }), registry: new Registry() });
  // The CLI's view: a second connection to the same file.
  const cli = DeviceStore.open(dir);
  t.teardown(() => { registry.stop(); cli.close(); removeDir(dir); });
  return { dir, registry, cli };
}

t.test('scrypt hashes verify only the right password', async (t) => {
  const h = await hashPassword('correct horse');
  t.match(h, /^scrypt\$32768\$8\$1\$/);
  t.ok(await verifyPassword('correct horse', h));
  t.notOk(await verifyPassword('correct horsE', h));
  t.notOk(await verifyPassword('x', 'garbage'));
  t.not(await hashPassword('correct horse'), h, 'salted');
});

t.test('generated secrets verify synchronously, by id and by secret alone', async (t) => {
  const { registry, cli } = setup(t);
  const secret = generateSecret();
  cli.add('plc-1', 'sha256', sha256Hex(secret), ['pump-*'], 1);
  registry.start();
  t.equal((registry.verify('plc-1', secret) as { id: string } | undefined)?.id, 'plc-1');
  t.equal(registry.verify('plc-1', `${secret}x`), undefined);
  t.equal(registry.verify('nobody', secret), undefined);
  t.equal(registry.deviceForSecret(secret)?.id, 'plc-1');
  t.equal(registry.deviceForSecret(generateSecret()), undefined);
  t.ok(registry.get('plc-1')?.acl.mayWriteAsset('pump-3'));
});

t.test('passwords: scrypt runs once per credential, then the cache answers synchronously', async (t) => {
  const { registry, cli } = setup(t);
  cli.add('hmi', 'scrypt', await hashPassword('s3cret-pass'), ['alerts/+'], 1);
  registry.start();
  const first = registry.verify('hmi', 's3cret-pass');
  t.ok(first instanceof Promise, 'first check runs scrypt');
  t.equal((await first)?.id, 'hmi');
  const second = registry.verify('hmi', 's3cret-pass');
  t.notOk(second instanceof Promise, 'second check is a cache hit');
  t.equal((second as { id: string }).id, 'hmi');
  t.equal(await registry.verify('hmi', 'wrong-pass'), undefined);
  t.ok(registry.verify('hmi', 'wrong-pass') instanceof Promise, 'failures are not cached as successes');
  t.equal(registry.deviceForSecret('s3cret-pass'), undefined, 'a password is not an API key');
});

t.test('a change to other devices keeps a verified password cached; re-keying that device drops it', async (t) => {
  const { registry, cli } = setup(t);
  cli.add('hmi', 'scrypt', await hashPassword('s3cret-pass'), ['alerts/+'], 1);
  registry.start();
  await registry.verify('hmi', 's3cret-pass');
  cli.add('other', 'sha256', sha256Hex(generateSecret()), ['x'], 2);
  registry.poll();
  t.notOk(registry.verify('hmi', 's3cret-pass') instanceof Promise, 'still a cache hit after an unrelated change');
  cli.setCredential('hmi', 'scrypt', await hashPassword('new-pass-123'), 3);
  registry.poll();
  const old = registry.verify('hmi', 's3cret-pass');
  t.ok(old instanceof Promise, 're-keyed: checked again');
  t.equal(await old, undefined, 'and the old password is refused');
});

t.test('changes made by another connection are picked up; removals and re-keys are reported', async (t) => {
  const { registry, cli } = setup(t);
  const a = generateSecret();
  const b = generateSecret();
  cli.add('a', 'sha256', sha256Hex(a), ['a'], 1);
  cli.add('b', 'sha256', sha256Hex(b), ['b'], 1);
  registry.start();
  const revoked: string[][] = [];
  registry.onRevoked((ids) => revoked.push([...ids].sort()));
  registry.poll();
  t.same(revoked, [], 'no change, no report');
  cli.remove('a');
  cli.setCredential('b', 'sha256', sha256Hex(generateSecret()), 2);
  cli.add('c', 'sha256', sha256Hex(generateSecret()), ['c'], 2);
  registry.poll();
  t.same(revoked, [['a', 'b']]);
  t.equal(registry.get('a'), undefined);
  t.equal(registry.deviceForSecret(b), undefined, 'the old secret of a re-keyed device is refused');
  t.ok(registry.get('c'));
  t.equal(registry.size, 2);
});

import { scryptSync } from 'node:crypto';
import t from 'tap';
import { hashPassword, PASSWORD_HASH_PATTERN, verifyPassword } from '../../../gateway/auth/scrypt-password.js';
import { PasswordCheck } from '../../../gateway/auth/password.js';
import { main } from '../../../gateway/auth/password-cli.js';
import { Readable, Writable } from 'node:stream';

const cheap = { N: 1024, r: 8, p: 1 };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

t.test('scrypt hash round trip; a new salt each time', async (t) => {
  const h = await hashPassword('technician-1', cheap);
  t.match(h, PASSWORD_HASH_PATTERN);
  t.not(await hashPassword('technician-1', cheap), h, 'salted');
  t.ok(await verifyPassword('technician-1', h));
  t.notOk(await verifyPassword('technician-2', h));
  t.notOk(await verifyPassword('x', 'not a hash'));
});

t.test('a hash in the earlier standard-base64 form still verifies', async (t) => {
  const salt = Buffer.from('salt-with-+/-bytes\u00ff\u00fe');
  const key = scryptSync('technician-1', salt, 32, cheap);
  const old = `scrypt$${cheap.N}$${cheap.r}$${cheap.p}$${salt.toString('base64')}$${key.toString('base64')}`;
  t.match(old, PASSWORD_HASH_PATTERN);
  t.ok(await verifyPassword('technician-1', old));
  t.notOk(await verifyPassword('technician-2', old));
});

t.test('HTTP Basic check from a hash or from a password given in clear', async (t) => {
  const fromHash = new PasswordCheck(await hashPassword('open sesame', cheap), () => 0);
  t.ok(await fromHash.check(basic('tech', 'open sesame')));
  t.ok(await fromHash.check(basic('tech', 'open sesame')), 'remembered');
  t.notOk(await fromHash.check(basic('tech', 'open sesam')));
  t.notOk(await fromHash.check(undefined));
  t.notOk(await fromHash.check('Bearer abc'));
  const fromClear = new PasswordCheck('open sesame', () => 0);
  t.ok(await fromClear.check(basic('anyone', 'open sesame')));
  t.notOk(await fromClear.check(basic('anyone', 'wrong')));
});

t.test('status-password prints a hash of stdin and refuses short ones', async (t) => {
  let out = '';
  const io = { stdout: new Writable({ write(c, _e, cb) { out += String(c); cb(); } }), stderr: process.stderr, env: {} };
  t.equal(await main([], io, Readable.from(['long enough\n'])), 0);
  t.ok(await verifyPassword('long enough', out.trim()), 'trailing newline not part of the password');
  await t.rejects(main([], io, Readable.from(['short'])), { code: 'SMARTMAINT_USAGE' });
  await t.rejects(main(['pw-in-argv'], io, Readable.from([''])), { code: 'SMARTMAINT_USAGE' });
});

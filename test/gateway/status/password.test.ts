import t from 'tap';
import { hashPassword, PasswordCheck, PASSWORD_HASH_PATTERN, verifyPassword } from '../../../gateway/status/password.js';
import { main } from '../../../gateway/status/password-cli.js';
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

/**
 * The `smartmaint` entry as a user meets it: `--help`/`-h` on every command and subcommand prints usage and
 * exits 0; usage errors exit 2 before any file is created; failures outside the program are one line that
 * says what failed, where and what to try — never a stack.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { commands } from '../../../deploy/cli/smartmaint.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { removeDir, tempDir } from '../../helpers/gateway.js';

const SUBCOMMANDS: string[][] = [
  ...Object.keys(commands).map((c) => [c]),
  ['keys', 'create'], ['keys', 'list'], ['keys', 'revoke'],
  ['devices', 'add'], ['devices', 'list'], ['devices', 'remove'], ['devices', 'passwd'],
  ['models', 'list'], ['models', 'check'], ['bench', 'mqtt'],
];

t.test('--help and -h print usage on stdout and exit 0, for every command and subcommand', async (t) => {
  for (const words of SUBCOMMANDS) {
    for (const flag of ['--help', '-h']) {
      const r = await runCliCaptured([...words, flag]);
      t.equal(r.code, 0, `${words.join(' ')} ${flag} exits 0 (${r.stderr.trim()})`);
      t.match(r.stdout, /^usage: /, `${words.join(' ')} ${flag} prints usage`);
      t.equal(r.stderr, '', 'nothing on stderr');
    }
  }
  const late = await runCliCaptured(['keys', 'create', '--gateway', 'a', '--help']);
  t.equal(late.code, 0, 'help wins wherever it stands');
});

t.test('usage errors exit 2 before anything is opened or created', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const cases: string[][] = [
    ['keys', 'create', '--data-dir', join(dir, 'a')],
    ['keys', 'create', '--gateway', 'a', '--operator', '--data-dir', join(dir, 'b')],
    ['keys', 'create', '--gateway', 'bad id', '--data-dir', join(dir, 'c')],
    ['keys', 'revoke', '--data-dir', join(dir, 'd')],
    ['devices', 'add', 'x', '--allow=', '--data-dir', join(dir, 'e')],
    ['devices', 'add', '--data-dir', join(dir, 'f')],
    ['gateway', '--data-dir', join(dir, 'g'), '--mqtt-port', 'x'],
  ];
  for (const argv of cases) {
    const r = await runCliCaptured(argv);
    t.equal(r.code, 2, `${argv.join(' ')} exits 2`);
    t.match(r.stderr, /^smartmaint \w+: /, 'says which command');
  }
  t.same(readdirSync(dir), [], 'no directory or database was created');
});

t.test('failures outside the program are one line, with what to try, and no stack', async (t) => {
  const pg = await runCliCaptured(['keys', 'create', '--operator', '--database-url', 'postgres://someone:secret@127.0.0.1:1/db']);
  t.equal(pg.code, 1);
  t.equal(pg.stderr.trim().split('\n').length, 1, `one line: ${pg.stderr.trim()}`);
  t.match(pg.stderr, /cannot open the key store \(PostgreSQL at postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/db\)/, 'what and where');
  t.notMatch(pg.stderr, /secret/, 'the password is not printed');
  t.match(pg.stderr, /check --database-url/, 'what to try');
  t.notMatch(pg.stderr, /\n\s+at /, 'no stack');

  const sim = await runCliCaptured(['simulate', '--dataset', 'cmapss', '--broker', 'tcp://127.0.0.1:1', '--limit', '1']);
  t.equal(sim.code, 1);
  t.equal(sim.stderr.trim().split('\n').length, 1, `one line: ${sim.stderr.trim()}`);
  t.match(sim.stderr, /cannot publish to the MQTT broker at mqtt:\/\/127\.0\.0\.1:1: .*ECONNREFUSED.*--broker/);
});

t.test('a model folder that cannot be read: one line, no stack', async (t) => {
  t.notOk(existsSync('/nonexistent-smartmaint'), 'precondition');
  const r = await runCliCaptured(['models', 'check', '/nonexistent-smartmaint/m/1.0.0']);
  t.not(r.code, 0);
  t.notMatch(r.stderr, /\n\s+at /, `no stack (${r.stderr.trim()})`);
});

import { PassThrough } from 'node:stream';
import t from 'tap';
import { runCli as runInProcess } from '../../deploy/cli/smartmaint.js';
import { PATHS } from '../../shared/protocol.js';
import { batch, call, range, tempDir } from './helpers.js';
import { runCli, spawnCloud } from './processes.js';

/** The real `smartmaint` entry, in this process (cheaper than a child per command). */
async function smartmaint(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await runInProcess(argv, { stdout: out, stderr: err, env });
  return { code, stdout, stderr };
}

t.test('keys + cloud as real processes on SQLite: create, ingest, list, revoke, graceful SIGTERM', async (t) => {
  const dir = tempDir(t);
  const created = await runCli(['keys', 'create', '--gateway', 'gw-cli', '--data-dir', dir]);
  t.equal(created.code, 0, created.stderr);
  const key = created.stdout.trimEnd().split('\n').pop()!;
  t.match(key, /^smk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/, 'the key alone on the last line');
  const op = (await smartmaint(['keys', 'create', '--operator', '--data-dir', dir])).stdout.trimEnd().split('\n').pop()!;

  const cloud = await spawnCloud(t, ['--data-dir', dir]);
  const res = await call(cloud.url + PATHS.ingest, { key, body: batch('gw-cli', range(0, 100)), gzip: true });
  t.same(res.body, { accepted: 100, duplicates: 0, rejected: [] });
  t.equal((await call(cloud.url + PATHS.readings + '?limit=1', { key: op })).status, 200);

  const list = await smartmaint(['keys', 'list'], { SMARTMAINT_DATA_DIR: dir });
  t.equal(list.code, 0);
  const id = key.split('_')[1]!;
  t.match(list.stdout, new RegExp(`${id}\\s+gateway\\s+gw-cli`));
  // The secret is base64url and may itself contain '_': take everything after the id.
  t.notMatch(list.stdout, key.split('_').slice(2).join('_'), 'secrets are never listed');
  t.equal((await smartmaint(['keys', 'revoke', id, '--data-dir', dir])).code, 0);
  t.equal((await smartmaint(['keys', 'revoke', id, '--data-dir', dir])).code, 1, 'already revoked');

  t.equal(await cloud.stop(), 0, 'SIGTERM exits 0');
  t.match(cloud.output(), /"msg":"stopped"/);
});

t.test('usage and configuration errors exit 2 and start nothing', async (t) => {
  const bad = await smartmaint(['cloud', '--port', 'seventy']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /http\.port/);
  t.equal((await smartmaint(['keys', 'create', '--data-dir', tempDir(t)])).code, 2, 'neither --gateway nor --operator');
  t.equal((await smartmaint(['keys', 'frobnicate'])).code, 2);
  const third = tempDir(t);
  for (let i = 0; i < 2; i++) t.equal((await smartmaint(['keys', 'create', '--gateway', 'g', '--data-dir', third])).code, 0);
  const over = await smartmaint(['keys', 'create', '--gateway', 'g', '--data-dir', third]);
  t.equal(over.code, 1, 'a third live key is refused: revoke one first');
  t.match(over.stderr, /revoke one first/);
});

t.test('a port in use: exit 1 with one line on stderr naming the port and --port', async (t) => {
  const { createServer } = await import('node:net');
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const taken = (holder.address() as { port: number }).port;
  const r = await runCli(['cloud', '--data-dir', tempDir(t), '--host', '127.0.0.1', '--port', String(taken)]);
  t.equal(r.code, 1);
  t.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr.trim()}`);
  t.match(r.stderr, new RegExp(`^smartmaint cloud: failed to start: .*port 127\\.0\\.0\\.1:${taken} is in use .*\\(--port\\)`));
});

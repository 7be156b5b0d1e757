/**
 * The `smartmaint gateway` command as operators run it: the built CLI in a child process.
 * (Needs `npm run build` first; .ci/run builds before testing.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { connect, endClient, publish, removeDir, spawnGateway, tempDir } from '../helpers/gateway.js';
import { projectRoot } from '../../shared/version.js';

const cli = join(projectRoot, 'dist/deploy/cli/smartmaint.js');

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000 });
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

t.test('a bad config exits 2, names every bad field, binds nothing, creates nothing', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const dataDir = join(dir, 'data');
  const file = join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify({
    dataDir,
    mqtt: { port: 18830, maxClients: 0 },
    http: { port: 18831 },
    outbox: { durability: 'sometimes' },
    telemetry: { topics: ['telemetry/{sensor}'] },
    colour: 'blue',
  }));
  const r = run(['gateway', '--config', file]);
  t.equal(r.status, 2);
  t.match(r.stderr, /mqtt\.maxClients/);
  t.match(r.stderr, /outbox\.durability/);
  t.match(r.stderr, /telemetry\.topics\.0/);
  t.match(r.stderr, /colour/);
  t.notOk(existsSync(dataDir), 'no data directory created');
  t.ok(await portIsFree(18830), 'MQTT port not bound');
  t.ok(await portIsFree(18831), 'HTTP port not bound');
});

t.test('flags and env are validated too; unknown flags exit 2', async (t) => {
  const bad = run(['gateway', '--mqtt-port', 'eighty', '--data-dir', '/nonexistent-should-not-be-created']);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /mqtt\.port/);
  t.notOk(existsSync('/nonexistent-should-not-be-created'));
  const env = run(['gateway'], { SMARTMAINT_HTTP_PORT: '70000' });
  t.equal(env.status, 2);
  t.match(env.stderr, /http\.port/);
  const unknown = run(['gateway', '--mqtt-prot', '1']);
  t.equal(unknown.status, 2);
  t.match(unknown.stderr, /mqtt-prot/);
  const cmd = run(['gatewya']);
  t.equal(cmd.status, 2);
  const missing = run(['gateway', '--config', '/nonexistent.json']);
  t.equal(missing.status, 2);
});

t.test('SIGTERM: stops accepting, commits in-flight work, closes the database, exits 0', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const gw = await spawnGateway(['--gateway-id', 'cli-gw', '--data-dir', dir, '--mqtt-port', '0', '--http-port', '0',
    '--mqtt-host', '127.0.0.1', '--http-host', '127.0.0.1', '--allow-anonymous']);
  t.match(gw.lines.join('\n'), /"msg":"mqtt listening"/, 'bound port logged');
  const client = await connect(gw.mqttPort, { reconnectPeriod: 0 });
  for (let i = 0; i < 300; i++) client.publish('telemetry/sig/s', String(i), { qos: 0 });
  await publish(client, 'telemetry/sig/s', '300', 1);
  gw.child.kill('SIGTERM');
  t.equal(await gw.exited, 0, 'exit code 0');
  await endClient(client).catch(() => {});
  const db = new Database(join(dir, 'outbox.db'), { readonly: true });
  t.equal((db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n, 301, 'nothing lost');
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
  for (const line of gw.lines) {
    if (line.startsWith('{')) t.doesNotThrow(() => JSON.parse(line), 'logs are JSON');
  }
  t.match(gw.lines.join('\n'), /"component":"outbox".*"msg":"outbox closed"/, 'component child loggers');
});

t.test('a port in use: exit 1 with one line on stderr naming the port and the flag, no stack', async (t) => {
  const dir = tempDir();
  t.teardown(() => removeDir(dir));
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const taken = (holder.address() as { port: number }).port;
  const r = run(['gateway', '--data-dir', join(dir, 'data'), '--mqtt-port', '0', '--mqtt-host', '127.0.0.1', '--http-port', String(taken),
    '--no-scoring', '--allow-anonymous']);
  t.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n');
  t.equal(lines.length, 1, `one line: ${r.stderr.trim()}`);
  t.match(lines[0], new RegExp(`^smartmaint gateway: failed to start: .*EADDRINUSE.*port 127\\.0\\.0\\.1:${taken} is in use .*\\(--http-port\\)`));
  t.notMatch(r.stderr, /\n\s+at /, 'no stack');
});

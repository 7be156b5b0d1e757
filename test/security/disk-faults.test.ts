/**
 * Disk faults: the gateway runs from dist/ under libfiu (`fiu-run -x`, Debian package fiu-utils), and
 * while a QoS 1 publisher sends readings, pwrite and fsync start failing at random (fiu-ctrl, so the database
 * opens cleanly first). The gateway must acknowledge no reading it failed to store (every PUBACKed reading is in
 * the database afterwards), report /health/db 503 within 5 s, and leave a database that passes
 * PRAGMA integrity_check. Skipped with a message when fiu-run is not installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import t from 'tap';
import { request } from 'undici';
import { removeDir, tempDir } from '../helpers/gateway.js';
import { projectRoot } from '../../shared/version.js';

const fiuRun = spawnSync('sh', ['-c', 'command -v fiu-run && command -v fiu-ctrl'], { encoding: 'utf8' });
const skip = fiuRun.status === 0 ? false : 'fiu-run / fiu-ctrl not installed (apt-get install -y fiu-utils)';
const FAULTS = ['posix/io/rw/pwrite', 'posix/io/sync/fsync', 'posix/io/sync/fdatasync'];

function fiuCtrl(ctrl: string, pid: number, command: string): void {
  const r = spawnSync('fiu-ctrl', ['-f', ctrl, '-c', command, String(pid)], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`fiu-ctrl ${command}: ${r.stderr}`);
}

async function dbStatus(port: number): Promise<number> {
  try {
    const res = await request(`http://127.0.0.1:${port}/health/db`, { headersTimeout: 2_000, bodyTimeout: 2_000 });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return 0;
  }
}

t.test('write failures: nothing acknowledged that was not stored, /health/db 503 within 5 s, integrity_check ok', { skip }, async (t) => {
  const dir = tempDir();
  const ctrl = join(dir, 'fiu');
  const child = spawn('fiu-run', ['-x', '-f', ctrl, process.execPath, join(projectRoot, 'dist/deploy/cli/smartmaint.js'), 'gateway', '--allow-anonymous',
    '--data-dir', dir, '--mqtt-port', '0', '--http-port', '0', '--mqtt-host', '127.0.0.1', '--http-host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  const ports = await new Promise<{ mqtt: number; http: number }>((resolve, reject) => {
    const p = { mqtt: 0, http: 0 };
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${lines.join('\n')}`)), 30_000);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`gateway exited ${code}:\n${lines.join('\n')}`)); });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      try {
        const rec = JSON.parse(line) as { msg?: string; port?: number };
        if (rec.msg === 'mqtt listening') p.mqtt = rec.port ?? 0;
        if (rec.msg === 'http listening') p.http = rec.port ?? 0;
        if (rec.msg === 'gateway started') { clearTimeout(timer); resolve(p); }
      } catch { /* not JSON */ }
    });
  });
  t.teardown(async () => {
    if (child.exitCode === null) { child.kill('SIGKILL'); await exited; }
    removeDir(dir);
  });

  const acked = new Set<number>();
  let sent = 0;
  let client: MqttClient | undefined;
  let stop = false;
  const publisher = (async () => {
    while (!stop) {
      if (!client || !client.connected) {
        client?.end(true);
        client = mqtt.connect(`mqtt://127.0.0.1:${ports.mqtt}`, { reconnectPeriod: 0, connectTimeout: 2_000, clientId: `fault-pub-${sent}` });
        client.on('error', () => {});
        const up = await new Promise<boolean>((resolve) => {
          client!.once('connect', () => resolve(true));
          client!.once('close', () => resolve(false));
        });
        if (!up) { await new Promise((r) => setTimeout(r, 100)); continue; }
      }
      const c = client;
      const batch = Array.from({ length: 10 }, () => sent++);
      await Promise.all(batch.map((v) => new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 3_000);
        c.publish(`telemetry/pump-1/temp`, String(v), { qos: 1 }, (err) => {
          clearTimeout(timer);
          if (!err) acked.add(v);
          resolve();
        });
      })));
    }
  })();

  await new Promise((r) => setTimeout(r, 1_500));
  const ackedBeforeFaults = acked.size;
  t.ok(ackedBeforeFaults > 0, `readings acknowledged before the faults (${ackedBeforeFaults})`);
  const faultsAt = Date.now();
  for (const name of FAULTS) fiuCtrl(ctrl, child.pid!, `enable_random name=${name},probability=0.5`);
  let degradedAfter = -1;
  while (Date.now() - faultsAt < 8_000) {
    if (await dbStatus(ports.http) === 503) { degradedAfter = Date.now() - faultsAt; break; }
    await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(degradedAfter >= 0 && degradedAfter <= 5_000, `/health/db answered 503 after ${degradedAfter} ms (≤ 5 s)`);
  await new Promise((r) => setTimeout(r, 2_000)); // keep publishing into the failing disk
  for (const name of FAULTS) fiuCtrl(ctrl, child.pid!, `disable name=${name}`);
  await new Promise((r) => setTimeout(r, 2_000)); // and after it recovers
  stop = true;
  await publisher;
  await client?.endAsync().catch(() => {});
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
  t.not(code, 'hung', `gateway stopped (exit ${code})`);

  const db = new Database(join(dir, 'outbox.db'));
  try {
    t.same(db.pragma('integrity_check', { simple: true }), 'ok', 'PRAGMA integrity_check');
    const stored = new Set((db.prepare("SELECT value FROM readings WHERE asset = 'pump-1'").all() as Array<{ value: number }>).map((r) => r.value));
    const lost = [...acked].filter((v) => !stored.has(v));
    t.comment(JSON.stringify({ sent, acked: acked.size, stored: stored.size, degradedAfterMs: degradedAfter }));
    t.same(lost.slice(0, 20), [], `every one of ${acked.size} acknowledged readings is stored`);
    t.ok(acked.size < sent, 'some publishes were not acknowledged (the faults were real)');
  } finally {
    db.close();
  }
  t.notOk(lines.some((l) => /Segmentation|FATAL ERROR/.test(l)), 'no native crash');
});

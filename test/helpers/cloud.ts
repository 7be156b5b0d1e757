/** Test helpers for the cloud: the built CLI as a child process, keys through the real `keys` command. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { projectRoot } from '../../shared/version.js';

const cli = join(projectRoot, 'dist/deploy/cli/smartmaint.js');

export function createKey(dataDir: string, who: { gateway: string } | 'operator'): string {
  const args = ['keys', 'create', '--data-dir', dataDir, ...(who === 'operator' ? ['--operator'] : ['--gateway', who.gateway])];
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`keys create failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return lines[lines.length - 1]!.trim();
}

export interface CloudChild {
  child: ChildProcess;
  port: number;
  lines: string[];
  exited: Promise<number | null>;
}

export function spawnCloud(dataDir: string, port = 0, extra: string[] = []): Promise<CloudChild> {
  const child = spawn(process.execPath, [cli, 'cloud', '--data-dir', dataDir, '--port', String(port), '--host', '127.0.0.1', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cloud did not start:\n${lines.join('\n')}`)), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      try {
        const rec = JSON.parse(line) as { msg?: string; port?: number };
        if (rec.msg === 'http listening') {
          clearTimeout(timer);
          resolve({ child, port: rec.port ?? 0, lines, exited });
        }
      } catch {
        // not JSON
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`cloud exited with ${code}:\n${lines.join('\n')}`));
    });
  });
}

export interface CloudReading {
  gatewayId: string;
  epoch: string;
  seq: number;
  asset: string;
  sensor: string;
  value: number;
  historical?: boolean;
}

/** Every reading the cloud holds for a gateway, through its paged read API. */
export async function cloudReadings(port: number, operatorKey: string, gatewayId: string): Promise<CloudReading[]> {
  const out: CloudReading[] = [];
  let path: string | null = `/api/v1/readings?gatewayId=${encodeURIComponent(gatewayId)}&limit=5000`;
  while (path) {
    const res = await request(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${operatorKey}` } });
    const body = (await res.body.json()) as { readings: CloudReading[]; next: string | null };
    if (res.statusCode !== 200) throw new Error(`cloud readings: ${res.statusCode} ${JSON.stringify(body)}`);
    out.push(...body.readings);
    path = body.next;
  }
  return out;
}

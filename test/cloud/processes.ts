/** Runs `smartmaint` subcommands as real child processes (through tsx) for CLI and scale-out tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Tap } from './helpers.js';

export const CLI = fileURLToPath(new URL('../../deploy/cli/smartmaint.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by timeoutMs). */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`smartmaint ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface CloudProcess {
  child: ChildProcess;
  port: number;
  url: string;
  output: () => string;
  /** SIGTERM and wait for the exit code. */
  stop: () => Promise<number | null>;
}

/** Starts `smartmaint cloud` and reads the bound port from its `http listening` log line. */
export function spawnCloud(t: Tap, args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CloudProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'cloud', '--port', '0', '--host', '127.0.0.1', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    let out = '';
    let buffered = '';
    let resolved = false;
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const stop = async (): Promise<number | null> => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    };
    t.teardown(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await stop();
        clearTimeout(killer);
      }
    });
    const timer = setTimeout(() => {
      if (!resolved) {
        child.kill('SIGKILL');
        reject(new Error(`cloud did not start within ${timeoutMs} ms:\n${out}`));
      }
    }, timeoutMs);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      const text = d.toString();
      out += text;
      buffered += text;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (resolved) continue;
        try {
          const rec = JSON.parse(line) as { msg?: string; port?: number };
          if (rec.msg === 'http listening' && typeof rec.port === 'number') {
            resolved = true;
            clearTimeout(timer);
            resolve({ child, port: rec.port, url: `http://127.0.0.1:${rec.port}`, output: () => out, stop });
          }
        } catch {
          // not a JSON log line
        }
      }
    });
    child.on('close', (code) => {
      if (!resolved) {
        clearTimeout(timer);
        reject(new Error(`cloud exited with ${code} before listening:\n${out}`));
      }
    });
  });
}

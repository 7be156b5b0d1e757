/**
 * The three systems under test as child processes: a private Mosquitto on a free port, the SmartMaint
 * gateway started through its CLI (ports 0, read back from its pino "listening" lines), and bare Aedes
 * (bare-aedes.ts, ports 0, read back from its first stdout line).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`port ${port} did not open within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Peak resident set size (VmHWM) of a process in MB, or null if it cannot be read. */
/** SIGTERM, then SIGKILL if the child has not exited after `killAfterMs`; resolves once it has exited. */
async function terminate(child: ChildProcess | undefined, killAfterMs: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited(child);
  clearTimeout(timer);
}

export function peakRssMb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export class MosquittoProcess {
  private child: ChildProcess | undefined;
  private dir: string | undefined;
  port = 0;

  async start(): Promise<void> {
    this.port = await freePort();
    this.dir = mkdtempSync(join(tmpdir(), 'smartmaint-bench-mosq-'));
    const conf = join(this.dir, 'mosquitto.conf');
    // Defaults apart from the listener: the baseline is Mosquitto as shipped.
    writeFileSync(conf, `listener ${this.port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n`);
    this.child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    this.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitForPort(this.port, 5000);
    } catch (err) {
      throw new Error(`mosquitto did not start: ${(err as Error).message}\n${stderr}`);
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    if (this.child) {
      this.child.kill('SIGTERM');
      await exited(this.child);
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface GatewayPorts {
  mqtt: number;
  http: number;
}

export class GatewayProcess {
  private readonly cliPath: string;
  private readonly extraArgs: readonly string[];
  private child: ChildProcess | undefined;
  private dir: string | undefined;
  ports: GatewayPorts = { mqtt: 0, http: 0 };
  private logTail: string[] = [];

  private readonly env: Record<string, string>;

  constructor(opts: { cliPath: string; extraArgs?: readonly string[]; env?: Record<string, string> }) {
    this.cliPath = opts.cliPath;
    this.extraArgs = opts.extraArgs ?? [];
    this.env = opts.env ?? {};
  }

  /** CPU seconds (user + system) the gateway process has used so far, from /proc/<pid>/stat. */
  cpuSeconds(): number | null {
    const pid = this.child?.pid;
    if (pid === undefined) return null;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime are fields 14 and 15 of stat(5), i.e. 11 and 12 after the command name.
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return null;
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get recentLog(): string {
    return this.logTail.join('\n');
  }

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'smartmaint-bench-gw-'));
    const args = [this.cliPath, 'gateway', '--gateway-id', 'bench', '--data-dir', this.dir, '--mqtt-port', '0', '--http-port', '0',
      '--mqtt-host', '127.0.0.1', '--http-host', '127.0.0.1', ...this.extraArgs];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SMARTMAINT_LOG_LEVEL: process.env.SMARTMAINT_LOG_LEVEL ?? 'info', ...this.env } });
    this.child = child;
    const keep = (line: string): void => {
      this.logTail.push(line);
      if (this.logTail.length > 40) this.logTail.shift();
    };
    createInterface({ input: child.stderr! }).on('line', keep);
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gateway did not report its ports within 20 s\n${this.recentLog}`)), 20_000);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited during start-up (code ${code}, signal ${signal})\n${this.recentLog}`));
      });
      lines.on('line', (line) => {
        keep(line);
        let entry: { msg?: unknown; port?: unknown };
        try {
          entry = JSON.parse(line) as { msg?: unknown; port?: unknown };
        } catch {
          return;
        }
        if (typeof entry.port !== 'number') return;
        if (entry.msg === 'mqtt listening') this.ports.mqtt = entry.port;
        if (entry.msg === 'http listening') this.ports.http = entry.port;
        if (this.ports.mqtt > 0 && this.ports.http > 0) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  /** Total readings in the outbox, from GET /health/db. */
  async readings(): Promise<number> {
    const res = await request(`http://127.0.0.1:${this.ports.http}/health/db`);
    const body = (await res.body.json()) as { readings?: unknown };
    if (typeof body.readings !== 'number') throw new Error(`/health/db has no numeric "readings": ${JSON.stringify(body)}`);
    return body.readings;
  }

  peakRssMb(): number | null {
    return this.child?.pid === undefined ? null : peakRssMb(this.child.pid);
  }

  /** SIGTERM (graceful: the gateway commits what is in flight), then removes its data dir. */
  async stop(): Promise<void> {
    await terminate(this.child, 15_000);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

const BARE_AEDES_SOURCE = fileURLToPath(new URL('./bare-aedes.ts', import.meta.url));
/** Inside node_modules, so the compiled script resolves `aedes` from the project's node_modules. */
const BARE_AEDES_CACHE = fileURLToPath(new URL('../../../node_modules/.cache/smartmaint-bench/', import.meta.url));

/**
 * bare-aedes.ts compiled to plain JavaScript (cached by content hash): the gateway runs compiled from dist/
 * without a loader, and tsx would add its own loader thread (about 30 MB RSS) to the baseline.
 */
export async function bareAedesScript(): Promise<string> {
  const source = readFileSync(BARE_AEDES_SOURCE, 'utf8');
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const out = join(BARE_AEDES_CACHE, `bare-aedes-${hash}.mjs`);
  if (!existsSync(out)) {
    mkdirSync(BARE_AEDES_CACHE, { recursive: true });
    const { default: ts } = await import('typescript');
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, fileName: BARE_AEDES_SOURCE,
    }).outputText;
    const tmp = `${out}.${process.pid}`;
    writeFileSync(tmp, js);
    renameSync(tmp, out);
  }
  return out;
}

export class BareAedesProcess {
  private child: ChildProcess | undefined;
  ports: GatewayPorts = { mqtt: 0, http: 0 };
  private stderr = '';

  async start(): Promise<void> {
    const child = spawn(process.execPath, [await bareAedesScript()], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bare aedes did not report its ports within 10 s\n${this.stderr}`)), 10_000);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`bare aedes exited during start-up (code ${code}, signal ${signal})\n${this.stderr}`));
      });
      lines.once('line', (line) => {
        clearTimeout(timer);
        try {
          const ports = JSON.parse(line) as { mqtt?: unknown; http?: unknown };
          if (typeof ports.mqtt !== 'number' || typeof ports.http !== 'number') throw new Error(`no ports in ${line}`);
          this.ports = { mqtt: ports.mqtt, http: ports.http };
          resolve();
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** PUBLISH packets received from clients so far, from GET /count. */
  async received(): Promise<number> {
    const res = await request(`http://127.0.0.1:${this.ports.http}/count`);
    const body = (await res.body.json()) as { received?: unknown };
    if (typeof body.received !== 'number') throw new Error(`/count has no numeric "received": ${JSON.stringify(body)}`);
    return body.received;
  }

  peakRssMb(): number | null {
    return this.child?.pid === undefined ? null : peakRssMb(this.child.pid);
  }

  async stop(): Promise<void> {
    await terminate(this.child, 5_000);
  }
}

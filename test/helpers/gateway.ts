/** Test helpers: a real gateway on ephemeral ports, real mqtt.js clients, child-process gateways. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { pino } from 'pino';
import { validateConfig } from '../../shared/config-layers.js';
import { gatewayConfigSchema, type GatewayConfig } from '../../gateway/config/config.js';
import { Gateway } from '../../gateway/gateway.js';
import { projectRoot } from '../../shared/version.js';

export function tempDir(prefix = 'smartmaint-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends readonly unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

export function gatewayConfig(dataDir: string, overrides: DeepPartial<GatewayConfig> = {}): GatewayConfig {
  const raw = {
    gatewayId: 'test-gw',
    dataDir,
    ...overrides,
    log: { level: 'silent', ...(overrides.log ?? {}) },
    // Spine tests connect without credentials; device-auth tests pass allowAnonymous: false.
    mqtt: { host: '127.0.0.1', port: 0, allowAnonymous: true, ...(overrides.mqtt ?? {}) },
    http: { host: '127.0.0.1', port: 0, ...(overrides.http ?? {}) },
    // Scoring off unless a test asks for it: loading the models costs each test gateway start-up time.
    scoring: { enabled: false, ...(overrides.scoring ?? {}) },
  };
  return validateConfig(gatewayConfigSchema, raw, 'gateway');
}

export async function startGateway(dataDir: string, overrides: DeepPartial<GatewayConfig> = {}): Promise<Gateway> {
  const config = gatewayConfig(dataDir, overrides);
  const gateway = new Gateway({ config, log: pino({ level: 'silent' }) });
  await gateway.start();
  return gateway;
}

/** A device's client id defaults to `<device>-<random>`: client ids belong to devices (their own id or prefix). */
export async function connect(port: number, options: IClientOptions = {}): Promise<MqttClient> {
  const clientId = options.username ? `${options.username}-${Math.random().toString(16).slice(2, 10)}` : undefined;
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5_000, ...(clientId ? { clientId } : {}), ...options });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

export async function publish(client: MqttClient, topic: string, payload: string | Buffer, qos: 0 | 1 = 1): Promise<void> {
  await client.publishAsync(topic, payload, { qos });
}

export async function endClient(client: MqttClient): Promise<void> {
  await client.endAsync();
}

export interface GatewayChild {
  child: ChildProcess;
  mqttPort: number;
  httpPort: number;
  lines: string[];
  exited: Promise<number | null>;
}

/**
 * Runs `smartmaint gateway` from the build (dist/) as a child process and waits for its ports. Anonymous MQTT is
 * on (the spine tests connect without credentials) unless `anonymous: false`.
 */
export function spawnGateway(args: string[], env: Record<string, string> = {}, options: { anonymous?: boolean } = {}): Promise<GatewayChild> {
  const anon = options.anonymous === false ? [] : ['--allow-anonymous'];
  const child = spawn(process.execPath, [join(projectRoot, 'dist/deploy/cli/smartmaint.js'), 'gateway', ...anon, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let mqttPort = 0;
    let httpPort = 0;
    // Generous: on a loaded 2-core machine loading onnxruntime and the models takes seconds.
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${lines.join('\n')}`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      try {
        const rec = JSON.parse(line) as { msg?: string; port?: number };
        if (rec.msg === 'mqtt listening') mqttPort = rec.port ?? 0;
        if (rec.msg === 'http listening') httpPort = rec.port ?? 0;
        if (rec.msg === 'gateway started') {
          clearTimeout(timer);
          resolve({ child, mqttPort, httpPort, lines, exited });
        }
      } catch {
        // not JSON
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before starting:\n${lines.join('\n')}`));
    });
  });
}

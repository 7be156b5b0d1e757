/**
 * A gateway and a cloud as child processes (from dist/), QoS 1 publishers that record every PUBACK, and the
 * check that the cloud holds exactly the acknowledged set.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { RedeliveringStore } from '../../gateway/tools/simulate/redelivering-store.js';
import type { Test } from 'tap';
import { request } from 'undici';
import { cloudReadings, createKey, spawnCloud, type CloudChild } from './cloud.js';
import { removeDir, spawnGateway, tempDir, type GatewayChild } from './gateway.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface System {
  dir: string;
  cloudDir: string;
  gatewayDir: string;
  keyFile: string;
  operatorKey: string;
  gatewayKey: string;
  mqttPort: number;
  cloudPort: number;
  cloud: CloudChild;
  gateway: GatewayChild;
  gatewayArgs: string[];
  gatewayEnv: Record<string, string>;
}

export async function startSystem(opts: { cloudUrlPort?: (cloudPort: number) => Promise<number>; key?: string; scoring?: boolean; outbox?: Record<string, unknown> } = {}): Promise<System> {
  const dir = tempDir('smartmaint-sync-');
  const cloudDir = join(dir, 'cloud');
  const gatewayDir = join(dir, 'gateway');
  const gatewayKey = createKey(cloudDir, { gateway: 'gw-e2e' });
  const operatorKey = createKey(cloudDir, 'operator');
  const cloudPort = await freePort();
  const cloud = await spawnCloud(cloudDir, cloudPort);
  const keyFile = join(dir, 'api-key');
  writeFileSync(keyFile, opts.key ?? gatewayKey);
  const configFile = join(dir, 'gateway.json');
  // Fast retries so the test spends its time on faults, not on waiting.
  writeFileSync(configFile, JSON.stringify({
    sync: { backoffInitialMs: 50, backoffMaxMs: 1000, authRetryMs: 500, probeIntervalMs: 200, requestTimeoutMs: 3000,
      connectTimeoutMs: 1000, batchMaxReadings: 200, heartbeatSchedule: '*/2 * * * * *', drainLogIntervalMs: 20 },
    mqtt: { allowAnonymous: true },
    ...(opts.outbox ? { outbox: opts.outbox } : {}),
  }));
  const targetPort = opts.cloudUrlPort ? await opts.cloudUrlPort(cloudPort) : cloudPort;
  const mqttPort = await freePort();
  const gatewayArgs = ['--config', configFile, '--gateway-id', 'gw-e2e', '--data-dir', gatewayDir, '--mqtt-port', String(mqttPort),
    '--http-port', '0', '--mqtt-host', '127.0.0.1', '--http-host', '127.0.0.1',
    '--cloud-url', `http://127.0.0.1:${targetPort}`, '--api-key-file', keyFile];
  // Scoring is off unless asked for: these tests are about storage and sync, and loading models costs start-up time.
  const gatewayEnv = { SMARTMAINT_SCORING: opts.scoring ? 'true' : 'false' };
  const gateway = await spawnGateway(gatewayArgs, gatewayEnv);
  return { dir, cloudDir, gatewayDir, keyFile, operatorKey, gatewayKey, mqttPort, cloudPort, cloud, gateway, gatewayArgs, gatewayEnv };
}

export async function stopSystem(sys: System): Promise<void> {
  sys.gateway.child.kill('SIGTERM');
  sys.cloud.child.kill('SIGTERM');
  await Promise.all([sys.gateway.exited, sys.cloud.exited]);
  removeDir(sys.dir);
}

/** QoS 1 publishers that record which values got a PUBACK; values are unique integers. */
export class Publishers {
  readonly acked = new Set<number>();
  readonly sent = new Set<number>();
  #clients: MqttClient[];
  #running = true;
  #loops: Promise<void>[];
  #next = 0;

  constructor(port: number, count = 2, inflight = 20) {
    // Redeliveries after a gateway kill carry DUP=1, as the gateway's deduplication requires (mqtt.js alone sends DUP=0).
    this.#clients = Array.from({ length: count }, (_, k) => {
      const store = new RedeliveringStore();
      return store.track(mqtt.connect(`mqtt://127.0.0.1:${port}`,
        { clientId: `e2e-pub-${k}`, reconnectPeriod: 100, connectTimeout: 2000, outgoingStore: store }));
    });
    for (const c of this.#clients) c.on('error', () => {});
    this.#loops = this.#clients.map(async (client) => {
      const pending = new Set<Promise<void>>();
      while (this.#running) {
        const value = this.#next++;
        this.sent.add(value);
        const p = client.publishAsync('telemetry/e2e/s', String(value), { qos: 1 })
          .then(() => { this.acked.add(value); }, () => {})
          .finally(() => pending.delete(p));
        pending.add(p);
        if (pending.size >= inflight) await Promise.race(pending);
        if (this.#next % 50 === 0) await sleep(5); // a steady stream, not a flood
      }
      await Promise.race([Promise.all(pending), sleep(10_000)]);
    });
  }

  async waitForAcks(n: number, timeoutMs = 20_000): Promise<void> {
    const target = this.acked.size + n;
    const deadline = Date.now() + timeoutMs;
    while (this.acked.size < target && Date.now() < deadline) await sleep(20);
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
    await Promise.all(this.#clients.map((c) => c.endAsync(true)));
  }
}

export async function gatewayJson(port: number, path: string): Promise<any> {
  const res = await request(`http://127.0.0.1:${port}${path}`);
  const text = await res.body.text();
  return text.startsWith('{') ? JSON.parse(text) : text;
}

export async function waitForDrain(sys: System, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let sync: any;
  while (Date.now() < deadline) {
    sync = (await gatewayJson(sys.gateway.httpPort, '/health/detailed')).components.sync;
    if (sync.pending === 0 && sync.inFlight === 0 && sync.queuedRetries === 0) return sync;
    await sleep(100);
  }
  throw new Error(`sync did not drain: ${JSON.stringify(sync)}`);
}

export async function verifyExactlyOnce(t: Test, sys: System, pubs: Publishers): Promise<void> {
  const rows = await cloudReadings(sys.cloud.port, sys.operatorKey, 'gw-e2e');
  const keys = rows.map((r) => `${r.epoch}/${r.seq}`);
  t.equal(new Set(keys).size, keys.length, 'no (epoch, seq) twice in the cloud');
  const values = rows.map((r) => r.value);
  t.equal(new Set(values).size, values.length, 'no reading twice in the cloud');
  const stored = new Set(values);
  const lost = [...pubs.acked].filter((v) => !stored.has(v));
  t.same(lost.slice(0, 20), [], `every acknowledged reading reached the cloud (${pubs.acked.size} acknowledged, ${rows.length} in the cloud)`);
  const invented = values.filter((v) => !pubs.sent.has(v));
  t.same(invented.slice(0, 20), [], 'nothing in the cloud that was not sent');
  t.ok(pubs.acked.size > 0, 'load ran');
}


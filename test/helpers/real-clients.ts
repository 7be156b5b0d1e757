/**
 * Independent MQTT clients with habits of their own, run as child processes: a Paho Go load client (packet id
 * reuse with one in flight, as mqtt-benchmark), mosquitto_pub and python3-paho-mqtt. `.ci/run` installs them from
 * Debian; on a developer machine without them the tests that need them skip, under CI they fail.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../shared/version.js';

const run = promisify(execFile);
const PAHO_GO_SOURCE = join(projectRoot, 'test/helpers/paho-go/main.go');
/** Debian's golang-github-eclipse-paho.mqtt.golang-dev installs the library here, for GOPATH builds. */
const DEBIAN_GOPATH = '/usr/share/gocode';
/** Debian's python3-paho-mqtt is importable by Debian's own python3, not by one that shadows it on PATH. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface PahoGoResult {
  clients: number;
  sent: number;
  acked: number;
  errors: number;
  seconds: number;
  perSecond: number;
  /** p50, p99, p99.9, max, mean in milliseconds. */
  latencyMs: [number, number, number, number, number];
}

export interface PahoGoOptions {
  port: number;
  clients: number;
  count: number;
  qos?: 0 | 1;
  topic?: string;
  payload?: string;
  /** Messages per second per client; 0 = as fast as acknowledgements allow. */
  rate?: number;
  /** Unacknowledged messages allowed per client; 1 (the default) waits for each PUBACK, as mqtt-benchmark. */
  inflight?: number;
  clientIdPrefix?: string;
}

function has(command: string, args: string[] = ['--version']): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Why a real client cannot run here, or undefined when it can. */
export function missingClient(kind: 'paho-go' | 'mosquitto_pub' | 'paho-python'): string | undefined {
  switch (kind) {
    case 'paho-go':
      if (!has('go', ['version'])) return 'go is not installed (Debian golang-go)';
      if (!existsSync(join(DEBIAN_GOPATH, 'src/github.com/eclipse/paho.mqtt.golang'))) return 'Paho Go is not installed (Debian golang-github-eclipse-paho.mqtt.golang-dev)';
      return undefined;
    case 'mosquitto_pub':
      return has('mosquitto_pub', ['--help']) || existsSync('/usr/bin/mosquitto_pub') ? undefined : 'mosquitto_pub is not installed (Debian mosquitto-clients)';
    case 'paho-python':
      return has(PYTHON, ['-c', 'import paho.mqtt.client']) ? undefined : 'python3-paho-mqtt is not installed';
  }
}

/** Under CI a missing client is a failure (the CI script installs them); elsewhere the test is skipped. */
export function skipUnlessClient(kind: 'paho-go' | 'mosquitto_pub' | 'paho-python'): { skip: string } | Record<string, never> {
  const missing = missingClient(kind);
  if (missing === undefined) return {};
  if (process.env.CI === 'true') throw new Error(`${kind} is required under CI: ${missing}`);
  return { skip: missing };
}

let built: Promise<string> | undefined;

/** Builds the Paho Go load client once per source version (cached by content hash in the temp folder). */
export function pahoGoBinary(): Promise<string> {
  built ??= (async () => {
    const hash = createHash('sha256').update(readFileSync(PAHO_GO_SOURCE)).digest('hex').slice(0, 16);
    const dir = join(tmpdir(), 'smartmaint-paho-go');
    mkdirSync(dir, { recursive: true });
    const binary = join(dir, `paho-load-${hash}`);
    if (!existsSync(binary)) {
      const out = `${binary}.${process.pid}`;
      await run('go', ['build', '-o', out, PAHO_GO_SOURCE], {
        cwd: dir, env: { ...process.env, GOPATH: DEBIAN_GOPATH, GO111MODULE: 'off', GOCACHE: join(dir, 'cache'), GOFLAGS: '' },
      });
      await run('mv', [out, binary]);
    }
    return binary;
  })();
  return built;
}

export async function runPahoGo(o: PahoGoOptions): Promise<PahoGoResult> {
  const binary = await pahoGoBinary();
  const args = ['-broker', `tcp://127.0.0.1:${o.port}`, '-clients', String(o.clients), '-count', String(o.count),
    '-qos', String(o.qos ?? 1), '-topic', o.topic ?? 'telemetry/x/s1', '-payload', o.payload ?? '{"value":1}',
    '-rate', String(o.rate ?? 0), '-inflight', String(o.inflight ?? 1), '-id', o.clientIdPrefix ?? 'paho-go'];
  const { stdout } = await run(binary, args, { timeout: 300_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as PahoGoResult;
}

/** mosquitto_pub -l: one QoS 1 message per stdin line, on one connection. Resolves when it exits. */
export async function mosquittoPubLines(port: number, topic: string, lines: string[], clientId: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', topic, '-l', '-i', clientId],
      { timeout: 60_000 }, (err) => (err ? reject(err) : resolve()));
    child.stdin!.end(lines.map((l) => `${l}\n`).join(''));
  });
}

/** python3-paho-mqtt publishes `count` QoS 1 messages, waiting for each PUBACK; prints how many were acknowledged. */
export async function pahoPythonPublish(port: number, topic: string, payload: string, count: number, clientId: string): Promise<number> {
  const script = `
import sys, paho.mqtt.client as mqtt
port, topic, payload, count, cid = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
c = mqtt.Client(client_id=cid, clean_session=True)
c.connect('127.0.0.1', port)
c.loop_start()
acked = 0
for _ in range(count):
    info = c.publish(topic, payload, qos=1)
    info.wait_for_publish(10)
    acked += 1 if info.is_published() else 0
c.disconnect()
c.loop_stop()
print(acked)
`;
  const { stdout } = await run(PYTHON, ['-c', script, String(port), topic, payload, String(count), clientId], { timeout: 120_000 });
  return Number(stdout.trim());
}

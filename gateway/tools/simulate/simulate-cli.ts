/**
 * `smartmaint simulate --dataset cmapss|ai4i [--rate N] [--broker tcp://host:port] [--engines K] [--machines K]
 *  [--qos 0|1] [--limit N] [--loop]`: replays a real dataset (copied in models/data) as MQTT devices so the
 * default models score live data. Progress on a TTY; a summary line at the end.
 */
import { parseArgs } from 'node:util';
import type { CliIo } from '../../../shared/cli-io.js';
import { CommandError, UsageError, oneLine, redactUrl } from '../../../shared/errors.js';
import { resolveBroker } from './broker-target.js';
import { defaultDataDir, loadAi4i, loadFd001 } from '../../../shared/ml/datasets.js';
import { ai4iMessages, cmapssMessages, type ReplayMessage } from './replay-sources.js';
import { ReplayPublisher } from './replay-publisher.js';

export const usage = `usage: smartmaint simulate --dataset cmapss|ai4i [options]
  --dataset cmapss|ai4i   cmapss: FD001 test engines as engine-<unit>; ai4i: AI4I rows as mill-<L|M|H>-<n>
  --rate N                messages per second, all assets together (default 10)
  --broker URL            MQTT broker, mqtt://host:port (also mqtts, tcp, ws, wss; env SMARTMAINT_BROKER)
  --config FILE           or: publish to the MQTT listener of this gateway config file (env SMARTMAINT_CONFIG)
  --engines K             cmapss: replay the first K test engines (default 100)
  --machines K            ai4i: machines per product quality (default 3)
  --qos 0|1               publish QoS (default 0)
  --limit N               stop after N messages (default: the whole dataset)
  --loop                  start over when the data ends
  --data-dir DIR          dataset folder (default models/data)
`;

function positiveInt(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${raw}'`);
  return n;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: false, options: {
      dataset: { type: 'string' }, rate: { type: 'string' }, broker: { type: 'string' }, engines: { type: 'string' },
      machines: { type: 'string' }, qos: { type: 'string' }, limit: { type: 'string' }, loop: { type: 'boolean' },
      'data-dir': { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    } });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${usage}`);
  }
  const v = parsed.values;
  if (v.help) {
    io.stdout.write(usage);
    return 0;
  }
  if (v.dataset !== 'cmapss' && v.dataset !== 'ai4i') throw new UsageError(`--dataset must be cmapss or ai4i\n${usage}`);
  const rate = v.rate === undefined ? 10 : Number(v.rate);
  if (!Number.isFinite(rate) || rate <= 0 || rate > 1_000_000) throw new UsageError(`--rate must be a positive number, got '${v.rate}'`);
  const qos = v.qos === undefined ? 0 : Number(v.qos);
  if (qos !== 0 && qos !== 1) throw new UsageError(`--qos must be 0 or 1`);
  const broker = resolveBroker({ broker: v.broker, configFile: v.config, env: io.env });
  const dataDir = v['data-dir'] ?? defaultDataDir();
  let messages: () => Iterable<ReplayMessage>;
  if (v.dataset === 'cmapss') {
    const engines = positiveInt('engines', v.engines, 100);
    const test = loadFd001(dataDir).test;
    messages = () => cmapssMessages(test, engines);
  } else {
    const machines = positiveInt('machines', v.machines, 3);
    const rows = loadAi4i(dataDir);
    messages = () => ai4iMessages(rows, machines);
  }
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  let lastProgress = 0;
  const publisher = new ReplayPublisher({
    // A device's client ids start with its id: with credentials in the URL, use that device's prefix.
    broker, rate, qos: qos as 0 | 1, clientId: `${brokerUser(broker) ?? 'smartmaint'}-simulate-${process.pid}`,
    limit: positiveInt('limit', v.limit, 0, 0), loop: v.loop === true,
  }, {
    messages, clock: Date.now,
    progress: tty ? (sent) => {
      const now = Date.now();
      if (now - lastProgress < 1000) return;
      lastProgress = now;
      io.stderr.write(`\r\x1b[K${v.dataset}: ${sent} messages published to ${redactUrl(broker)}`);
    } : undefined,
  });
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let sent: number;
    try {
      sent = await publisher.run(abort.signal);
    } catch (err) {
      if (tty) io.stderr.write('\r\x1b[K');
      throw new CommandError('SMARTMAINT_BROKER_UNREACHABLE',
        `cannot publish to the MQTT broker at ${redactUrl(broker)}: ${oneLine(err)}; is the gateway running there? `
        + 'give its MQTT address with --broker mqtt://host:port', err);
    }
    if (tty) io.stderr.write('\r\x1b[K');
    io.stdout.write(`${JSON.stringify({ dataset: v.dataset, broker: redactUrl(broker), published: sent })}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The user name in an mqtt://user:password@host URL, if any. */
function brokerUser(broker: string): string | undefined {
  try {
    const user = decodeURIComponent(new URL(broker).username);
    return user === '' ? undefined : user;
  } catch {
    return undefined;
  }
}

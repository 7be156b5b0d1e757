/**
 * `smartmaint demo` (what `npm start` runs): cloud + gateway + C-MAPSS replay on embedded SQLite under a
 * local state dir, keys provisioned automatically, anonymous MQTT allowed for the replay. Prints the URLs of
 * both pages and the MQTT address; says so when a default port is taken and uses a free one. Logs go to
 * <state-dir>/demo.log. A one-line progress display on a TTY, nothing more in CI. Ctrl-C stops everything.
 *
 *   --state-dir DIR   (default .demo)     --reset            start from an empty state dir
 *   --host ADDR       (default 127.0.0.1) --rate N           replay messages per second (default 16)
 *   --cloud-port N (8090)  --http-port N (8080)  --mqtt-port N (1883)   --log-level LEVEL (info)
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { CliIo } from '../../shared/cli-io.js';
import { UsageError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { Demo, DEMO_DEFAULTS } from './demo.js';
import { uplinkView } from '../../gateway/status/uplink-words.js';

/** A signal this soon after the first is the same Ctrl-C delivered twice, not a second press. */
const SIGNAL_ECHO_MS = 1_000;

export const usage = `usage: smartmaint demo [options]
  --state-dir DIR    where the demo keeps its databases, keys and log (default ${DEMO_DEFAULTS.stateDir})
  --reset            delete the state dir first
  --host ADDR        address every listener binds (default ${DEMO_DEFAULTS.host})
  --cloud-port N     cloud HTTP port (default ${DEMO_DEFAULTS.ports.cloud}; a taken port is replaced by a free one)
  --http-port N      gateway HTTP port (default ${DEMO_DEFAULTS.ports.http})
  --mqtt-port N      gateway MQTT port (default ${DEMO_DEFAULTS.ports.mqtt})
  --rate N           C-MAPSS replay, messages per second (default ${DEMO_DEFAULTS.rate}; 0 = no replay)
  --log-level LEVEL  level of <state-dir>/demo.log (default info)
`;

function intFlag(name: string, raw: string | undefined, fallback: number, max = 65_535): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new UsageError(`--${name} must be an integer from 0 to ${max}, got '${raw}'`);
  return n;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: {
      'state-dir': { type: 'string' }, reset: { type: 'boolean' }, host: { type: 'string' },
      'cloud-port': { type: 'string' }, 'http-port': { type: 'string' }, 'mqtt-port': { type: 'string' },
      rate: { type: 'string' }, 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    } }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${usage}`);
  }
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const level = values['log-level'] ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) throw new UsageError(`--log-level: unknown level '${level}'`);
  const stateDir = resolve(values['state-dir'] ?? DEMO_DEFAULTS.stateDir);
  if (values.reset) rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const logFile = join(stateDir, 'demo.log');
  const destination = pino.destination({ dest: logFile, sync: false, mkdir: true });
  const log = createLogger({ level, name: 'demo' }, destination);
  const demo = new Demo({
    ...DEMO_DEFAULTS,
    stateDir,
    host: values.host ?? DEMO_DEFAULTS.host,
    ports: {
      cloud: intFlag('cloud-port', values['cloud-port'], DEMO_DEFAULTS.ports.cloud),
      http: intFlag('http-port', values['http-port'], DEMO_DEFAULTS.ports.http),
      mqtt: intFlag('mqtt-port', values['mqtt-port'], DEMO_DEFAULTS.ports.mqtt),
    },
    rate: intFlag('rate', values.rate, DEMO_DEFAULTS.rate, 100_000),
  }, log);

  const out = (line: string): void => { io.stdout.write(`${line}\n`); };
  const shown = relative(process.cwd(), stateDir) || '.';
  out(`SmartMaint Edge demo: cloud + gateway + C-MAPSS replay (state in ${shown}/, logs in ${relative(process.cwd(), logFile)})`);
  let urls;
  try {
    urls = await demo.start();
  } catch (err) {
    log.fatal({ err }, 'demo failed to start');
    destination.flushSync();
    io.stderr.write(`smartmaint demo: failed to start: ${(err as Error).message} (details in ${logFile})\n`);
    return 1;
  }
  for (const note of demo.notes) out(`  note: ${note}`);
  out(`  Gateway status page  ${urls.statusPage}`);
  out(`  Cloud fleet view     ${urls.fleetLogin}`);
  out(`                       (operator key in the link; it stays in this browser tab's sessionStorage)`);
  out(`  MQTT broker          ${urls.mqtt}  (anonymous clients allowed, demo only)`);
  if (demo.options.rate > 0) out(`  Replaying            ${demo.describeReplay()}`);
  out('Press Ctrl-C to stop.');

  const tty = (io.stdout as NodeJS.WriteStream).isTTY === true;
  const progress = tty
    ? setInterval(() => {
      const g = demo.gateway;
      if (!g) return;
      const s = g.sync.status();
      const alerts = g.scoringStage?.openAlerts().length ?? 0;
      const uplink = uplinkView(s, Date.now(), null).words;
      io.stdout.write(`\r\x1b[K  ${demo.published} messages replayed · ${s.readingsSynced} readings synced · uplink ${uplink} · ${alerts} open alert(s)`);
    }, 1_000)
    : undefined;
  progress?.unref();

  await new Promise<void>((resolveStop) => {
    let stoppingAt = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stoppingAt !== 0) {
        // Ctrl-C under `npm start` arrives twice at once (from the terminal to the process group, and forwarded by
        // npm): only a second press, later, means "now".
        if (Date.now() - stoppingAt < SIGNAL_ECHO_MS) return;
        io.stderr.write('\nsmartmaint demo: second signal, exiting at once\n');
        process.exit(130);
      }
      stoppingAt = Date.now();
      if (progress) clearInterval(progress);
      if (tty) io.stdout.write('\r\x1b[K');
      out(`stopping (${signal})…`);
      resolveStop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    await demo.stop();
  } catch (err) {
    log.error({ err }, 'demo stop failed');
    io.stderr.write(`smartmaint demo: stop failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    destination.flushSync();
  }
  out('stopped.');
  return 0;
}

/**
 * `smartmaint gateway`: parse configuration (file < env < flags), start the daemon, stop cleanly on
 * SIGTERM/SIGINT. A bad configuration exits 2 before any port or file is opened.
 */
import { resolveConfig } from '../shared/config-layers.js';
import type { CliIo } from '../shared/cli-io.js';
import { createLogger } from '../shared/logger.js';
import { flagLines, helpRequested } from '../shared/usage.js';
import { startFailureLine } from '../shared/start-failure.js';
import { gatewayConfigSchema, gatewayFlags } from './config/config.js';
import { Gateway } from './gateway.js';

export const usage = `usage: smartmaint gateway [options]
${flagLines(gatewayFlags).join('\n')}
  --config FILE       JSON config file with every option (env SMARTMAINT_CONFIG); see docs/configuration.md
`;

export async function main(argv: string[], io: CliIo): Promise<number> {
  if (helpRequested(argv)) {
    io.stdout.write(usage);
    return 0;
  }
  const { config } = resolveConfig({ schema: gatewayConfigSchema, what: 'gateway', argv, env: io.env, flags: gatewayFlags });
  const log = createLogger({ level: config.log.level, name: 'gateway' });
  const gateway = new Gateway({ config, log, apiKey: io.env.SMARTMAINT_API_KEY });
  let stopping: Promise<void> | undefined;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => { stopped = resolve; });
  const stop = (signal: string): void => {
    if (stopping) return;
    log.info({ signal }, 'stopping');
    stopping = gateway.stop().catch((err: unknown) => log.error({ err }, 'stop failed')).finally(stopped);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    await gateway.start();
  } catch (err) {
    log.fatal({ err }, 'gateway failed to start');
    io.stderr.write(startFailureLine('gateway', err, {
      [config.mqtt.port]: '--mqtt-port', [config.http.port]: '--http-port',
    }));
    return 1;
  }
  await done;
  return 0;
}

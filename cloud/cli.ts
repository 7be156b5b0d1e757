/**
 * `smartmaint cloud`: the cloud ingestion API. Flags --port --host --data-dir --database-url
 * --log-level --config, SMARTMAINT_* env. Logs `{"port": N, "msg": "http listening"}` once bound;
 * SIGTERM/SIGINT close the listener (in-flight requests finish) and storage, then exit 0.
 */
import { createRequire } from 'node:module';
import { resolveConfig } from '../shared/config-layers.js';
import type { CliIo } from '../shared/cli-io.js';
import type { DestinationStream } from 'pino';
import { createLogger } from '../shared/logger.js';
import { flagLines, helpRequested } from '../shared/usage.js';
import { startFailureLine } from '../shared/start-failure.js';
import { cloudConfigSchema, cloudFlags } from './config/config.js';
import { CloudService } from './service.js';

export const usage = `usage: smartmaint cloud [options]
${flagLines(cloudFlags).join('\n')}
  --config FILE       JSON config file with every option (env SMARTMAINT_CONFIG); see docs/configuration.md
`;

export function packageVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    for (const p of ['../package.json', '../../package.json']) {
      try {
        return (require(p) as { version: string }).version;
      } catch {
        // try the next location (sources vs dist/)
      }
    }
  } catch {
    // fall through
  }
  return '0.0.0';
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  if (helpRequested(argv)) {
    io.stdout.write(usage);
    return 0;
  }
  const { config } = resolveConfig({ schema: cloudConfigSchema, what: 'cloud', argv, env: io.env, flags: cloudFlags });
  const log = createLogger({ level: config.log.level, name: 'smartmaint-cloud' }, io.stdout as unknown as DestinationStream);
  const service = new CloudService({ config, log, version: packageVersion() });
  try {
    await service.start();
  } catch (err) {
    log.fatal({ err }, 'cloud failed to start');
    io.stderr.write(startFailureLine('cloud', err, { [config.http.port]: '--port' }));
    await service.stop().catch(() => undefined);
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      service.stop().then(
        () => {
          log.info('stopped');
          resolve(0);
        },
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/**
 * `smartmaint bench mqtt [flags]`: an mqtt-benchmark compatible load run against any MQTT 3.1.1 broker.
 * Exit 0 when every message succeeded, 1 when some failed, 2 on bad flags.
 */
import type { CliIo } from '../../../shared/cli-io.js';
import { UsageError } from '../../../shared/errors.js';
import { benchUsage, parseBenchArgs } from './flags.js';
import { MqttBench } from './mqtt-bench.js';
import { formatJson, formatText } from './results.js';

const TOOLS = 'tools: mqtt   (smartmaint bench mqtt -h for its flags)';

export const usage = `usage: smartmaint bench <tool> [flags]\n${TOOLS}\n\n${benchUsage()}`;

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [tool, ...rest] = argv;
  if (tool === undefined || tool === '-h' || tool === '--help' || tool === 'help') {
    io.stdout.write(usage);
    return tool === undefined ? 2 : 0;
  }
  if (tool !== 'mqtt') throw new UsageError(`unknown bench tool '${tool}'; ${TOOLS}`);

  const parsed = parseBenchArgs(rest);
  if (parsed.help) {
    io.stdout.write(benchUsage());
    return 0;
  }
  const { options } = parsed;
  const isTty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  const bench = new MqttBench(options, {
    log: (line) => io.stderr.write(`${new Date().toISOString()} ${line}\n`),
    progress: !options.quiet && isTty,
  });
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const report = await bench.run(abort.signal);
    io.stdout.write(options.format === 'json' ? formatJson(report) : formatText(report));
    return report.totals.failures === 0 ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

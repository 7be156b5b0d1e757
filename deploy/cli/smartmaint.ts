#!/usr/bin/env node
/**
 * The `smartmaint` command. Each subcommand lives beside the program it belongs to and is loaded
 * lazily, so `smartmaint keys list` does not pay for loading the broker or onnxruntime.
 */
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { ConfigError, SmartmaintError, UsageError, oneLine } from '../../shared/errors.js';
import { helpRequested } from '../../shared/usage.js';
import type { CliIo, CommandModule } from '../../shared/cli-io.js';

export type { CliIo, CommandMain, CommandModule } from '../../shared/cli-io.js';

export const commands: Record<string, { describe: string; load: () => Promise<CommandModule> }> = {
  gateway: { describe: 'run the edge gateway daemon', load: () => import('../../gateway/cli.js') },
  devices: { describe: 'manage gateway device identities (add, list, remove, passwd)', load: () => import('../../gateway/devices/devices-cli.js') },
  cloud: { describe: 'run the cloud ingestion API', load: () => import('../../cloud/cli.js') },
  keys: { describe: 'manage cloud API keys (create, list, revoke)', load: () => import('../../cloud/keys-cli.js') },
  bench: { describe: 'load tools (mqtt)', load: () => import('../../gateway/tools/bench/cli.js') },
  models: { describe: 'list and check on-gateway ML models', load: () => import('../../gateway/scoring/models-cli.js') },
  simulate: { describe: 'replay C-MAPSS / AI4I data as MQTT devices', load: () => import('../../gateway/tools/simulate/simulate-cli.js') },
  demo: { describe: 'cloud + gateway + C-MAPSS replay in one command (npm start)', load: () => import('../demo/demo-cli.js') },
  'status-password': { describe: 'hash a technician password (stdin) for the gateway\'s http.password', load: () => import('../../gateway/auth/password-cli.js') },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.describe}`);
  return `usage: smartmaint <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    io.stderr.write(`smartmaint: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  try {
    const mod = await command.load();
    // Help wins over everything else on the line, for every command and subcommand, and opens nothing.
    if (helpRequested(rest)) {
      io.stdout.write(mod.usage);
      return 0;
    }
    return await mod.main(rest, io);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      io.stderr.write(`smartmaint ${name}: ${err.message}\n`);
      return 2;
    }
    // Anything else is reported as one line; the stack is for developers who ask for it.
    const code = err instanceof SmartmaintError ? ` [${err.code}]` : '';
    io.stderr.write(`smartmaint ${name}: ${err instanceof SmartmaintError ? err.message : `failed: ${oneLine(err)}`}${code}\n`);
    if (io.env.SMARTMAINT_DEBUG) io.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`smartmaint: ${oneLine(err)}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * Usage text shared by the commands: whether help was asked for, and the flag list of a config-backed command
 * rendered from its FlagSpecs (so `--help`, the README's CLI table and the parser cannot disagree).
 */
import { envNameFor, type FlagSpec } from './config-layers.js';

/** `--help` or `-h` anywhere before a `--` terminator. */
export function helpRequested(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/** One line per flag: name, value placeholder, meaning, environment variable; boolean flags also take --no-<flag>. */
export function flagLines(flags: readonly FlagSpec[]): string[] {
  const shown = flags.map((f) => {
    const name = f.type === 'boolean' ? `--[no-]${f.flag}` : `--${f.flag} ${f.type === 'number' ? 'N' : 'VALUE'}`;
    const env = envNameFor(f);
    return { name, text: `${f.description}${env ? ` (env ${env})` : ''}` };
  });
  const width = Math.max(...shown.map((s) => s.name.length), 16);
  return shown.map((s) => `  ${s.name.padEnd(width)}  ${s.text}`);
}

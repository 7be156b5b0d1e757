/**
 * `smartmaint status-password`: reads a technician password from stdin and prints its scrypt hash, for
 * http.password in the gateway's config (the gateway then never holds the password in its config file).
 *   echo -n 'long password' | smartmaint status-password
 */
import type { CliIo } from '../../shared/cli-io.js';
import { UsageError } from '../../shared/errors.js';
import { hashPassword } from './scrypt-password.js';

export const MIN_PASSWORD_LENGTH = 8;

export const usage = 'usage: echo -n <password> | smartmaint status-password\nprints the scrypt hash to put in http.password\n';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

export async function main(argv: string[], io: CliIo, stdin: NodeJS.ReadableStream = process.stdin): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(usage);
    return 0;
  }
  if (argv.length > 0) throw new UsageError('status-password reads the password from stdin and takes no arguments (argv is visible to other users)');
  const password = (await readAll(stdin)).replace(/\r?\n$/, '');
  if (password.length < MIN_PASSWORD_LENGTH) throw new UsageError(`the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  io.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}

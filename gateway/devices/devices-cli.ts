/**
 * `smartmaint devices`: device identities for MQTT (username = id, password = secret) and HTTP (X-API-Key /
 * Bearer = secret, or Basic id:password), in <data dir>/devices.db. Safe while the gateway runs: it picks up
 * changes within devices.pollIntervalMs and closes the connections of removed or re-keyed devices.
 *   devices add <id> [--allow <topic filter | asset glob>]... [--client-id <prefix>]...
 *                                    prints the generated secret alone on the last line
 *   devices list
 *   devices remove <id>
 *   devices passwd <id>              reads a password from stdin (never argv); stored with scrypt
 *   devices passwd <id> --generate   replaces the credential with a new generated secret (printed on the last line)
 * Storage: --data-dir <dir> (or SMARTMAINT_DATA_DIR, or dataDir in --config <file>).
 */
import type { FlagSpec } from '../../shared/config-layers.js';
import { resolveConfig } from '../../shared/config-layers.js';
import type { CliIo } from '../../shared/cli-io.js';
import { UsageError } from '../../shared/errors.js';
import { gatewayConfigSchema, gatewayFlags } from '../config/config.js';
import { aclPatternProblem } from './acl.js';
import { DEVICE_ID_PATTERN, DeviceExistsError, DeviceNotFoundError, DeviceStore, devicesPath } from './device-store.js';
import { hashPassword } from '../auth/scrypt-password.js';
import { generateSecret, sha256Hex } from './secrets.js';

export const usage = `usage: smartmaint devices add <id> [--allow <topic-filter|asset-glob>]... [--client-id <prefix>]...
       smartmaint devices list
       smartmaint devices remove <id>
       smartmaint devices passwd <id> [--generate]   (password read from stdin)
storage: --data-dir <dir> [--config <file>]
allow entries: a topic filter (contains /, e.g. telemetry/pump-7/#) or an asset glob (e.g. pump-*); default: the device id as asset
client ids: the device may connect with <prefix> or <prefix>-anything; default: its own id (other ids get CONNACK 2)
`;

const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1_024;

const storageFlags: readonly FlagSpec[] = gatewayFlags.filter((f) => f.flag === 'data-dir');

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(usage);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'add' && sub !== 'list' && sub !== 'remove' && sub !== 'passwd') throw new UsageError(`unknown devices subcommand '${sub}'\n${usage}`);
  const extra: Record<string, { type: 'string' | 'boolean' }> = {};
  if (sub === 'add') {
    extra.allow = { type: 'string', multiple: true } as { type: 'string' };
    extra['client-id'] = { type: 'string', multiple: true } as { type: 'string' };
  }
  if (sub === 'passwd') extra.generate = { type: 'boolean' };
  const resolved = resolveConfig({ schema: gatewayConfigSchema, what: 'devices', argv: rest, env: io.env, flags: storageFlags, extra, allowPositionals: sub !== 'list' });
  const positionals = resolved.positionals;
  if (sub !== 'list') {
    if (positionals.length !== 1) throw new UsageError(`devices ${sub} takes exactly one device id\n${usage}`);
    if (!DEVICE_ID_PATTERN.test(positionals[0]!)) throw new UsageError(`'${positionals[0]}' is not a valid device id (letters, digits, . _ : -; max 128)`);
  } else if (positionals.length > 0) throw new UsageError(`devices list takes no arguments\n${usage}`);
  const id = positionals[0] ?? '';
  const dataDir = resolved.config.dataDir;
  if (sub === 'passwd' && resolved.extra.generate !== true) {
    // Read before opening the store, so a slow typist holds no database handle.
    const password = await readPassword(io);
    if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
      io.stderr.write(`smartmaint devices: a password must be ${MIN_PASSWORD}-${MAX_PASSWORD} characters\n`);
      return 1;
    }
    const hash = await hashPassword(password);
    return withStore(dataDir, (store) => {
      store.setCredential(id, 'scrypt', hash, Date.now());
      io.stdout.write(`password set for device ${id}; its previous credential no longer works\n`);
      return 0;
    }, io);
  }
  // Checked before the store is opened: a usage error must not create devices.db.
  const rawAllow = resolved.extra.allow as unknown;
  const allow = Array.isArray(rawAllow) ? rawAllow.map(String) : typeof rawAllow === 'string' ? [rawAllow] : [id];
  if (sub === 'add') for (const p of allow) {
    const problem = aclPatternProblem(p);
    if (problem !== null) throw new UsageError(`--allow ${JSON.stringify(p)}: ${problem}`);
  }
  const rawIds = resolved.extra['client-id'] as unknown;
  const clientIds = Array.isArray(rawIds) ? rawIds.map(String) : typeof rawIds === 'string' ? [rawIds] : null;
  for (const p of clientIds ?? []) {
    if (!DEVICE_ID_PATTERN.test(p)) throw new UsageError(`--client-id ${JSON.stringify(p)}: letters, digits, . _ : -; max 128`);
  }
  return withStore(dataDir, (store) => {
    if (sub === 'add') {
      const secret = generateSecret();
      store.add(id, 'sha256', sha256Hex(secret), allow, Date.now(), clientIds);
      const ids = (clientIds ?? [id]).map((p) => `${p}, ${p}-*`).join(', ');
      io.stdout.write(`created device ${id} in ${devicesPath(dataDir)} (allow: ${allow.join(' ')}; client ids: ${ids}); its secret is shown once:\n`);
      io.stdout.write(`${secret}\n`);
      return 0;
    }
    if (sub === 'passwd') {
      const secret = generateSecret();
      store.setCredential(id, 'sha256', sha256Hex(secret), Date.now());
      io.stdout.write(`new secret for device ${id}; the previous credential no longer works. It is shown once:\n`);
      io.stdout.write(`${secret}\n`);
      return 0;
    }
    if (sub === 'remove') {
      if (!store.remove(id)) {
        io.stderr.write(`smartmaint devices: no device ${id}\n`);
        return 1;
      }
      io.stdout.write(`removed device ${id}; a running gateway closes its connections\n`);
      return 0;
    }
    const rows = [['ID', 'AUTH', 'ALLOW', 'CLIENT-IDS', 'CREATED', 'UPDATED']];
    for (const d of store.all()) {
      rows.push([d.id, d.scheme === 'sha256' ? 'secret' : 'password', d.allow.join(' '), (d.clientIds ?? [d.id]).join(' '), new Date(d.createdAt).toISOString(), new Date(d.updatedAt).toISOString()]);
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) io.stdout.write(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd() + '\n');
    return 0;
  }, io);
}

function withStore(dataDir: string, fn: (store: DeviceStore) => number, io: CliIo): number {
  const store = DeviceStore.open(dataDir);
  try {
    return fn(store);
  } catch (err) {
    if (err instanceof DeviceExistsError || err instanceof DeviceNotFoundError) {
      io.stderr.write(`smartmaint devices: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    store.close();
  }
}

/** The first line of stdin (without its line ending). A TTY gets a prompt on stderr. */
async function readPassword(io: CliIo): Promise<string> {
  const stdin = (io as CliIo & { stdin?: NodeJS.ReadableStream }).stdin ?? process.stdin;
  if ((stdin as { isTTY?: boolean }).isTTY) io.stderr.write('password: ');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(b);
    size += b.length;
    if (b.includes(0x0a) || size > MAX_PASSWORD + 2) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const nl = text.indexOf('\n');
  return (nl >= 0 ? text.slice(0, nl) : text).replace(/\r$/, '');
}

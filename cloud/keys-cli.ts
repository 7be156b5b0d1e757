/**
 * `smartmaint keys`: API key management against the same storage as the server.
 *   keys create --gateway <id> [--label <text>]   a gateway key (at most two live per gateway: rotation)
 *   keys create --operator [--label <text>]       an operator key (read endpoints)
 *   keys list                                     id, kind, gateway, created, revoked — never secrets
 *   keys revoke <id>                              refused by every instance within auth.cacheTtlMs
 * Storage flags as the server: --data-dir, --database-url, --config. `create` prints the key once,
 * alone on the last line of stdout, so scripts can capture it with `tail -n1`.
 */
import { resolveConfig } from '../shared/config-layers.js';
import type { CliIo } from '../shared/cli-io.js';
import { CommandError, UsageError, oneLine, redactUrl } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { GATEWAY_ID_PATTERN } from '../shared/protocol.js';
import { MAX_LIVE_KEYS_PER_GATEWAY, generateKey } from './auth/keys.js';
import { cloudConfigSchema, storageFlags } from './config/config.js';
import { createStore } from './store/open-store.js';
import { KeyLimitError, type CloudStore } from './store/store.js';

export const usage = `usage: smartmaint keys create --gateway <id> | --operator [--label <text>]
       smartmaint keys list
       smartmaint keys revoke <id>
storage: --data-dir <dir> | --database-url <url> [--config <file>]
`;

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(usage);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') throw new UsageError(`unknown keys subcommand '${sub}'\n${usage}`);
  const extra: Record<string, { type: 'string' | 'boolean' }> =
    sub === 'create' ? { gateway: { type: 'string' }, operator: { type: 'boolean' }, label: { type: 'string' } } : {};
  const resolved = resolveConfig({
    schema: cloudConfigSchema,
    what: 'keys',
    argv: rest,
    env: io.env,
    flags: storageFlags,
    extra,
    allowPositionals: sub === 'revoke',
  });
  // Validate everything before the store is opened: a usage error must not create a database.
  const request = sub === 'create' ? createRequest(resolved.extra) : undefined;
  if (sub === 'revoke' && resolved.positionals.length !== 1) throw new UsageError(`keys revoke takes exactly one key id\n${usage}`);
  const log = createLogger({ level: 'warn', name: 'smartmaint-keys' }, io.stderr as unknown as import('pino').DestinationStream);
  const store = createStore(resolved.config.storage, log);
  await openStore(store, resolved.config.storage);
  try {
    if (request) return await create(store, request, io);
    if (sub === 'list') return await list(store, io);
    return await revoke(store, resolved.positionals[0]!, io);
  } finally {
    await store.close();
  }
}

interface CreateRequest { gateway: string | undefined; operator: boolean; label: string | null }

function createRequest(extra: Record<string, string | boolean | undefined>): CreateRequest {
  const gateway = extra.gateway as string | undefined;
  const operator = extra.operator === true;
  if ((gateway === undefined) === !operator) throw new UsageError(`give exactly one of --gateway <id> or --operator\n${usage}`);
  if (gateway !== undefined && !GATEWAY_ID_PATTERN.test(gateway)) {
    throw new UsageError(`--gateway: '${gateway}' is not a valid gateway id (letters, digits, . _ : -; max 128)`);
  }
  return { gateway, operator, label: (extra.label as string | undefined) ?? null };
}

/** Opens the key store, turning a driver's failure into one line that says where and what to try. */
async function openStore(store: CloudStore, storage: { dataDir: string; databaseUrl?: string | undefined }): Promise<void> {
  try {
    await store.open();
  } catch (err) {
    await store.close().catch(() => undefined);
    const where = storage.databaseUrl ? `PostgreSQL at ${redactUrl(storage.databaseUrl)}` : `SQLite in ${storage.dataDir}`;
    const hint = storage.databaseUrl
      ? 'check --database-url (postgres://user:password@host:port/database) and that the server accepts connections'
      : 'check --data-dir and its permissions';
    throw new CommandError('SMARTMAINT_STORAGE_UNAVAILABLE', `cannot open the key store (${where}): ${oneLine(err)}; ${hint}`, err);
  }
}

async function create(store: CloudStore, request: CreateRequest, io: CliIo): Promise<number> {
  const { gateway, operator, label } = request;
  const { key, record } = generateKey(operator ? 'operator' : 'gateway', gateway ?? null, Date.now(), label);
  try {
    await store.createKey(record, MAX_LIVE_KEYS_PER_GATEWAY);
  } catch (err) {
    if (err instanceof KeyLimitError) {
      io.stderr.write(`smartmaint keys: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  io.stdout.write(
    `created ${record.kind} key ${record.id}${record.gatewayId ? ` for gateway ${record.gatewayId}` : ''}; ` +
      'it is shown once and cannot be recovered:\n',
  );
  io.stdout.write(`${key}\n`);
  return 0;
}

async function list(store: CloudStore, io: CliIo): Promise<number> {
  const keys = await store.listKeys();
  const rows = [['ID', 'KIND', 'GATEWAY', 'CREATED', 'REVOKED', 'LABEL']];
  for (const k of keys) {
    rows.push([
      k.id,
      k.kind,
      k.gatewayId ?? '-',
      new Date(k.createdAt).toISOString(),
      k.revokedAt === null ? '-' : new Date(k.revokedAt).toISOString(),
      k.label ?? '',
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) io.stdout.write(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd() + '\n');
  return 0;
}

async function revoke(store: CloudStore, id: string, io: CliIo): Promise<number> {
  if (await store.revokeKey(id, Date.now())) {
    io.stdout.write(`revoked key ${id}\n`);
    return 0;
  }
  const existing = await store.findKey(id);
  io.stderr.write(existing ? `smartmaint keys: key ${id} was already revoked\n` : `smartmaint keys: no key ${id}\n`);
  return 1;
}


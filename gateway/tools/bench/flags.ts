/**
 * Command-line flags of `smartmaint bench mqtt`, parsed the way Go's `flag` package parses them so that
 * an mqtt-benchmark (github.com/krylovsk/mqtt-benchmark) command line works unchanged: `-flag value`,
 * `-flag=value`, `--flag value`, `--flag=value`; boolean flags take no value (`-quiet`) or `-quiet=false`.
 * Parsing stops at `--`; positional arguments are not accepted. Values are validated once with zod and
 * the options are frozen.
 */
import { z } from 'zod';
import { UsageError } from '../../../shared/errors.js';

interface FlagDef {
  name: string;
  kind: 'string' | 'int' | 'float' | 'bool';
  defaultText: string;
  description: string;
}

/** mqtt-benchmark's flags (same names and defaults, except -message-interval), then ours. */
export const BENCH_FLAGS: readonly FlagDef[] = [
  { name: 'broker', kind: 'string', defaultText: 'tcp://localhost:1883', description: 'MQTT broker endpoint as scheme://host:port (tcp or mqtt)' },
  { name: 'topic', kind: 'string', defaultText: '/test', description: 'MQTT topic for outgoing messages; {client} and {i} expand per client/message' },
  { name: 'payload', kind: 'string', defaultText: '', description: 'MQTT message payload; {client} and {i} expand. If empty, -size zero bytes are sent' },
  { name: 'username', kind: 'string', defaultText: '', description: 'MQTT client username (empty if auth disabled)' },
  { name: 'password', kind: 'string', defaultText: '', description: 'MQTT client password (empty if auth disabled)' },
  { name: 'qos', kind: 'int', defaultText: '1', description: 'QoS for published messages (0 or 1)' },
  { name: 'wait', kind: 'int', defaultText: '60000', description: 'ms to wait for PUBACKs / write completion before a client gives up on what is outstanding' },
  { name: 'size', kind: 'int', defaultText: '100', description: 'Size of the messages payload (bytes)' },
  { name: 'count', kind: 'int', defaultText: '100', description: 'Number of messages to send per client' },
  { name: 'clients', kind: 'int', defaultText: '10', description: 'Number of clients to start' },
  { name: 'format', kind: 'string', defaultText: 'text', description: 'Output format: text|json' },
  { name: 'quiet', kind: 'bool', defaultText: 'false', description: 'Suppress logs while running' },
  { name: 'client-prefix', kind: 'string', defaultText: 'mqtt-benchmark', description: "MQTT client id prefix (suffixed with '-<client-num>')" },
  { name: 'ramp-up-time', kind: 'int', defaultText: '0', description: 'Time in seconds over which the clients are started' },
  { name: 'message-interval', kind: 'float', defaultText: '0', description: 'Seconds between two messages of one client (0 = as fast as possible; fractions allowed)' },
  { name: 'inflight', kind: 'int', defaultText: '1', description: 'Unacknowledged QoS 1 messages allowed per client (1 = mqtt-benchmark behaviour)' },
];

/** mqtt-benchmark TLS flags: recognised so the error says why, not just "unknown". */
const UNSUPPORTED_FLAGS = new Set(['client-cert', 'client-key', 'broker-ca-cert', 'insecure']);

const BenchOptionsSchema = z.object({
  broker: z.string().transform((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: `not a URL: ${text}` });
      return z.NEVER;
    }
    if (url.protocol !== 'tcp:' && url.protocol !== 'mqtt:') {
      ctx.addIssue({ code: 'custom', message: `scheme ${url.protocol} is not supported (use tcp://host:port)` });
      return z.NEVER;
    }
    const port = url.port === '' ? 1883 : Number(url.port);
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
  }),
  topic: z.string().min(1),
  payload: z.string(),
  username: z.string(),
  password: z.string(),
  qos: z.union([z.literal(0), z.literal(1)], { error: 'must be 0 or 1 (QoS 2 is not supported)' }),
  wait: z.number().int().positive(),
  size: z.number().int().nonnegative().max(256 * 1024 * 1024),
  count: z.number().int().positive(),
  clients: z.number().int().positive().max(10_000),
  format: z.enum(['text', 'json']),
  quiet: z.boolean(),
  'client-prefix': z.string(),
  'ramp-up-time': z.number().int().nonnegative(),
  'message-interval': z.number().nonnegative(),
  // Packet identifiers are 16 bits (MQTT-2.3.1): no more than 65535 can be outstanding on one connection.
  inflight: z.number().int().positive().max(65_535),
});

export interface BenchOptions {
  readonly broker: { readonly host: string; readonly port: number };
  readonly topic: string;
  readonly payload: string;
  readonly username: string;
  readonly password: string;
  readonly qos: 0 | 1;
  readonly waitMs: number;
  readonly size: number;
  readonly count: number;
  readonly clients: number;
  readonly format: 'text' | 'json';
  readonly quiet: boolean;
  readonly clientPrefix: string;
  readonly rampUpSeconds: number;
  readonly messageIntervalSeconds: number;
  readonly inflight: number;
}

export type ParsedBenchArgs = { help: true } | { help: false; options: BenchOptions };

function toValue(def: FlagDef, raw: string): unknown {
  switch (def.kind) {
    case 'string':
      return raw;
    case 'bool':
      if (/^(1|t|true)$/i.test(raw)) return true;
      if (/^(0|f|false)$/i.test(raw)) return false;
      throw new UsageError(`invalid boolean value "${raw}" for flag -${def.name}`);
    case 'int': {
      if (!/^[-+]?\d+$/.test(raw.trim())) throw new UsageError(`invalid value "${raw}" for flag -${def.name}: not an integer`);
      return Number(raw);
    }
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`invalid value "${raw}" for flag -${def.name}: not a number`);
      return n;
    }
  }
}

/** Parses Go-style flags; throws UsageError (exit 2) on anything it cannot use. */
export function parseBenchArgs(argv: readonly string[]): ParsedBenchArgs {
  const byName = new Map(BENCH_FLAGS.map((f) => [f.name, f]));
  const raw: Record<string, unknown> = {};
  for (const def of BENCH_FLAGS) raw[def.name] = def.kind === 'string' ? def.defaultText : toValue(def, def.defaultText);

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      if (i + 1 < argv.length) throw new UsageError(`unexpected argument "${argv[i + 1]}"`);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') throw new UsageError(`unexpected argument "${arg}" (flags are -name value)`);
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    if (name === 'h' || name === 'help') return { help: true };
    if (UNSUPPORTED_FLAGS.has(name)) throw new UsageError(`flag -${name} (TLS) is not supported by this load tool`);
    const def = byName.get(name);
    if (!def) throw new UsageError(`flag provided but not defined: -${name}`);
    let value: string;
    if (eq !== -1) value = body.slice(eq + 1);
    else if (def.kind === 'bool') value = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`flag needs an argument: -${name}`);
      value = next;
      i++;
    }
    raw[name] = toValue(def, value);
  }

  const parsed = BenchOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `-${issue.path.join('.')}: ${issue.message}`);
    throw new UsageError(`invalid flags:\n  ${issues.join('\n  ')}`);
  }
  const o = parsed.data;
  const options: BenchOptions = Object.freeze({
    broker: Object.freeze(o.broker),
    topic: o.topic,
    payload: o.payload,
    username: o.username,
    password: o.password,
    qos: o.qos,
    waitMs: o.wait,
    size: o.size,
    count: o.count,
    clients: o.clients,
    format: o.format,
    quiet: o.quiet,
    clientPrefix: o['client-prefix'],
    rampUpSeconds: o['ramp-up-time'],
    messageIntervalSeconds: o['message-interval'],
    inflight: o.inflight,
  });
  return { help: false, options };
}

export function benchUsage(): string {
  const lines = BENCH_FLAGS.map((f) => {
    const type = f.kind === 'bool' ? '' : ` ${f.kind === 'string' ? 'string' : f.kind}`;
    const def = f.defaultText === '' ? '' : ` (default ${f.kind === 'string' ? JSON.stringify(f.defaultText) : f.defaultText})`;
    return `  -${f.name}${type}\n    \t${f.description}${def}`;
  });
  return `usage: smartmaint bench mqtt [flags]   (mqtt-benchmark compatible; -flag, --flag, -flag=value)\n${lines.join('\n')}\n`;
}

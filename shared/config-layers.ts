/**
 * Configuration is layered once at start-up: documented defaults (in the zod schema) < config file
 * < SMARTMAINT_* environment < command-line flags. The merged object is validated in one pass so that
 * every bad field is reported with its path before anything opens a port or a file.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { ConfigError, UsageError } from './errors.js';
import { stripJsonComments } from './jsonc.js';

export interface FlagSpec {
  /** Long flag name without dashes, e.g. `mqtt-port`. */
  flag: string;
  /** Dotted path in the config object, e.g. `mqtt.port`. */
  path: string;
  type: 'string' | 'number' | 'boolean';
  /** Environment variable; defaults to SMARTMAINT_<FLAG_IN_UPPER_SNAKE>. Set to null for no env. */
  env?: string | null;
  description: string;
}

export interface ResolvedArgs<T> {
  config: T;
  positionals: string[];
  configFile: string | undefined;
}

export function envNameFor(spec: FlagSpec): string | null {
  if (spec.env === null) return null;
  return spec.env ?? `SMARTMAINT_${spec.flag.replace(/-/g, '_').toUpperCase()}`;
}

export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i]!;
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

function coerce(spec: FlagSpec, raw: string | boolean): unknown {
  if (spec.type === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    return raw; // left as a string so the schema reports it with its path
  }
  if (spec.type === 'number') {
    const text = String(raw).trim();
    const n = Number(text);
    return text !== '' && Number.isFinite(n) ? n : raw;
  }
  return raw;
}

export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`, [`config: cannot read ${file}`]);
  }
  try {
    const parsed: unknown = JSON.parse(stripJsonComments(text));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('top level must be a JSON object');
    }
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`, [
      `config: ${(err as Error).message}`,
    ]);
  }
}

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
}

/** Validate and deep-freeze, or throw a ConfigError listing every bad field with its path. */
export function validateConfig<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = formatIssues(result.error);
    throw new ConfigError(`invalid ${what} configuration:\n  ${issues.join('\n  ')}`, issues);
  }
  return deepFreeze(result.data);
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

export interface ResolveOptions<S extends z.ZodType> {
  schema: S;
  what: string;
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  flags: readonly FlagSpec[];
  /** Flags that are not config (e.g. --api-key-file handled by the caller), passed through raw. */
  extra?: Record<string, { type: 'string' | 'boolean' }>;
  allowPositionals?: boolean;
}

export function resolveConfig<S extends z.ZodType>(
  options: ResolveOptions<S>,
): ResolvedArgs<z.output<S>> & { extra: Record<string, string | boolean | undefined> } {
  const parseOptions: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' } };
  for (const spec of options.flags) parseOptions[spec.flag] = { type: spec.type === 'boolean' ? 'boolean' : 'string' };
  Object.assign(parseOptions, options.extra ?? {});
  // Node 20's parseArgs has no negated booleans: `--no-<flag>` of a boolean flag is taken out here.
  const booleans = new Set(options.flags.filter((f) => f.type === 'boolean').map((f) => f.flag));
  const negated = new Map<string, number>();
  const args: string[] = [];
  for (const arg of options.argv) {
    const name = arg.startsWith('--no-') ? arg.slice(5) : '';
    if (booleans.has(name) && !args.includes('--')) negated.set(name, args.length);
    else args.push(arg);
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      tokens: true,
      options: parseOptions,
      strict: true,
      allowPositionals: options.allowPositionals ?? false,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  for (const [name, at] of negated) {
    // The later of --flag and --no-flag wins.
    const positive = (parsed.tokens ?? []).some((tk) => tk.kind === 'option' && tk.name === name && tk.index >= at);
    if (!positive) values[name] = false;
  }
  const configFile = (values.config as string | undefined) ?? options.env.SMARTMAINT_CONFIG;
  const raw: Record<string, unknown> = configFile ? readConfigFile(configFile) : {};
  for (const spec of options.flags) {
    const envName = envNameFor(spec);
    const envValue = envName ? options.env[envName] : undefined;
    if (envValue !== undefined && envValue !== '') setPath(raw, spec.path, coerce(spec, envValue));
  }
  for (const spec of options.flags) {
    const v = values[spec.flag];
    if (v !== undefined) setPath(raw, spec.path, coerce(spec, v));
  }
  const extra: Record<string, string | boolean | undefined> = {};
  for (const name of Object.keys(options.extra ?? {})) extra[name] = values[name];
  return {
    config: validateConfig(options.schema, raw, options.what),
    positionals: parsed.positionals,
    configFile,
    extra,
  };
}

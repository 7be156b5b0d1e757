/**
 * Generates the configuration reference (docs/configuration.md) and the commented example configs
 * (deploy/*.example.json) from the zod schemas, and embeds the metrics, error and command tables
 * (deploy/docs/reference-docs.ts) in the README, so documentation cannot drift from the code.
 * `npm run docs:config` writes them; a test fails when they are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { envNameFor, type FlagSpec } from '../../shared/config-layers.js';
import { projectRoot } from '../../shared/version.js';
import { layoutReference, moduleMap } from './layout-docs.js';
import { cliReference, errorsReference, metricsReference, mlBodiesReference } from './reference-docs.js';

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  default?: unknown;
  description?: string;
  enum?: unknown[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  format?: string;
  required?: string[];
}

interface Row {
  path: string; type: string; default: unknown; description: string; flag?: string; env?: string;
  /** A section that is off unless configured. */
  unsetIsOff?: boolean;
  /** A field of such a section: its default applies only once the section is set. */
  inOptional?: boolean;
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  const t = Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
  if (t === 'array' && s.items) return `${typeOf(s.items)}[]`;
  const big = (n: number | undefined) => n === undefined || Math.abs(n) >= Number.MAX_SAFE_INTEGER;
  const range = !big(s.minimum) || !big(s.maximum) ? ` (${big(s.minimum) ? '' : s.minimum}..${big(s.maximum) ? '' : s.maximum})` : '';
  return `${t}${s.format ? ` (${s.format})` : ''}${t.startsWith('integer') || t.startsWith('number') ? range : ''}`;
}

function rows(schema: JsonSchema, prefix: string, flags: readonly FlagSpec[], out: Row[], inOptional = false): Row[] {
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (prop.type === 'object' && prop.properties) {
      // A section without a default (e.g. mqtt.tls) is off until configured: say so, and qualify its fields' defaults.
      const optional = prop.default === undefined && !(schema.required ?? []).includes(key);
      if (optional) {
        const text = prop.description ?? '';
        out.push({ path, type: 'object', default: undefined, description: /\bunset\b/i.test(text) ? text : `${text} Unset (the default): off.`.trim(), unsetIsOff: true });
      }
      rows(prop, path, flags, out, inOptional || optional);
      continue;
    }
    const flag = flags.find((f) => f.path === path);
    const row: Row = { path, type: typeOf(prop), default: prop.default, description: prop.description ?? '', inOptional };
    if (flag) {
      row.flag = `--${flag.flag}`;
      const env = envNameFor(flag);
      if (env) row.env = env;
    }
    out.push(row);
  }
  return out;
}

export function configReference(title: string, schema: z.ZodType, flags: readonly FlagSpec[], dynamicDefaults: Record<string, string> = {}): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const lines = [`### ${title}`, '', '| option | type | default | flag / env | meaning |', '| --- | --- | --- | --- | --- |'];
  for (const r of rows(json, '', flags, [])) {
    const given = r.default === undefined ? (r.unsetIsOff ? 'unset (off)' : '—') : `\`${JSON.stringify(r.default)}\``;
    const dflt = dynamicDefaults[r.path] ?? (r.inOptional && r.default !== undefined ? `${given} once the section is set` : given);
    const flag = [r.flag ? `\`${r.flag}\`` : '', r.env ? `\`${r.env}\`` : ''].filter(Boolean).join('<br>') || '—';
    lines.push(`| \`${r.path}\` | ${r.type} | ${dflt} | ${flag} | ${r.description.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n');
}

/** A JSON-with-comments example holding every option at its default, each with its description above it. */
export function exampleConfig(schema: z.ZodType, overrides: Record<string, unknown> = {}): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const render = (s: JsonSchema, indent: string, path: string): string => {
    // Each entry is either a real JSON member or commented out; commas go between real members only.
    const parts = Object.entries(s.properties ?? {}).map(([key, prop]) => {
      const p = path ? `${path}.${key}` : key;
      const comment = prop.description ? `${indent}  // ${prop.description}\n` : '';
      if (prop.type === 'object' && prop.properties) {
        const block = `"${key}": ${render(prop, `${indent}  `, p)}`;
        // An optional section without defaults (e.g. TLS) is shown commented out: enabling it needs its fields.
        if (prop.default === undefined && !(s.required ?? []).includes(key)) {
          const lines = block.split('\n').map((l, i) => `${indent}  // ${i === 0 ? l : l.slice(indent.length + 2)}`);
          return { real: false, comment, text: lines.join('\n') };
        }
        return { real: true, comment, text: `${indent}  ${block}` };
      }
      const value = p in overrides ? overrides[p] : prop.default;
      if (value === undefined) return { real: false, comment, text: `${indent}  // "${key}": (unset)` };
      return { real: true, comment, text: `${indent}  "${key}": ${JSON.stringify(value)}` };
    });
    const lastReal = parts.map((x) => x.real).lastIndexOf(true);
    const body = parts.map((x, i) => `${x.comment}${x.text}${x.real && i < lastReal ? ',' : ''}`).join('\n');
    return `{\n${body}\n${indent}}`;
  };
  return `${render(json, '', '')}\n`;
}

/** Replaces what stands between `<!-- name:start -->` and `<!-- name:end -->` (left as is without the markers). */
export function embed(text: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return text;
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
}

export async function generate(): Promise<Record<string, string>> {
  const { gatewayConfigSchema, gatewayFlags } = await import('../../gateway/config/config.js');
  const { cloudConfigSchema, cloudFlags } = await import('../../cloud/config/config.js');
  const doc = [
    '# Configuration reference',
    '',
    'Generated from the zod schemas by `npm run docs:config`; a test fails when this file is stale.',
    'Layering: defaults < config file (`--config <file>` or `SMARTMAINT_CONFIG`; JSON, `//` comments allowed) <',
    '`SMARTMAINT_*` environment < command-line flags. Every bad field is reported with its path and the process exits 2.',
    'Secrets never come from flags: the gateway key from `--api-key-file` or `SMARTMAINT_API_KEY`.',
    '',
    configReference('Gateway (`smartmaint gateway`)', gatewayConfigSchema, gatewayFlags,
      { gatewayId: 'the host name', 'scoring.modelsDir': 'the `models/` folder of the installation' }),
    '',
    configReference('Cloud (`smartmaint cloud`)', cloudConfigSchema, cloudFlags),
    '',
  ].join('\n');
  const cli = await cliReference();
  let readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  readme = embed(readme, 'config-reference', doc.split('\n').slice(2).join('\n').replace(/^### /gm, '#### '));
  readme = embed(readme, 'metrics-reference', await metricsReference());
  readme = embed(readme, 'error-reference', errorsReference());
  readme = embed(readme, 'cli-reference', cli.table);
  readme = embed(readme, 'layout', layoutReference());
  return {
    'README.md': readme,
    'docs/configuration.md': doc,
    'docs/cli.md': `${cli.page.trimEnd()}\n`,
    'docs/modules.md': moduleMap(),
    'docs/origin-api.md': embed(readFileSync(join(projectRoot, 'docs/origin-api.md'), 'utf8'), 'ml-bodies', await mlBodiesReference()),
    // Defaults that depend on the machine or the checkout are left unset (commented out) in the example.
    'deploy/gateway.example.json': exampleConfig(gatewayConfigSchema,
      { gatewayId: 'site-1-gw-1', dataDir: '/var/lib/smartmaint-gateway', 'scoring.modelsDir': undefined }),
    'deploy/cloud.example.json': exampleConfig(cloudConfigSchema),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [file, text] of Object.entries(await generate())) {
    writeFileSync(join(projectRoot, file), text);
    console.log(`wrote ${file}`);
  }
}

/**
 * Reference tables generated from the code, so the docs cannot drift: the Prometheus metrics from the registries
 * the programs build, the error codes from shared/errors.ts, and the command line from the commands' own usage
 * text. deploy/docs/config-docs.ts writes them into the README (and docs/cli.md); a test fails when they are stale.
 */
import type { Registry } from 'prom-client';
import type { ZodType } from 'zod';
import { ERROR_CODES } from '../../shared/errors.js';

interface MetricShape { name: string; help: string; type: string; labelNames?: readonly string[] }

function metricsTable(registry: Registry): string {
  const lines = ['| metric | type | meaning |', '| --- | --- | --- |'];
  const metrics = (registry.getMetricsAsArray() as unknown as MetricShape[]).slice().sort((a, b) => a.name.localeCompare(b.name));
  for (const m of metrics) {
    const labels = m.labelNames?.length ? `{${m.labelNames.join(',')}}` : '';
    lines.push(`| \`${m.name}${labels}\` | ${m.type} | ${m.help.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n');
}

/** Every metric of the gateway's and the cloud's /metrics, besides Node's process metrics. */
export async function metricsReference(): Promise<string> {
  const { GatewayMetrics } = await import('../../gateway/metrics/metrics.js');
  const { ScoringMetrics } = await import('../../gateway/scoring/scoring-metrics.js');
  const { DeviceMetrics } = await import('../../gateway/devices/device-metrics.js');
  const { OriginApiStats } = await import('../../gateway/http/origin/origin-metrics.js');
  const { RateMeter } = await import('../../gateway/ingest/rate-meter.js');
  const { CloudMetrics } = await import('../../cloud/metrics/metrics.js');
  const gateway = new GatewayMetrics({ defaultMetrics: false });
  new ScoringMetrics(gateway.registry);
  new DeviceMetrics(gateway.registry);
  new OriginApiStats(gateway.registry, Date.now, new RateMeter(Date.now));
  const cloud = new CloudMetrics({ processMetrics: false });
  return [
    'Gateway (`GET /metrics`), besides Node\'s process metrics:',
    '',
    metricsTable(gateway.registry),
    '',
    'Cloud (`GET /metrics`):',
    '',
    metricsTable(cloud.registry),
  ].join('\n');
}

export function errorsReference(): string {
  const lines = ['| code | HTTP | where | meaning |', '| --- | --- | --- | --- |'];
  for (const [code, doc] of Object.entries(ERROR_CODES)) {
    lines.push(`| \`${code}\` | ${doc.status ?? '—'} | ${doc.where} | ${doc.meaning.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n');
}

/** The README's command table (name and purpose) and docs/cli.md (every command's full usage). */
export async function cliReference(): Promise<{ table: string; page: string }> {
  const { commands } = await import('../cli/smartmaint.js');
  const table = ['| command | what |', '| --- | --- |'];
  const page = [
    '# Command line reference',
    '',
    'Generated from the commands\' own usage text (what `smartmaint <command> --help` prints) by `npm run docs:config`;',
    'a test fails when this file is stale. `--help` / `-h` on any command or subcommand prints its usage and exits 0;',
    'usage errors and bad configuration exit 2 before anything is opened; other failures print one line and exit 1.',
    '',
  ];
  for (const [name, command] of Object.entries(commands)) {
    const { usage } = await command.load();
    const anchor = `smartmaint-${name}`;
    table.push(`| [\`${name}\`](docs/cli.md#${anchor}) | ${command.describe.replace(/\|/g, '\\|')} |`);
    page.push(`## smartmaint ${name}`, '', command.describe, '', '```text', usage.trimEnd(), '```', '');
  }
  return { table: table.join('\n'), page: page.join('\n') };
}

interface FieldSchema { type?: string; description?: string; default?: unknown; anyOf?: FieldSchema[]; items?: FieldSchema; additionalProperties?: FieldSchema; minimum?: number; maximum?: number }

function typeText(f: FieldSchema): string {
  if (f.anyOf) return f.anyOf.map(typeText).join(' \\| ');
  if (f.type === 'array' && f.items) return f.items.anyOf ? `(${typeText(f.items)})[]` : `${typeText(f.items)}[]`;
  if (f.type === 'object' && f.additionalProperties) return `{ string: ${typeText(f.additionalProperties)} }`;
  return f.type ?? 'any';
}

/** The ML endpoints' request bodies, from the zod schemas the routes validate with. */
export async function mlBodiesReference(): Promise<string> {
  const { z } = await import('zod');
  const { predictBody, fixedModelBody, detectBody, driftBody } = await import('../../gateway/http/origin/origin-ml.js');
  const bodies: Array<[string, ZodType]> = [
    ['POST /api/v1/ml/predict', predictBody],
    ['POST /api/v1/ml/predict/anomaly, /api/v1/ml/predict/failure', fixedModelBody],
    ['POST /api/v1/ml/detect_anomaly', detectBody],
    ['POST /api/v1/ml/check_drift', driftBody],
  ];
  const out: string[] = [];
  for (const [endpoint, schema] of bodies) {
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, FieldSchema>; required?: string[] };
    out.push(`\`${endpoint}\` body (JSON):`, '', '| field | type | required | default | meaning |', '| --- | --- | --- | --- | --- |');
    for (const [field, f] of Object.entries(json.properties)) {
      const required = (json.required ?? []).includes(field) && f.default === undefined ? 'yes' : 'no';
      const dflt = f.default === undefined ? '—' : `\`${JSON.stringify(f.default)}\``;
      out.push(`| \`${field}\` | ${typeText(f)} | ${required} | ${dflt} | ${(f.description ?? '').replace(/\|/g, '\\|')} |`);
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

/**
 * `smartmaint models list [--models-dir DIR] [--json]` and
 * `smartmaint models check <dir> [--input <file.json>]`: inspect model folders with the gateway's own loader.
 * check --input takes a JSON array of feature vectors (arrays in feature order, or objects keyed by feature
 * name) and prints, as JSON, what the model outputs for each, through the code path the gateway scores with.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import type { CliIo } from '../../shared/cli-io.js';
import { UsageError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { ScoringEngine } from './engine.js';
import { loadModel } from './model-loader.js';
import { ModelInvalidError } from './model-errors.js';

export const usage = `usage: smartmaint models list [--models-dir DIR] [--json]
       smartmaint models check <model-version-dir> [--input <file.json>]
`;

/** The models folder shipped with the package (models/ beside gateway/, also from dist/). */
export function bundledModelsDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/') ? join(here, '..', '..', '..', 'models') : join(here, '..', '..', 'models');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(usage);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'list') return list(rest, io);
  if (sub === 'check') return check(rest, io);
  throw new UsageError(`unknown models subcommand '${sub}'\n${usage}`);
}

function usageErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${usage}`);
  }
}

async function list(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = usageErrors(() => parseArgs({ args: argv, allowPositionals: true, strict: true,
    options: { 'models-dir': { type: 'string' }, json: { type: 'boolean' } } }));
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}\n${usage}`);
  const modelsDir = resolve(String(values['models-dir'] ?? io.env.SMARTMAINT_MODELS_DIR ?? bundledModelsDir()));
  const engine = new ScoringEngine({
    modelsDir, log: createLogger({ level: 'silent', name: 'models' }), clock: Date.now,
    config: { watch: false, pollIntervalMs: 0 },
  });
  await engine.start();
  try {
    const models = engine.list();
    if (values.json) {
      io.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
    } else if (models.length === 0) {
      io.stdout.write(`no models in ${modelsDir}\n`);
    } else {
      io.stdout.write(`${'MODEL'.padEnd(20)} ${'VERSION'.padEnd(10)} ${'STATUS'.padEnd(8)} ${'ASSETS'.padEnd(16)} OUTPUTS\n`);
      for (const m of models) {
        io.stdout.write(`${m.name.padEnd(20)} ${m.version.padEnd(10)} ${m.status.padEnd(8)} ${m.assets.join(',').padEnd(16)} `
          + `${m.outputs.join(',')}${m.error ? `\n    ${m.error}` : ''}\n`);
      }
    }
    return models.some((m) => m.status === 'failed') ? 1 : 0;
  } finally {
    await engine.stop();
  }
}

async function check(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = usageErrors(() => parseArgs({ args: argv, allowPositionals: true, strict: true,
    options: { input: { type: 'string' } } }));
  const [dir, ...more] = positionals;
  if (dir === undefined || more.length > 0) throw new UsageError(`check takes one model version folder\n${usage}`);
  let model;
  try {
    model = await loadModel(resolve(dir));
  } catch (err) {
    if (err instanceof ModelInvalidError) {
      io.stderr.write(`${err.message}\n`);
      io.stdout.write(`${JSON.stringify({ ok: false, code: err.code, problems: err.problems }, null, 2)}\n`);
      return 1;
    }
    throw err;
  }
  try {
    const names = model.featureNames;
    if (values.input === undefined) {
      io.stdout.write(`${JSON.stringify({ ok: true, name: model.manifest.name, version: model.manifest.version,
        mode: model.manifest.mode, features: names, outputs: model.outputNames }, null, 2)}\n`);
      return 0;
    }
    let vectors: unknown;
    try {
      vectors = JSON.parse(await readFile(String(values.input), 'utf8'));
    } catch (err) {
      throw new UsageError(`cannot read --input ${String(values.input)}: ${(err as Error).message}`);
    }
    if (!Array.isArray(vectors)) throw new UsageError('--input must hold a JSON array of feature vectors');
    const rows = vectors.map((v, i) => toRow(v, i, names));
    const outputs = await model.runRows(rows);
    io.stdout.write(`${JSON.stringify(outputs.map((o) => ({ outputs: o })), null, 2)}\n`);
    return 0;
  } finally {
    await model.release();
  }
}

function toRow(v: unknown, i: number, names: readonly string[]): Float64Array {
  const bad = (why: string) => new UsageError(`--input vector ${i}: ${why}`);
  let values: unknown[];
  if (Array.isArray(v)) {
    if (v.length !== names.length) throw bad(`${v.length} values, the model takes ${names.length} (${names.join(', ')})`);
    values = v;
  } else if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const missing = names.filter((n) => !Object.hasOwn(o, n));
    const extra = Object.keys(o).filter((k) => !names.includes(k));
    if (missing.length || extra.length) {
      throw bad(`${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && extra.length ? '; ' : ''}`
        + `${extra.length ? `unknown ${extra.join(', ')}` : ''}`);
    }
    values = names.map((n) => o[n]);
  } else throw bad('must be an array of numbers or an object of feature name → number');
  const row = new Float64Array(values.length);
  values.forEach((x, j) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw bad(`${names[j]} is not a finite number`);
    row[j] = x;
  });
  return row;
}

/** Loaders for the datasets copied into models/data (see models/data/README.md for sources and licences). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../version.js';

/** models/data, under the project root (the same from sources under tsx and from dist/). */
export function defaultDataDir(): string {
  return join(projectRoot, 'models', 'data');
}

/** The 21 C-MAPSS sensors are s1…s21; FD001's three operational settings are setting1…setting3. */
export const CMAPSS_COLUMNS = ['unit', 'cycle', 'setting1', 'setting2', 'setting3',
  ...Array.from({ length: 21 }, (_, i) => `s${i + 1}`)] as const;

export interface Engine {
  unit: number;
  /** One record per cycle, keyed by column name (cycle, setting1…3, s1…s21). */
  rows: Array<Record<string, number>>;
}

export function parseCmapss(text: string): Engine[] {
  const engines = new Map<number, Engine>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < CMAPSS_COLUMNS.length) continue;
    const row: Record<string, number> = {};
    CMAPSS_COLUMNS.forEach((c, i) => { row[c] = Number(parts[i]); });
    const unit = row.unit!;
    let e = engines.get(unit);
    if (!e) engines.set(unit, (e = { unit, rows: [] }));
    e.rows.push(row);
  }
  return [...engines.values()].sort((a, b) => a.unit - b.unit);
}

export interface Fd001 {
  train: Engine[];
  test: Engine[];
  /** True remaining cycles after the last test row, per test engine in unit order. */
  testRul: number[];
}

export function loadFd001(dataDir = defaultDataDir()): Fd001 {
  const dir = join(dataDir, 'cmapss');
  return {
    train: parseCmapss(readFileSync(join(dir, 'train_FD001.txt'), 'utf8')),
    test: parseCmapss(readFileSync(join(dir, 'test_FD001.txt'), 'utf8')),
    testRul: readFileSync(join(dir, 'RUL_FD001.txt'), 'utf8').split('\n').filter((l) => l.trim() !== '').map(Number),
  };
}

export interface Ai4iRow {
  udi: number;
  productId: string;
  type: 'L' | 'M' | 'H';
  airTempK: number;
  processTempK: number;
  rpm: number;
  torqueNm: number;
  toolWearMin: number;
  failure: 0 | 1;
}

export function loadAi4i(dataDir = defaultDataDir()): Ai4iRow[] {
  // the file starts with a UTF-8 BOM
  const text = readFileSync(join(dataDir, 'ai4i2020', 'ai4i2020.csv'), 'utf8').replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines.slice(1).map((line) => {
    const c = line.split(',');
    const type = c[2] as Ai4iRow['type'];
    return {
      udi: Number(c[0]), productId: c[1]!, type, airTempK: Number(c[3]), processTempK: Number(c[4]),
      rpm: Number(c[5]), torqueNm: Number(c[6]), toolWearMin: Number(c[7]), failure: c[8] === '1' ? 1 : 0,
    };
  });
}

/** Product quality variant as a number, the way the replay publishes it: L = 0, M = 1, H = 2. */
export const PRODUCT_QUALITY = { L: 0, M: 1, H: 2 } as const;

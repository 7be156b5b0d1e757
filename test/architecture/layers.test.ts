/**
 * The import graph of the sources points one way. Two rules, checked on every relative import (static, dynamic
 * and re-exports) of every module in the program folders:
 * - no cycle between files;
 * - between folders, imports only point down: for an import from A to B, take their deepest common folder C and
 *   the entries of C each one lies in (a subfolder, or "." for C's own files); B's entry must sit in a lower
 *   layer of C than A's. Peers in one layer do not import each other. `LAYERS` (deploy/docs/program-map.ts) is
 *   the map a newcomer reads: every folder with subfolders is listed, lowest layer first.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import t from 'tap';
import ts from 'typescript';
import { sourceFolders } from '../../deploy/docs/layout-docs.js';
import { FOLDERS, LAYERS } from '../../deploy/docs/program-map.js';
import { projectRoot } from '../../shared/version.js';

const PROGRAM_FOLDERS = ['shared', 'cloud', 'gateway', 'models', 'deploy'];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Relative module specifiers of a file, resolved to project-relative .ts paths. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(projectRoot, file), 'utf8'), true, true);
  const out: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith('.')) continue;
    const target = normalize(join(dirname(file), fileName)).replace(/\.js$/, '.ts');
    if (existsSync(join(projectRoot, target))) out.push(target);
  }
  return out;
}

export function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const folder of PROGRAM_FOLDERS) {
    for (const abs of sources(join(projectRoot, folder))) {
      const file = relative(projectRoot, abs);
      graph.set(file, importsOf(file));
    }
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

/** Why an import from `from` to `to` runs upward or sideways, or null when it points down. */
export function layerProblem(from: string, to: string, layers = LAYERS): string | null {
  const a = dirname(from).split(sep);
  const b = dirname(to).split(sep);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (i === a.length && i === b.length) return null;
  const common = i === 0 ? '.' : a.slice(0, i).join('/');
  const entryA = a[i] ?? '.';
  const entryB = b[i] ?? '.';
  const table = layers[common];
  if (!table) return `${common}/ has subfolders but no entry in LAYERS`;
  const rank = (entry: string): number => table.findIndex((layer) => layer.includes(entry));
  const ra = rank(entryA);
  const rb = rank(entryB);
  if (ra < 0 || rb < 0) return `${common}/${ra < 0 ? entryA : entryB} is missing from LAYERS['${common}']`;
  if (rb < ra) return null;
  return rb === ra
    ? `${entryA} and ${entryB} are peers in ${common}/ and do not import each other`
    : `${common}/${entryB} sits above ${common}/${entryA === '.' ? '(its own files)' : entryA}`;
}

t.test('no import cycle between source files', async (t) => {
  const graph = importGraph();
  t.ok(graph.size > 150, 'the sources were found');
  t.same(cycles(graph), [], 'files that import each other, directly or round a loop');
});

t.test('imports between folders point down', async (t) => {
  const problems: string[] = [];
  for (const [from, targets] of importGraph()) {
    for (const to of targets) {
      const problem = layerProblem(from, to);
      if (problem) problems.push(`${from} → ${to}: ${problem}`);
    }
  }
  t.same(problems, [], 'upward or sideways imports');
});

t.test('the rule itself', async (t) => {
  t.equal(layerProblem('gateway/sync/engine.ts', 'gateway/outbox/outbox.ts'), null, 'down to a lower sibling');
  t.equal(layerProblem('gateway/gateway.ts', 'gateway/sync/engine.ts'), null, 'a composition root down to its parts');
  t.equal(layerProblem('gateway/outbox/a.ts', 'gateway/outbox/b.ts'), null, 'within one folder');
  t.match(layerProblem('gateway/outbox/budget.ts', 'gateway/ingest/pipeline.ts'), /sits above/, 'up to a higher sibling');
  t.match(layerProblem('gateway/sync/engine.ts', 'gateway/gateway.ts'), /sits above/, 'up to the composition root');
  t.match(layerProblem('cloud/store/store.ts', 'gateway/outbox/outbox.ts'), /peers/, 'between the two programs');
  t.match(layerProblem('shared/errors.ts', 'gateway/outbox/outbox.ts'), /sits above/, 'the contract reaching into a program');
  t.match(layerProblem('gateway/x/y.ts', 'gateway/outbox/z.ts'), /missing from LAYERS/, 'an unlisted folder');
  t.same(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']], 'a loop of three');
});

t.test('every folder of sources is on the program map, and the map names no folder that is gone', async (t) => {
  const folders = sourceFolders();
  t.same(folders.filter((f) => FOLDERS[f] === undefined), [], 'folders without a line in FOLDERS');
  t.same(Object.keys(FOLDERS).filter((f) => !folders.includes(f)), [], 'FOLDERS lines of folders that are gone');
  const listed = Object.entries(LAYERS).flatMap(([parent, layers]) => layers.flat().filter((e) => e !== '.').map((e) => (parent === '.' ? e : `${parent}/${e}`)));
  t.same(listed.filter((f) => !folders.includes(f)), [], 'LAYERS entries of folders that are gone');
});

/**
 * The outbox owns its database: no gateway module outside gateway/outbox/ prepares a statement, holds SQL, opens
 * SQLite, reaches the outbox's connection (`databaseOf`) or its writer thread. Everything else goes through the
 * outbox's methods and its stores. gateway/devices/ keeps a database
 * of its own (devices.db) and is outside this rule.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { projectRoot } from '../../../shared/version.js';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|js)$/.test(name)) out.push(path);
  }
  return out;
}

const OWNERS = ['gateway/outbox/', 'gateway/devices/'];
const RULES: Array<[string, RegExp]> = [
  ['imports better-sqlite3', /from ['"]better-sqlite3['"]/],
  ['reaches the outbox connection', /\bdatabaseOf\b/],
  ['reaches the writer thread', /\boutbox\.writer\b|\bOutboxWriter\b/],
  ['prepares a statement', /\.prepare\s*[(<]/],
  ['runs a pragma', /\.pragma\(/],
  ['holds SQL', /\b(SELECT\s+[\w*(]|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b)/],
];

t.test('no SQL on the outbox outside gateway/outbox/', async (t) => {
  const offenders: string[] = [];
  const root = join(projectRoot, 'gateway');
  const files = sources(root);
  t.ok(files.length > 50, 'the gateway sources were found');
  for (const file of files) {
    const rel = relative(projectRoot, file);
    if (OWNERS.some((o) => rel.startsWith(o))) continue;
    const text = readFileSync(file, 'utf8');
    for (const [what, re] of RULES) if (re.test(text)) offenders.push(`${rel} ${what}`);
  }
  t.same(offenders, [], 'every read and write of the outbox goes through gateway/outbox/');
});

t.test('the rule catches what it is meant to', async (t) => {
  const caught = (text: string): boolean => RULES.some(([, re]) => re.test(text));
  t.ok(caught("db.prepare('SELECT 1')"));
  t.ok(caught("const q = `SELECT seq FROM readings`"));
  t.ok(caught("'INSERT OR REPLACE INTO scores (seq) VALUES (?)'"));
  t.ok(caught("import Database from 'better-sqlite3';"));
  t.ok(caught('databaseOf(outbox)'));
  t.ok(caught('this.#outbox.writer.prune(0, 1, 1)'));
  t.notOk(caught('// select the oldest reading and update the page'), 'prose is not SQL');
});

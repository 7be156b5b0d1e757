/**
 * Hostile-input suite: HTTP ingest fuzzing against the gateway's origin API and the cloud, both run from
 * dist/ as child processes. Hostile bodies (malformed JSON, wrong types, deep nesting, huge arrays, gzip bombs,
 * bad encodings, prototype-pollution keys) get a 4xx, never a 5xx or a crash, and store nothing. Random JSON
 * values from fast-check (seeded, printed) are added; they must never get a 5xx, and a refused one stores nothing.
 */
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { crashPattern, envCount } from '../helpers/child-stats.js';
import { createKey, spawnCloud } from '../helpers/cloud.js';
import { addDevice } from '../helpers/devices.js';
import { removeDir, spawnGateway, tempDir } from '../helpers/gateway.js';

const RANDOM_BODIES = envCount('SMARTMAINT_HTTP_FUZZ_RANDOM', 300);
const SEED = envCount('SMARTMAINT_FUZZ_SEED', Date.now() % 1_000_000_007);
const PATH = '/api/v1/data/ingest';

/**
 * `4xx`: must be refused with a 4xx. `not-stored`: a 4xx, or (the cloud validates per reading and answers 200 with
 * every reading rejected) a 2xx that stores nothing. `no-5xx`: a wrong-typed field that may happen to be valid;
 * it must not get a 5xx, and if refused stores nothing.
 */
interface Case { name: string; body: Buffer | string; headers?: Record<string, string>; expect?: '4xx' | 'not-stored' | 'no-5xx' }

const json = { 'content-type': 'application/json' };

/** Hostile variations of a valid body (`valid`, one reading `item`, and the field holding the readings). */
function hostileCases(valid: Record<string, unknown>, item: Record<string, unknown>, listField: string | null): Case[] {
  const cases: Case[] = [
    { name: 'empty body', body: '', headers: json },
    { name: 'truncated JSON', body: JSON.stringify(valid).slice(0, -3), headers: json },
    { name: 'trailing garbage', body: JSON.stringify(valid) + '}{', headers: json },
    { name: 'NaN literal', body: '{"value": NaN}', headers: json },
    { name: 'single quotes', body: "{'a': 1}", headers: json },
    { name: 'bare string', body: '"hello"', headers: json },
    { name: 'null', body: 'null', headers: json },
    { name: 'number 1e400', body: JSON.stringify(listField ? { ...valid, [listField]: [{ ...item, value: 1 }] } : { ...valid, value: 1 }).replace('"value":1', '"value":1e400'), headers: json, expect: 'not-stored' },
    { name: 'deep array nesting 100k', body: '['.repeat(100_000) + ']'.repeat(100_000), headers: json },
    { name: 'deep object nesting 50k', body: '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000), headers: json },
    { name: 'deep nesting inside a reading', body: JSON.stringify(listField ? { ...valid, [listField]: [{ ...item, value: 0 }] } : { ...valid, value: 0 }).replace('"value":0', '"value":' + '['.repeat(20_000) + ']'.repeat(20_000)), headers: json, expect: 'not-stored' },
    { name: 'huge array of numbers', body: '[' + Array(200_000).fill('1').join(',') + ']', headers: json },
    { name: 'over the body limit', body: JSON.stringify({ pad: 'x'.repeat(3 * 1_048_576) }), headers: json },
    { name: '__proto__ pollution', body: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}', headers: json },
    { name: 'invalid UTF-8 bytes', body: Buffer.concat([Buffer.from('{"gatewayId":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')]), headers: json },
    { name: 'UTF-16LE body with BOM', body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify({ x: 1 }), 'utf16le')]), headers: { 'content-type': 'application/json; charset=utf-16' } },
    { name: 'NUL bytes', body: '{"a":"\u0000"}\u0000', headers: json },
    { name: 'text/plain', body: JSON.stringify(valid), headers: { 'content-type': 'text/plain' } },
    { name: 'no content-type', body: '{}' },
    { name: 'form encoded', body: 'a=1&b=2', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    { name: 'gzip bomb (100 MB of zeros)', body: gzipSync(Buffer.alloc(100 * 1_048_576), { level: 9 }), headers: { ...json, 'content-encoding': 'gzip' } },
    { name: 'gzip bomb of JSON whitespace', body: gzipSync(Buffer.concat([Buffer.from('{"a":'), Buffer.alloc(50 * 1_048_576, 0x20), Buffer.from('1}')]), { level: 9 }), headers: { ...json, 'content-encoding': 'gzip' } },
    { name: 'corrupt gzip', body: Buffer.from('1f8b0800000000000003ffffffff', 'hex'), headers: { ...json, 'content-encoding': 'gzip' } },
    { name: 'gzip claimed, plain sent', body: JSON.stringify(valid), headers: { ...json, 'content-encoding': 'gzip' } },
    { name: 'unknown coding', body: JSON.stringify(valid), headers: { ...json, 'content-encoding': 'br' } },
    { name: 'stacked codings', body: gzipSync(gzipSync(Buffer.from(JSON.stringify(valid)))), headers: { ...json, 'content-encoding': 'gzip, gzip' } },
  ];
  // Wrong types, field by field, for the top level and for one reading.
  const wrong: unknown[] = [null, true, -1, 1.5, '', 'x'.repeat(10_000), [], {}, [1, 2], { a: 1 }, '1e3', 9e300];
  for (const [k, v] of Object.entries(valid)) {
    for (const w of wrong) if (JSON.stringify(w) !== JSON.stringify(v)) cases.push({ name: `top ${k}=${JSON.stringify(w).slice(0, 20)}`, body: JSON.stringify({ ...valid, [k]: w }), headers: json, expect: 'no-5xx' });
  }
  if (listField) {
    for (const [k] of Object.entries(item)) {
      for (const w of [null, {}, [], 'x', -1e308]) {
        cases.push({ name: `reading ${k}=${JSON.stringify(w)}`, body: JSON.stringify({ ...valid, [listField]: [{ ...item, [k]: w }] }), headers: json, expect: 'no-5xx' });
      }
    }
  }
  return cases;
}

async function send(port: number, c: Case, auth: Record<string, string>): Promise<number> {
  const body = typeof c.body === 'string' ? Buffer.from(c.body) : c.body;
  try {
    const res = await request(`http://127.0.0.1:${port}${PATH}`, { method: 'POST', body, headers: { ...(c.headers ?? {}), ...auth }, headersTimeout: 30_000, bodyTimeout: 30_000 });
    await res.body.dump();
    return res.statusCode;
  } catch (err) {
    // The server may answer 413 and close before reading all of an oversize body: that is a refusal, not a crash.
    const code = (err as { code?: string }).code;
    if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') return 499;
    throw err;
  }
}

async function fuzz(t: Test, target: string, port: number, auth: Record<string, string>, cases: Case[], stored: () => number, alive: () => boolean): Promise<void> {
  const bad: string[] = [];
  for (const c of cases) {
    const before = stored();
    const status = await send(port, c, auth);
    const changed = stored() !== before;
    const expect = c.expect ?? '4xx';
    if (status >= 500) bad.push(`${c.name}: ${status}`);
    else if (expect === '4xx' && status < 400) bad.push(`${c.name}: ${status}, expected 4xx`);
    if (changed && (expect !== 'no-5xx' || status >= 400)) bad.push(`${c.name}: ${status} and stored something`);
    if (!alive()) { bad.push(`${c.name}: process died`); break; }
  }
  t.same(bad, [], `${target}: ${cases.length} hostile bodies: no 5xx, malformed ones 4xx, refused ones store nothing`);
  const random = fc.sample(fc.oneof(fc.jsonValue(), fc.anything().map((v) => { try { return JSON.parse(JSON.stringify(v) ?? 'null'); } catch { return null; } })), { numRuns: RANDOM_BODIES, seed: SEED });
  const fiveHundreds: string[] = [];
  for (const v of random) {
    const count = stored();
    const status = await send(port, { name: 'random', body: JSON.stringify(v), headers: json }, auth);
    if (status >= 500) fiveHundreds.push(`${status}: ${JSON.stringify(v).slice(0, 120)}`);
    if (status >= 400 && stored() !== count) fiveHundreds.push(`refused but stored: ${JSON.stringify(v).slice(0, 120)}`);
  }
  t.same(fiveHundreds, [], `${target}: ${random.length} random JSON bodies (seed ${SEED}), never a 5xx`);
}

t.test('gateway origin API: POST /api/v1/data/ingest', async (t) => {
  const dir = tempDir();
  const key = await addDevice(dir, 'sensor-box', ['pump-*']);
  const gw = await spawnGateway(['--data-dir', dir, '--mqtt-port', '0', '--http-port', '0', '--mqtt-host', '127.0.0.1', '--http-host', '127.0.0.1']);
  const db = new Database(join(dir, 'outbox.db'), { readonly: true });
  t.teardown(async () => {
    db.close();
    if (gw.child.exitCode === null) { gw.child.kill('SIGTERM'); await gw.exited; }
    removeDir(dir);
  });
  const count = db.prepare('SELECT count(*) AS n FROM readings');
  const stored = (): number => (count.get() as { n: number }).n;
  const valid = { sensor_id: 'pump-1', value: 41.5, sensor_type: 'temperature', unit: 'C', quality: 0.95, timestamp: '2026-01-01T00:00:00Z' };
  const ok = await send(gw.httpPort, { name: 'valid', body: JSON.stringify(valid), headers: json }, { 'x-api-key': key });
  t.equal(ok, 200, 'the valid body is accepted (the fuzzing starts from something real)');
  await fuzz(t, 'gateway', gw.httpPort, { 'x-api-key': key }, hostileCases(valid, valid, null), stored, () => gw.child.exitCode === null);
  t.equal(gw.child.exitCode, null, 'gateway still running');
  t.same(gw.lines.filter((l) => crashPattern.test(l)).slice(0, 5), [], 'no crash or fatal log line');
  t.same(gw.lines.filter((l) => /"level":50/.test(l)).slice(0, 5), [], 'no error logged (a 5xx path)');
});

t.test('cloud: POST /api/v1/data/ingest', async (t) => {
  const dir = tempDir();
  const key = createKey(dir, { gateway: 'gw1' });
  const cloud = await spawnCloud(dir);
  const db = new Database(join(dir, 'cloud.db'), { readonly: true, fileMustExist: true });
  t.teardown(async () => {
    db.close();
    if (cloud.child.exitCode === null) { cloud.child.kill('SIGTERM'); await cloud.exited; }
    removeDir(dir);
  });
  const count = db.prepare('SELECT count(*) AS n FROM readings');
  const stored = (): number => (count.get() as { n: number }).n;
  const item = { seq: 1, ts: 1_700_000_000_000, receivedAt: 1_700_000_000_005, asset: 'pump-7', sensor: 'temp', value: 0.1 };
  const valid = { gatewayId: 'gw1', epoch: 'epoch-1', batchId: 'b-fuzz', readings: [item] };
  const auth = { authorization: `Bearer ${key}` };
  await fuzz(t, 'cloud', cloud.port, auth, hostileCases(valid, item, 'readings'), stored, () => cloud.child.exitCode === null);
  t.equal(await send(cloud.port, { name: 'valid', body: JSON.stringify({ ...valid, batchId: 'b-ok' }), headers: json }, auth), 200, 'a valid batch is still accepted afterwards');
  t.equal(cloud.child.exitCode, null, 'cloud still running');
  t.same(cloud.lines.filter((l) => crashPattern.test(l)).slice(0, 5), [], 'no crash or fatal log line');
});

/** Test utilities for the cloud: configs, stores, keys, batches, an undici client, throwaway PostgreSQL databases. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { pino } from 'pino';
import { request } from 'undici';
import { validateConfig } from '../../shared/config-layers.js';
import type { IngestBatch, Reading } from '../../shared/protocol.js';
import { generateKey, MAX_LIVE_KEYS_PER_GATEWAY } from '../../cloud/auth/keys.js';
import { cloudConfigSchema, type CloudConfig } from '../../cloud/config/config.js';
import { CloudService } from '../../cloud/service.js';
import { PostgresStore } from '../../cloud/store/postgres.js';
import { SqliteStore } from '../../cloud/store/sqlite.js';
import type { CloudStore } from '../../cloud/store/store.js';

export const silentLog = pino({ level: 'silent' });

export interface Tap {
  teardown(fn: () => unknown): void;
}

export function tempDir(t: Tap, prefix = 'smartmaint-cloud-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function makeConfig(raw: Record<string, unknown> = {}): CloudConfig {
  const base = { http: { port: 0, host: '127.0.0.1' }, log: { level: 'silent' } };
  return validateConfig(cloudConfigSchema, deepMerge(base, raw), 'test');
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object'
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export const PG_ADMIN_URL = process.env.SMARTMAINT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** null when PostgreSQL is unreachable (tests then skip with that message). */
export async function pgUnavailable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return `PostgreSQL unreachable at ${PG_ADMIN_URL}: ${(err as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates `smartmaint_test_<random>` and drops it at teardown; returns its URL. */
export async function throwawayDatabase(t: Tap): Promise<string> {
  const name = `smartmaint_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await c.end();
    }
  });
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export type Backend = 'sqlite' | 'postgres';

/**
 * An opened store of the given backend, closed at teardown. SQLite writes inline here unless asked:
 * a writer thread started from TypeScript sources costs ~2 s (tsx compiles inside it). The writer thread
 * is covered by the contract suite (store/sqlite.test.ts) and by every spawned `smartmaint cloud`.
 */
export async function openStore(t: Tap, backend: Backend, options: { writerThread?: boolean } = {}): Promise<CloudStore> {
  const store: CloudStore =
    backend === 'sqlite'
      ? new SqliteStore({ dataDir: tempDir(t), synchronous: 'normal', writerThread: options.writerThread ?? false })
      : new PostgresStore({ url: await throwawayDatabase(t), poolSize: 4, log: silentLog });
  await store.open();
  t.teardown(() => store.close());
  return store;
}

export async function addKey(store: CloudStore, kind: 'gateway' | 'operator', gatewayId: string | null = null) {
  const k = generateKey(kind, gatewayId, Date.now());
  await store.createKey(k.record, MAX_LIVE_KEYS_PER_GATEWAY);
  return k;
}

export interface RunningCloud {
  url: string;
  service: CloudService;
  store: CloudStore;
}

/** A real cloud listening on an ephemeral port over the given store (store not closed by the service). */
export async function startCloud(t: Tap, store: CloudStore, raw: Record<string, unknown> = {}, clock?: () => number): Promise<RunningCloud> {
  const service = new CloudService({ config: makeConfig(raw), log: silentLog, store, ...(clock ? { clock } : {}) });
  const { port } = await service.start();
  t.teardown(() => service.stop());
  return { url: `http://127.0.0.1:${port}`, service, store };
}

export function reading(seq: number, over: Partial<Reading> = {}): Reading {
  return { seq, ts: 1_700_000_000_000 + seq * 1000, receivedAt: 1_700_000_000_000 + seq * 1000 + 5, asset: 'pump-7', sensor: 'temp', value: seq / 10, ...over };
}

export function batch(gatewayId: string, seqs: Iterable<number>, over: Partial<IngestBatch> = {}): IngestBatch {
  const readings = [...seqs].map((s) => reading(s));
  return { gatewayId, epoch: 'epoch-1', batchId: `b-${randomBytes(4).toString('hex')}`, readings, ...over };
}

export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

/** POST JSON (gzip optional) or GET with undici; the body is always consumed. */
export async function call(
  url: string,
  options: { method?: 'GET' | 'POST'; key?: string; body?: unknown; raw?: Buffer | string; gzip?: boolean; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  let body: Buffer | string | undefined = options.raw;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) {
    headers['content-type'] ??= 'application/json';
    if (options.gzip) {
      body = gzipSync(body);
      headers['content-encoding'] ??= 'gzip';
    }
  }
  const res = await request(url, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.body.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: parsed, text };
}

/**
 * HTTP to the cloud: one keep-alive undici Pool for batches, heartbeats and probes. Response bodies are always
 * consumed (an unread body holds its socket).
 */
import { readFileSync } from 'node:fs';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import { IDEMPOTENCY_HEADER, PATHS } from '../../shared/protocol.js';
import { parseRetryAfter } from './backoff.js';

const gzipAsync = promisify(gzip);

export interface CloudClientConfig {
  cloudUrl: string;
  caFile?: string | undefined;
  maxInFlight: number;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
}

export interface CloudResponse {
  status: number;
  body: any;
  retryAfterMs: number | undefined;
}

export class CloudClient {
  readonly #config: CloudClientConfig;
  readonly #clock: () => number;
  readonly #basePath: string;
  #pool: Pool | undefined;

  constructor(deps: { config: CloudClientConfig; clock: () => number }) {
    this.#config = deps.config;
    this.#clock = deps.clock;
    this.#basePath = new URL(deps.config.cloudUrl).pathname.replace(/\/$/, '');
  }

  start(): void {
    const url = new URL(this.#config.cloudUrl);
    this.#pool = new Pool(url.origin, {
      connections: this.#config.maxInFlight + 2, // + heartbeat and probe
      pipelining: 1,
      headersTimeout: this.#config.requestTimeoutMs,
      bodyTimeout: this.#config.requestTimeoutMs,
      keepAliveTimeout: 30_000,
      connect: {
        timeout: this.#config.connectTimeoutMs,
        ...(this.#config.caFile ? { ca: readFileSync(this.#config.caFile) } : {}),
      },
    });
  }

  static gzip(json: string): Promise<Buffer> {
    return gzipAsync(json, { level: 1 });
  }

  async postBatch(gzBody: Buffer, key: string, idempotencyKey: string, signal?: AbortSignal): Promise<CloudResponse> {
    return this.#request('POST', PATHS.ingest, gzBody, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      authorization: `Bearer ${key}`,
      [IDEMPOTENCY_HEADER]: idempotencyKey,
    }, signal);
  }

  async postHeartbeat(gatewayId: string, json: string, key: string, signal?: AbortSignal): Promise<CloudResponse> {
    return this.#request('POST', PATHS.heartbeat(gatewayId), Buffer.from(json), {
      'content-type': 'application/json',
      authorization: `Bearer ${key}`,
    }, signal);
  }

  /** Any HTTP answer from /health means the link works. */
  async probe(timeoutMs: number): Promise<boolean> {
    try {
      await this.#request('GET', '/health', undefined, {}, AbortSignal.timeout(timeoutMs));
      return true;
    } catch {
      return false;
    }
  }

  async #request(method: 'GET' | 'POST', path: string, body: Buffer | undefined, headers: Record<string, string>, signal?: AbortSignal): Promise<CloudResponse> {
    const pool = this.#pool;
    if (!pool) throw new Error('cloud client not started');
    const res = await pool.request({ method, path: this.#basePath + path, body, headers, signal: signal ?? null });
    const text = await res.body.text();
    let parsed: unknown = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
    return { status: res.statusCode, body: parsed, retryAfterMs: parseRetryAfter(res.headers['retry-after'], this.#clock()) };
  }

  async stop(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool) await pool.destroy();
  }
}

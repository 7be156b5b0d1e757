/**
 * Cloud configuration: one zod schema holding every default, layered by shared/config-layers.ts
 * (defaults < --config file < SMARTMAINT_* env < flags), validated once and frozen.
 */
import { z } from 'zod';
import type { FlagSpec } from '../../shared/config-layers.js';
import { LIMITS } from '../../shared/protocol.js';

export const cloudConfigSchema = z.strictObject({
  http: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(8090),
      host: z.string().min(1).default('0.0.0.0'),
      /** Body as sent; capped by the protocol's limit so a misconfiguration cannot accept bombs. */
      bodyLimitBytes: z.number().int().min(1024).max(LIMITS.maxBodyBytes).default(LIMITS.maxBodyBytes),
      decompressedLimitBytes: z
        .number()
        .int()
        .min(1024)
        .max(LIMITS.maxDecompressedBytes)
        .default(LIMITS.maxDecompressedBytes),
      /** Whole request (headers + body) must arrive within this; Node's default is 300 s. */
      requestTimeoutMs: z.number().int().min(1000).default(30_000),
      /** Headers must arrive within this; Node's default is 60 s (slowloris). */
      headersTimeoutMs: z.number().int().min(500).default(10_000),
      keepAliveTimeoutMs: z.number().int().min(100).default(65_000),
      tls: z.strictObject({
        certFile: z.string().min(1).describe('PEM server certificate (chain).'),
        keyFile: z.string().min(1).describe('PEM private key of the server certificate.'),
        handshakeTimeoutMs: z.number().int().min(100).max(120_000).default(5_000)
          .describe('A TLS handshake not finished in this time is dropped and its socket closed.'),
      }).optional(),
    })
    .prefault({}),
  storage: z
    .strictObject({
      dataDir: z.string().min(1).default('data/cloud'),
      /** postgres://… selects PostgreSQL; absent → SQLite under dataDir. */
      databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
      /** SQLite synchronous mode: full survives power loss; normal survives a process crash only. */
      sqliteSynchronous: z.enum(['full', 'normal']).default('full'),
      poolSize: z.number().int().min(1).max(100).default(10),
    })
    .prefault({}),
  auth: z
    .strictObject({
      /** How long a key lookup is trusted: a revocation is refused on every instance within this. */
      cacheTtlMs: z.number().int().min(0).max(60_000).default(2_000),
      rateLimit: z
        .strictObject({
          /**
           * Sustained requests per second per key; 0 disables. A gateway draining a backlog sends up to a few
           * hundred batches a second, so the default protects against runaways without throttling a drain.
           */
          requestsPerSecond: z.number().min(0).default(500)
            .describe('Sustained requests per second per key and instance (token bucket); 0 disables; answered 429 with Retry-After beyond it.'),
          burst: z.number().int().min(1).default(1_000).describe('Requests a key may send at once before the rate applies.'),
        })
        .prefault({}),
    })
    .prefault({}),
  fleet: z
    .strictObject({
      staleAfterMs: z.number().int().min(1000).default(90_000),
      offlineAfterMs: z.number().int().min(1000).default(300_000),
      authFailingWindowMs: z.number().int().min(1000).default(300_000),
    })
    .refine((f) => f.offlineAfterMs > f.staleAfterMs, { message: 'offlineAfterMs must exceed staleAfterMs' })
    .prefault({}),
  retention: z
    .strictObject({
      readingsMaxAgeMs: z.number().int().min(60_000).nullable().default(null)
        .describe('Readings whose reading time is older than this are deleted (alerts, gaps and gateways are kept); null keeps everything.'),
      pruneIntervalMs: z.number().int().min(100).default(60_000).describe('How often old readings are looked for.'),
      pruneChunkRows: z.number().int().min(100).default(5_000).describe('Readings deleted per statement, so pruning never holds the database for long.'),
    })
    .prefault({}),
  idempotency: z
    .strictObject({
      ttlMs: z.number().int().min(60_000).default(24 * 3600_000),
      /** A claim older than this is taken to belong to a crashed instance and may be taken over. */
      inFlightTimeoutMs: z.number().int().min(1000).default(60_000),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
});

export type CloudConfig = z.output<typeof cloudConfigSchema>;

export const cloudFlags: readonly FlagSpec[] = [
  { flag: 'port', path: 'http.port', type: 'number', description: 'HTTP port (0 = ephemeral)' },
  { flag: 'host', path: 'http.host', type: 'string', description: 'HTTP bind address' },
  { flag: 'data-dir', path: 'storage.dataDir', type: 'string', description: 'directory of the SQLite database' },
  { flag: 'database-url', path: 'storage.databaseUrl', type: 'string', description: 'PostgreSQL URL (instead of SQLite)' },
  { flag: 'log-level', path: 'log.level', type: 'string', description: 'pino log level' },
];

/** The storage flags shared by `smartmaint cloud` and `smartmaint keys`. */
export const storageFlags: readonly FlagSpec[] = cloudFlags.filter((f) => f.path.startsWith('storage.'));

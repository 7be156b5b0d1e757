/**
 * The gateway's configuration: one zod schema holds every option and its documented default.
 * Layering (file < SMARTMAINT_* env < flags) lives in shared/config-layers.ts.
 */
import { hostname } from 'node:os';
import cron from 'node-cron';
import { z } from 'zod';
import type { FlagSpec } from '../../shared/config-layers.js';
import { join } from 'node:path';
import { projectRoot } from '../../shared/version.js';
import { scoringConfigSchema } from './scoring-config.js';
import { httpExposureFields, mqttHardeningFields, refineHttpExposure } from './security-config.js';
import { refineCloudUrl } from './cloud-url.js';
import { anonymousEntryProblem } from './anonymous-entry.js';

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);

/** A topic pattern: literal segments and whole-segment placeholders `{asset}` and optionally `{sensor}`. */
export const topicPattern = z
  .string()
  .min(1)
  .refine((p) => p.split('/').filter((s) => s === '{asset}').length === 1, 'must contain exactly one {asset} segment')
  .refine((p) => p.split('/').filter((s) => s === '{sensor}').length <= 1, 'may contain at most one {sensor} segment')
  .refine((p) => p.split('/').every((s) => s === '{asset}' || s === '{sensor}' || !/[{}+#]/.test(s)),
    'placeholders must be whole segments; + and # are not allowed');

export const gatewayConfigSchema = z.strictObject({
  gatewayId: z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only')
    .default(hostname().replace(/[^A-Za-z0-9._:-]/g, '-') || 'gateway')
    .describe('Name of this gateway; with the outbox epoch and seq it names every reading.'),
  dataDir: z.string().min(1).default('./data/gateway').describe('Directory holding the outbox database.'),
  log: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }).prefault({}),
  mqtt: z.strictObject({
    host: host.default('0.0.0.0').describe('Address the MQTT listener binds.'),
    port: port.default(1883).describe('MQTT TCP port; 0 picks a free one (logged).'),
    maxPacketSize: z.number().int().min(64).max(268_435_455).default(262_144)
      .describe('Largest MQTT packet accepted, in bytes; larger ones close the connection before their body is buffered.'),
    maxClients: z.number().int().min(1).default(10_000).describe('Connections beyond this are refused.'),
    connectTimeoutMs: z.number().int().min(100).default(10_000)
      .describe('A socket that sends no CONNECT within this time is closed.'),
    allowAnonymous: z.boolean().default(false)
      .describe('Accept MQTT clients without a username (labs, benchmarks); they get what mqtt.anonymousAllow grants (unset: everything). Logged as a warning.'),
    anonymousAllow: z.array(z.string().superRefine((e, ctx) => {
      const problem = anonymousEntryProblem(e);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    })).nullable().default(null)
      .describe('What anonymous clients may do, as Mosquitto-style lines "[read|write|readwrite|deny] <topic filter>" (e.g. ["readwrite #", "deny test/nosubscribe"]); a deny line wins. null: unrestricted.'),
    ...mqttHardeningFields,
  }).prefault({}),
  devices: z.strictObject({
    pollIntervalMs: z.number().int().min(50).max(60_000).default(1_000)
      .describe('How often devices.db is checked for changes made by `smartmaint devices` (removals take effect within this).'),
  }).prefault({}),
  api: z.strictObject({
    maxBodyBytes: z.number().int().min(1_024).max(64 * 1_048_576).default(1_048_576)
      .describe('Largest body accepted by POST /api/v1/data/ingest; larger → 413.'),
    maxBatchItems: z.number().int().min(1).max(100_000).default(1_000)
      .describe('Most readings in one JSON array posted to /api/v1/data/ingest; more → 413.'),
    idempotencyWindowMs: z.number().int().min(1_000).default(600_000)
      .describe('A repeated Idempotency-Key within this time is answered from the stored first response.'),
  }).prefault({}),
  http: z.strictObject({
    host: host.default('127.0.0.1').describe('Address the HTTP server (health, metrics, API) binds.'),
    port: port.default(8080).describe('HTTP port; 0 picks a free one (logged).'),
    ...httpExposureFields,
  }).superRefine(refineHttpExposure).prefault({}),
  telemetry: z.strictObject({
    topics: z.array(topicPattern).min(1).default(['telemetry/{asset}/{sensor}', 'telemetry/{asset}'])
      .describe('Topic patterns whose messages are telemetry; with {sensor} the payload is one value, without it a {"values": {...}} object.'),
    maxPayloadBytes: z.number().int().min(16).default(65_536).describe('Telemetry payloads larger than this are dead-lettered.'),
    maxReadingsPerMessage: z.number().int().min(1).default(1_000).describe('Upper bound on sensors in one multi-value message.'),
    maxFutureSkewMs: z.number().int().min(0).default(86_400_000)
      .describe('A device timestamp further ahead of the receive time than this is refused.'),
  }).prefault({}),
  outbox: z.strictObject({
    durability: z.enum(['power-loss', 'process-crash']).default('power-loss')
      .describe('power-loss: synchronous=FULL on the writer thread (every commit fsyncs the WAL before anything is acknowledged), survives power cuts; process-crash: synchronous=NORMAL, survives process death only.'),
    maxBatchReadings: z.number().int().min(1).default(5_000).describe('Largest number of rows in one group commit.'),
    flushIntervalMs: z.number().int().min(1).max(10_000).default(20)
      .describe('QoS 0 readings are committed within this time; QoS 1 commits as soon as the writer is free.'),
    deadLetterPayloadCap: z.number().int().min(0).default(4_096).describe('Raw bytes kept with a dead letter.'),
    maxQueuedReadings: z.number().int().min(1_000).default(100_000)
      .describe('Readings queued for the writer thread past which ingest pauses: MQTT sockets are no longer read and HTTP ingest answers 503 until the queue is below half. Nothing queued is dropped.'),
    maxQueuedBytes: z.number().int().min(1_048_576).default(33_554_432)
      .describe('The same bound on the queued readings\' estimated bytes.'),
    maxBytes: z.number().int().min(1_048_576).nullable().default(null)
      .describe('Disk budget for the outbox (live pages of the database); null = limited only by the disk.'),
    whenFull: z.enum(['reject-new', 'drop-oldest', 'downsample']).default('drop-oldest')
      .describe('At the budget, after pruning synced readings: reject-new (QoS 1 not acknowledged, QoS 0 dropped and counted), drop-oldest, or downsample (fold old normal readings into per-window aggregates). Every dropped or folded reading is recorded in a synced gap record.'),
    downsampleWindowMs: z.number().int().min(1_000).default(60_000).describe('Window of the downsample policy\'s aggregates.'),
    budgetCheckIntervalMs: z.number().int().min(50).default(500),
    checkpointInWorker: z.boolean().default(false)
      .describe('Run WAL checkpoints in a worker thread of their own. Off by default: the writer thread runs them between commits (PASSIVE, every 250 ms while it writes).'),
    dedupWindowMs: z.number().int().min(0).default(60_000)
      .describe('A QoS 1 redelivery (DUP=1) matching a message this client id had stored on an earlier connection within this window before the current one (same packet id, topic and payload) is acknowledged without storing it again (MQTT-4.3.2). A DUP=0 message is always stored.'),
  }).prefault({}),
  sync: z.strictObject({
    cloudUrl: z.url({ protocol: /^https?$/ }).optional()
      .describe('Base URL of the cloud ingestion API (e.g. https://cloud.example.com). Unset: standalone, everything kept locally.'),
    apiKeyFile: z.string().min(1).optional()
      .describe('File holding the gateway API key (re-read when the cloud refuses a key). SMARTMAINT_API_KEY may hold the key itself instead.'),
    caFile: z.string().min(1).optional().describe('PEM file of CA certificates to trust for the cloud URL.'),
    batchMaxReadings: z.number().int().min(1).max(10_000).default(2_000).describe('Readings per batch at most.'),
    batchMaxBytes: z.number().int().min(1_024).max(4_000_000).default(1_000_000).describe('Uncompressed batch body size at most (estimated).'),
    maxInFlight: z.number().int().min(1).max(64).default(8).describe('Batches in flight at once.'),
    requestTimeoutMs: z.number().int().min(100).default(30_000).describe('A request without a response in this time is retried.'),
    connectTimeoutMs: z.number().int().min(100).default(5_000),
    backoffInitialMs: z.number().int().min(1).default(500).describe('First retry delay; doubles per failure, with full jitter.'),
    backoffMaxMs: z.number().int().min(1).default(60_000).describe('Longest retry delay.'),
    authRetryMs: z.number().int().min(100).default(30_000).describe('Retry interval while the cloud refuses the API key.'),
    probeIntervalMs: z.number().int().min(50).default(1_000)
      .describe('While retrying, how often to check whether the cloud answers again (to resume at once, not after the backoff).'),
    backlogShare: z.number().min(0.05).max(1).default(0.5)
      .describe('Share of in-flight batches the backlog may use while live data is flowing; an idle live lane gives it all.'),
    drainLogIntervalMs: z.number().int().min(10).default(10_000)
      .describe('While a backlog drains, how often its progress is logged (readings left, net drain rate, time to empty); "backlog drained" ends it.'),
    heartbeatSchedule: z.string().min(1).refine((e) => cron.validate(e), 'not a valid node-cron expression').default('*/30 * * * * *').describe('node-cron expression (with seconds) for heartbeats.'),
    allowInsecureHttp: z.boolean().default(false)
      .describe('Accept an http:// cloudUrl to a host other than loopback (the API key then crosses the network in clear; logged as a warning). Off: such a URL is a config error.'),
  }).superRefine(refineCloudUrl).prefault({}),
  scoring: scoringConfigSchema.extend({
    enabled: z.boolean().default(true).describe('Score readings with the ONNX models in modelsDir.'),
    modelsDir: z.string().min(1).default(join(projectRoot, 'models'))
      .describe('Folder of models/<name>/<version>/{model.onnx,manifest.json}; new versions are picked up while running.'),
  }).strict().prefault({}),
  retention: z.strictObject({
    syncedMaxAgeMs: z.number().int().min(0).default(7 * 86_400_000)
      .describe('Synced readings older than this are pruned (kept until then for the status page and exports).'),
    pruneIntervalMs: z.number().int().min(50).default(5_000),
    pruneChunkRows: z.number().int().min(100).default(5_000).describe('Rows deleted per transaction, so pruning never stalls ingestion.'),
  }).prefault({}),
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

/** The stable command-line interface: operators and tests rely on these names. */
export const gatewayFlags: readonly FlagSpec[] = [
  { flag: 'gateway-id', path: 'gatewayId', type: 'string', description: 'gateway id' },
  { flag: 'data-dir', path: 'dataDir', type: 'string', description: 'data directory' },
  { flag: 'mqtt-port', path: 'mqtt.port', type: 'number', description: 'MQTT port (0 = ephemeral)' },
  { flag: 'mqtt-host', path: 'mqtt.host', type: 'string', description: 'MQTT bind address' },
  { flag: 'http-port', path: 'http.port', type: 'number', description: 'HTTP port (0 = ephemeral)' },
  { flag: 'http-host', path: 'http.host', type: 'string', description: 'HTTP bind address' },
  { flag: 'log-level', path: 'log.level', type: 'string', description: 'log level' },
  { flag: 'durability', path: 'outbox.durability', type: 'string', description: 'power-loss | process-crash' },
  { flag: 'allow-anonymous', path: 'mqtt.allowAnonymous', type: 'boolean', description: 'accept MQTT clients without credentials' },
  { flag: 'models-dir', path: 'scoring.modelsDir', type: 'string', description: 'models folder' },
  { flag: 'scoring', path: 'scoring.enabled', type: 'boolean', description: 'score readings with the models; --no-scoring turns scoring off' },
  { flag: 'cloud-url', path: 'sync.cloudUrl', type: 'string', description: 'cloud ingestion API base URL' },
  { flag: 'api-key-file', path: 'sync.apiKeyFile', type: 'string', description: 'file holding the gateway API key' },
];

/** The scoring engine's configuration slice (validated once, frozen by the caller's resolveConfig). */
import { z } from 'zod';

export const scoringConfigSchema = z.object({
  // fs.watch misses events on some mounts, hence the poll as well.
  pollIntervalMs: z.number().int().min(0).max(3_600_000).default(5000)
    .describe('Rescan the models folder this often even without file-system events (0 = never).'),
  watch: z.boolean().default(true).describe('Watch the models folder (fs.watch) for prompt reloads; polling still applies.'),
  settleMs: z.number().int().min(0).max(60_000).default(250)
    .describe('A changed version folder is loaded once its files have been unchanged this long (a copy in progress).'),
  runner: z.enum(['worker', 'inline']).default('worker')
    .describe('Where sessions run: `worker` (one worker thread for all sessions; inference never holds the event loop) or `inline` (main thread; onnxruntime-node\'s run() is synchronous there).'),
  // Larger micro-batches share one run() per model, one worker hand-off and one score commit among more readings.
  // In the ingest benchmark (80,000 readings/s) 20, 100 and 250 ms measured alike (+17–19 % CPU per reading as
  // medians), so the delay is kept short enough that alerts stay prompt.
  batchDelayMs: z.number().int().min(0).max(10_000).default(100)
    .describe('Committed readings wait up to this long (ms) to be scored together; 0 scores each commit as it comes. Alerts and sync of the waiting readings are delayed by as much.'),
  maxBatch: z.number().int().min(1).max(1_000_000).default(5000)
    .describe('Most readings scored in one micro-batch; a queue this deep is scored without waiting for batchDelayMs.'),
  threads: z.number().int().min(1).max(64).default(1).describe('onnxruntime intra-op threads per session.'),
  // Without a hold time one noisy score raises an alert and the next clears it: the demo's four engines flapped
  // 137 times in 7 minutes. 10 s of reading time is a few scores of a slow sensor and bridges single outliers.
  alertForMs: z.number().int().min(0).max(86_400_000).default(10_000)
    .describe('Hold time of thresholds whose manifest sets no `for`: an alert is raised only once its condition has held this long (by reading time), and cleared only once the value has stayed past `clear` as long. 0 = at once.'),
  maxModelBytes: z.number().int().min(1_024).max(2 * 1_073_741_824).default(64 * 1_048_576)
    .describe('Largest model.onnx loaded; a larger file is refused (from its size, before it is read).'),
  rollback: z.object({
    consecutiveErrors: z.number().int().min(1).max(1000).default(3)
      .describe('Consecutive failed runs of a newly promoted version before it is rolled back.'),
    minRuns: z.number().int().min(1).max(100_000).default(20).describe('Runs observed before judging a version\'s latency.'),
    latencyFactor: z.number().min(1).max(1000).default(10)
      .describe('Roll back when the new version\'s mean time per row exceeds this multiple of the previous version\'s.'),
    maxRunMs: z.number().positive().max(600_000).default(1000)
      .describe('…or when its mean time per run (ms) exceeds this, whatever the previous version did.'),
  }).strict().prefault({}),
}).strict();

export type ScoringConfig = z.infer<typeof scoringConfigSchema>;
/** What callers may pass: every field optional (defaults above). */
export type ScoringConfigInput = z.input<typeof scoringConfigSchema>;

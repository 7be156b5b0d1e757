/** The scoring engine's configuration slice (validated once, frozen by the caller's resolveConfig). */
import { z } from 'zod';

export const scoringConfigSchema = z.object({
  /** Rescan the models dir this often even without fs events (0 = never). fs.watch misses events on some mounts. */
  pollIntervalMs: z.number().int().min(0).max(3_600_000).default(5000),
  /** Use fs.watch for prompt reloads (polling still applies). */
  watch: z.boolean().default(true),
  /** A changed version folder is loaded once its files have been unchanged for this long (copy in progress). */
  settleMs: z.number().int().min(0).max(60_000).default(250),
  /**
   * Where sessions run: `worker` (one worker thread for all sessions; inference never holds the event loop) or
   * `inline` (on the main thread; onnxruntime-node's run() is synchronous there).
   */
  runner: z.enum(['worker', 'inline']).default('worker'),
  /** onnxruntime intra-op threads per session. */
  threads: z.number().int().min(1).max(64).default(1),
  rollback: z.object({
    /** Consecutive failed runs of a newly promoted version before it is rolled back. */
    consecutiveErrors: z.number().int().min(1).max(1000).default(3),
    /** Runs observed before judging latency. */
    minRuns: z.number().int().min(1).max(100_000).default(20),
    /** Roll back when the new version's mean time per row exceeds this multiple of the previous version's. */
    latencyFactor: z.number().min(1).max(1000).default(10),
    /** …or when its mean time per run exceeds this (ms), whatever the previous version did. */
    maxRunMs: z.number().positive().max(600_000).default(1000),
  }).strict().prefault({}),
}).strict();

export type ScoringConfig = z.infer<typeof scoringConfigSchema>;
/** What callers may pass: every field optional (defaults above). */
export type ScoringConfigInput = z.input<typeof scoringConfigSchema>;

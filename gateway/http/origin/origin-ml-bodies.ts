/** The ML endpoints' request bodies (origin-ml.ts), also read by the generated API reference (docs/origin-api.md). */
import { z } from 'zod';

const name = z.string().min(1).max(128);
const features = z.record(z.string().min(1).max(128), z.number()).describe('feature name → number, the model manifest\'s feature names');
const version = z.string().min(1).max(64).default('auto').describe('"auto" (the active version) or a version string');

export const predictBody = z.object({
  model_name: name.describe('a loaded model, e.g. turbofan-rul, ai4i-failure, anomaly'),
  model_version: version,
  features,
  sensor_id: name.optional().describe('returned with the prediction'),
});
export const fixedModelBody = z.object({ sensor_id: name.optional().describe('returned with the prediction'), features, model_version: version });
const readingItem = z.union([
  z.number(),
  z.object({ value: z.number(), timestamp: z.union([z.string(), z.number()]).optional() }),
  z.object({ features, timestamp: z.union([z.string(), z.number()]).optional() }),
]);
export const detectBody = z.object({
  sensor_readings: z.array(readingItem).min(1).max(10_000)
    .describe('1-10,000 readings: plain values (numbers or {value, timestamp?}) or feature sets ({features, timestamp?})'),
  model_name: name.optional().describe('score with this model (default: plain values by robust z-score, feature sets by anomaly)'),
  sensitivity: z.number().min(0).max(1).default(0.5).describe('0-1; the robust z-score cut-off is 2 + 3 × (1 − sensitivity): higher flags more'),
  threshold: z.number().optional().describe('model scores above this are anomalies (default: 0.5 for a probability, else the robust z-score cut-off)'),
});
export const driftBody = z.object({
  sensor_id: name.describe('the asset whose stored readings are compared'),
  sensor: name.optional().describe('one sensor of the asset (default: every sensor)'),
  window_minutes: z.number().positive().max(7 * 24 * 60).default(60).describe('the recent window, compared with the window before it'),
  p_value_threshold: z.number().gt(0).lt(1).default(0.05).describe('drift when the Kolmogorov-Smirnov p-value is below this'),
  min_samples: z.number().int().min(2).max(100_000).default(30).describe('fewer readings in either window: no verdict'),
});

/**
 * manifest.json: how a model folder `models/<name>/<version>/` is applied to live telemetry. Documented in
 * models/README.md. Parsed with zod; every problem is reported with its path.
 */
import { z } from 'zod';
import { AGGREGATIONS } from './aggregations.js';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const windowSchema = z.union([
  z.object({ readings: z.number().int().min(1).max(100_000) }).strict(),
  z.object({ seconds: z.number().positive().max(30 * 24 * 3600) }).strict(),
]);

export const windowFeatureSchema = z.object({
  /** Optional display name; defaults to `<sensor>.<aggregation>`. */
  name: z.string().min(1).optional(),
  sensor: z.string().min(1),
  aggregation: z.enum(AGGREGATIONS),
  /** Defaults to the last reading only. */
  window: windowSchema.default({ readings: 1 }),
  /**
   * Readings the window must hold before the model scores (default 1): a model trained on full windows should not
   * see a mean of two readings while its stream warms up.
   */
  minReadings: z.number().int().min(1).max(100_000).optional(),
}).strict().refine((f) => !('readings' in f.window) || (f.minReadings ?? 1) <= f.window.readings,
  { message: 'minReadings cannot exceed the window', path: ['minReadings'] });

export const inputSchema = z.union([
  z.object({
    /** ONNX graph input the feature vector is fed to, shape [N, features.length]. */
    name: z.string().min(1),
    features: z.array(windowFeatureSchema).min(1).max(10_000),
    scaling: z.object({ center: z.array(finite), scale: z.array(finite) }).strict().optional(),
  }).strict(),
  z.object({
    name: z.string().min(1),
    /** The values of one multi-sensor message (all readings of an asset with the same ts), in this order. */
    message: z.array(z.string().min(1)).min(1).max(10_000),
    scaling: z.object({ center: z.array(finite), scale: z.array(finite) }).strict().optional(),
  }).strict(),
]);

export const OUTPUT_KINDS = ['anomaly-score', 'probability', 'rul', 'label'] as const;

export const outputSchema = z.object({
  /** Name used in scores, alerts and the API. */
  name: z.string().min(1),
  kind: z.enum(OUTPUT_KINDS),
  /** ONNX graph output to read. */
  onnxOutput: z.string().min(1),
  /** Column of a [N, k] output (default 0). */
  column: z.number().int().min(0).optional(),
  /** probability only: the class label to read (a ZipMap / classlabels label); overrides column. */
  class: z.union([z.number().int(), z.string()]).optional(),
  unit: z.string().optional(),
}).strict();

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A hold time as Prometheus writes it ("30s", "2m", "500ms", "1h") or a number of milliseconds. */
export const duration = z.union([
  z.number().int().min(0).max(86_400_000),
  z.string().regex(/^\d+(ms|s|m|h)$/, 'a duration such as "500ms", "30s", "2m" or "1h"')
    .transform((text) => Number(/^\d+/.exec(text)![0]) * DURATION_UNITS[/(ms|s|m|h)$/.exec(text)![1]!]!),
]);

export const thresholdSchema = z.object({
  output: z.string().min(1),
  /** Raise when the value goes above (or below) `value`. */
  when: z.enum(['above', 'below']),
  value: finite,
  /** Hysteresis: a raised alert clears only once the value is back past `clear` (defaults to `value`). */
  clear: finite.optional(),
  severity: z.string().min(1).max(32),
  /**
   * Hold time, as in Prometheus alerting rules: raise only once the condition has held this long (by reading time);
   * unset: the gateway's scoring.alertForMs.
   */
  for: duration.optional(),
  /** Clear only once the value has stayed past `clear` this long; unset: the same as `for`. */
  clearFor: duration.optional(),
}).strict().refine(
  (t) => t.clear === undefined || (t.when === 'above' ? t.clear <= t.value : t.clear >= t.value),
  { message: 'clear must be on the healthy side of value (<= value for above, >= value for below)', path: ['clear'] },
);

export const manifestSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, . _ -'),
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'a folder-safe version string'),
  description: z.string().optional(),
  /** `shadow`: scored and stored, never alerts, until promoted. */
  mode: z.enum(['active', 'shadow']).default('active'),
  assets: z.object({
    ids: z.array(z.string().min(1)).optional(),
    /** `*` matches any run of characters, `?` one character. */
    glob: z.string().min(1).optional(),
  }).strict().refine((a) => (a.ids?.length ?? 0) > 0 || a.glob !== undefined, 'give ids or glob'),
  input: inputSchema,
  outputs: z.array(outputSchema).min(1),
  thresholds: z.array(thresholdSchema).default([]),
  /** Free-form provenance (training data, metrics); ignored by the gateway. */
  training: z.record(z.string(), z.unknown()).optional(),
}).strict().superRefine((m, ctx) => {
  const names = new Set<string>();
  m.outputs.forEach((o, i) => {
    if (names.has(o.name)) ctx.addIssue({ code: 'custom', path: ['outputs', i, 'name'], message: `duplicate output ${o.name}` });
    names.add(o.name);
  });
  m.thresholds.forEach((t, i) => {
    if (!names.has(t.output)) ctx.addIssue({ code: 'custom', path: ['thresholds', i, 'output'], message: `no output named ${t.output}` });
  });
  const width = 'features' in m.input ? m.input.features.length : m.input.message.length;
  const s = m.input.scaling;
  if (s && (s.center.length !== width || s.scale.length !== width)) {
    ctx.addIssue({ code: 'custom', path: ['input', 'scaling'], message: `center and scale need ${width} values each` });
  }
  if (s?.scale.some((v) => v === 0)) {
    ctx.addIssue({ code: 'custom', path: ['input', 'scaling', 'scale'], message: 'scale must not be 0' });
  }
});

export type ModelManifest = z.infer<typeof manifestSchema>;
/** A manifest as written in manifest.json (durations as text, defaults not yet applied). */
export type ManifestDocument = z.input<typeof manifestSchema>;
export type ManifestInput = ModelManifest['input'];
export type WindowFeature = z.infer<typeof windowFeatureSchema>;
export type ManifestOutput = z.infer<typeof outputSchema>;
export type ManifestThreshold = z.infer<typeof thresholdSchema>;

/** Names of the feature vector's columns, in order (what `predict` and `models check --input` accept). */
export function featureNames(input: ManifestInput): string[] {
  if ('message' in input) return [...input.message];
  return input.features.map((f) => f.name ?? `${f.sensor}.${f.aggregation}`);
}

export function assetMatcher(assets: ModelManifest['assets']): (asset: string) => boolean {
  const ids = new Set(assets.ids ?? []);
  const re = assets.glob === undefined ? null : new RegExp(`^${assets.glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return (asset) => ids.has(asset) || (re !== null && re.test(asset));
}

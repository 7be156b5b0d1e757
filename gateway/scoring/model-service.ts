/**
 * What the origin's ML endpoints need from the gateway's scoring engine (gateway/scoring/engine.ts implements it).
 * Kept as an interface so the HTTP layer does not load onnxruntime and can be tested with a small fake.
 */
import type { ModelListing } from './engine.js';

// One listing shape, defined by the engine; a type-only import loads nothing at run time.
export type ModelServiceListing = ModelListing;

export interface ModelService {
  list(): ModelServiceListing[];
  /** Throws an error with code SMARTMAINT_MODEL_FEATURES_MISMATCH (and `missing`/`extra`) or SMARTMAINT_MODEL_NOT_FOUND. */
  predict(name: string, version: string | 'auto', features: Record<string, number>): Promise<{ outputs: Record<string, number>; version: string }>;
  latest(asset: string): Record<string, { model: string; version: string; output: string; value: number; ts: number }>;
}

/** The default models the origin's fixed-purpose endpoints use. */
export const DEFAULT_MODELS = {
  rul: 'turbofan-rul',
  failure: 'ai4i-failure',
  anomaly: 'anomaly',
} as const;

import { SmartmaintError } from '../../shared/errors.js';

/** A model folder that cannot be used: bad manifest, unreadable ONNX, or a manifest that does not fit its model. */
export class ModelInvalidError extends SmartmaintError {
  readonly problems: readonly string[];
  constructor(dir: string, problems: readonly string[], cause?: unknown) {
    super('SMARTMAINT_MODEL_INVALID', `model ${dir} refused: ${problems.join('; ')}`, { cause });
    this.problems = problems;
  }
}

/** No loaded model (or version) by that name. */
export class ModelNotFoundError extends SmartmaintError {
  constructor(what: string) {
    super('SMARTMAINT_MODEL_NOT_FOUND', `no loaded model ${what}`);
  }
}

/** The feature names given do not match the model's input. */
export class FeatureMismatchError extends SmartmaintError {
  readonly missing: readonly string[];
  readonly extra: readonly string[];
  constructor(model: string, missing: readonly string[], extra: readonly string[]) {
    const parts = [];
    if (missing.length) parts.push(`missing ${missing.join(', ')}`);
    if (extra.length) parts.push(`unknown ${extra.join(', ')}`);
    super('SMARTMAINT_MODEL_FEATURES_MISMATCH', `features for ${model} do not match its input: ${parts.join('; ')}`);
    this.missing = missing;
    this.extra = extra;
  }
}

/** A run() of the model failed (bad shape at run time, runtime error). */
export class ModelRunError extends SmartmaintError {
  constructor(model: string, cause: unknown) {
    super('SMARTMAINT_MODEL_RUN_FAILED', `model ${model} failed to score: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

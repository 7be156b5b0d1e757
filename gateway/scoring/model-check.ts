/**
 * Whether a manifest fits the graph onnxruntime loaded: the input's name, element type, rank and feature count,
 * every output present, a tensor, of a bounded width, with the column (or class) the manifest reads in range.
 * Reads only the session's declared signature; what the declared shapes leave open (a dynamic feature axis) the
 * loader's smoke run catches. The result is the binding the runners are built from (model-runner.ts).
 */
import { featureNames, type ModelManifest } from '../../shared/ml/manifest.js';
import type { ScoringSession } from './ort-sessions.js';
import type { ZipMapRewrite } from './zipmap-rewrite.js';

/**
 * Most values per row an output may declare. Outputs are read one column per manifest output; a graph declaring
 * an output of millions of values per row (an Expand to [1, 2e9]) would allocate gigabytes on its first run.
 */
export const MAX_OUTPUT_VALUES_PER_ROW = 4_096;

const ELEMENT_TYPES = new Set(['float32', 'float64']);

/** How one manifest output is read from the graph's outputs. */
export interface OutputReader {
  name: string;
  kind: ModelManifest['outputs'][number]['kind'];
  onnxOutput: string;
  column: number;
  /** For string label tensors: position of the label in the classifier's label list. */
  labels?: Array<number | string>;
}

/** How the manifest's rows are fed to the graph and its outputs read back. */
export interface GraphBinding {
  inputName: string;
  elementType: 'float32' | 'float64';
  featureNames: readonly string[];
  /** false when the graph's batch axis is fixed at 1: rows are then run one by one. */
  batchable: boolean;
  readers: OutputReader[];
}

/** The binding, and every way the manifest does not fit the graph ([] when it fits). */
export function checkModel(manifest: ModelManifest, session: ScoringSession, zipmaps: readonly ZipMapRewrite[]):
{ binding: GraphBinding; problems: string[] } {
  const problems: string[] = [];
  const names = featureNames(manifest.input);
  const width = names.length;
  const inputName = manifest.input.name;
  const inputMeta = session.inputMetadata.find((m) => m.name === inputName);
  let elementType: 'float32' | 'float64' = 'float32';
  let batchable = true;
  if (!inputMeta) {
    problems.push(`input '${inputName}' not in the graph (inputs: ${session.inputNames.join(', ')})`);
  } else if (!inputMeta.isTensor) {
    problems.push(`input '${inputName}' is not a tensor`);
  } else {
    if (!ELEMENT_TYPES.has(inputMeta.type)) problems.push(`input '${inputName}' has element type ${inputMeta.type}; float32 or float64 needed`);
    else elementType = inputMeta.type as 'float32' | 'float64';
    const shape = inputMeta.shape;
    if (shape.length !== 0 && shape.length !== 2) problems.push(`input '${inputName}' has rank ${shape.length}; [batch, features] needed`);
    if (shape.length === 2) {
      const [batch, features] = shape;
      if (typeof features === 'number' && features !== width) {
        problems.push(`input '${inputName}' takes ${features} features but the manifest gives ${width}`);
      }
      if (typeof batch === 'number') {
        if (batch !== 1) problems.push(`input '${inputName}' has a fixed batch of ${batch}; 1 or dynamic needed`);
        batchable = false;
      }
    }
  }
  const others = session.inputNames.filter((n) => n !== inputName);
  if (others.length > 0) problems.push(`graph has inputs the manifest does not feed: ${others.join(', ')}`);

  const readers: OutputReader[] = [];
  for (const out of manifest.outputs) {
    const meta = session.outputMetadata.find((m) => m.name === out.onnxOutput);
    if (!meta) {
      problems.push(`output '${out.onnxOutput}' (${out.name}) not in the graph (outputs: ${session.outputNames.join(', ')})`);
      continue;
    }
    if (!meta.isTensor) {
      problems.push(`output '${out.onnxOutput}' is not a tensor (sequence/map outputs other than ZipMap cannot be read)`);
      continue;
    }
    const zip = zipmaps.find((z) => z.output === out.onnxOutput);
    let column = out.column ?? 0;
    if (out.class !== undefined) {
      if (zip) {
        const at = zip.labels.findIndex((l) => String(l) === String(out.class));
        if (at < 0) problems.push(`output ${out.name}: class ${String(out.class)} not among the classifier labels [${zip.labels.join(', ')}]`);
        column = at;
      } else if (typeof out.class === 'number') {
        column = out.class;
      } else {
        problems.push(`output ${out.name}: class '${out.class}' given but '${out.onnxOutput}' carries no class labels`);
      }
    }
    const cols = meta.shape.length === 2 ? meta.shape[1] : meta.shape.length <= 1 ? 1 : undefined;
    if (meta.shape.length > 2) problems.push(`output '${out.onnxOutput}' has rank ${meta.shape.length}; [batch] or [batch, k] needed`);
    // Declared shapes are checked against the batch before the first run: a fixed batch other than 1 or a row
    // wider than MAX_OUTPUT_VALUES_PER_ROW is refused rather than allocated.
    const batchDim = meta.shape[0];
    if (typeof batchDim === 'number' && batchDim > 1) problems.push(`output '${out.onnxOutput}' declares a fixed batch of ${batchDim}; 1 or dynamic needed`);
    if (typeof cols === 'number' && cols > MAX_OUTPUT_VALUES_PER_ROW) {
      problems.push(`output '${out.onnxOutput}' declares ${cols} values per row; at most ${MAX_OUTPUT_VALUES_PER_ROW}`);
    }
    if (typeof cols === 'number' && column >= cols) problems.push(`output ${out.name}: column ${column} but '${out.onnxOutput}' has ${cols}`);
    const labelZip = zipmaps[0];
    readers.push({ name: out.name, kind: out.kind, onnxOutput: out.onnxOutput, column,
      ...(meta.type === 'string' && labelZip ? { labels: labelZip.labels } : {}) });
  }
  return { binding: { inputName, elementType, featureNames: names, batchable, readers }, problems };
}

/**
 * onnxruntime-node returns tensors only ("Non tensor type is temporarily not supported"), but scikit-learn
 * classifiers exported by skl2onnx end in ZipMap, whose output is seq(map(label, float)). At load we rewrite the
 * graph: every ZipMap that feeds a graph output becomes an Identity, and that output is re-typed as the float
 * tensor [N, classes] ZipMap was reading. Output names stay, so manifests refer to what the exporter wrote;
 * the class labels are kept so a manifest can name a class by label.
 */
import { loadOnnxTypes, type OnnxTypes, DataType } from '../../shared/ml/onnx-proto.js';

export interface ZipMapRewrite {
  output: string;
  /** Class labels in column order (numbers for classlabels_int64s, strings for classlabels_strings). */
  labels: Array<number | string>;
}

export interface RewriteResult {
  bytes: Uint8Array;
  zipmaps: ZipMapRewrite[];
}

interface AttributeMsg { name: string; ints?: Array<number | { toNumber(): number }>; strings?: Uint8Array[] }
interface NodeMsg { op_type: string; domain: string; input: string[]; output: string[]; attribute: AttributeMsg[] }
interface ValueInfoMsg { name: string; type?: Record<string, unknown> }
interface OpsetMsg { domain: string; version: number | { toNumber(): number } }
interface ModelMsg {
  opset_import: OpsetMsg[];
  graph?: { node: NodeMsg[]; output: ValueInfoMsg[] };
}

const toNumber = (v: number | { toNumber(): number }): number => (typeof v === 'number' ? v : v.toNumber());

/** Returns the bytes unchanged (same buffer) when the graph has no ZipMap on an output. */
export function rewriteZipMap(bytes: Uint8Array, types: OnnxTypes = loadOnnxTypes()): RewriteResult {
  const { ModelProto } = types;
  const model = ModelProto.decode(bytes) as unknown as ModelMsg;
  const graph = model.graph;
  if (!graph) return { bytes, zipmaps: [] };
  const outputs = new Map(graph.output.map((o) => [o.name, o]));
  const zipmaps: ZipMapRewrite[] = [];
  for (const node of graph.node) {
    if (node.op_type !== 'ZipMap' || node.domain !== 'ai.onnx.ml') continue;
    const outName = node.output[0];
    const info = outName === undefined ? undefined : outputs.get(outName);
    if (!info || outName === undefined) continue;
    const ints = node.attribute.find((a) => a.name === 'classlabels_int64s')?.ints ?? [];
    const strings = node.attribute.find((a) => a.name === 'classlabels_strings')?.strings ?? [];
    const labels: Array<number | string> = ints.length > 0
      ? ints.map(toNumber)
      : strings.map((s) => Buffer.from(s).toString('utf8'));
    node.op_type = 'Identity';
    node.domain = '';
    node.attribute = [];
    info.type = { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_param: 'N' }, { dim_value: labels.length }] } } };
    zipmaps.push({ output: outName, labels });
  }
  if (zipmaps.length === 0) return { bytes, zipmaps };
  // Identity lives in the default domain; a pure ai.onnx.ml graph may not import it.
  if (!model.opset_import.some((o) => o.domain === '' || o.domain === 'ai.onnx')) {
    model.opset_import.push({ domain: '', version: 13 });
  }
  return { bytes: ModelProto.encode(model as never).finish(), zipmaps };
}

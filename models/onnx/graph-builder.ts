/**
 * A small ONNX graph builder: plain descriptions of nodes, tensors and value infos in, ModelProto bytes out.
 * Enough for the default models (ai.onnx.ml tree ensembles, Scaler, linear algebra) and for test fixtures
 * shaped like skl2onnx exports (TreeEnsembleClassifier + ZipMap).
 */
import { AttributeType, DataType, loadOnnxTypes, type OnnxTypes } from '../../shared/ml/onnx-proto.js';

export { DataType };

export type Dim = number | string;

export type TypeSpec =
  | { tensor: number; shape?: Dim[] }
  | { sequence: TypeSpec }
  | { map: { key: number; value: TypeSpec } };

export interface ValueInfoSpec {
  name: string;
  type: TypeSpec;
}

export interface TensorSpec {
  name: string;
  dataType: number;
  dims: number[];
  /** FLOAT values */
  floats?: ArrayLike<number>;
  /** INT64 values */
  int64s?: ArrayLike<number>;
  /** DOUBLE values */
  doubles?: ArrayLike<number>;
}

/** Tagged attribute value: ONNX distinguishes int from float, and one from many. */
export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: ArrayLike<number> }
  | { kind: 'floats'; value: ArrayLike<number> }
  | { kind: 'strings'; value: readonly string[] }
  | { kind: 'tensor'; value: TensorSpec };

export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
  ints: (value: ArrayLike<number>): AttrValue => ({ kind: 'ints', value }),
  floats: (value: ArrayLike<number>): AttrValue => ({ kind: 'floats', value }),
  strings: (value: readonly string[]): AttrValue => ({ kind: 'strings', value }),
  tensor: (value: TensorSpec): AttrValue => ({ kind: 'tensor', value }),
};

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  domain?: string;
  name?: string;
  attrs?: Record<string, AttrValue>;
}

export interface GraphSpec {
  name: string;
  inputs: ValueInfoSpec[];
  outputs: ValueInfoSpec[];
  nodes: NodeSpec[];
  initializers?: TensorSpec[];
}

export interface ModelSpec {
  graph: GraphSpec;
  /** Opset per domain: '' is ai.onnx. */
  opsets: Record<string, number>;
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

/** Shorthands for value infos. */
export const tensorType = (elemType: number, shape?: Dim[]): TypeSpec => ({ tensor: elemType, shape });
export const ML_DOMAIN = 'ai.onnx.ml';

function typeProto(t: TypeSpec): Record<string, unknown> {
  if ('tensor' in t) {
    const tensor: Record<string, unknown> = { elem_type: t.tensor };
    if (t.shape) {
      tensor.shape = { dim: t.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) };
    }
    return { tensor_type: tensor };
  }
  if ('sequence' in t) return { sequence_type: { elem_type: typeProto(t.sequence) } };
  return { map_type: { key_type: t.map.key, value_type: typeProto(t.map.value) } };
}

function tensorProto(t: TensorSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { name: t.name, data_type: t.dataType, dims: t.dims };
  const count = t.dims.reduce((a, b) => a * b, 1);
  const check = (n: number): void => {
    if (n !== count) throw new Error(`tensor ${t.name}: ${n} values for dims [${t.dims.join(',')}]`);
  };
  if (t.floats) {
    check(t.floats.length);
    // raw_data is little-endian IEEE 754 (onnx.proto TensorProto.raw_data); far smaller than packed repeated floats
    // only by the tag, but it is what exporters write and what ORT reads fastest.
    out.raw_data = Buffer.from(Float32Array.from(t.floats).buffer);
  } else if (t.doubles) {
    check(t.doubles.length);
    out.raw_data = Buffer.from(Float64Array.from(t.doubles).buffer);
  } else if (t.int64s) {
    check(t.int64s.length);
    out.int64_data = Array.from(t.int64s);
  }
  return out;
}

function attributeProto(name: string, a: AttrValue): Record<string, unknown> {
  switch (a.kind) {
    case 'int': return { name, type: AttributeType.INT, i: a.value };
    case 'float': return { name, type: AttributeType.FLOAT, f: a.value };
    case 'string': return { name, type: AttributeType.STRING, s: Buffer.from(a.value, 'utf8') };
    case 'ints': return { name, type: AttributeType.INTS, ints: Array.from(a.value) };
    case 'floats': return { name, type: AttributeType.FLOATS, floats: Array.from(a.value) };
    case 'strings': return { name, type: AttributeType.STRINGS, strings: a.value.map((s) => Buffer.from(s, 'utf8')) };
    case 'tensor': return { name, type: AttributeType.TENSOR, t: tensorProto(a.value) };
  }
}

/** The plain object form of a ModelProto, before encoding. */
export function modelObject(spec: ModelSpec): Record<string, unknown> {
  const g = spec.graph;
  return {
    ir_version: spec.irVersion ?? 8,
    producer_name: spec.producerName ?? 'smartmaint-graph-builder',
    producer_version: spec.producerVersion ?? '1',
    doc_string: spec.docString ?? '',
    opset_import: Object.entries(spec.opsets).map(([domain, version]) => ({ domain, version })),
    metadata_props: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: g.name,
      input: g.inputs.map((v) => ({ name: v.name, type: typeProto(v.type) })),
      output: g.outputs.map((v) => ({ name: v.name, type: typeProto(v.type) })),
      initializer: (g.initializers ?? []).map(tensorProto),
      node: g.nodes.map((n, i) => ({
        name: n.name ?? `${n.op}_${i}`,
        op_type: n.op,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attributeProto(k, v)),
      })),
    },
  };
}

/** Encodes a model description as ONNX bytes. Pass `types` to reuse a parsed schema. */
export function buildModel(spec: ModelSpec, types: OnnxTypes = loadOnnxTypes()): Uint8Array {
  const { ModelProto } = types;
  const message = ModelProto.fromObject(modelObject(spec));
  return ModelProto.encode(message).finish();
}

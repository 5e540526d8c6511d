/**
 * ONNX export of the U-Net generator for inference (eval mode: BatchNorm with running statistics,
 * no dropout). The ModelProto is hand-encoded: the few protobuf messages needed here (Model, Graph,
 * Node, Attribute, Tensor, ValueInfo, Type, Shape, OperatorSetId) fit in a page, and a protobuf
 * library would add more code than it saves. Field numbers are those of onnx/onnx.proto (IR 8).
 *
 * The graph is NCHW with a dynamic batch, height and width (`N`, `H`, `W`); H and W must be
 * multiples of 2^numDowns at run time, as for {@link Pix2PixModel.generate}. Conv and
 * ConvTranspose weights are PyTorch's layouts, which are ONNX's (`[out,in,kh,kw]` and
 * `[in,out,kh,kw]`), so the state dict's tensors go in unchanged.
 */
import { CheckpointError, ShapeError } from '../core/errors.js';
import type { StateDict, StateTensor } from '../core/state-dict.js';
import { resolveModelOptions, type GeneratorOptions, type ResolvedGenerator } from './config.js';
import { unetLevels } from './generator.js';
import { convBias, appliedBias, NORM_EPS } from './layers.js';
import type { Pix2PixModel } from './model.js';
import { inferGeneratorOptions } from './infer-arch.js';
import { stripModulePrefix } from './state-dict.js';

/** Options of {@link exportGeneratorOnnx}. */
export interface OnnxExportOptions {
  /** ONNX opset of the default domain (BatchNormalization-15 and friends). @defaultValue 17 */
  opset?: number;
  /** Fixed input size `[n, h, w]` instead of the symbolic `N`, `H`, `W`. @defaultValue dynamic */
  fixedShape?: [number, number, number];
  /** Graph name. @defaultValue 'pix2pix_unet' */
  graphName?: string;
  /** Model-level `producer_version`. @defaultValue '0.1.0' */
  producerVersion?: string;
  /**
   * How the up-sampling convolutions are written. `'convtranspose'`: ConvTranspose nodes with the
   * state dict's weights, as PyTorch's own export writes them. `'subpixel'`: each
   * ConvTranspose(k4, s2, p1) as the equal sub-pixel convolution, a 2x2 Conv (pads 1) with 4x the
   * output channels (one block per output phase, weights rearranged here), DepthToSpace and a
   * one-pixel crop: the same sums, run by a runtime's (faster) Conv kernels instead of
   * ConvTranspose's gemm + col2im; on every level but the two innermost (1x1 and 2x2 inputs at
   * the smallest size, where the crop would waste 2.25-4x the work). @defaultValue 'convtranspose'
   */
  upsample?: 'convtranspose' | 'subpixel';
  /**
   * Fold eval-mode BatchNorm (running statistics) into the preceding convolution's weights and
   * bias, so that no BatchNormalization node remains. @defaultValue false
   */
  foldBatchNorm?: boolean;
}

/**
 * The export options of the onnxruntime engines (`ort-node`): sub-pixel up-sampling and BatchNorm
 * folded into the weights (measured in BENCHMARKS.md, "ort-node engine").
 */
export const ENGINE_EXPORT_OPTIONS: Readonly<OnnxExportOptions> = Object.freeze({
  upsample: 'subpixel',
  foldBatchNorm: true,
});

/** Names of the graph's input and output. */
export const ONNX_INPUT_NAME = 'input';
export const ONNX_OUTPUT_NAME = 'output';

// ---- protobuf wire encoding (varint, length-delimited, fixed32) ----

class PbWriter {
  private chunks: Uint8Array[] = [];
  private len = 0;

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.len += b.length;
  }

  varint(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`internal: varint out of range: ${v}`);
    const out: number[] = [];
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
    this.push(Uint8Array.from(out));
    return this;
  }

  private tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  int(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }

  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.tag(field, 5);
    this.push(b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    this.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: PbWriter): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

const pb = () => new PbWriter();

const FLOAT = 1; // TensorProto.DataType.FLOAT
const INT64 = 7;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

type Attr = { name: string } & ({ f: number } | { i: number } | { ints: number[] });

function attribute(a: Attr): PbWriter {
  const w = pb().string(1, a.name);
  if ('f' in a) w.float(2, a.f).int(20, ATTR_FLOAT);
  else if ('i' in a) w.int(3, a.i).int(20, ATTR_INT);
  else {
    for (const v of a.ints) w.int(8, v);
    w.int(20, ATTR_INTS);
  }
  return w;
}

function node(
  op: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attrs: Attr[] = [],
): PbWriter {
  const w = pb();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, name).string(4, op);
  for (const a of attrs) w.message(5, attribute(a));
  return w;
}

function tensor(name: string, dims: number[], data: Float32Array): PbWriter {
  const w = pb();
  for (const d of dims) w.int(1, d);
  w.int(2, FLOAT).string(8, name);
  // raw_data is little-endian; copy so that a view into a larger buffer encodes only its own bytes.
  const raw = new Uint8Array(data.byteLength);
  raw.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (!isLittleEndian) swap4(raw);
  return w.bytes(9, raw);
}

function int64Tensor(name: string, values: number[]): PbWriter {
  const w = pb().int(1, values.length).int(2, INT64).string(8, name);
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return w.bytes(9, raw);
}

const isLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
function swap4(b: Uint8Array): void {
  for (let i = 0; i < b.length; i += 4) {
    [b[i], b[i + 3]] = [b[i + 3], b[i]];
    [b[i + 1], b[i + 2]] = [b[i + 2], b[i + 1]];
  }
}

function valueInfo(name: string, dims: (number | string)[]): PbWriter {
  const shape = pb();
  for (const d of dims)
    shape.message(1, typeof d === 'number' ? pb().int(1, d) : pb().string(2, d));
  const tensorType = pb().int(1, FLOAT).message(2, shape);
  return pb().string(1, name).message(2, pb().message(1, tensorType));
}

// ---- the generator graph ----

function f32(t: StateTensor, key: string): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof Float64Array) return Float32Array.from(t.data);
  throw new CheckpointError(
    `State dict entry "${key}" has dtype ${t.dtype}; a float tensor was expected.`,
    'E_ONNX_EXPORT',
  );
}

/**
 * Infers the generator options of a U-Net state dict; the shared inference of
 * {@link ./infer-arch.ts} (a DataParallel `module.` prefix is stripped), re-exported here.
 */
export { inferGeneratorOptions };

/**
 * Encodes the generator with weights `sd` (PyTorch state dict of `G`) as an ONNX model for
 * eval-mode inference. Throws a {@link CheckpointError} when a weight is missing or mis-shaped.
 *
 * @example
 * ```ts
 * const sd = readPth(readFileSync('latest_net_G.pth'));
 * const bytes = exportGeneratorOnnx(sd, inferGeneratorOptions(sd));
 * writeFileSync('G.onnx', bytes);
 * ```
 */
export function exportGeneratorOnnx(
  input: StateDict,
  generator: GeneratorOptions,
  options: OnnxExportOptions = {},
): Uint8Array {
  const {
    opset = 17,
    fixedShape,
    graphName = 'pix2pix_unet',
    producerVersion = '0.1.0',
    upsample = 'convtranspose',
    foldBatchNorm = false,
  } = options;
  if (!['convtranspose', 'subpixel'].includes(upsample))
    throw new RangeError(
      `Option "upsample" must be 'convtranspose' or 'subpixel', got ${JSON.stringify(upsample)}.`,
    );
  if (!Number.isInteger(opset) || opset < 13)
    throw new RangeError(`Option "opset" must be an integer >= 13, got ${JSON.stringify(opset)}.`);
  const g: ResolvedGenerator = resolveModelOptions({ generator }).generator;
  const sd = stripModulePrefix(input);
  if (fixedShape) {
    const m = 2 ** g.numDowns;
    const [, h, w] = fixedShape;
    if (h % m !== 0 || w % m !== 0) {
      const up = (x: number) => Math.ceil(x / m) * m;
      throw new ShapeError(
        `Fixed shape ${fixedShape.join(',')}: height and width must be multiples of 2^numDowns = ${m} (numDowns ${g.numDowns}), e.g. ${fixedShape[0]},${up(h)},${up(w)}; onnxruntime cannot run the U-Net's concatenations otherwise.`,
      );
    }
  }
  const nodes: PbWriter[] = [];
  const inits: PbWriter[] = [];
  const seen = new Set<string>();
  const weight = (key: string, shape: number[]): string => {
    const t = sd.get(key);
    if (!t)
      throw new CheckpointError(
        `State dict has no "${key}" (a generator with ${JSON.stringify(g)} needs it).`,
        'E_ONNX_EXPORT',
      );
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(
        `State dict entry "${key}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}].`,
        'E_ONNX_EXPORT',
      );
    }
    if (!seen.has(key)) {
      seen.add(key);
      inits.push(tensor(key, shape, f32(t, key)));
    }
    return key;
  };
  const constant = (name: string, n: number, value: number): string => {
    if (!seen.has(name)) {
      seen.add(name);
      inits.push(tensor(name, [n], new Float32Array(n).fill(value)));
    }
    return name;
  };
  let counter = 0;
  const add = (op: string, inputs: string[], attrs: Attr[] = [], out?: string): string => {
    const o = out ?? `t${counter++}_${op.toLowerCase()}`;
    nodes.push(node(op, inputs, [o], `${op}_${counter}`, attrs));
    return o;
  };
  const k4s2p1: Attr[] = [
    { name: 'kernel_shape', ints: [4, 4] },
    { name: 'strides', ints: [2, 2] },
    { name: 'pads', ints: [1, 1, 1, 1] },
  ];
  const norm = (p: string, x: string, c: number): string => {
    if (g.norm === 'none') return x;
    if (g.norm === 'instance') {
      return add(
        'InstanceNormalization',
        [x, constant(`ones_${c}`, c, 1), constant(`zeros_${c}`, c, 0)],
        [{ name: 'epsilon', f: NORM_EPS }],
      );
    }
    return add(
      'BatchNormalization',
      [
        x,
        weight(`${p}.weight`, [c]),
        weight(`${p}.bias`, [c]),
        weight(`${p}.running_mean`, [c]),
        weight(`${p}.running_var`, [c]),
      ],
      [{ name: 'epsilon', f: NORM_EPS }],
    );
  };
  const constInts = (name: string, values: number[]): string => {
    if (!seen.has(name)) {
      seen.add(name);
      inits.push(int64Tensor(name, values));
    }
    return name;
  };
  const derived = (name: string, dims: number[], data: Float32Array): string => {
    if (seen.has(name)) throw new Error(`internal: initializer "${name}" written twice`);
    seen.add(name);
    inits.push(tensor(name, dims, data));
    return name;
  };
  /** The state dict's tensor `key` as float32, shape-checked (not written as an initializer). */
  const read = (key: string, shape: number[]): Float32Array => {
    const t = sd.get(key);
    if (!t)
      throw new CheckpointError(
        `State dict has no "${key}" (a generator with ${JSON.stringify(g)} needs it).`,
        'E_ONNX_EXPORT',
      );
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(
        `State dict entry "${key}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}].`,
        'E_ONNX_EXPORT',
      );
    }
    return f32(t, key);
  };
  /**
   * The per-channel affine map `y = x * scale + shift` of an eval BatchNorm at `p` (float64), or
   * null when the norm is not folded.
   */
  const folded = (
    p: string | undefined,
    c: number,
  ): { scale: Float64Array; shift: Float64Array } | null => {
    if (p === undefined || !foldBatchNorm || g.norm !== 'batch') return null;
    const gamma = read(`${p}.weight`, [c]);
    const beta = read(`${p}.bias`, [c]);
    const mean = read(`${p}.running_mean`, [c]);
    const variance = read(`${p}.running_var`, [c]);
    const scale = new Float64Array(c);
    const shift = new Float64Array(c);
    for (let i = 0; i < c; i++) {
      scale[i] = gamma[i] / Math.sqrt(variance[i] + NORM_EPS);
      shift[i] = beta[i] - mean[i] * scale[i];
    }
    return { scale, shift };
  };
  /** Conv(k4, s2, p1) at `p`, then its norm at `normP` (folded into the weights, or a node). */
  const conv = (
    p: string,
    x: string,
    inC: number,
    outC: number,
    bias: boolean,
    normP?: string,
  ): string => {
    const f = folded(normP, outC);
    if (!f) {
      const y = add(
        'Conv',
        [
          x,
          weight(`${p}.weight`, [outC, inC, 4, 4]),
          ...(bias ? [weight(`${p}.bias`, [outC])] : []),
        ],
        k4s2p1,
      );
      return normP === undefined ? y : norm(normP, y, outC);
    }
    const w = read(`${p}.weight`, [outC, inC, 4, 4]);
    const b = bias ? read(`${p}.bias`, [outC]) : null;
    const k = inC * 16;
    const wf = new Float32Array(w.length);
    const bf = new Float32Array(outC);
    for (let o = 0; o < outC; o++) {
      for (let j = 0; j < k; j++) wf[o * k + j] = w[o * k + j] * f.scale[o];
      bf[o] = (b ? b[o] : 0) * f.scale[o] + f.shift[o];
    }
    return add(
      'Conv',
      [x, derived(`${p}.weight_bn`, [outC, inC, 4, 4], wf), derived(`${p}.bias_bn`, [outC], bf)],
      k4s2p1,
    );
  };
  /**
   * ConvTranspose(k4, s2, p1) at `p` (its sub-pixel form when `sub`), then its norm at `normP`.
   */
  const convT = (
    p: string,
    x: string,
    inC: number,
    outC: number,
    bias: boolean,
    sub: boolean,
    normP?: string,
  ): string => {
    const f = folded(normP, outC);
    if (!sub && !f) {
      const y = add(
        'ConvTranspose',
        [
          x,
          weight(`${p}.weight`, [inC, outC, 4, 4]),
          ...(bias ? [weight(`${p}.bias`, [outC])] : []),
        ],
        k4s2p1,
      );
      return normP === undefined ? y : norm(normP, y, outC);
    }
    const w = read(`${p}.weight`, [inC, outC, 4, 4]);
    const b = bias ? read(`${p}.bias`, [outC]) : null;
    const scale = (o: number) => (f ? f.scale[o] : 1);
    const shiftOf = (o: number) => (b ? b[o] : 0) * scale(o) + (f ? f.shift[o] : 0);
    const hasBias = bias || f !== null;
    let y: string;
    if (!sub) {
      const wf = new Float32Array(w.length);
      for (let i = 0; i < inC; i++)
        for (let o = 0; o < outC; o++)
          for (let t = 0; t < 16; t++) {
            const at = (i * outC + o) * 16 + t;
            wf[at] = w[at] * scale(o);
          }
      const bf = Float32Array.from({ length: outC }, (_, o) => shiftOf(o));
      y = add(
        'ConvTranspose',
        [x, derived(`${p}.weight_bn`, [inC, outC, 4, 4], wf), derived(`${p}.bias_bn`, [outC], bf)],
        k4s2p1,
      );
    } else {
      // out[2m + py] = sum over the two input rows m - 1 + py + a (a = 0, 1) of x * w[3 - 2a - py]
      // (and the same in x). A 2x2 Conv with pads 1 gives, at padded position q, the rows q - 1
      // and q: phase py at output row m is the Conv's row q = m + py. Block (qy, qx) of the Conv's
      // output channels holds phase (1 - qy, 1 - qx): DepthToSpace (DCR) puts position q of block
      // qy at row 2q + qy, which is output row 2q + qy - 1, so one pixel is cropped on each side.
      const K = new Float32Array(4 * outC * inC * 4);
      for (let qy = 0; qy < 2; qy++)
        for (let qx = 0; qx < 2; qx++) {
          const py = 1 - qy;
          const px = 1 - qx;
          for (let o = 0; o < outC; o++) {
            const oc = (qy * 2 + qx) * outC + o;
            for (let i = 0; i < inC; i++)
              for (let a = 0; a < 2; a++)
                for (let c = 0; c < 2; c++) {
                  const ky = 3 - 2 * a - py;
                  const kx = 3 - 2 * c - px;
                  K[((oc * inC + i) * 2 + a) * 2 + c] =
                    w[((i * outC + o) * 4 + ky) * 4 + kx] * scale(o);
                }
          }
        }
      const B = Float32Array.from({ length: 4 * outC }, (_, oc) => shiftOf(oc % outC));
      const c = add(
        'Conv',
        [
          x,
          derived(`${p}.weight_subpixel`, [4 * outC, inC, 2, 2], K),
          ...(hasBias ? [derived(`${p}.bias_subpixel`, [4 * outC], B)] : []),
        ],
        [
          { name: 'kernel_shape', ints: [2, 2] },
          { name: 'pads', ints: [1, 1, 1, 1] },
        ],
      );
      const d = add('DepthToSpace', [c], [{ name: 'blocksize', i: 2 }]);
      y = add('Slice', [
        d,
        constInts('crop_starts', [1, 1]),
        constInts('crop_ends', [-1, -1]),
        constInts('crop_axes', [2, 3]),
      ]);
    }
    return normP === undefined || f ? y : norm(normP, y, outC);
  };
  // Mirrors generatorForward (eval mode), including which conv biases are applied.
  const levels = unetLevels(g);
  const bias = convBias(g.norm);
  // Sub-pixel form on every level but the two innermost: there the input is 1x1 or 2x2 at the
  // smallest image size, the 2x2 Conv would compute (h+1)(w+1) = 4 or 2.25x the positions needed,
  // and onnxruntime's ConvTranspose was faster (BENCHMARKS.md, "ort-node engine").
  const sub = (level: number): boolean => upsample === 'subpixel' && level < g.numDowns - 2;
  const block = (i: number, input: string): string => {
    const L = levels[i];
    const p = L.prefix;
    if (L.outermost) {
      const d = conv(`${p}.${L.idx.down}`, input, L.inC, L.innerC, bias);
      const s = block(i + 1, d);
      const u = convT(`${p}.${L.idx.up}`, add('Relu', [s]), L.innerC * 2, L.outerC, true, sub(i));
      return add('Tanh', [u], [], ONNX_OUTPUT_NAME);
    }
    const a = add('LeakyRelu', [input], [{ name: 'alpha', f: 0.2 }]);
    const d = conv(
      `${p}.${L.idx.down}`,
      a,
      L.inC,
      L.innerC,
      appliedBias(bias, L.idx.downNorm !== undefined, g.norm),
      L.idx.downNorm === undefined ? undefined : `${p}.${L.idx.downNorm}`,
    );
    const s = L.innermost ? d : block(i + 1, d);
    const upIn = L.innermost ? L.innerC : L.innerC * 2;
    const u = convT(
      `${p}.${L.idx.up}`,
      add('Relu', [s]),
      upIn,
      L.outerC,
      appliedBias(bias, true, g.norm),
      sub(i),
      `${p}.${L.idx.upNorm}`,
    );
    return add('Concat', [a, u], [{ name: 'axis', i: 1 }]);
  };
  block(0, ONNX_INPUT_NAME);

  const [n, h, w]: (number | string)[] = fixedShape ?? ['N', 'H', 'W'];
  const graph = pb();
  for (const nd of nodes) graph.message(1, nd);
  graph.string(2, graphName);
  for (const t of inits) graph.message(5, t);
  graph.message(11, valueInfo(ONNX_INPUT_NAME, [n, g.inputChannels, h, w]));
  graph.message(12, valueInfo(ONNX_OUTPUT_NAME, [n, g.outputChannels, h, w]));
  return pb()
    .int(1, 8) // ir_version 8 (ONNX 1.10+), read by every onnxruntime since 1.10
    .string(2, 'pix2pix-ts')
    .string(3, producerVersion)
    .message(7, graph)
    .message(8, pb().string(1, '').int(2, opset))
    .finish();
}

/**
 * Exports a model's generator (its current weights) as ONNX for eval-mode inference.
 *
 * @example
 * ```ts
 * const model = new Pix2PixModel({ generator: { numDowns: 8, ngf: 64 } });
 * const bytes = await exportModelOnnx(model);
 * ```
 */
export async function exportModelOnnx(
  model: Pix2PixModel,
  options: OnnxExportOptions = {},
): Promise<Uint8Array> {
  const sd = await model.stateDict('G');
  return exportGeneratorOnnx(sd, model.options.generator, options);
}

/**
 * The U-Net generator of the reference (`UnetGenerator` built from nested
 * `UnetSkipConnectionBlock`s), with the reference's state_dict keys.
 *
 * Level 0 is the outermost block, level `numDowns - 1` the innermost. Keys nest as
 * `model.model` (level 0), then `.1.model` (level 1), then `.3.model` for each deeper level.
 */
import type { Tensor4D } from '../core/tf.js';
import type { ResolvedGenerator } from './config.js';
import {
  conv,
  convT,
  norm,
  convSpecs,
  convTSpecs,
  normSpecs,
  convBias,
  appliedBias,
  activation,
  tanh,
  concatChannels,
  maskMul,
  dropout,
  type ForwardContext,
} from './layers.js';
import type { ParamSpec, ParamStore } from './params.js';
import { tf } from '../core/tf.js';
import { UP_CONV_KERNEL, type UpConvKernelAttrs } from '../core/fused-kernels.js';
import { foldedConv } from './fold.js';

export interface UnetLevel {
  level: number;
  /** Key prefix of the block's Sequential, e.g. `model.model.1.model`. */
  prefix: string;
  outermost: boolean;
  innermost: boolean;
  /** Channels into the down conv. */
  inC: number;
  /** Channels out of the down conv. */
  innerC: number;
  /** Channels out of the up conv. */
  outerC: number;
  dropout: boolean;
  /** Module indices inside the block's Sequential. */
  idx: { down: number; downNorm?: number; up: number; upNorm?: number };
}

/**
 * The blocks of a U-Net, outermost first.
 *
 * @example
 * ```ts
 * unetLevels({ numDowns: 6, ngf: 8, inputChannels: 3, outputChannels: 3, norm: 'batch', dropout: true })[5].innermost; // true
 * ```
 */
export function unetLevels(g: ResolvedGenerator): UnetLevel[] {
  const levels: UnetLevel[] = [];
  let prefix = 'model.model';
  for (let i = 0; i < g.numDowns; i++) {
    const outermost = i === 0;
    const innermost = i === g.numDowns - 1;
    const innerC = g.ngf * Math.min(2 ** i, 8);
    const outerC = outermost ? g.outputChannels : g.ngf * Math.min(2 ** (i - 1), 8);
    const inC = outermost ? g.inputChannels : outerC;
    // The reference adds the dropout blocks (ngf*8 -> ngf*8) between the ngf*4 block and the innermost.
    const dropout = g.dropout && !innermost && i >= 4;
    const idx = outermost
      ? { down: 0, up: 3 }
      : innermost
        ? { down: 1, up: 3, upNorm: 4 }
        : { down: 1, downNorm: 2, up: 5, upNorm: 6 };
    levels.push({ level: i, prefix, outermost, innermost, inC, innerC, outerC, dropout, idx });
    prefix += i === 0 ? '.1.model' : '.3.model';
  }
  return levels;
}

/** Every parameter of the generator, in the reference's state_dict order. */
export function generatorSpecs(g: ResolvedGenerator): ParamSpec[] {
  const bias = convBias(g.norm);
  const specs: ParamSpec[] = [];
  const levels = unetLevels(g);
  // state_dict order is module registration order: down conv, [down norm], submodule, up conv, [up norm].
  const emit = (i: number): void => {
    const L = levels[i];
    const p = L.prefix;
    specs.push(...convSpecs(`${p}.${L.idx.down}`, L.innerC, L.inC, bias));
    if (L.idx.downNorm !== undefined)
      specs.push(...normSpecs(`${p}.${L.idx.downNorm}`, L.innerC, g.norm));
    if (!L.innermost) emit(i + 1);
    const upIn = L.innermost ? L.innerC : L.innerC * 2;
    specs.push(...convTSpecs(`${p}.${L.idx.up}`, upIn, L.outerC, L.outermost ? true : bias));
    if (L.idx.upNorm !== undefined)
      specs.push(...normSpecs(`${p}.${L.idx.upNorm}`, L.outerC, g.norm));
  };
  emit(0);
  return specs;
}

/** Key of the dropout layer of a level (used to name dropout masks). */
export function dropoutKey(L: UnetLevel): string {
  return `${L.prefix}.7`;
}

/**
 * Runs the generator on an NHWC batch in [-1, 1]; returns NHWC in [-1, 1] (tanh).
 * Call inside `tf.tidy` (or a gradient function): intermediate tensors are not disposed here, and
 * the backward pass refers to them, so nothing may dispose them before backprop ends.
 */
export function generatorForward(
  store: ParamStore,
  g: ResolvedGenerator,
  x: Tensor4D,
  ctx: ForwardContext,
): Tensor4D {
  if (foldsInEval(g, ctx)) return generatorForwardEval(store, g, x);
  const levels = unetLevels(g);
  const bias = convBias(g.norm);
  // `a` is a level's activated input: the reference's down LeakyReLU is in place, so the skip
  // tensor is the activated input. The parent computes it, fused into its norm where the backend
  // can. A block below the outermost returns its output already through the ReLU that opens the
  // parent's up path (relu(cat(a, u)), one kernel where the backend has it).
  const block = (i: number, a: Tensor4D): Tensor4D => {
    const L = levels[i];
    const p = L.prefix;
    if (L.outermost) {
      const d = conv(store, `${p}.${L.idx.down}`, a, 2, 1, bias);
      const s = block(i + 1, activation(d, 0.2));
      const u = convT(store, `${p}.${L.idx.up}`, s, L.outerC, true);
      return tanh(u);
    }
    const d = conv(
      store,
      `${p}.${L.idx.down}`,
      a,
      2,
      1,
      appliedBias(bias, L.idx.downNorm !== undefined, g.norm),
    );
    const downNorm = (slope?: number) =>
      norm(store, `${p}.${L.idx.downNorm}`, d, g.norm, ctx, slope);
    const hasDownNorm = L.idx.downNorm !== undefined;
    const s = L.innermost
      ? activation(hasDownNorm ? downNorm() : d, 0)
      : block(i + 1, hasDownNorm ? downNorm(0.2) : activation(d, 0.2));
    let u = convT(store, `${p}.${L.idx.up}`, s, L.outerC, appliedBias(bias, true, g.norm));
    u = norm(store, `${p}.${L.idx.upNorm}`, u, g.norm, ctx);
    const mask = L.dropout ? ctx.dropoutMasks?.get(dropoutKey(L)) : undefined;
    if (mask) u = ctx.dropoutUniforms ? dropout(u, mask) : maskMul(u, mask);
    return concatChannels(a, u, 0);
  };
  return block(0, x);
}

/**
 * Whether a forward pass takes the folded inference path ({@link generatorForwardEval}): eval-mode
 * BatchNorm (running statistics) or no norm, and no dropout. InstanceNorm normalises with each
 * image's own statistics even in eval mode, so it has nothing to fold and keeps the general path.
 */
export function foldsInEval(g: ResolvedGenerator, ctx: ForwardContext): boolean {
  return ctx.fold !== false && !ctx.batchStats && !ctx.dropoutMasks?.size && g.norm !== 'instance';
}

/**
 * The eval-mode generator as an inference engine runs it, for inference only (no gradients): each
 * BatchNorm folded into the conv before it (see fold.ts), each down conv one `fusedConv2d` with
 * its bias and the LeakyReLU (ReLU for the innermost) after it, and each up level one
 * {@link UP_CONV_KERNEL} (transposed conv, bias, the skip concatenation, and the ReLU the parent
 * applies to it; tanh for the outermost). The same function as {@link generatorForward} in eval
 * mode, rounded differently (float32 products of folded weights).
 *
 * Why the activations move: in the reference each level computes `cat(a, up(down(a)))` from its
 * activated input `a`, and the parent reads that only through its up ReLU, so the ReLU can be
 * applied inside the child: `relu(cat(a, u)) = cat(relu(a), relu(u))`. The down LeakyReLU is
 * the child's, applied to the parent's (folded) down conv output, which nothing else reads.
 */
export function generatorForwardEval(
  store: ParamStore,
  g: ResolvedGenerator,
  x: Tensor4D,
): Tensor4D {
  const levels = unetLevels(g);
  const bias = convBias(g.norm);
  const leaky = { activation: 'leakyrelu' as const, leakyreluAlpha: 0.2 };
  const down = (L: UnetLevel, a: Tensor4D): Tensor4D => {
    const hasNorm = L.idx.downNorm !== undefined;
    const w = foldedConv(
      store,
      `${L.prefix}.${L.idx.down}`,
      'conv',
      L.outermost ? bias : appliedBias(bias, hasNorm, g.norm),
      g.norm,
      hasNorm ? `${L.prefix}.${L.idx.downNorm}` : undefined,
    );
    // The innermost level's down output is read only through its up ReLU.
    const act = L.innermost ? { activation: 'relu' as const } : leaky;
    return tf.fused.conv2d({ x: a, filter: w.filter, strides: 2, pad: 1, bias: w.bias, ...act });
  };
  // Returns what the parent's up conv reads: relu(cat(a, u)), or tanh(u) at the outermost level.
  const block = (i: number, a: Tensor4D): Tensor4D => {
    const L = levels[i];
    const d = down(L, a);
    const s = L.innermost ? d : block(i + 1, d);
    const hasNorm = L.idx.upNorm !== undefined;
    const w = foldedConv(
      store,
      `${L.prefix}.${L.idx.up}`,
      'convT',
      L.outermost ? true : appliedBias(bias, true, g.norm),
      g.norm,
      hasNorm ? `${L.prefix}.${L.idx.upNorm}` : undefined,
    );
    return upConv(s, w.filter, w.bias, L.outermost ? undefined : a, L.outermost ? 'tanh' : 'relu');
  };
  return block(0, x);
}

/**
 * {@link UP_CONV_KERNEL} where the backend registered it, else the same arithmetic as tfjs ops.
 *
 * @example
 * ```ts
 * const y = upConv(s, filter, bias, skip, 'relu'); // relu(cat(skip, convT(s) + bias))
 * ```
 */
export function upConv(
  x: Tensor4D,
  filter: Tensor4D,
  bias: tf.Tensor1D | undefined,
  skip: Tensor4D | undefined,
  activation: UpConvKernelAttrs['activation'],
): Tensor4D {
  if (tf.getKernel(UP_CONV_KERNEL, tf.getBackend()) != null) {
    const inputs: tf.NamedTensorMap = { x, filter };
    if (bias) inputs.bias = bias;
    if (skip) inputs.skip = skip;
    const attrs: UpConvKernelAttrs = { activation };
    return tf.engine().runKernel(UP_CONV_KERNEL, inputs, attrs) as Tensor4D;
  }
  const [n, h, w] = x.shape;
  let y: Tensor4D = tf.conv2dTranspose(x, filter, [n, h * 2, w * 2, filter.shape[2]], 2, 1);
  if (bias) y = tf.add(y, bias);
  if (skip) y = tf.concat([skip, y], 3);
  if (activation === 'relu') return tf.relu(y);
  return activation === 'tanh' ? tf.tanh(y) : y;
}

/** Shapes (NHWC) of the dropout masks for an input of `n x h x w`. */
export function dropoutShapes(
  g: ResolvedGenerator,
  n: number,
  h: number,
  w: number,
): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const L of unetLevels(g)) {
    if (!L.dropout) continue;
    const f = 2 ** L.level;
    shapes.set(dropoutKey(L), [n, h / f, w / f, L.outerC]);
  }
  return shapes;
}

/**
 * Differentiable ops that keep what their backward needs without clone kernels. tfjs runs a
 * gradient function's forward inside a scope that disposes every intermediate before backprop,
 * so it saves each tensor a backward needs by cloning it (`Engine.clone`: an `Identity` kernel
 * apiece, and a `Cast` in the backward where the clone lies on the gradient path): 218 Identity
 * and 12 Cast kernels per UNet-256 training step, each a fixed cost on a GPU backend. Inside
 * {@link holdForBackward}, the ops here instead take a second reference to each saved tensor's
 * buffer (what the Identity kernel does, minus the kernel) and release them all when the
 * gradient computation returns. Like tfjs's own gradients, each input's gradient is a thunk, run
 * only for the inputs that the gradient path reaches (the first conv of G gets no input gradient).
 */
import { tf } from '../core/tf.js';
import type { Tensor } from '../core/tf.js';
import { inGradientScope } from '../core/gradient-scope.js';

/** Gradients of an op's inputs, by input name, each computed when asked for (extra names unused). */
export type GradThunks<K extends string> = Record<K, () => Tensor> & Record<string, () => Tensor>;

/** What an op's backward reads: tensors of the forward, and whether its own output (last). */
export interface Saved {
  tensors?: Tensor[];
  output?: boolean;
}

interface CustomKernelInvocation {
  forwardFunc: () => Tensor;
  backwardsFunc: (dy: Tensor) => Record<string, () => Tensor>;
  inputs: Record<string, Tensor>;
}

/** The engine method that `tf.customGrad` and every kernel go through (private in the typings). */
interface EngineInternals {
  runKernelFunc?: (params: CustomKernelInvocation) => Tensor;
}

let held: Tensor[] | null = null;

/**
 * Runs `fn`, a gradient computation (`tf.variableGrads`, `tf.grads`), with the ops of this file
 * saving references instead of clones; releases the references when `fn` returns or throws.
 *
 * @example
 * ```ts
 * const { value, grads } = holdForBackward(() => tf.variableGrads(() => loss(), vars));
 * ```
 */
export function holdForBackward<T>(fn: () => T): T {
  if (held) return fn();
  held = [];
  try {
    return inGradientScope(fn);
  } finally {
    const refs = held;
    held = null;
    tf.dispose(refs);
  }
}

/** The engine's tape state (private in the typings). */
interface EngineState {
  state: { gradientDepth: number; activeTape: unknown[] | null };
}

/**
 * Runs `fn` as if no gradient were being recorded, inside a gradient computation: its ops (a whole
 * nested gradient computation and optimizer update included) join no outer tape, so they save
 * nothing for the outer backward (tfjs would clone each saved tensor, one Identity kernel apiece)
 * and cannot carry the outer gradient. The D update inside the G gradient computation uses it.
 *
 * @example
 * ```ts
 * tf.variableGrads(() => { const y = f(); outsideTape(() => updateOtherNet(y)); return loss(y); });
 * ```
 */
export function outsideTape<T>(fn: () => T): T {
  const { state } = tf.engine() as unknown as EngineState;
  const depth = state.gradientDepth;
  const tape = state.activeTape;
  state.gradientDepth = 0;
  state.activeTape = null;
  try {
    return fn();
  } finally {
    state.gradientDepth = depth;
    state.activeTape = tape;
  }
}

/** A second reference to `t`'s buffer, kept until the hold ends (a variable outlives it anyway). */
function reference(t: Tensor, into: Tensor[]): Tensor {
  if (t instanceof tf.Variable) return t;
  const engine = tf.engine();
  engine.backend.incRef(t.dataId);
  const ref = tf.keep(engine.makeTensorFromDataId(t.dataId, t.shape, t.dtype));
  into.push(ref);
  return ref;
}

/**
 * Runs `forward` as one differentiable op of `inputs`; `backward(dy, saved)` returns a gradient
 * thunk for each input, reading forward tensors only from `saved` (`save.tensors`, then the output
 * when `save.output`). Outside {@link holdForBackward} it falls back to `tf.customGrad`, whose
 * save clones. A kernel with several outputs (a split, a BatchNorm backward) runs in `backward`
 * itself, not in a thunk: tfjs runs each thunk in its own scope, which would dispose the outputs
 * that thunk does not return.
 *
 * @example
 * ```ts
 * const y = tapeOp({ x }, () => tf.relu(x), (dy, [xs]) => ({ x: () => tf.mul(dy, tf.step(xs!)) }), { tensors: [x] });
 * ```
 */
export function tapeOp<K extends string>(
  inputs: Record<K, Tensor>,
  forward: () => Tensor,
  backward: (dy: Tensor, saved: Tensor[]) => GradThunks<K>,
  save: Saved = {},
): Tensor {
  const engine = tf.engine();
  // No gradient is being recorded (inference, the step's detached fake): the plain forward.
  if (!engine.isTapeOn()) return forward();
  const run = (engine as unknown as EngineInternals).runKernelFunc;
  const hold = held;
  if (hold && typeof run === 'function') {
    let refs: Tensor[] = [];
    // The invocation `tf.customGrad` makes, minus its eager gradients and its clones.
    return run.call(engine, {
      forwardFunc: () => {
        const y = forward();
        refs = [...(save.tensors ?? []), ...(save.output ? [y] : [])].map((t) =>
          reference(t, hold),
        );
        return y;
      },
      backwardsFunc: (dy: Tensor) => backward(dy, refs),
      inputs,
    });
  }
  const keys = Object.keys(inputs) as K[];
  const f = tf.customGrad((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const saveFunc = args[args.length - 1] as tf.GradSaveFunc;
    const y = forward();
    saveFunc([...(save.tensors ?? []), ...(save.output ? [y] : [])]);
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const g = backward(dy, saved);
        return keys.map((k) => g[k]());
      },
    };
  });
  return f(...keys.map((k) => inputs[k]));
}

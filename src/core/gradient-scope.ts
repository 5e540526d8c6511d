/**
 * Whether a training step's gradient computation (its forward and backward) is running. Kernels
 * that pick a numerical path from the history of a weight (the wasm weight cache, made for
 * inference loops) ask it, so that a training run rounds the same whatever ran before it: a run
 * resumed from a checkpoint in a new process then repeats the uninterrupted run bit for bit.
 */
let depth = 0;

/** True while {@link inGradientScope} runs its function. */
export function isInGradientScope(): boolean {
  return depth > 0;
}

/** Runs `fn` as (part of) a gradient computation. */
export function inGradientScope<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}

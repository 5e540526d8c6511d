/**
 * Counting the tfjs kernels a piece of work dispatches. On WebGPU (and WebGL) every kernel costs a
 * fixed ~0.1-0.5 ms of JS, command encoding and submission whatever its size, so at pix2pix's
 * sizes a training step is bound by how many kernels it runs, not by FLOPs: this count is the
 * figure that the fused kernels in this folder reduce.
 */
import { tf } from '../../core/tf.js';

/** Kernel invocations of one piece of work. */
export interface KernelCount {
  /** All registered-kernel invocations through the engine. */
  total: number;
  /**
   * Invocations that launch work on a GPU backend: all but `Reshape` and `Identity`, which
   * tfjs-backend-webgl and -webgpu answer by sharing the input's buffer (still engine overhead,
   * but no shader).
   */
  dispatching: number;
  /** Invocations by kernel name, most frequent first. */
  byKernel: Array<[name: string, count: number]>;
}

/** Kernels that only relabel their input's buffer on the GPU backends. */
const METADATA_ONLY = new Set(['Reshape', 'Identity']);

/**
 * Runs `fn` under `tf.profile` and counts the registered kernels it invoked on the current
 * backend (custom-gradient scopes, which `tf.profile` also lists, are not kernels and are skipped;
 * the kernels they run inside are counted). Kernels a backend calls internally from another
 * kernel's implementation never reach the engine and are not counted.
 *
 * @example
 * ```ts
 * const { count } = await countKernels(() => model.trainStep(a, b));
 * console.log(count.total, count.byKernel.slice(0, 10));
 * ```
 */
export async function countKernels<T>(fn: () => T | Promise<T>): Promise<{ result: T; count: KernelCount }> {
  const backend = tf.getBackend();
  let result!: T;
  const info = await tf.profile(async () => {
    result = await fn();
    return [] as tf.Tensor[];
  });
  const by = new Map<string, number>();
  let total = 0;
  let dispatching = 0;
  for (const k of info.kernels) {
    if (!tf.getKernel(k.name, backend)) continue;
    by.set(k.name, (by.get(k.name) ?? 0) + 1);
    total++;
    if (!METADATA_ONLY.has(k.name)) dispatching++;
  }
  const byKernel = [...by].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return { result, count: { total, dispatching, byKernel } };
}

/**
 * A plain-text table of a count (top `limit` kernels).
 *
 * @example
 * ```ts
 * console.log(formatKernelCount(count, 10));
 * ```
 */
export function formatKernelCount(count: KernelCount, limit = Infinity): string {
  const rows = count.byKernel.slice(0, limit);
  const w = Math.max(6, ...rows.map(([n]) => n.length));
  const lines = rows.map(([n, c]) => `${n.padEnd(w)}  ${String(c).padStart(5)}`);
  const rest = count.byKernel.slice(limit).reduce((s, [, c]) => s + c, 0);
  if (rest) lines.push(`${`(${count.byKernel.length - rows.length} others)`.padEnd(w)}  ${String(rest).padStart(5)}`);
  lines.push(`${'total'.padEnd(w)}  ${String(count.total).padStart(5)}  (${count.dispatching} launch GPU work; Reshape/Identity share buffers)`);
  return lines.join('\n');
}

/**
 * Counting the tfjs kernels a piece of work dispatches. On WebGPU (and WebGL) every kernel costs a
 * fixed ~0.1-0.5 ms of JS, command encoding and submission whatever its size, so at pix2pix's
 * sizes a training step is bound by how many kernels it runs, not by FLOPs: this count is the
 * figure that the fused kernels of src/backends/*-kernels/ reduce.
 */
import { tf } from '../core/tf.js';

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
  /**
   * GPU programs actually run (webgpu `runWebGPUProgram`, webgl `runWebGLProgram` calls, those a
   * kernel runs internally and webgl's unpacking included); `null` on backends without programs.
   */
  programs: number | null;
  /** Programs by program name (its class, or its shader key's head), most frequent first. */
  byProgram: Array<[name: string, count: number]>;
}

/** The program runners of tfjs-backend-webgpu and -webgl that every GPU kernel goes through. */
const PROGRAM_RUNNERS = ['runWebGPUProgram', 'runWebGLProgram'] as const;

function programName(p: { constructor?: { name?: string }; shaderKey?: string }): string {
  const cls = p.constructor?.name;
  if (cls && cls !== 'Object') return cls;
  return (p.shaderKey ?? 'program').split('_').slice(0, 2).join('_');
}

/** Counts the programs run while `fn` runs by wrapping the backend instance's program runner. */
async function countPrograms<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; programs: number | null; byProgram: Map<string, number> }> {
  const be = tf.backend() as unknown as Record<string, unknown>;
  const runner = PROGRAM_RUNNERS.find((r) => typeof be[r] === 'function');
  const byProgram = new Map<string, number>();
  if (!runner) return { result: await fn(), programs: null, byProgram };
  const original = be[runner] as (...a: unknown[]) => unknown;
  let programs = 0;
  be[runner] = function (this: unknown, ...a: unknown[]) {
    programs++;
    const name = programName(a[0] as { shaderKey?: string });
    byProgram.set(name, (byProgram.get(name) ?? 0) + 1);
    return original.apply(this, a);
  };
  try {
    return { result: await fn(), programs, byProgram };
  } finally {
    // The instance property shadowed the prototype's method; removing it restores that.
    delete be[runner];
    if (be[runner] !== original) be[runner] = original;
  }
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
export async function countKernels<T>(
  fn: () => T | Promise<T>,
): Promise<{ result: T; count: KernelCount }> {
  const backend = tf.getBackend();
  let result!: T;
  const counted = await countPrograms(() =>
    tf.profile(async () => {
      result = await fn();
      return [] as tf.Tensor[];
    }),
  );
  const info = counted.result;
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
  const byProgram = [...counted.byProgram].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return { result, count: { total, dispatching, byKernel, programs: counted.programs, byProgram } };
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
  if (rest)
    lines.push(
      `${`(${count.byKernel.length - rows.length} others)`.padEnd(w)}  ${String(rest).padStart(5)}`,
    );
  lines.push(
    `${'total'.padEnd(w)}  ${String(count.total).padStart(5)}  (${count.dispatching} launch GPU work; Reshape/Identity share buffers)`,
  );
  if (count.programs != null)
    lines.push(
      `${'programs'.padEnd(w)}  ${String(count.programs).padStart(5)}  (GPU programs run, those inside kernels included)`,
    );
  return lines.join('\n');
}

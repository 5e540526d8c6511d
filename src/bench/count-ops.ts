/**
 * Counts the tfjs kernels one pix2pix training step (and one eval-mode generator pass) invokes,
 * by kernel name. The count depends on the topology (numDowns, nLayers, norm), not on image size
 * or width, so the default counts the paper's UNet-256 / 70x70 PatchGAN topology with
 * ngf = ndf = 4 (what UNet-256 ngf 64 runs, at a fraction of the cost on cpu). Run as the
 * `count-ops` bench task: `node scripts/count-ops.mjs` (see `src/bench/tasks.ts`).
 */
import { tf } from '../core/tf.js';
import { initBackend } from '../backends/index.js';
import type { BackendName } from '../backends/types.js';
import type { NormKind } from '../pix2pix/config.js';
import { Pix2PixModel } from '../pix2pix/model.js';
import { countKernels, formatKernelCount, type KernelCount } from './op-count.js';

/** Options of {@link countOps}. */
export interface CountOpsOptions {
  /** @defaultValue 'cpu' */
  backend?: BackendName;
  /** Generator filters, also the discriminator's ndf. @defaultValue 4 */
  ngf?: number;
  /** @defaultValue 8 */
  numDowns?: number;
  /** @defaultValue 'batch' */
  norm?: NormKind;
}

/** What {@link countOps} counted. */
export interface OpCounts {
  /** The configuration, in words. */
  what: string;
  /** Kernels of one steady-state training step. */
  step: KernelCount;
  /** Kernels of one eval-mode generator pass with unchanged weights (inference loops). */
  infer: KernelCount;
  /**
   * Kernels of the first eval pass after a weight change (here: after a training step), which
   * also folds each BatchNorm into its conv's weights (once per weight version).
   */
  inferFirst: KernelCount;
}

/**
 * Counts the kernels of one steady-state training step (after a warm-up step) and one eval pass.
 *
 * @example
 * ```ts
 * const { step } = await countOps({ backend: 'cpu', numDowns: 6 });
 * console.log(step.total);
 * ```
 */
export async function countOps(options: CountOpsOptions = {}): Promise<OpCounts> {
  const { backend = 'cpu', ngf = 4, numDowns = 8, norm = 'batch' } = options;
  const size = 2 ** numDowns;
  const info = await initBackend(backend);
  const model = new Pix2PixModel({
    generator: { numDowns, ngf, norm },
    discriminator: { ndf: ngf, nLayers: 3, norm },
  });
  const a = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const b = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  try {
    await model.trainStep(a, b); // warm-up: first-use allocations are not part of a steady step
    const step = (await countKernels(() => model.trainStep(a, b))).count;
    const evalPass = async () =>
      (
        await countKernels(async () => {
          const y = model.generate(a);
          await y.data();
          y.dispose();
        })
      ).count;
    const inferFirst = await evalPass();
    const infer = await evalPass();
    const what = `UNet numDowns ${numDowns} ngf ${ngf}, PatchGAN nLayers 3 ndf ${ngf}, norm ${norm}, ${size}x${size}, batch 1, backend ${info.name}`;
    return { what, step, infer, inferFirst };
  } finally {
    tf.dispose([a, b]);
    model.dispose();
  }
}

/**
 * {@link countOps}'s tables as text: the `top` kernels of a step, the 10 of an eval pass.
 *
 * @example
 * ```ts
 * console.log(formatOpCounts(await countOps(), 40));
 * ```
 */
export function formatOpCounts(c: OpCounts, top = 40): string {
  const text = `kernels per training step (${c.what}):\n${formatKernelCount(c.step, top)}\n\nkernels per eval-mode generator pass (weights unchanged since the last pass):\n${formatKernelCount(c.infer, 10)}\n(the first pass after a weight change also folds BatchNorm into the conv weights: ${c.inferFirst.total} kernels${c.inferFirst.programs == null ? '' : `, ${c.inferFirst.programs} programs`})`;
  if (c.step.programs == null) return text;
  const list = (k: KernelCount) => k.byProgram.map(([n, count]) => `${n} ${count}`).join(', ');
  return `${text}\n\nGPU programs per training step: ${c.step.programs} (${list(c.step)})\nGPU programs per eval G pass: ${c.infer.programs} (${list(c.infer)})`;
}

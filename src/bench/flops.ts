/**
 * Analytic FLOP counts of pix2pix, from the architecture alone (no tracing). Only convolutions
 * count: 2 FLOPs per multiply-accumulate, every kernel tap counted, zero padding included (the
 * fvcore / PyTorch-profiler convention). Conv2d: N·Ho·Wo·Cin·Cout·k²; ConvTranspose2d:
 * N·Hin·Win·Cin·Cout·k² (each input pixel scatters a k×k patch). Norms, activations, concat,
 * losses and Adam are memory-bound and together under 1 % of the conv FLOPs here; they are left out.
 *
 * Training step (`Pix2PixModel.trainStep`), with F_G / F_D the conv FLOPs of one forward of G / D
 * and F_G1 / F_D1 those of their first conv: a conv's backward is dX (same MACs as the forward)
 * plus dW (same MACs), and the first conv of a network needs no dX when its input is not
 * differentiated.
 *   fake = G(A)                       (once, on G's tape)          F_G
 *   D update: D(A,fake), D(A,B) fwd+bwd, inputs not differentiated  2·F_D + 2·(2·F_D − F_D1)
 *   G update: D fwd, bwd through D into fake, then through G        F_D + 2·F_D + (2·F_G − F_G1)
 *   total = 3·F_G − F_G1 + 9·F_D − 2·F_D1      (≈ 3·F_G + 9·F_D; ≈ 3× a forward per differentiated pass)
 * (Until G's forward ran once per step, the G update recomputed it: one F_G more, 105.4 GFLOP for
 * UNet-256 ngf 64 instead of today's 93.3. Figures in BENCHMARKS.md dated before say which.)
 */
import { resolveModelOptions, type ModelOptions } from '../pix2pix/config.js';
import { unetLevels } from '../pix2pix/generator.js';
import { discriminatorLayers } from '../pix2pix/discriminator.js';

/** Conv FLOPs of one generator forward, split as the training formula needs. */
export interface NetFlops {
  /** All convs of one forward. */
  forward: number;
  /** The first conv alone. */
  first: number;
}

const K2 = 16; // every conv here is 4x4

/**
 * Conv FLOPs of one U-Net generator forward on `batch` images of `height` x `width`.
 *
 * @example
 * ```ts
 * generatorFlops({ generator: { numDowns: 8, ngf: 64 } }, 256, 256, 1).forward / 1e9; // ≈ 12.1 (the UNet-256 figure)
 * ```
 */
export function generatorFlops(
  options: ModelOptions,
  height: number,
  width: number,
  batch = 1,
): NetFlops {
  const g = resolveModelOptions(options).generator;
  let forward = 0;
  let first = 0;
  for (const L of unetLevels(g)) {
    const f = 2 ** (L.level + 1);
    const inner = batch * (height / f) * (width / f); // pixels after this level's down conv
    const down = 2 * inner * L.inC * L.innerC * K2;
    const upIn = L.innermost ? L.innerC : 2 * L.innerC;
    const up = 2 * inner * upIn * L.outerC * K2;
    if (L.outermost) first = down;
    forward += down + up;
  }
  return { forward, first };
}

/**
 * Conv FLOPs of one PatchGAN forward on `batch` pairs of `height` x `width` (input channels A+B).
 *
 * @example
 * ```ts
 * discriminatorFlops({}, 256, 256, 1).forward / 1e9; // ≈ 6.4 (70x70 PatchGAN, ndf 64)
 * ```
 */
export function discriminatorFlops(
  options: ModelOptions,
  height: number,
  width: number,
  batch = 1,
): NetFlops {
  const d = resolveModelOptions(options).discriminator;
  let h = height;
  let w = width;
  let forward = 0;
  let first = 0;
  for (const [i, L] of discriminatorLayers(d).entries()) {
    h = Math.floor((h + 2 - 4) / L.stride) + 1;
    w = Math.floor((w + 2 - 4) / L.stride) + 1;
    const f = 2 * batch * h * w * L.inC * L.outC * K2;
    if (i === 0) first = f;
    forward += f;
  }
  return { forward, first };
}

/**
 * FLOPs of one benchmark case: `infer` = one generator forward; `train` = one
 * `Pix2PixModel.trainStep` by the formula in this file's header.
 *
 * @example
 * ```ts
 * caseFlops('train', { generator: { numDowns: 6, ngf: 16 } }, 64, 64, 1);
 * ```
 */
export function caseFlops(
  task: 'infer' | 'train',
  options: ModelOptions,
  height: number,
  width: number,
  batch = 1,
): number {
  const G = generatorFlops(options, height, width, batch);
  if (task === 'infer') return G.forward;
  const D = discriminatorFlops(options, height, width, batch);
  return 3 * G.forward - G.first + 9 * D.forward - 2 * D.first;
}

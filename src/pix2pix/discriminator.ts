/**
 * The PatchGAN discriminator of the reference (`NLayerDiscriminator`), with its state_dict keys
 * (`model.<index>.*`). Input: cat(A, B) along channels; output: patch logits.
 */
import type { Tensor4D } from '../core/tf.js';
import type { ResolvedDiscriminator } from './config.js';
import {
  conv,
  norm,
  convSpecs,
  normSpecs,
  convBias,
  appliedBias,
  activation,
  type ForwardContext,
} from './layers.js';
import type { ParamSpec, ParamStore } from './params.js';

interface DLayer {
  conv: number;
  norm?: number;
  inC: number;
  outC: number;
  stride: 1 | 2;
  bias: boolean;
  act: boolean;
}

/**
 * The conv layers of an n-layer PatchGAN with their Sequential indices.
 *
 * @example
 * ```ts
 * discriminatorLayers({ ndf: 64, nLayers: 3, norm: 'batch', inputChannels: 6 }).length; // 5
 * ```
 */
export function discriminatorLayers(d: ResolvedDiscriminator): DLayer[] {
  const bias = convBias(d.norm);
  const layers: DLayer[] = [
    { conv: 0, inC: d.inputChannels, outC: d.ndf, stride: 2, bias: true, act: true },
  ];
  let idx = 2;
  let mult = 1;
  for (let n = 1; n < d.nLayers; n++) {
    const prev = mult;
    mult = Math.min(2 ** n, 8);
    layers.push({
      conv: idx,
      norm: idx + 1,
      inC: d.ndf * prev,
      outC: d.ndf * mult,
      stride: 2,
      bias,
      act: true,
    });
    idx += 3;
  }
  const prev = mult;
  mult = Math.min(2 ** d.nLayers, 8);
  layers.push({
    conv: idx,
    norm: idx + 1,
    inC: d.ndf * prev,
    outC: d.ndf * mult,
    stride: 1,
    bias,
    act: true,
  });
  idx += 3;
  layers.push({ conv: idx, inC: d.ndf * mult, outC: 1, stride: 1, bias: true, act: false });
  return layers;
}

/** Every parameter of the discriminator, in the reference's state_dict order. */
export function discriminatorSpecs(d: ResolvedDiscriminator): ParamSpec[] {
  return discriminatorLayers(d).flatMap((L) => [
    ...convSpecs(`model.${L.conv}`, L.outC, L.inC, L.bias),
    ...(L.norm !== undefined ? normSpecs(`model.${L.norm}`, L.outC, d.norm) : []),
  ]);
}

/** Runs the discriminator on an NHWC batch `cat(A, B)`; returns NHWC logits `[n, h', w', 1]`. */
export function discriminatorForward(
  store: ParamStore,
  d: ResolvedDiscriminator,
  x: Tensor4D,
  ctx: ForwardContext,
): Tensor4D {
  let y = x;
  for (const L of discriminatorLayers(d)) {
    y = conv(
      store,
      `model.${L.conv}`,
      y,
      L.stride,
      1,
      appliedBias(L.bias, L.norm !== undefined, d.norm),
    );
    // The LeakyReLU goes into the norm, which fuses it where the backend can.
    if (L.norm !== undefined)
      y = norm(store, `model.${L.norm}`, y, d.norm, ctx, L.act ? 0.2 : undefined);
    else if (L.act) y = activation(y, 0.2);
  }
  return y;
}

/** Output side length of the discriminator for an input side length `s`. */
export function discriminatorOutputSize(d: ResolvedDiscriminator, s: number): number {
  let out = s;
  for (const L of discriminatorLayers(d)) out = Math.floor((out + 2 - 4) / L.stride) + 1;
  return out;
}

/**
 * Architecture inference: reads the options of a pix2pix U-Net generator or PatchGAN
 * discriminator from the keys and shapes of its PyTorch state dict, so a `.pth` can be loaded
 * without the user repeating `--num_downs`, `--ngf`, `--norm`, ... of the run that made it.
 *
 * Dropout has no parameters and cannot be read from weights: the reference's default (on) is
 * returned for the generator.
 */
import { CheckpointError } from '../core/errors.js';
import type { StateDict } from '../core/state-dict.js';
import { resolveModelOptions, type NormKind, type ModelOptions } from './config.js';
import { generatorSpecs } from './generator.js';
import { discriminatorSpecs } from './discriminator.js';
import { stripModulePrefix } from './state-dict.js';
import type { ParamSpec } from './params.js';

/** Generator options read from a state dict. */
export interface InferredGenerator {
  numDowns: number;
  ngf: number;
  norm: NormKind;
  inputChannels: number;
  outputChannels: number;
}

/** Discriminator options read from a state dict (`inputChannels` = input + output channels of G). */
export interface InferredDiscriminator {
  ndf: number;
  nLayers: number;
  norm: NormKind;
  inputChannels: number;
}

function describe(keys: string[]): string {
  const shown = keys
    .slice(0, 4)
    .map((k) => `"${k}"`)
    .join(', ');
  return keys.length > 4 ? `${shown}, ... (${keys.length} keys)` : shown || '(no keys)';
}

/** Names the architecture a state dict most likely comes from, when it is a known unsupported one. */
function foreignArchitecture(keys: string[]): string | undefined {
  if (keys.some((k) => k.includes('.conv_block.'))) {
    return 'a ResNet generator (resnet_9blocks / resnet_6blocks: keys with ".conv_block."), which pix2pix-ts does not support: only the U-Net generator (unet_256 / unet_128, --netG unet_*) is implemented';
  }
  if (keys.some((k) => k.startsWith('net.'))) {
    return 'a PixelGAN discriminator (--netD pixel: keys "net.*"), which pix2pix-ts does not support: only the n-layer PatchGAN (--netD basic / n_layers) is implemented';
  }
  return undefined;
}

/** Checks every key and shape against the specs of the inferred architecture. */
function checkSpecs(sd: StateDict, specs: ParamSpec[], what: string, summary: string): void {
  const problems: string[] = [];
  const known = new Set(specs.map((s) => s.key));
  for (const s of specs) {
    const t = sd.get(s.key);
    if (!t) problems.push(`missing "${s.key}"`);
    else if (t.shape.join(',') !== s.shape.join(','))
      problems.push(
        `"${s.key}" has shape [${t.shape.join(', ')}], expected [${s.shape.join(', ')}]`,
      );
  }
  for (const k of sd.keys())
    if (!known.has(k) && !k.endsWith('.num_batches_tracked')) problems.push(`unexpected "${k}"`);
  if (problems.length) {
    throw new CheckpointError(
      `The state dict is not a pix2pix ${what} with ${summary}: ${problems.slice(0, 6).join('; ')}${problems.length > 6 ? `; ... (${problems.length} problems)` : ''}. Is it a ${what} checkpoint of the reference's pix2pix model?`,
      'E_ARCHITECTURE',
    );
  }
}

function shapeOf(sd: StateDict, key: string, rank: number, what: string): number[] {
  const t = sd.get(key);
  if (!t || t.shape.length !== rank) {
    const keys = [...sd.keys()];
    const foreign = foreignArchitecture(keys);
    if (foreign)
      throw new CheckpointError(`The state dict looks like ${foreign}.`, 'E_ARCHITECTURE');
    throw new CheckpointError(
      `Cannot infer the architecture: this is not a pix2pix ${what} state dict (expected a ${rank}-D "${key}", found ${t ? `shape [${t.shape.join(', ')}]` : 'no such key'}; keys: ${describe(keys)}).`,
      'E_ARCHITECTURE',
    );
  }
  return t.shape;
}

/**
 * Infers the U-Net generator's options from its state dict (a `module.` prefix is stripped) and
 * checks that every key and shape fits them.
 *
 * @throws CheckpointError (`E_ARCHITECTURE`) when the keys are not a pix2pix U-Net.
 * @example
 * ```ts
 * const g = inferGeneratorOptions(readPth(bytes)); // { numDowns: 8, ngf: 64, norm: 'batch', inputChannels: 3, outputChannels: 3 }
 * ```
 */
export function inferGeneratorOptions(input: StateDict): InferredGenerator {
  const sd = stripModulePrefix(input);
  const [ngf, inputChannels] = shapeOf(sd, 'model.model.0.weight', 4, 'U-Net generator');
  // ConvTranspose2d weights are [in, out, kh, kw].
  const outputChannels = shapeOf(sd, 'model.model.3.weight', 4, 'U-Net generator')[1];
  let numDowns = 1;
  let prefix = 'model.model.1.model';
  while (sd.has(`${prefix}.1.weight`)) {
    numDowns++;
    prefix += '.3.model';
  }
  const keys = [...sd.keys()];
  const norm: NormKind = keys.some((k) => k.endsWith('.running_mean'))
    ? 'batch'
    : sd.has('model.model.1.model.1.bias')
      ? 'instance'
      : 'none';
  const inferred = { numDowns, ngf, norm, inputChannels, outputChannels };
  let specs: ParamSpec[];
  try {
    specs = generatorSpecs(resolveModelOptions({ generator: inferred }).generator);
  } catch (e) {
    throw new CheckpointError(
      `The generator state dict gives unusable options ${JSON.stringify(inferred)}: ${(e as Error).message}`,
      'E_ARCHITECTURE',
      { cause: e },
    );
  }
  checkSpecs(
    sd,
    specs,
    'U-Net generator',
    `numDowns ${numDowns}, ngf ${ngf}, norm "${norm}", ${inputChannels} -> ${outputChannels} channels`,
  );
  return inferred;
}

/**
 * Infers the PatchGAN discriminator's options from its state dict and checks every key and shape.
 *
 * @throws CheckpointError (`E_ARCHITECTURE`) when the keys are not an n-layer PatchGAN.
 * @example
 * ```ts
 * const d = inferDiscriminatorOptions(readPth(dBytes)); // { ndf: 64, nLayers: 3, norm: 'batch', inputChannels: 6 }
 * ```
 */
export function inferDiscriminatorOptions(input: StateDict): InferredDiscriminator {
  const sd = stripModulePrefix(input);
  const [ndf, inputChannels] = shapeOf(sd, 'model.0.weight', 4, 'PatchGAN discriminator');
  // Conv layers: the first, nLayers - 1 strided ones, one stride-1 one, and the 1-channel output.
  const convs = [...sd.entries()].filter(
    ([k, t]) => /^model\.\d+\.weight$/.test(k) && t.shape.length === 4,
  );
  const nLayers = convs.length - 2;
  const keys = [...sd.keys()];
  const norm: NormKind = keys.some((k) => k.endsWith('.running_mean'))
    ? 'batch'
    : sd.has('model.2.bias')
      ? 'instance'
      : 'none';
  if (nLayers < 1) {
    throw new CheckpointError(
      `Cannot infer the architecture: a PatchGAN discriminator has at least 3 conv layers, this state dict has ${convs.length} (keys: ${describe(keys)}).`,
      'E_ARCHITECTURE',
    );
  }
  const inferred = { ndf, nLayers, norm, inputChannels };
  const specs = discriminatorSpecs({ ndf, nLayers, norm, inputChannels });
  checkSpecs(
    sd,
    specs,
    'PatchGAN discriminator',
    `ndf ${ndf}, nLayers ${nLayers}, norm "${norm}", ${inputChannels} input channels`,
  );
  return inferred;
}

/**
 * Model options for a generator state dict (and optionally its discriminator's), ready for
 * `new Pix2PixModel(...)` / `createPix2Pix(...)`. Without a D state dict the discriminator keeps
 * its defaults (ndf 64, 3 layers) with the generator's norm.
 *
 * @throws CheckpointError when G and D do not belong together (channel counts).
 * @example
 * ```ts
 * const opts = inferModelOptions(readPth(gBytes), readPth(dBytes));
 * const model = new Pix2PixModel(opts);
 * ```
 */
export function inferModelOptions(g: StateDict, d?: StateDict): ModelOptions {
  const gen = inferGeneratorOptions(g);
  const options: ModelOptions = { generator: { ...gen } };
  if (d) {
    const dis = inferDiscriminatorOptions(d);
    if (dis.inputChannels !== gen.inputChannels + gen.outputChannels) {
      throw new CheckpointError(
        `The discriminator takes ${dis.inputChannels} input channels, but the generator maps ${gen.inputChannels} to ${gen.outputChannels} channels (a pix2pix D takes cat(A, B): ${gen.inputChannels + gen.outputChannels}). Are G and D from the same run?`,
        'E_ARCHITECTURE',
      );
    }
    options.discriminator = { ndf: dis.ndf, nLayers: dis.nLayers, norm: dis.norm };
  }
  return options;
}

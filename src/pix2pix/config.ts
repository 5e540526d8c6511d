/**
 * Model options and their defaults, in one place. Defaults are the paper's pix2pix
 * (UNet-256 generator, 70x70 PatchGAN, BatchNorm, vanilla GAN loss + 100 x L1, Adam 2e-4 / 0.5 / 0.999).
 */
import type { LoadOptions } from './state-dict.js';

/** Normalisation layer: `batch` (affine, running stats), `instance` (no affine, no stats), `none`. */
export type NormKind = 'batch' | 'instance' | 'none';
/** GAN objective: `vanilla` (BCE with logits, the paper) or `lsgan` (least squares). */
export type GanMode = 'vanilla' | 'lsgan';
/**
 * Inference mode.
 * - `eval` (default): BatchNorm uses running statistics, dropout off. Deterministic.
 * - `paper`: BatchNorm uses the statistics of the batch being translated and dropout is on, which
 *   is how the reference test script runs pretrained pix2pix models (it never calls `eval()`).
 */
export type InferenceMode = 'eval' | 'paper';

export interface GeneratorOptions {
  /** Number of downsamplings: 8 for 256x256, 7 for 128, 6 for 64. @defaultValue 8 */
  numDowns?: number;
  /** Filters in the last conv layer. @defaultValue 64 */
  ngf?: number;
  /** Input image channels (1 for grayscale). @defaultValue 3 */
  inputChannels?: number;
  /** Output image channels. @defaultValue 3 */
  outputChannels?: number;
  /** @defaultValue 'batch' */
  norm?: NormKind;
  /** Dropout 0.5 in the innermost-but-one blocks, as in the reference. @defaultValue true */
  dropout?: boolean;
}

export interface DiscriminatorOptions {
  /** Filters in the first conv layer. @defaultValue 64 */
  ndf?: number;
  /** Number of stride-2 conv layers: 3 = 70x70 patches, 1 = 16x16 (any n >= 1). @defaultValue 3 */
  nLayers?: number;
  /** @defaultValue same as the generator's */
  norm?: NormKind;
}

export interface TrainOptions {
  /** @defaultValue 'vanilla' */
  ganMode?: GanMode;
  /** Weight of the L1 term. @defaultValue 100 */
  lambdaL1?: number;
  /** Adam learning rate. @defaultValue 2e-4 */
  lr?: number;
  /** @defaultValue 0.5 */
  beta1?: number;
  /** @defaultValue 0.999 */
  beta2?: number;
  /** Passed explicitly: tfjs's own default epsilon differs per backend (1e-4 on webgl). @defaultValue 1e-8 */
  epsilon?: number;
}

export interface ModelOptions {
  generator?: GeneratorOptions;
  discriminator?: DiscriminatorOptions;
  train?: TrainOptions;
  /** Seed of weight initialisation and dropout masks. @defaultValue 0 */
  seed?: number;
}

export type ResolvedGenerator = Required<GeneratorOptions>;
export type ResolvedDiscriminator = Required<DiscriminatorOptions> & { inputChannels: number };
export type ResolvedTrain = Required<TrainOptions>;
export interface ResolvedModelOptions {
  generator: ResolvedGenerator;
  discriminator: ResolvedDiscriminator;
  train: ResolvedTrain;
  seed: number;
}

const NORMS: NormKind[] = ['batch', 'instance', 'none'];
const GAN_MODES: GanMode[] = ['vanilla', 'lsgan'];

function positiveInt(name: string, v: number, min = 1, max = 4096): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(
      `Option "${name}" must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}.`,
    );
  }
  return v;
}
function positiveNumber(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new RangeError(
      `Option "${name}" must be a finite number >= 0, got ${JSON.stringify(v)}.`,
    );
  }
  return v;
}
/** Beta of Adam: a number in [0, 1). */
function beta(name: string, v: number): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) {
    throw new RangeError(
      `Option "${name}" must be a number from 0 (inclusive) to 1 (exclusive), got ${JSON.stringify(v)}.`,
    );
  }
  return v;
}
/** An options group: absent (undefined) or a plain object; `null`, arrays and scalars are refused. */
function group<T>(name: string, v: T | undefined | null): T | Record<string, never> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new TypeError(
      `Option "${name}" must be an object of options (or left out for the defaults), got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : JSON.stringify(v)}.`,
    );
  }
  return v;
}
function bool(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean')
    throw new TypeError(`Option "${name}" must be true or false, got ${JSON.stringify(v)}.`);
  return v;
}

/** The inference modes, for messages and checks. */
export const INFERENCE_MODES: readonly InferenceMode[] = ['eval', 'paper'];

/**
 * Checks an inference mode option (undefined passes: the caller's default applies).
 *
 * @example
 * ```ts
 * checkMode('bogus', 'mode'); // TypeError: Unsupported mode: "bogus". Should be one of: "eval", "paper".
 * ```
 */
export function checkMode(v: unknown, name = 'mode'): InferenceMode | undefined {
  if (v === undefined) return undefined;
  return oneOf(name, v as InferenceMode, INFERENCE_MODES);
}

/** The networks of a model, for messages and checks. */
export const NET_NAMES: readonly ('G' | 'D')[] = ['G', 'D'];

/**
 * Checks a network name argument (`'G'` or `'D'`).
 *
 * @example
 * ```ts
 * checkNet('X', 'loadPth(source, net)'); // TypeError naming "G" and "D"
 * ```
 */
export function checkNet(v: unknown, what: string): 'G' | 'D' {
  if (v !== 'G' && v !== 'D') {
    throw new TypeError(
      `Unsupported network for ${what}: ${JSON.stringify(v)}. Should be one of: "G" (generator), "D" (discriminator).`,
    );
  }
  return v;
}

function oneOf<T extends string>(name: string, v: T, valid: readonly T[]): T {
  if (!valid.includes(v)) {
    throw new TypeError(
      `Unsupported ${name}: ${JSON.stringify(v)}. Should be one of: ${valid.map((x) => `"${x}"`).join(', ')}.`,
    );
  }
  return v;
}

/**
 * Fills in defaults and validates every option (RangeError / TypeError naming the option).
 *
 * @example
 * ```ts
 * const o = resolveModelOptions({ generator: { numDowns: 6, ngf: 8 } });
 * o.discriminator.ndf; // 64
 * ```
 */
export function resolveModelOptions(opts: ModelOptions = {}): ResolvedModelOptions {
  if (opts === null || typeof opts !== 'object')
    throw new TypeError(`Model options must be an object, got ${JSON.stringify(opts)}.`);
  const {
    numDowns = 8,
    ngf = 64,
    inputChannels = 3,
    outputChannels = 3,
    norm = 'batch',
    dropout = true,
  } = group<GeneratorOptions>('generator', opts.generator);
  const {
    ndf = 64,
    nLayers = 3,
    norm: dNorm = norm,
  } = group<DiscriminatorOptions>('discriminator', opts.discriminator);
  const {
    ganMode = 'vanilla',
    lambdaL1 = 100,
    lr = 2e-4,
    beta1 = 0.5,
    beta2 = 0.999,
    epsilon = 1e-8,
  } = group<TrainOptions>('train', opts.train);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed))
    throw new RangeError(`Option "seed" must be an integer, got ${JSON.stringify(seed)}.`);
  const generator: ResolvedGenerator = {
    numDowns: positiveInt('generator.numDowns', numDowns, 5, 12),
    ngf: positiveInt('generator.ngf', ngf),
    inputChannels: positiveInt('generator.inputChannels', inputChannels, 1, 64),
    outputChannels: positiveInt('generator.outputChannels', outputChannels, 1, 64),
    norm: oneOf('generator.norm', norm, NORMS),
    dropout: bool('generator.dropout', dropout),
  };
  return {
    generator,
    discriminator: {
      ndf: positiveInt('discriminator.ndf', ndf),
      nLayers: positiveInt('discriminator.nLayers', nLayers, 1, 10),
      norm: oneOf('discriminator.norm', dNorm, NORMS),
      inputChannels: generator.inputChannels + generator.outputChannels,
    },
    train: {
      ganMode: oneOf('train.ganMode', ganMode, GAN_MODES),
      lambdaL1: positiveNumber('train.lambdaL1', lambdaL1),
      lr: positiveNumber('train.lr', lr),
      beta1: beta('train.beta1', beta1),
      beta2: beta('train.beta2', beta2),
      epsilon: positiveNumber('train.epsilon', epsilon),
    },
    seed,
  };
}

const PURPOSES = ['infer', 'train'] as const;

/**
 * Checks the options of `createPix2Pix` that are not the model's (those are checked by
 * `resolveModelOptions`, called here too): a TypeError naming the option and its valid values.
 *
 * @example
 * ```ts
 * checkCreateOptions({ mode: 'bogus' }); // TypeError: Unsupported mode: "bogus". Should be one of: "eval", "paper".
 * ```
 */
export function checkCreateOptions(options: unknown): void {
  if (options === null || typeof options !== 'object')
    throw new TypeError(
      `createPix2Pix options must be an object, got ${options === null ? 'null' : JSON.stringify(options)}.`,
    );
  const o = options as {
    mode?: unknown;
    purpose?: unknown;
    key?: unknown;
    weights?: unknown;
  } & ModelOptions;
  checkMode(o.mode, 'mode');
  if (o.purpose !== undefined && !PURPOSES.includes(o.purpose as 'infer'))
    throw new TypeError(
      `Unsupported purpose: ${JSON.stringify(o.purpose)}. Should be one of: "infer", "train".`,
    );
  if (o.key !== undefined && (typeof o.key !== 'string' || !o.key))
    throw new TypeError(
      `Option "key" must be the name of a checkpoint dict entry (e.g. "netG"), got ${JSON.stringify(o.key)}.`,
    );
  if (o.weights === null)
    throw new TypeError(
      'Option "weights" is null: pass bytes, a path or URL, or an IOHandler, or leave it out for a new model.',
    );
  resolveModelOptions(o);
}

/**
 * Checks {@link LoadOptions} (a TypeError / RangeError naming the option).
 *
 * @example
 * ```ts
 * checkLoadOptions({ key: 'netG', strict: true });
 * ```
 */
export function checkLoadOptions(opts: unknown): LoadOptions {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object')
    throw new TypeError(
      `loadPth options must be an object ({ key, strict, limits }), got ${JSON.stringify(opts)}.`,
    );
  const { key, strict, limits } = opts as LoadOptions;
  if (key !== undefined && (typeof key !== 'string' || !key))
    throw new TypeError(
      `Option "key" must be the name of a checkpoint dict entry (e.g. "netG"), got ${JSON.stringify(key)}.`,
    );
  if (strict !== undefined && typeof strict !== 'boolean')
    throw new TypeError(`Option "strict" must be true or false, got ${JSON.stringify(strict)}.`);
  if (limits !== undefined) {
    if (limits === null || typeof limits !== 'object')
      throw new TypeError(
        `Option "limits" must be an object of limits, got ${JSON.stringify(limits)}.`,
      );
    for (const [k, v] of Object.entries(limits))
      if (typeof v !== 'number' || !(v >= 0))
        throw new RangeError(
          `Limit "${k}" must be a number >= 0 (Infinity for none), got ${JSON.stringify(v)}.`,
        );
  }
  return opts as LoadOptions;
}

/** The side length an input must be a multiple of for a generator with `numDowns` downsamplings. */
export function sizeMultiple(numDowns: number): number {
  return 2 ** numDowns;
}

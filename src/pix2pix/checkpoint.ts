/**
 * pix2pix-ts's own checkpoint format: everything needed to resume a training run exactly, as tfjs
 * `io.ModelArtifacts` (weight specs + weight bytes + JSON `userDefinedMetadata.pix2pix`), so it
 * goes through any tfjs IO handler: our atomic `file://` handler in Node, `indexeddb://` and
 * `downloads://` in browsers, `http(s)://` to load.
 *
 * Weights are named `G/<pytorch key>`, `D/<pytorch key>`, `optG/m/<key>`, `optG/v/<key>`, ...,
 * and stored float32 in our tfjs layout (conv `[kh,kw,in,out]`, transposed conv
 * `[kh,kw,out,in]`): bit-exact, no reordering. The metadata holds the resolved model options,
 * BatchNorm `num_batches_tracked`, both Adam `step` / `lrScale`, the dropout counter, and an
 * opaque JSON trainer state (epoch, step, LR schedule, data RNG: the trainer owns it).
 *
 * The same container also carries *web weights*: the generator alone, optionally float16 or 8-bit
 * quantised in tfjs's own `quantization` encoding (see {@link weightsToArtifacts}).
 */
import { tf } from '../core/tf.js';
import { CheckpointError, LimitError } from '../core/errors.js';
import { sizeOf } from '../core/state-dict.js';
import { encodeFloat16, quantizeAffineU8 } from '../core/quantize.js';
import {
  saveHandler,
  loadHandler,
  readBytes,
  isArtifactsContainer,
  decodeArtifacts,
  sniff,
  type IOTarget,
  type FileHandlerOptions,
} from '../core/io/index.js';
import { readPth } from '../core/pth/index.js';
import { readPict } from '../core/pict.js';
import { Pix2PixModel } from './model.js';
import {
  resolveModelOptions,
  type ModelOptions,
  type ResolvedModelOptions,
  type InferenceMode,
} from './config.js';
import { generatorSpecs } from './generator.js';
import { discriminatorSpecs } from './discriminator.js';
import { inferModelOptions } from './infer-arch.js';
import { pictToStateDict } from './pict-import.js';
import { tfShape, type ParamStore } from './params.js';
import type { Adam } from './adam.js';
import { DEFAULT_WEIGHTS, defaultModelHandler } from './default-model.js';
import type { TrainerState } from './trainer.js';

type ModelArtifacts = tf.io.ModelArtifacts;
type WeightSpec = tf.io.WeightsManifestEntry;

/** Value of `userDefinedMetadata.pix2pix.format`. */
export const CHECKPOINT_FORMAT = 'pix2pix-ts';
/** Version of the metadata layout; readers refuse newer versions. */
export const CHECKPOINT_VERSION = 1;

/** `checkpoint`: G, D, both optimizers, counters (resumable). `weights`: G only, for inference. */
export type ArtifactKind = 'checkpoint' | 'weights';

/** Precision of web weights: float32 (exact), float16, or 8-bit per-tensor affine. */
export type WeightsDType = 'float32' | 'float16' | 'uint8';

/** The JSON stored at `userDefinedMetadata.pix2pix`. */
export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  kind: ArtifactKind;
  /** Weight layout: always `tfjs` (conv `[kh,kw,in,out]`, transposed conv `[kh,kw,out,in]`). */
  layout: 'tfjs';
  options: ResolvedModelOptions;
  nets: Array<'G' | 'D'>;
  /** BatchNorm `num_batches_tracked` by layer prefix. */
  counters: { G?: Record<string, number>; D?: Record<string, number> };
  optimizers?: { G: { step: number; lrScale: number }; D: { step: number; lrScale: number } };
  dropoutCounter?: number;
  trainer?: TrainerState;
  /** How web weights were compressed. */
  dtype?: WeightsDType;
}

function store(model: Pix2PixModel, net: 'G' | 'D'): ParamStore {
  return net === 'G' ? model.G : model.D;
}
function optimizer(model: Pix2PixModel, net: 'G' | 'D'): Adam {
  return net === 'G' ? model.optG : model.optD;
}

/** Where a weight lives: a variable, or an optimizer moment (a view of its packed state). */
interface WeightSlot {
  data(): Promise<unknown>;
  assign(value: tf.Tensor): void;
}

/** Every weight a checkpoint of `model` holds, in order, with the variable it comes from. */
function expectedWeights(
  model: Pix2PixModel,
  kind: ArtifactKind,
): Array<{ name: string; shape: number[]; variable: WeightSlot; group: 'model' | 'optimizer' }> {
  const out: Array<{
    name: string;
    shape: number[];
    variable: WeightSlot;
    group: 'model' | 'optimizer';
  }> = [];
  const nets: Array<'G' | 'D'> = kind === 'checkpoint' ? ['G', 'D'] : ['G'];
  for (const net of nets) {
    const s = store(model, net);
    for (const spec of s.specs)
      out.push({
        name: `${net}/${spec.key}`,
        shape: tfShape(spec),
        variable: s.get(spec.key),
        group: 'model',
      });
  }
  if (kind === 'checkpoint') {
    for (const net of nets) {
      const opt = optimizer(model, net);
      const trainable = store(model, net).specs.filter((sp) => sp.trainable);
      trainable.forEach((spec, i) =>
        out.push({
          name: `opt${net}/m/${spec.key}`,
          shape: tfShape(spec),
          variable: opt.m[i],
          group: 'optimizer',
        }),
      );
      trainable.forEach((spec, i) =>
        out.push({
          name: `opt${net}/v/${spec.key}`,
          shape: tfShape(spec),
          variable: opt.v[i],
          group: 'optimizer',
        }),
      );
    }
  }
  return out;
}

function checkTrainerState(trainer: TrainerState | undefined): TrainerState | undefined {
  if (trainer === undefined) return undefined;
  if (trainer === null || typeof trainer !== 'object' || Array.isArray(trainer))
    throw new TypeError('The trainer state must be a plain JSON object (a TrainerState).');
  try {
    return JSON.parse(JSON.stringify(trainer));
  } catch (e) {
    throw new TypeError(`The trainer state must be JSON-serialisable: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

function concat(parts: Uint8Array[]): ArrayBuffer {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out.buffer;
}

/**
 * The full training state of a model as tfjs ModelArtifacts (float32, bit-exact).
 *
 * @example
 * ```ts
 * const artifacts = await checkpointToArtifacts(model, { epoch: 3, step: 1200 });
 * await tf.io.getSaveHandlers('indexeddb://facades')[0].save(artifacts);
 * ```
 */
export async function checkpointToArtifacts(
  model: Pix2PixModel,
  trainer?: TrainerState,
): Promise<ModelArtifacts> {
  if (model.isDisposed)
    throw new CheckpointError('Cannot save a checkpoint of a disposed model.', 'E_DISPOSED');
  const trainerState = checkTrainerState(trainer);
  const weights = expectedWeights(model, 'checkpoint');
  const parts: Uint8Array[] = [];
  const weightSpecs: WeightSpec[] = [];
  for (const w of weights) {
    const data = (await w.variable.data()) as Float32Array;
    parts.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    weightSpecs.push({ name: w.name, shape: w.shape, dtype: 'float32', group: w.group });
  }
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    kind: 'checkpoint',
    layout: 'tfjs',
    options: model.options,
    nets: ['G', 'D'],
    counters: { G: Object.fromEntries(model.G.counters), D: Object.fromEntries(model.D.counters) },
    optimizers: {
      G: { step: model.optG.step, lrScale: model.optG.lrScale },
      D: { step: model.optD.step, lrScale: model.optD.lrScale },
    },
    dropoutCounter: model.dropoutCounter,
    ...(trainerState ? { trainer: trainerState } : {}),
  };
  return artifacts(weightSpecs, concat(parts), meta);
}

function artifacts(
  weightSpecs: WeightSpec[],
  weightData: ArrayBuffer,
  meta: CheckpointMeta,
): ModelArtifacts {
  return {
    format: CHECKPOINT_FORMAT,
    generatedBy: 'pix2pix-ts',
    convertedBy: null,
    modelTopology: {},
    weightSpecs,
    weightData,
    userDefinedMetadata: { pix2pix: meta },
  };
}

export interface WeightsExportOptions {
  /** @defaultValue 'float32' */
  dtype?: WeightsDType;
  /**
   * Also quantise 1-D tensors (biases, BatchNorm scale/shift/running statistics). They are a
   * fraction of a percent of the bytes but BatchNorm's running variance is sensitive to an 8-bit
   * grid, so by default only the 4-D kernels are quantised. @defaultValue false
   */
  quantizeVectors?: boolean;
}

/**
 * The generator alone as tfjs ModelArtifacts for inference (web delivery), optionally float16 or
 * 8-bit: the `quantization` field of each weight spec is tfjs's own, so `tf.io.decodeWeights` (and
 * every tfjs loader) decodes it.
 *
 * @example
 * ```ts
 * const web = await weightsToArtifacts(model, { dtype: 'uint8' }); // ~1/4 of the float32 bytes
 * ```
 */
export async function weightsToArtifacts(
  model: Pix2PixModel,
  opts: WeightsExportOptions = {},
): Promise<ModelArtifacts> {
  const { dtype = 'float32', quantizeVectors = false } = opts;
  if (!['float32', 'float16', 'uint8'].includes(dtype))
    throw new TypeError(
      `Unsupported weights dtype: ${JSON.stringify(dtype)}. Should be one of: "float32", "float16", "uint8".`,
    );
  if (model.isDisposed)
    throw new CheckpointError('Cannot export weights of a disposed model.', 'E_DISPOSED');
  const parts: Uint8Array[] = [];
  const weightSpecs: WeightSpec[] = [];
  for (const w of expectedWeights(model, 'weights')) {
    const data = (await w.variable.data()) as Float32Array;
    const quantize = dtype !== 'float32' && (quantizeVectors || w.shape.length > 1);
    if (!quantize) {
      parts.push(
        new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
      );
      weightSpecs.push({ name: w.name, shape: w.shape, dtype: 'float32' });
    } else if (dtype === 'float16') {
      const h = encodeFloat16(data);
      parts.push(new Uint8Array(h.buffer));
      weightSpecs.push({
        name: w.name,
        shape: w.shape,
        dtype: 'float32',
        quantization: { dtype: 'float16' },
      });
    } else {
      const q = quantizeAffineU8(data);
      parts.push(q.data);
      weightSpecs.push({
        name: w.name,
        shape: w.shape,
        dtype: 'float32',
        quantization: { dtype: 'uint8', scale: q.scale, min: q.min },
      });
    }
  }
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    kind: 'weights',
    layout: 'tfjs',
    options: model.options,
    nets: ['G'],
    counters: { G: Object.fromEntries(model.G.counters) },
    dtype,
  };
  return artifacts(weightSpecs, concat(parts), meta);
}

/**
 * Reads and validates the pix2pix metadata of artifacts.
 *
 * @throws CheckpointError `E_CHECKPOINT_FORMAT` (not ours), `E_CHECKPOINT_VERSION` (too new).
 * @example
 * ```ts
 * const meta = readCheckpointMeta(artifacts); // meta.kind, meta.options, meta.trainer
 * ```
 */
export function readCheckpointMeta(a: ModelArtifacts): CheckpointMeta {
  const meta = (a.userDefinedMetadata as { pix2pix?: CheckpointMeta } | undefined)?.pix2pix;
  if (!meta || meta.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(
      `These artifacts are not a pix2pix-ts checkpoint or weights (no userDefinedMetadata.pix2pix with format "${CHECKPOINT_FORMAT}"${a.format ? `; format is "${a.format}"` : ''}). PyTorch .pth files load with loadPth / readPth, .pict files with readPict.`,
      'E_CHECKPOINT_FORMAT',
    );
  }
  if (typeof meta.version !== 'number' || meta.version > CHECKPOINT_VERSION) {
    throw new CheckpointError(
      `The checkpoint has format version ${meta.version}; this pix2pix-ts reads up to ${CHECKPOINT_VERSION}. Upgrade pix2pix-ts.`,
      'E_CHECKPOINT_VERSION',
    );
  }
  if (meta.kind !== 'checkpoint' && meta.kind !== 'weights')
    throw new CheckpointError(
      `Unknown artifact kind ${JSON.stringify(meta.kind)}; expected "checkpoint" or "weights".`,
      'E_CHECKPOINT_FORMAT',
    );
  if (meta.layout !== 'tfjs')
    throw new CheckpointError(
      `Unknown weight layout ${JSON.stringify(meta.layout)}; expected "tfjs".`,
      'E_CHECKPOINT_FORMAT',
    );
  return meta;
}

function archDiff(
  a: ResolvedModelOptions,
  b: ResolvedModelOptions,
  nets: Array<'G' | 'D'>,
  strict: boolean,
): string[] {
  const diffs: string[] = [];
  const cmp = (path: string, x: unknown, y: unknown) => {
    if (x !== y) diffs.push(`${path}: checkpoint ${JSON.stringify(x)}, model ${JSON.stringify(y)}`);
  };
  const g = ['numDowns', 'ngf', 'inputChannels', 'outputChannels', 'norm'] as const;
  for (const k of g) cmp(`generator.${k}`, a.generator[k], b.generator[k]);
  if (nets.includes('D'))
    for (const k of ['ndf', 'nLayers', 'norm', 'inputChannels'] as const)
      cmp(`discriminator.${k}`, a.discriminator[k], b.discriminator[k]);
  if (strict) {
    cmp('generator.dropout', a.generator.dropout, b.generator.dropout);
    cmp('seed', a.seed, b.seed);
    for (const k of Object.keys(a.train) as Array<keyof ResolvedModelOptions['train']>)
      cmp(`train.${k}`, a.train[k], b.train[k]);
  }
  return diffs;
}

export interface RestoreOptions {
  /**
   * Also require the same dropout flag, seed and training options (lr, betas, ...): what an exact
   * resume needs. With `false` only the architecture must match (fine-tuning with another lr).
   * Ignored for web weights. @defaultValue true
   */
  strict?: boolean;
}

/**
 * Loads artifacts into an existing model, all or nothing: every name, shape and dtype is checked
 * and decoded before any variable changes. Returns the trainer state (checkpoints) or undefined.
 *
 * @throws CheckpointError `E_ARCHITECTURE` when the model's options differ (listed),
 *   `E_CHECKPOINT_CORRUPT` on missing/extra/misshapen weights.
 * @example
 * ```ts
 * const trainer = await restoreFromArtifacts(model, artifacts);
 * ```
 */
export async function restoreFromArtifacts(
  model: Pix2PixModel,
  a: ModelArtifacts,
  opts: RestoreOptions = {},
): Promise<TrainerState | undefined> {
  const { strict = true } = opts;
  const meta = readCheckpointMeta(a);
  if (model.isDisposed)
    throw new CheckpointError('Cannot restore into a disposed model.', 'E_DISPOSED');
  const diffs = archDiff(
    meta.options,
    model.options,
    meta.nets,
    strict && meta.kind === 'checkpoint',
  );
  if (diffs.length) {
    throw new CheckpointError(
      `The ${meta.kind} does not fit this model: ${diffs.join('; ')}. Create the model from the checkpoint instead (loadCheckpoint), or pass { strict: false } to restore into a model with other training options.`,
      'E_ARCHITECTURE',
    );
  }
  const expected = expectedWeights(model, meta.kind);
  const specs = a.weightSpecs ?? [];
  const byName = new Map(specs.map((s) => [s.name, s]));
  const problems: string[] = [];
  for (const w of expected) {
    const s = byName.get(w.name);
    if (!s) problems.push(`missing "${w.name}"`);
    else if (s.shape.join(',') !== w.shape.join(','))
      problems.push(
        `"${w.name}" has shape [${s.shape.join(', ')}], expected [${w.shape.join(', ')}]`,
      );
    else if (s.dtype !== 'float32')
      problems.push(`"${w.name}" has dtype ${s.dtype}, expected float32`);
  }
  const known = new Set(expected.map((w) => w.name));
  for (const s of specs) if (!known.has(s.name)) problems.push(`unexpected "${s.name}"`);
  if (problems.length)
    throw new CheckpointError(
      `The ${meta.kind} is inconsistent with its own options: ${problems.slice(0, 6).join('; ')}${problems.length > 6 ? ` (${problems.length} problems)` : ''}.`,
      'E_CHECKPOINT_CORRUPT',
    );
  let decoded: tf.NamedTensorMap;
  try {
    decoded = tf.io.decodeWeights(a.weightData ?? new ArrayBuffer(0), specs);
  } catch (e) {
    throw new CheckpointError(
      `Could not decode the ${meta.kind}'s weights: ${(e as Error).message}. The file is truncated or damaged.`,
      'E_CHECKPOINT_CORRUPT',
      { cause: e },
    );
  }
  try {
    for (const w of expected) {
      const t = decoded[w.name];
      if (sizeOf(t.shape) !== sizeOf(w.shape))
        throw new CheckpointError(
          `internal: decoded "${w.name}" has the wrong size`,
          'E_CHECKPOINT_CORRUPT',
        );
      w.variable.assign(t);
    }
  } finally {
    tf.dispose(Object.values(decoded));
  }
  const setCounters = (s: ParamStore, c: Record<string, number> | undefined) => {
    for (const k of s.counters.keys()) s.counters.set(k, Number(c?.[k] ?? 0));
  };
  setCounters(model.G, meta.counters.G);
  if (meta.kind === 'checkpoint') {
    setCounters(model.D, meta.counters.D);
    model.optG.step = meta.optimizers?.G.step ?? 0;
    model.optG.lrScale = meta.optimizers?.G.lrScale ?? 1;
    model.optD.step = meta.optimizers?.D.step ?? 0;
    model.optD.lrScale = meta.optimizers?.D.lrScale ?? 1;
    model.dropoutCounter = meta.dropoutCounter ?? 0;
  }
  return meta.trainer;
}

/** Default cap on the elements a model built from a file may allocate (parameters plus Adam's two moments). */
export const MAX_MODEL_ELEMENTS = 2 ** 28;

/**
 * Checks the artifacts' own options against their weights before any model is built: a
 * 549-byte file whose options say ngf 4096 would otherwise allocate gigabytes of variables and
 * only then find its weights missing. The weight names and shapes those options imply must be the
 * ones the file holds, the specs must fit the weight bytes, and the model must stay under
 * {@link MAX_MODEL_ELEMENTS}.
 */
function precheckArtifacts(a: ModelArtifacts, meta: CheckpointMeta, options: ModelOptions): void {
  let resolved: ResolvedModelOptions;
  let g: ReturnType<typeof generatorSpecs>;
  let dspecs: ReturnType<typeof discriminatorSpecs>;
  try {
    resolved = resolveModelOptions(options);
    g = generatorSpecs(resolved.generator);
    dspecs = discriminatorSpecs(resolved.discriminator);
  } catch (e) {
    throw new CheckpointError(
      `The checkpoint's model options are invalid: ${(e as Error).message}`,
      'E_CHECKPOINT_CORRUPT',
      { cause: e },
    );
  }
  const elements = (shape: number[]) => shape.reduce((x, y) => x * y, 1);
  const params = [...g, ...dspecs].reduce((n, sp) => n + elements(sp.shape), 0);
  const moments = [...g, ...dspecs]
    .filter((sp) => sp.trainable)
    .reduce((n, sp) => n + 2 * elements(sp.shape), 0);
  if (params + moments > MAX_MODEL_ELEMENTS) {
    throw new LimitError(
      `The ${meta.kind}'s options describe a model of ${params} parameters (${params + moments} elements with the optimizer's moments), above the limit of ${MAX_MODEL_ELEMENTS}; refused before building it.`,
    );
  }
  const expected = new Map<string, number[]>();
  const nets =
    meta.kind === 'checkpoint'
      ? ([
          ['G', g],
          ['D', dspecs],
        ] as const)
      : ([['G', g]] as const);
  for (const [net, specs] of nets)
    for (const sp of specs) expected.set(`${net}/${sp.key}`, tfShape(sp));
  if (meta.kind === 'checkpoint') {
    for (const [net, specs] of nets) {
      for (const m of ['m', 'v'])
        for (const sp of specs.filter((x) => x.trainable))
          expected.set(`opt${net}/${m}/${sp.key}`, tfShape(sp));
    }
  }
  const specs = a.weightSpecs ?? [];
  const problems: string[] = [];
  const byName = new Map(specs.map((sp) => [sp.name, sp]));
  for (const [name, shape] of expected) {
    const sp = byName.get(name);
    if (!sp) problems.push(`missing "${name}"`);
    else if (!Array.isArray(sp.shape) || sp.shape.join(',') !== shape.join(','))
      problems.push(
        `"${name}" has shape [${String(sp.shape).slice(0, 40)}], expected [${shape.join(', ')}]`,
      );
  }
  if (problems.length) {
    throw new CheckpointError(
      `The ${meta.kind} is inconsistent with its own options: ${problems.slice(0, 6).join('; ')}${problems.length > 6 ? ` (${problems.length} problems)` : ''}. Checked before building the model.`,
      'E_CHECKPOINT_CORRUPT',
    );
  }
}

/**
 * Creates a model with the artifacts' own options and loads them into it.
 *
 * @example
 * ```ts
 * const { model, trainerState, meta } = await modelFromArtifacts(artifacts);
 * ```
 */
export async function modelFromArtifacts(
  a: ModelArtifacts,
  overrides: Pick<ModelOptions, 'train'> = {},
): Promise<{ model: Pix2PixModel; trainerState?: TrainerState; meta: CheckpointMeta }> {
  const meta = readCheckpointMeta(a);
  const { discriminator, generator, train, seed } = meta.options;
  const { inputChannels: _ic, ...d } = discriminator;
  precheckArtifacts(a, meta, { generator, discriminator: d, train, seed });
  let model: Pix2PixModel;
  try {
    model = new Pix2PixModel({
      generator,
      discriminator: d,
      train: { ...train, ...overrides.train },
      seed,
    });
  } catch (e) {
    throw new CheckpointError(
      `The checkpoint's model options are invalid: ${(e as Error).message}`,
      'E_CHECKPOINT_CORRUPT',
      { cause: e },
    );
  }
  try {
    const trainerState = await restoreFromArtifacts(model, a, { strict: !overrides.train });
    return { model, trainerState, meta };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

export interface CheckpointIOOptions extends FileHandlerOptions {
  /** fetch implementation for http(s) sources. @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * Saves the full training state to a path / `file://` URL (atomic in Node), `indexeddb://name`,
 * `downloads://name`, or any tf.io.IOHandler.
 *
 * @example
 * ```ts
 * await saveCheckpoint(model, 'runs/facades/latest.p2p', { epoch, step, rng: rng.state() });
 * ```
 */
export async function saveCheckpoint(
  model: Pix2PixModel,
  target: IOTarget,
  trainerState?: TrainerState,
  opts: CheckpointIOOptions = {},
): Promise<tf.io.SaveResult> {
  const a = await checkpointToArtifacts(model, trainerState);
  return saveHandler(target, opts).save!(a);
}

/**
 * Saves the generator for inference, optionally float16 / 8-bit (see {@link weightsToArtifacts}).
 * A `.json` path writes tfjs's `model.json` + weights file layout.
 *
 * @example
 * ```ts
 * await saveWeights(model, 'public/facades/model.json', { dtype: 'uint8' });
 * ```
 */
export async function saveWeights(
  model: Pix2PixModel,
  target: IOTarget,
  opts: WeightsExportOptions & CheckpointIOOptions = {},
): Promise<tf.io.SaveResult> {
  const a = await weightsToArtifacts(model, opts);
  return saveHandler(target, opts).save!(a);
}

async function loadArtifacts(source: IOTarget, opts: CheckpointIOOptions): Promise<ModelArtifacts> {
  const handler = loadHandler(source, opts);
  try {
    return await handler.load!();
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(
      `Could not load ${typeof source === 'string' ? `"${source}"` : 'the checkpoint'}: ${(e as Error)?.message ?? e}`,
      'E_IO_READ',
      { cause: e },
    );
  }
}

/**
 * Loads a checkpoint (or web weights) into a new model built with its saved options.
 *
 * @example
 * ```ts
 * const { model, trainerState } = await loadCheckpoint('runs/facades/latest.p2p');
 * ```
 */
export async function loadCheckpoint(
  source: IOTarget,
  opts: CheckpointIOOptions = {},
): Promise<{ model: Pix2PixModel; trainerState?: TrainerState; meta: CheckpointMeta }> {
  return modelFromArtifacts(await loadArtifacts(source, opts));
}

/**
 * Loads a checkpoint (or web weights) into an existing model, all or nothing; returns the trainer state.
 *
 * @example
 * ```ts
 * const trainer = await restoreCheckpoint(model, 'indexeddb://facades-latest');
 * ```
 */
export async function restoreCheckpoint(
  model: Pix2PixModel,
  source: IOTarget,
  opts: CheckpointIOOptions & RestoreOptions = {},
): Promise<TrainerState | undefined> {
  return restoreFromArtifacts(model, await loadArtifacts(source, opts), opts);
}

/** Where weights come from: bytes, a path / URL (`.pth`, `.pict`, our file, a tfjs `model.json`), a tfjs IOHandler, or `'default'` (the shipped font model). */
export type WeightsInput = Uint8Array | ArrayBuffer | string | URL | tf.io.IOHandler;

/** What {@link modelFromWeights} built. */
export interface LoadedWeights {
  model: Pix2PixModel;
  /** The inference mode the weights were made for (`paper` for `.pict`, else `eval`). */
  mode: InferenceMode;
  kind: 'pth' | 'pict' | ArtifactKind;
  /** For `.pict`: how the model differs from the TF port (see pictToStateDict). */
  differences?: string[];
  trainerState?: TrainerState;
}

function looksLikePict(b: Uint8Array): boolean {
  if (b.length < 6) return false;
  const len = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  return len > 0 && len + 4 <= b.length && b[4] === 0x5b; // '[': the shapes JSON
}

/**
 * Builds a model from generator weights of any supported kind, inferring the architecture unless
 * `options.generator` is given: a PyTorch `.pth` (G state dict; `io.key` names the entry of a
 * checkpoint dict that holds it, e.g. `'netG'`), a `.pict` (pix2pix-tensorflow /
 * ml5.js demos), our checkpoint or web weights (single file or tfjs `model.json`).
 *
 * @throws CheckpointError naming the format problem or the architecture mismatch.
 * @example
 * ```ts
 * const { model, mode } = await modelFromWeights('checkpoints/facades/latest_net_G.pth');
 * model.generate(x, mode);
 * ```
 */
export async function modelFromWeights(
  source: WeightsInput,
  options: ModelOptions = {},
  io: CheckpointIOOptions & { key?: string } = {},
): Promise<LoadedWeights> {
  let bytes: Uint8Array | undefined;
  let art: ModelArtifacts | undefined;
  if (source instanceof Uint8Array) bytes = source;
  else if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
  else if (source === DEFAULT_WEIGHTS) art = await loadArtifacts(defaultModelHandler(), io);
  else if (typeof source === 'string' || source instanceof URL) {
    const s = String(source);
    if (/\.json([?#].*)?$/i.test(s)) art = await loadArtifacts(s, io);
    else bytes = await readBytes(s, io);
  } else if (source && typeof (source as tf.io.IOHandler).load === 'function')
    art = await loadArtifacts(source as tf.io.IOHandler, io);
  else
    throw new TypeError(
      'Weights must be bytes (Uint8Array / ArrayBuffer), a path or URL string, or a tf.io.IOHandler.',
    );

  if (bytes && isArtifactsContainer(bytes)) art = decodeArtifacts(bytes, 'the weights');
  if (art) {
    if (!options.generator) {
      const r = await modelFromArtifacts(art);
      return { model: r.model, mode: 'eval', kind: r.meta.kind, trainerState: r.trainerState };
    }
    const model = new Pix2PixModel(options);
    try {
      const trainerState = await restoreFromArtifacts(model, art, { strict: false });
      return { model, mode: 'eval', kind: readCheckpointMeta(art).kind, trainerState };
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  const b = bytes!;
  if ((b[0] === 0x50 && b[1] === 0x4b) || b[0] === 0x80) {
    const sd = readPth(b, { key: io.key });
    const inferred = options.generator ? {} : inferModelOptions(sd);
    const model = new Pix2PixModel({
      ...options,
      generator: options.generator ?? inferred.generator,
    });
    try {
      model.loadStateDict('G', sd);
    } catch (e) {
      model.dispose();
      throw e;
    }
    return { model, mode: 'eval', kind: 'pth' };
  }
  if (looksLikePict(b)) {
    const imp = pictToStateDict(readPict(b).tensors);
    const model = new Pix2PixModel({ ...options, generator: options.generator ?? imp.generator });
    try {
      model.loadStateDict('G', imp.stateDict);
    } catch (e) {
      model.dispose();
      throw e;
    }
    return { model, mode: imp.mode, kind: 'pict', differences: imp.differences };
  }
  throw new CheckpointError(
    `Unrecognised weights (${sniff(b)}). Expected a PyTorch .pth, a .pict, a pix2pix-ts checkpoint/weights file, or a tfjs model.json.`,
    'E_CHECKPOINT_FORMAT',
  );
}

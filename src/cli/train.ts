/**
 * `pix2pix-ts train` (any paired dataset) and `pix2pix-ts demo` (the embedded font dataset,
 * offline, in a few minutes): progress bar with ETA, checkpoints, sample grids, loss curve and an
 * HTML report.
 */
import { parseArgs } from 'node:util';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { tf } from '../core/tf.js';
import { selectBackend, type BackendRequest, type BackendName } from '../backends/index.js';
import { Pix2PixModel } from '../pix2pix/model.js';
import type { ModelOptions, NormKind, GanMode } from '../pix2pix/config.js';
import { trainLoop, type TrainProgress, type TrainerState, type SampleSet } from '../pix2pix/trainer.js';
import type { PreprocessMode } from '../pix2pix/preprocess.js';
import { openPairedDataset, findDefaultDataset, type PairedDataset, type Direction } from '../node/dataset.js';
import { writePth } from '../core/pth/index.js';
import { atomicWrite, nodeFs } from '../core/io/index.js';
import { saveCheckpoint, loadCheckpoint } from '../pix2pix/checkpoint.js';
import { existsSync } from 'node:fs';
import type { FloatImage } from '../core/image.js';
import { writeGrid, writeReport } from './report.js';

export const TRAIN_HELP = `Usage: pix2pix-ts train --dataroot <dir> [options]

Trains pix2pix on a paired dataset: <dataroot>/train/ with A|B images side by side (or A/ and B/
folders with matching names), as the reference implementation.

Data:      --dataroot DIR  --phase train  --direction AtoB|BtoA  --input-nc 3  --output-nc 3
           --preprocess resize_and_crop|crop|scale_width|scale_width_and_crop|none
           --load-size 286  --crop-size 256  --no-flip  --val-phase test (samples from it)
Model:     --num-downs 8  --ngf 64  --ndf 64  --n-layers 3  --norm batch|instance|none  --no-dropout
Training:  --epochs 100  --epochs-decay 100  --batch 1  --lr 0.0002  --gan-mode vanilla|lsgan
           --lambda-l1 100  --seed 0  --max-steps N  --backend auto|wasm|cpu|webgl|webgpu
Outputs:   --out runs/<name> (default runs/train)  --sample-every 200 (steps)
           --checkpoint-every 5 (epochs): writes latest.ckpt (everything needed to resume),
           latest_net_G.pth and latest_net_D.pth (PyTorch state_dicts); at the end index.html
           (report), loss.svg/png, samples_*.png
           --resume: continue the run saved in <out>/latest.ckpt exactly where it stopped`;

export const DEMO_HELP = `Usage: pix2pix-ts demo [--out runs/demo] [--epochs 6] [--epochs-decay 2] [--ngf 16] [--ndf 16] [--batch 4] [--backend auto]

Trains a small pix2pix on the embedded font dataset (Noto Serif SC -> Ma Shan Zheng brush style,
500 training characters, 64x64) for a few minutes, translates the 100 held-out characters, and
writes an HTML report with the sample grids, the loss curve and the L1 error on the held-out set
before and after training. Offline; no data to bring.`;

interface RunConfig {
  dataroot: string;
  phase: string;
  valPhase: string;
  direction: Direction;
  inputNc: 1 | 3;
  outputNc: 1 | 3;
  preprocess: PreprocessMode;
  loadSize: number;
  cropSize: number;
  flip: boolean;
  model: ModelOptions;
  epochs: number;
  epochsDecay: number;
  batch: number;
  maxSteps: number;
  backend: BackendRequest;
  out: string;
  sampleEvery: number;
  checkpointEvery: number;
  /** Demo extras: held-out L1 before/after and a before/after grid. */
  demo: boolean;
  /** Continue the run saved in `<out>/latest.ckpt`. */
  resume: boolean;
}

/** Our full training checkpoint (weights, optimizers, RNG and trainer state) in the output folder. */
const CHECKPOINT = 'latest.ckpt';

const num = (name: string, v: string | undefined, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new RangeError(`Option --${name} must be a number, got "${v}".`);
  return n;
};

function progressReporter(total: number): { update: (p: TrainProgress) => void; stop: () => void } {
  if (process.stdout.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: 'train |{bar}| {value}/{total} steps | epoch {epoch} | {ips} img/s | ETA {eta_formatted} | G_L1 {l1} G_GAN {gan} D {d}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { epoch: '-', ips: '-', l1: '-', gan: '-', d: '-' });
    return {
      update: (p) => bar.update(p.step, { epoch: `${p.epoch + 1}/${p.totalEpochs}`, ips: p.imagesPerSecond.toFixed(1), l1: p.losses.G_L1.toFixed(2), gan: p.losses.G_GAN.toFixed(3), d: ((p.losses.D_real + p.losses.D_fake) / 2).toFixed(3) }),
      stop: () => bar.stop(),
    };
  }
  // Not a terminal (CI logs, pipes): a line every 5% instead of redrawing.
  let next = 0;
  return {
    update: (p) => {
      if (p.step < next && p.step !== p.totalSteps) return;
      next = p.step + Math.max(1, Math.round(p.totalSteps / 20));
      const eta = Number.isFinite(p.etaSeconds) ? `${Math.round(p.etaSeconds)}s` : '?';
      console.log(`train ${p.step}/${p.totalSteps} steps, epoch ${p.epoch + 1}/${p.totalEpochs}, ${p.imagesPerSecond.toFixed(1)} img/s, ETA ${eta}, G_L1 ${p.losses.G_L1.toFixed(2)}, G_GAN ${p.losses.G_GAN.toFixed(3)}, D_real ${p.losses.D_real.toFixed(3)}, D_fake ${p.losses.D_fake.toFixed(3)}`);
    },
    stop: () => undefined,
  };
}

/** Translates every sample of a dataset in eval mode; returns outputs and mean |output - target|. */
async function evaluate(model: Pix2PixModel, ds: PairedDataset, batch = 8): Promise<{ outputs: FloatImage[]; l1: number }> {
  const outputs: FloatImage[] = [];
  let sum = 0;
  let count = 0;
  for (let i = 0; i < ds.size; i += batch) {
    const samples = await Promise.all(Array.from({ length: Math.min(batch, ds.size - i) }, (_, k) => ds.get(i + k)));
    const { width: w, height: h, channelsA: ca, channelsB: cb } = samples[0];
    const a = new Float32Array(samples.length * w * h * ca);
    samples.forEach((s, k) => a.set(s.a, k * w * h * ca));
    const x = tf.tensor4d(a, [samples.length, h, w, ca]);
    const y = model.generate(x, 'eval');
    const data = (await y.data()) as Float32Array;
    tf.dispose([x, y]);
    samples.forEach((s, k) => {
      const out = data.slice(k * w * h * cb, (k + 1) * w * h * cb);
      for (let j = 0; j < out.length; j++) sum += Math.abs(out[j] - s.b[j]);
      count += out.length;
      outputs.push({ data: out, width: w, height: h, channels: cb });
    });
  }
  return { outputs, l1: sum / count };
}

async function run(cfg: RunConfig): Promise<number> {
  const out = resolve(cfg.out);
  await mkdir(out, { recursive: true });
  const info = await selectBackend({ backend: cfg.backend, purpose: 'train' });
  console.log(`backend: ${info.name} (${info.reason})`);
  const open = (phase: string) =>
    openPairedDataset({ root: cfg.dataroot, phase, direction: cfg.direction, inputChannels: cfg.inputNc, outputChannels: cfg.outputNc });
  const train = await open(cfg.phase);
  const val = await open(cfg.valPhase).catch(() => null);
  const issues = await train.validate();
  if (issues.length) {
    for (const i of issues.slice(0, 10)) console.error(`dataset: ${i.error.message}`);
    console.error(`${issues.length} unusable file(s) in ${train.root}; fix or remove them.`);
    return 2;
  }
  const first = await train.get(0);
  let model: Pix2PixModel;
  let resumeState: TrainerState | undefined;
  const ckpt = join(out, CHECKPOINT);
  if (cfg.resume) {
    if (!existsSync(ckpt)) {
      console.error(`Nothing to resume: ${ckpt} does not exist (run without --resume first).`);
      return 2;
    }
    // The checkpoint carries the model options, both optimizers, the dropout counter and the
    // trainer's position (epoch, step, augmentation RNG), so the run continues exactly.
    const loaded = await loadCheckpoint(ckpt);
    model = loaded.model;
    resumeState = loaded.trainerState;
    console.log(`resuming from ${ckpt}: step ${resumeState?.step ?? 0}, epoch ${(resumeState?.epoch ?? 0) + 1}`);
  } else {
    model = new Pix2PixModel({
      ...cfg.model,
      generator: { ...cfg.model.generator, inputChannels: first.channelsA, outputChannels: first.channelsB },
    });
  }
  const g = model.options.generator;
  console.log(`data: ${train.size} training pairs in ${train.root}${val ? `, ${val.size} held out in ${val.root}` : ''}`);
  console.log(`model: U-Net numDowns ${g.numDowns} ngf ${g.ngf} (${(model.G.countParams() / 1e6).toFixed(2)} M params), PatchGAN ndf ${model.options.discriminator.ndf} n_layers ${model.options.discriminator.nLayers}, norm ${g.norm}`);

  const showCount = 8;
  const before = cfg.demo && val ? await evaluate(model, val) : null;
  if (before) console.log(`held-out L1 before training: ${before.l1.toFixed(4)}`);

  const batchesPerEpoch = Math.ceil(train.size / cfg.batch);
  const total = Math.min(cfg.maxSteps, (cfg.epochs + cfg.epochsDecay) * batchesPerEpoch);
  const bar = progressReporter(total);
  const sampleFiles: { file: string; caption: string }[] = [];
  const onSamples = async (s: SampleSet): Promise<void> => {
    const file = `samples_step${String(s.step).padStart(6, '0')}.png`;
    await writeGrid(join(out, file), s.samples.map((x) => [x.input, x.output, x.target]), 2);
    sampleFiles.push({ file, caption: `step ${s.step} (epoch ${s.epoch + 1}): input | output | target, held-out samples` });
  };
  // Every save is atomic (temp file, fsync, rename): a crash never leaves a broken latest file.
  const save = async (state: TrainerState): Promise<void> => {
    await saveCheckpoint(model, join(out, CHECKPOINT), state);
    await atomicWrite(nodeFs(), join(out, 'latest_net_G.pth'), [writePth(await model.stateDict('G'))]);
    await atomicWrite(nodeFs(), join(out, 'latest_net_D.pth'), [writePth(await model.stateDict('D'))]);
  };
  const t0 = Date.now();
  let state: TrainerState;
  try {
    state = await trainLoop(model, train, {
      nEpochs: cfg.epochs,
      nEpochsDecay: cfg.epochsDecay,
      batchSize: cfg.batch,
      maxSteps: cfg.maxSteps,
      preprocess: { preprocess: cfg.preprocess, loadSize: cfg.loadSize, cropSize: cfg.cropSize, flip: cfg.flip },
      onProgress: bar.update,
      validation: val ? { source: val, every: cfg.sampleEvery, count: showCount, onSamples } : undefined,
      checkpoint: { every: cfg.checkpointEvery, save },
      resume: resumeState,
    });
  } finally {
    bar.stop();
  }
  const seconds = (Date.now() - t0) / 1000;
  const stepsNow = state.step - (resumeState?.step ?? 0);
  console.log(`trained ${stepsNow} steps in ${seconds.toFixed(0)} s (${((stepsNow * cfg.batch) / seconds).toFixed(1)} img/s)${resumeState ? `, ${state.step} in total` : ''}`);

  const metrics: [string, string][] = [];
  const images: { file: string; caption: string }[] = [];
  if (val) {
    const after = await evaluate(model, val);
    const rows: FloatImage[][] = [];
    for (let i = 0; i < Math.min(16, val.size); i++) {
      const s = await val.get(i);
      const input = { data: s.a, width: s.width, height: s.height, channels: s.channelsA };
      const target = { data: s.b, width: s.width, height: s.height, channels: s.channelsB };
      rows.push(before ? [input, before.outputs[i], after.outputs[i], target] : [input, after.outputs[i], target]);
    }
    await writeGrid(join(out, 'test_grid.png'), rows, 2);
    images.push({ file: 'test_grid.png', caption: before ? `held-out characters (never trained on): input | untrained output | trained output | target` : 'held-out samples: input | output | target' });
    if (before) metrics.push(['held-out L1 before training', before.l1.toFixed(4)]);
    metrics.push(['held-out L1 after training', after.l1.toFixed(4)]);
    metrics.push(['held-out samples', `${val.size} (mean |output - target| over all pixels, values in [-1, 1])`]);
    console.log(`held-out L1 after training: ${after.l1.toFixed(4)}${before ? ` (before: ${before.l1.toFixed(4)})` : ''}`);
  }
  images.push(...sampleFiles.slice(-3).reverse());
  const report = await writeReport(out, {
    title: cfg.demo ? 'pix2pix-ts demo: Song/Ming print -> brush calligraphy' : 'pix2pix-ts training report',
    facts: [
      ['backend', `${info.name}: ${info.reason}`],
      ['data', `${train.size} training pairs (${train.root})${val ? `, ${val.size} held out` : ''}`],
      ['model', `U-Net numDowns ${g.numDowns}, ngf ${g.ngf}, norm ${g.norm}; PatchGAN ndf ${model.options.discriminator.ndf}, ${model.options.discriminator.nLayers} layers`],
      ['training', `${state.step} steps, batch ${cfg.batch}, ${cfg.epochs} + ${cfg.epochsDecay} epochs (constant + linear decay), lr ${model.options.train.lr}`],
      ['time', `${seconds.toFixed(0)} s for ${stepsNow} steps, ${((stepsNow * cfg.batch) / seconds).toFixed(1)} images/s`],
      ['checkpoints', 'latest.ckpt (resumable with --resume), latest_net_G.pth, latest_net_D.pth (PyTorch state_dicts)'],
    ],
    metrics,
    history: state.history,
    images,
  });
  console.log(`report: ${report}`);
  model.dispose();
  return 0;
}

function baseArgs() {
  return {
    dataroot: { type: 'string' },
    phase: { type: 'string', default: 'train' },
    'val-phase': { type: 'string', default: 'test' },
    direction: { type: 'string', default: 'AtoB' },
    'input-nc': { type: 'string' },
    'output-nc': { type: 'string' },
    preprocess: { type: 'string', default: 'resize_and_crop' },
    'load-size': { type: 'string' },
    'crop-size': { type: 'string' },
    'no-flip': { type: 'boolean', default: false },
    'num-downs': { type: 'string' },
    ngf: { type: 'string' },
    ndf: { type: 'string' },
    'n-layers': { type: 'string' },
    norm: { type: 'string', default: 'batch' },
    'no-dropout': { type: 'boolean', default: false },
    epochs: { type: 'string' },
    'epochs-decay': { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    'gan-mode': { type: 'string', default: 'vanilla' },
    'lambda-l1': { type: 'string' },
    seed: { type: 'string' },
    'max-steps': { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    out: { type: 'string' },
    'sample-every': { type: 'string' },
    'checkpoint-every': { type: 'string' },
    resume: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
}

function toConfig(values: Record<string, string | boolean | undefined>, demo: boolean): RunConfig {
  const v = values as Record<string, string | undefined>;
  const d = demo
    ? { numDowns: 6, ngf: 16, ndf: 16, nLayers: 3, epochs: 6, decay: 2, batch: 4, load: 70, crop: 64, nc: 1, flip: false, sample: 100 }
    : { numDowns: 8, ngf: 64, ndf: 64, nLayers: 3, epochs: 100, decay: 100, batch: 1, load: 286, crop: 256, nc: 3, flip: true, sample: 200 };
  const backend = String(values.backend ?? 'auto');
  const dataroot = demo ? (v.dataroot ?? findDefaultDataset()) : v.dataroot;
  if (!dataroot) throw new TypeError('Option --dataroot is required (the dataset folder). See pix2pix-ts train --help.');
  return {
    dataroot,
    phase: v.phase ?? 'train',
    valPhase: v['val-phase'] ?? 'test',
    direction: (v.direction ?? 'AtoB') as Direction,
    inputNc: num('input-nc', v['input-nc'], d.nc) as 1 | 3,
    outputNc: num('output-nc', v['output-nc'], d.nc) as 1 | 3,
    preprocess: (v.preprocess ?? 'resize_and_crop') as PreprocessMode,
    loadSize: num('load-size', v['load-size'], d.load),
    cropSize: num('crop-size', v['crop-size'], d.crop),
    flip: values['no-flip'] ? false : d.flip,
    model: {
      generator: { numDowns: num('num-downs', v['num-downs'], d.numDowns), ngf: num('ngf', v.ngf, d.ngf), norm: (v.norm ?? 'batch') as NormKind, dropout: !values['no-dropout'] },
      discriminator: { ndf: num('ndf', v.ndf, d.ndf), nLayers: num('n-layers', v['n-layers'], d.nLayers) },
      train: { lr: num('lr', v.lr, 2e-4), ganMode: (v['gan-mode'] ?? 'vanilla') as GanMode, lambdaL1: num('lambda-l1', v['lambda-l1'], 100) },
      seed: num('seed', v.seed, 0),
    },
    epochs: num('epochs', v.epochs, d.epochs),
    epochsDecay: num('epochs-decay', v['epochs-decay'], d.decay),
    batch: num('batch', v.batch, d.batch),
    maxSteps: num('max-steps', v['max-steps'], Infinity),
    backend: (backend.includes(',') ? backend.split(',') : backend) as BackendRequest & BackendName,
    out: v.out ?? (demo ? 'runs/demo' : 'runs/train'),
    sampleEvery: num('sample-every', v['sample-every'], d.sample),
    checkpointEvery: num('checkpoint-every', v['checkpoint-every'], 5),
    demo,
    resume: Boolean(values.resume),
  };
}

export async function trainCommand(argv: string[], demo = false): Promise<number> {
  const { values } = parseArgs({ args: argv, options: baseArgs(), allowPositionals: false });
  if (values.help) {
    console.log(demo ? DEMO_HELP : TRAIN_HELP);
    return 0;
  }
  return run(toConfig(values, demo));
}

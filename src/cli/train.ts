/**
 * `pix2pix-ts train` (any paired dataset) and `pix2pix-ts demo` (the embedded font dataset,
 * offline, in a few minutes): progress bar with ETA, checkpoints, sample grids, loss curve and an
 * HTML report. Written over the public Node API: `openPairedDataset`, `createPix2Pix`, `train`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import {
  createPix2Pix,
  openPairedDataset,
  findDefaultDataset,
  type PairedDataset,
  type Direction,
  type InThreadPix2Pix,
  type TrainProgress,
  type SampleSet,
  type FloatImage,
  type BackendRequest,
  type NormKind,
  type GanMode,
} from '../index.node.js';
import type { PreprocessMode } from '../pix2pix/preprocess.js';
import { atomicWrite, encodeArtifacts, makeDirs, nodeFs } from '../core/io/index.js';
import { checkFileSet, writeFileSet, type SetFile } from '../core/io/file-set.js';
import type { tf } from '../core/tf.js';
import { writeGrid, writeReport } from './report.js';
import { defineCommand, num, oneOf, UsageError, type CommandIO } from './command.js';

export const TRAIN_HELP = `Usage: pix2pix-ts train --dataroot <dir> [options]

Trains pix2pix on a paired dataset: <dataroot>/train/ with A|B images side by side (or A/ and B/
folders with matching names), as the reference implementation.

Data:      --dataroot DIR  --phase train  --direction AtoB|BtoA  --input-nc 3  --output-nc 3
           --preprocess resize_and_crop|crop|scale_width|scale_width_and_crop|none
           --load-size 286  --crop-size 256  --no-flip  --val-phase test (held-out split: samples and L1; default test/, else val/, else none)
Model:     --num-downs 8  --ngf 64  --ndf 64  --n-layers 3  --norm batch|instance|none  --no-dropout
Training:  --epochs 100  --epochs-decay 100  --batch 1  --lr 0.0002  --gan-mode vanilla|lsgan
           --lambda-l1 100  --seed 0  --max-steps N  --backend auto|wasm|cpu|webgl|webgpu
Outputs:   --out runs/<name> (default runs/train)  --sample-every 200 (steps)
           --checkpoint-every 5 (epochs): writes latest.ckpt (everything needed to resume),
           latest_net_G.pth and latest_net_D.pth (PyTorch state_dicts) as one set with
           latest.json (their sizes and CRC-32s, checked by --resume); at the end index.html
           (report), loss.svg/png, samples_*.png
           --resume: continue the run saved in <out>/latest.ckpt exactly where it stopped`;

export const DEMO_HELP = `Usage: pix2pix-ts demo [--out runs/demo] [--epochs 6] [--epochs-decay 2] [--ngf 16] [--ndf 16] [--batch 4] [--backend auto]

Trains a small pix2pix on the embedded font dataset (Noto Serif SC -> Ma Shan Zheng brush style,
500 training characters, 64x64) for a few minutes, translates the 100 held-out characters, and
writes an HTML report with the sample grids, the loss curve and the L1 error on the held-out set
before and after training. Offline; no data to bring.`;

/** Our full training checkpoint (weights, optimizers, RNG and trainer state) in the output folder. */
const CHECKPOINT = 'latest.ckpt';
/** Names the size and CRC-32 of latest_net_G.pth, latest_net_D.pth and latest.ckpt of one save. */
const MANIFEST = 'latest.json';

/**
 * A checkpoint target that keeps the encoded bytes instead of writing them, so that the
 * checkpoint and the `.pth` files of the same step are written together as one set.
 */
function captureTarget(): { handler: tf.io.IOHandler; take(): Uint8Array[] } {
  let parts: Uint8Array[] | null = null;
  return {
    handler: {
      save: async (a) => {
        parts = encodeArtifacts(a);
        return {
          modelArtifactsInfo: {
            dateSaved: new Date(),
            modelTopologyType: 'JSON',
            weightDataBytes: parts[2]?.length ?? 0,
          },
        };
      },
    },
    take: () => {
      if (!parts) throw new Error('no checkpoint was encoded before onSaved');
      const p = parts;
      parts = null;
      return p;
    },
  };
}

/** Writes G, D and the checkpoint of one step as a set: temps, renames in order, then the manifest. */
async function writeCheckpointSet(
  out: string,
  ckptParts: Uint8Array[],
  exportPth: (net: 'G' | 'D') => Promise<Uint8Array>,
  step: number,
): Promise<void> {
  const files: SetFile[] = [
    { name: 'latest_net_G.pth', parts: [await exportPth('G')] },
    { name: 'latest_net_D.pth', parts: [await exportPth('D')] },
    { name: CHECKPOINT, parts: ckptParts },
  ];
  await writeFileSet(nodeFs(), out, MANIFEST, files, `step ${step}`);
}

function progressReporter(
  total: number,
  io: CommandIO,
): { update: (p: TrainProgress) => void; stop: () => void } {
  if (process.stdout.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format:
          'train |{bar}| {value}/{total} steps | epoch {epoch} | {ips} img/s | ETA {eta_formatted} | G_L1 {l1} G_GAN {gan} D {d}',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { epoch: '-', ips: '-', l1: '-', gan: '-', d: '-' });
    return {
      update: (p) =>
        bar.update(p.step, {
          epoch: `${p.epoch + 1}/${p.totalEpochs}`,
          ips: p.imagesPerSecond.toFixed(1),
          l1: p.losses.G_L1.toFixed(2),
          gan: p.losses.G_GAN.toFixed(3),
          d: ((p.losses.D_real + p.losses.D_fake) / 2).toFixed(3),
        }),
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
      io.out(
        `train ${p.step}/${p.totalSteps} steps, epoch ${p.epoch + 1}/${p.totalEpochs}, ${p.imagesPerSecond.toFixed(1)} img/s, ETA ${eta}, G_L1 ${p.losses.G_L1.toFixed(2)}, G_GAN ${p.losses.G_GAN.toFixed(3)}, D_real ${p.losses.D_real.toFixed(3)}, D_fake ${p.losses.D_fake.toFixed(3)}`,
      );
    },
    stop: () => undefined,
  };
}

/** Translates every sample of a dataset in eval mode; returns outputs and mean |output - target|. */
async function evaluate(
  p2p: InThreadPix2Pix,
  ds: PairedDataset,
): Promise<{ outputs: FloatImage[]; l1: number }> {
  const outputs: FloatImage[] = [];
  let sum = 0;
  let count = 0;
  for (let i = 0; i < ds.size; i++) {
    const s = await ds.get(i);
    const out = await p2p.translateFloat(
      { data: s.a, width: s.width, height: s.height, channels: s.channelsA },
      { mode: 'eval' },
    );
    for (let j = 0; j < out.data.length; j++) sum += Math.abs(out.data[j] - s.b[j]);
    count += out.data.length;
    outputs.push(out);
  }
  return { outputs, l1: sum / count };
}

const OPTIONS = {
  dataroot: { type: 'string' },
  phase: { type: 'string' },
  'val-phase': { type: 'string' },
  direction: { type: 'string' },
  'input-nc': { type: 'string' },
  'output-nc': { type: 'string' },
  preprocess: { type: 'string' },
  'load-size': { type: 'string' },
  'crop-size': { type: 'string' },
  'no-flip': { type: 'boolean', default: false },
  'num-downs': { type: 'string' },
  ngf: { type: 'string' },
  ndf: { type: 'string' },
  'n-layers': { type: 'string' },
  norm: { type: 'string' },
  'no-dropout': { type: 'boolean', default: false },
  epochs: { type: 'string' },
  'epochs-decay': { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  'gan-mode': { type: 'string' },
  'lambda-l1': { type: 'string' },
  seed: { type: 'string' },
  'max-steps': { type: 'string' },
  backend: { type: 'string', default: 'auto' },
  out: { type: 'string' },
  'sample-every': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  resume: { type: 'boolean', default: false },
} as const;

const PREPROCESS: readonly PreprocessMode[] = [
  'resize_and_crop',
  'crop',
  'scale_width',
  'scale_width_and_crop',
  'none',
];

async function run(
  values: Record<string, string | boolean | undefined>,
  demo: boolean,
  io: CommandIO,
): Promise<number> {
  const d = demo
    ? {
        numDowns: 6,
        ngf: 16,
        ndf: 16,
        nLayers: 3,
        epochs: 6,
        decay: 2,
        batch: 4,
        load: 70,
        crop: 64,
        nc: 1,
        flip: false,
        sample: 100,
      }
    : {
        numDowns: 8,
        ngf: 64,
        ndf: 64,
        nLayers: 3,
        epochs: 100,
        decay: 100,
        batch: 1,
        load: 286,
        crop: 256,
        nc: 3,
        flip: true,
        sample: 200,
      };
  const v = values as Record<string, string | undefined>;
  const dataroot = demo ? (v.dataroot ?? findDefaultDataset()) : v.dataroot;
  if (!dataroot) throw new UsageError('--dataroot is required (the dataset folder).');
  const nc = (name: string): 1 | 3 =>
    oneOf(values, name, ['1', '3'], String(d.nc) as '1' | '3') === '1' ? 1 : 3;
  const backend = String(values.backend ?? 'auto');
  const cfg = {
    direction: oneOf<Direction>(values, 'direction', ['AtoB', 'BtoA'], 'AtoB'),
    inputNc: nc('input-nc'),
    outputNc: nc('output-nc'),
    preprocess: {
      preprocess: oneOf(values, 'preprocess', PREPROCESS, 'resize_and_crop'),
      loadSize: num(values, 'load-size', d.load, { int: true, min: 1 }),
      cropSize: num(values, 'crop-size', d.crop, { int: true, min: 1 }),
      flip: values['no-flip'] ? false : d.flip,
    },
    epochs: num(values, 'epochs', d.epochs, { int: true, min: 0 }),
    epochsDecay: num(values, 'epochs-decay', d.decay, { int: true, min: 0 }),
    batch: num(values, 'batch', d.batch, { int: true, min: 1 }),
    maxSteps: num(values, 'max-steps', Infinity, { min: 1 }),
    sampleEvery: num(values, 'sample-every', d.sample, { int: true, min: 1 }),
    checkpointEvery: num(values, 'checkpoint-every', 5, { int: true, min: 1 }),
    backend: (backend.includes(',') ? backend.split(',') : backend) as BackendRequest,
  };
  const model = {
    discriminator: {
      ndf: num(values, 'ndf', d.ndf, { int: true, min: 1 }),
      nLayers: num(values, 'n-layers', d.nLayers, { int: true, min: 1 }),
    },
    train: {
      lr: num(values, 'lr', 2e-4),
      ganMode: oneOf<GanMode>(values, 'gan-mode', ['vanilla', 'lsgan'], 'vanilla'),
      lambdaL1: num(values, 'lambda-l1', 100),
    },
    seed: num(values, 'seed', 0, { int: true }),
  };
  const generator = {
    numDowns: num(values, 'num-downs', d.numDowns, { int: true, min: 1 }),
    ngf: num(values, 'ngf', d.ngf, { int: true, min: 1 }),
    norm: oneOf<NormKind>(values, 'norm', ['batch', 'instance', 'none'], 'batch'),
    dropout: !values['no-dropout'],
  };

  const out = resolve(v.out ?? (demo ? 'runs/demo' : 'runs/train'));
  const ckpt = join(out, CHECKPOINT);
  if (values.resume && !existsSync(ckpt))
    throw new UsageError(`Nothing to resume: ${ckpt} does not exist (run without --resume first).`);
  // Checked before the first step (a read-only --out used to surface at the first checkpoint,
  // an epoch later): the folder is made and a probe file written the way checkpoints are.
  try {
    await makeDirs(nodeFs(), out);
    const probe = join(out, `.write-probe-${process.pid}`);
    await atomicWrite(nodeFs(), probe, [new Uint8Array(1)]);
    await nodeFs().unlink(probe);
  } catch (e) {
    throw new UsageError(
      `--out ${out} is not a writable folder (${(e as Error).message}); choose another. Checked before training starts.`,
    );
  }
  const open = (phase: string, phaseFallback = true) =>
    openPairedDataset({
      root: dataroot,
      phase,
      phaseFallback,
      direction: cfg.direction,
      inputChannels: cfg.inputNc,
      outputChannels: cfg.outputNc,
    });
  const train = await open(v.phase ?? 'train');
  // The held-out split must be a folder of its own: --val-phase if given (an error if it is
  // missing), else test/ or val/; never the dataset folder itself, which would quietly measure the
  // "held-out" L1 on the training images.
  const valPhases = v['val-phase'] ? [v['val-phase']] : ['test', 'val'];
  let val: PairedDataset | null = null;
  for (const phase of valPhases) {
    try {
      val = await open(phase, false);
      break;
    } catch (e) {
      if (v['val-phase']) throw e;
      if (!/No ".*" split/.test((e as Error).message)) throw e;
    }
  }
  if (val && val.root === train.root)
    throw new UsageError(
      `The held-out split "${val.phase}" is the training folder ${train.root}; choose another --val-phase.`,
    );
  for (const ds of val ? [train, val] : [train])
    for (const s of ds.skipped.slice(0, 10)) io.err(`warning: dataset: ${s.error.message}`);
  const issues = [...(await train.validate()), ...(val ? await val.validate() : [])];
  if (issues.length) {
    for (const i of issues.slice(0, 10)) io.err(`dataset: ${i.error.message}`);
    io.err(
      `error [E_DATASET]: ${issues.length} unusable file(s) in ${train.root}${val ? ` and ${val.root}` : ''}; fix or remove them.`,
    );
    return 2;
  }
  const first = await train.get(0);
  // A resumed run takes everything from the checkpoint: model options, both optimizers, the
  // dropout counter and the trainer's position (epoch, step, augmentation RNG).
  // A save killed between its renames leaves files of two saves; latest.ckpt is whole either way
  // (each file is renamed from a complete temp), so it is the one to trust.
  const set = values.resume ? await checkFileSet(nodeFs(), out, MANIFEST) : null;
  const p2p = values.resume
    ? await createPix2Pix({ weights: ckpt, backend: cfg.backend, purpose: 'train' })
    : await createPix2Pix({
        ...model,
        generator: {
          ...generator,
          inputChannels: first.channelsA,
          outputChannels: first.channelsB,
        },
        backend: cfg.backend,
        purpose: 'train',
      });
  try {
    const resumed = values.resume ? p2p.trainerState : undefined;
    const info = p2p.backendInfo;
    io.out(`backend: ${info.name} (${info.reason})`);
    if (values.resume)
      io.out(
        `resuming from ${ckpt}: step ${resumed?.step ?? 0}, epoch ${(resumed?.epoch ?? 0) + 1}`,
      );
    if (set?.mismatched.length) {
      io.err(
        `warning: ${set.mismatched.join(', ')} in ${out} ${set.mismatched.length === 1 ? 'does' : 'do'} not match ${MANIFEST} (a save was interrupted between its renames); rewriting latest_net_G.pth and latest_net_D.pth from ${CHECKPOINT} (step ${resumed?.step ?? 0}).`,
      );
      const bytes = new Uint8Array(await nodeFs().readFile(ckpt));
      await writeCheckpointSet(out, [bytes], (n) => p2p.exportPth(n), resumed?.step ?? 0);
    }
    const { generator: g, discriminator: dsc, train: tr } = p2p.options;
    io.out(
      `data: ${train.size} training pairs in ${train.root}${val ? `, ${val.size} held out (split "${val.phase}") in ${val.root}` : ''}`,
    );
    if (!val)
      io.out(
        `held-out split: none (no ${valPhases.map((p) => `${p}/`).join(' or ')} in ${resolve(dataroot)}): no held-out L1 is measured; pass --val-phase to name one.`,
      );
    io.out(
      `model: U-Net numDowns ${g.numDowns} ngf ${g.ngf}, PatchGAN ndf ${dsc.ndf} n_layers ${dsc.nLayers}, norm ${g.norm}`,
    );

    const before = demo && val ? await evaluate(p2p, val) : null;
    if (before) io.out(`held-out L1 before training: ${before.l1.toFixed(4)}`);

    const total = Math.min(
      cfg.maxSteps,
      (cfg.epochs + cfg.epochsDecay) * Math.ceil(train.size / cfg.batch),
    );
    const bar = progressReporter(total, io);
    const sampleFiles: { file: string; caption: string }[] = [];
    const onSamples = async (s: SampleSet): Promise<void> => {
      const file = `samples_step${String(s.step).padStart(6, '0')}.png`;
      await writeGrid(
        join(out, file),
        s.samples.map((x) => [x.input, x.output, x.target]),
        2,
      );
      sampleFiles.push({
        file,
        caption: `step ${s.step} (epoch ${s.epoch + 1}): input | output | target, held-out samples`,
      });
    };
    const capture = captureTarget();
    const t0 = Date.now();
    let state;
    try {
      state = await p2p.train(train, {
        nEpochs: cfg.epochs,
        nEpochsDecay: cfg.epochsDecay,
        batchSize: cfg.batch,
        maxSteps: cfg.maxSteps,
        preprocess: cfg.preprocess,
        onProgress: bar.update,
        validation: val ? { source: val, every: cfg.sampleEvery, count: 8, onSamples } : undefined,
        // The checkpoint and both .pth files of a step are one set: each written whole to a temp
        // file, renamed in order, then latest.json names them all (checked by --resume).
        checkpoint: {
          every: cfg.checkpointEvery,
          target: capture.handler,
          onSaved: ({ exportPth, state: s }) =>
            writeCheckpointSet(out, capture.take(), exportPth, s.step),
        },
        resume: resumed,
      });
    } finally {
      bar.stop();
    }
    const seconds = (Date.now() - t0) / 1000;
    const stepsNow = state.step - (resumed?.step ?? 0);
    io.out(
      `trained ${stepsNow} steps in ${seconds.toFixed(0)} s (${((stepsNow * cfg.batch) / seconds).toFixed(1)} img/s)${resumed ? `, ${state.step} in total` : ''}`,
    );

    const metrics: [string, string][] = [];
    const images: { file: string; caption: string }[] = [];
    if (val) {
      const after = await evaluate(p2p, val);
      const rows: FloatImage[][] = [];
      for (let i = 0; i < Math.min(16, val.size); i++) {
        const s = await val.get(i);
        const input = { data: s.a, width: s.width, height: s.height, channels: s.channelsA };
        const target = { data: s.b, width: s.width, height: s.height, channels: s.channelsB };
        rows.push(
          before
            ? [input, before.outputs[i], after.outputs[i], target]
            : [input, after.outputs[i], target],
        );
      }
      await writeGrid(join(out, 'test_grid.png'), rows, 2);
      images.push({
        file: 'test_grid.png',
        caption: before
          ? 'held-out characters (never trained on): input | untrained output | trained output | target'
          : 'held-out samples: input | output | target',
      });
      if (before) metrics.push(['held-out L1 before training', before.l1.toFixed(4)]);
      metrics.push(['held-out L1 after training', after.l1.toFixed(4)]);
      metrics.push([
        'held-out samples',
        `${val.size} of split "${val.phase}" in ${val.root} (mean |output - target| over all pixels, values in [-1, 1])`,
      ]);
      io.out(
        `held-out L1 after training (split "${val.phase}"): ${after.l1.toFixed(4)}${before ? ` (before: ${before.l1.toFixed(4)})` : ''}`,
      );
    }
    images.push(...sampleFiles.slice(-3).reverse());
    const report = await writeReport(out, {
      title: demo
        ? 'pix2pix-ts demo: Song/Ming print -> brush calligraphy'
        : 'pix2pix-ts training report',
      facts: [
        ['backend', `${info.name}: ${info.reason}`],
        [
          'data',
          `${train.size} training pairs (${train.root})${val ? `, ${val.size} held out (split "${val.phase}", ${val.root})` : ', no held-out split'}`,
        ],
        [
          'model',
          `U-Net numDowns ${g.numDowns}, ngf ${g.ngf}, norm ${g.norm}; PatchGAN ndf ${dsc.ndf}, ${dsc.nLayers} layers`,
        ],
        [
          'training',
          `${state.step} steps, batch ${cfg.batch}, ${cfg.epochs} + ${cfg.epochsDecay} epochs (constant + linear decay), lr ${tr.lr}`,
        ],
        [
          'time',
          `${seconds.toFixed(0)} s for ${stepsNow} steps, ${((stepsNow * cfg.batch) / seconds).toFixed(1)} images/s`,
        ],
        [
          'checkpoints',
          'latest.ckpt (resumable with --resume), latest_net_G.pth, latest_net_D.pth (PyTorch state_dicts), latest.json (the set of one save)',
        ],
      ],
      metrics,
      history: state.history,
      images,
    });
    io.out(`report: ${report}`);
    return 0;
  } finally {
    await p2p.dispose();
  }
}

/** `pix2pix-ts train`. */
export const trainCommand = defineCommand({
  name: 'train',
  usage: TRAIN_HELP,
  options: OPTIONS,
  run: ({ values }, io) => run(values, false, io),
});

/** `pix2pix-ts demo`: `train` with the embedded font dataset and small defaults. */
export const demoCommand = defineCommand({
  name: 'demo',
  usage: DEMO_HELP,
  options: OPTIONS,
  run: ({ values }, io) => run(values, true, io),
});

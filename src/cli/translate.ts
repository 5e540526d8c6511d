/**
 * `pix2pix-ts translate <file|folder> --out <dir>`: translates images with a pool of
 * `worker_threads` workers (one model each), decoding and encoding with sharp on the main thread.
 */
import { readdir, stat, writeFile } from 'node:fs/promises';
import { makeDirs, nodeFs } from '../core/io/index.js';
import { availableParallelism } from 'node:os';
import { basename, extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  writePth,
  createWorkerPool,
  decodeImage,
  encodePng,
  type GeneratorOptions,
  type InferenceMode,
  type BackendName,
  type RGBAImage,
} from '../index.node.js';
import { IMAGE_EXTENSIONS } from '../node/image-io.js';
import { readGeneratorWeights } from './generator-weights.js';
import { defineCommand, num, oneOf, UsageError, type Command, type CommandIO } from './command.js';

/** What `--backend` accepts. */
export const TRANSLATE_BACKENDS: readonly (BackendName | 'auto')[] = [
  'auto',
  'ort-node',
  'wasm',
  'cpu',
];

export const TRANSLATE_HELP = `Usage: pix2pix-ts translate <file|folder> --out <dir> [options]

Translates one image or every image of a folder (${IMAGE_EXTENSIONS.join(' ')}) with a pix2pix
generator, in parallel on worker threads, and writes <name>.png files to --out. Any image size:
the model pads to a multiple of 2^numDowns and crops back.

Options:
  --out <dir>         output folder (created if missing)                      (required)
  --weights <file>    generator weights: a PyTorch .pth, a pix2pix-ts checkpoint, web weights
                      (model.json), a path or URL, or "default" (the shipped font model);
                      the architecture is read from them.
                      Without it the generator is randomly initialised (for timing only).
  --key <name>        entry of a checkpoint dict holding the generator (e.g. netG)
  --workers <N>       worker threads, one model each                  (default: cores = ${availableParallelism()})
  --threads <N>       compute threads per worker (ort-node: intra-op threads)
                                                  (default: ort-node cores / workers, wasm 1)
  --backend <name>    auto, ort-node, wasm or cpu: auto is ort-node when onnxruntime-node
                      loads (npm i onnxruntime-node), else wasm         (default: auto)
  --mode <m>          eval (running BatchNorm statistics, no dropout) or paper
                      (batch statistics and dropout, as the reference test script)  (default: eval)
  --num-downs <n>     U-Net depth without --weights                    (default: 8)
  --ngf <n>           generator width without --weights                (default: 64)
  --gray              one input/output channel (without --weights)
  --quiet             no progress bar
  -h, --help          this help`;

const OPTIONS = {
  out: { type: 'string' },
  weights: { type: 'string' },
  key: { type: 'string' },
  workers: { type: 'string' },
  threads: { type: 'string' },
  backend: { type: 'string' },
  mode: { type: 'string' },
  'num-downs': { type: 'string' },
  ngf: { type: 'string' },
  gray: { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
} as const;

/**
 * Builds the command; `options.workerUrl` overrides the worker script (the default is
 * `worker.node.js` beside the bundle; tests and embedders running from sources pass their own).
 *
 * @example
 * ```ts
 * process.exitCode = await makeTranslateCommand().run(['photos/', '--out', 'out/', '--weights', 'latest_net_G.pth', '--workers', '4']);
 * ```
 */
export function makeTranslateCommand(options: { workerUrl?: string | URL } = {}): Command {
  return defineCommand({
    name: 'translate',
    usage: () => TRANSLATE_HELP,
    options: OPTIONS,
    positionals: 1,
    run: ({ values, positionals: [input] }, io) => translate(values, input, io, options.workerUrl),
  });
}

/** `pix2pix-ts translate`. */
export const translateCommand = makeTranslateCommand();

async function translate(
  values: {
    [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
  },
  input: string,
  io: CommandIO,
  workerUrl: string | URL | undefined,
): Promise<number> {
  if (!values.out) throw new UsageError('--out <dir> is required.');
  const backend = oneOf<BackendName | 'auto'>(values, 'backend', TRANSLATE_BACKENDS, 'auto');
  const threads =
    values.threads === undefined ? undefined : num(values, 'threads', 1, { int: true, min: 1 });
  // On ort-node too, one single-threaded session per core by default: measured against one worker
  // with every core as intra-op threads, neither won consistently on 2 cores (BENCHMARKS.md,
  // "ort-node engine"), and per-core sessions scale without intra-op synchronisation.
  // Bounded: more workers than a few per core only multiplies models in memory (--workers 1e9
  // used to start one worker per file).
  const workers = num(values, 'workers', availableParallelism(), {
    int: true,
    min: 1,
    max: 4 * availableParallelism(),
  });
  const mode = oneOf<InferenceMode>(values, 'mode', ['eval', 'paper'], 'eval');

  let files: string[];
  try {
    files = (await stat(input)).isDirectory()
      ? (await readdir(input))
          .filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()))
          .sort()
          .map((f) => join(input, f))
      : [input];
  } catch (e) {
    throw new UsageError(`cannot read "${input}": ${(e as Error).message}.`);
  }
  if (!files.length)
    throw new UsageError(`no images (${IMAGE_EXTENSIONS.join(' ')}) in "${input}".`);

  let generator: GeneratorOptions;
  let weights: Uint8Array | undefined;
  if (values.weights) {
    // Any format the library writes (.pth, checkpoint, model.json, default): the workers get a .pth.
    const g = await readGeneratorWeights(values.weights, { key: values.key });
    weights = writePth(g.stateDict);
    generator = { ...g.generator, dropout: true };
  } else {
    const c = values.gray ? 1 : 3;
    generator = {
      numDowns: num(values, 'num-downs', 8, { int: true, min: 1 }),
      ngf: num(values, 'ngf', 64, { int: true, min: 1 }),
      inputChannels: c,
      outputChannels: c,
    };
    io.err(
      'note: no --weights given; the generator is randomly initialised (useful for timing only).',
    );
  }

  try {
    await makeDirs(nodeFs(), values.out);
  } catch (e) {
    throw new UsageError(
      `--out ${values.out} is not a folder that can be made (${(e as Error).message}); choose another.`,
    );
  }
  const size = Math.min(workers, files.length);
  const pool = await createWorkerPool({ size, backend, threads, generator, mode, workerUrl });
  if (!values.quiet) io.err(`backend: ${pool.backendInfo.name} (${pool.backendInfo.reason})`);
  try {
    // The key was applied when the weights were read: `weights` is the generator's own state dict.
    if (weights) await pool.loadPth(weights, 'G');
    const channels = (generator.inputChannels ?? 3) as 1 | 3;
    const outChannels = generator.outputChannels ?? 3;
    const bar = progressBar(files.length, !values.quiet && files.length > 1);
    const t0 = performance.now();
    let next = 0,
      failed = 0;
    // Two images in flight per worker, so decoding and encoding (sharp, off the JS thread) overlap
    // the workers' compute.
    const lane = async () => {
      while (next < files.length) {
        const file = files[next++];
        try {
          const img = await decodeImage(file, channels);
          const out = await pool.translate(img, { transfer: true });
          const png = await encodePng(dropChannels(out, outChannels === 1 ? 1 : 3));
          await writeFile(join(values.out!, `${basename(file, extname(file))}.png`), png);
        } catch (e) {
          failed++;
          bar.note(
            `error [${(e as { code?: string }).code ?? 'E_UNEXPECTED'}]: ${file}: ${(e as Error).message}`,
          );
        }
        bar.tick();
      }
    };
    await Promise.all(Array.from({ length: Math.min(files.length, size * 2) }, lane));
    const secs = (performance.now() - t0) / 1000;
    bar.done();
    io.out(
      `${files.length - failed} of ${files.length} image(s) written to ${values.out} in ${secs.toFixed(1)} s (${((files.length - failed) / secs).toFixed(2)} images/s, ${size} worker(s), ${pool.backendInfo.name} x ${pool.backendInfo.threads} thread(s))`,
    );
    return failed ? 1 : 0;
  } finally {
    await pool.dispose();
  }
}

/** RGBA (alpha always 255) to RGB, or to gray for one-channel generators (R = G = B there). */
function dropChannels(
  img: RGBAImage,
  c: 1 | 3,
): { data: Uint8Array; width: number; height: number; channels: 1 | 3 } {
  const n = img.width * img.height;
  const data = new Uint8Array(n * c);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) data[c * i + k] = img.data[4 * i + k];
  return { data, width: img.width, height: img.height, channels: c };
}

/** A one-line progress bar with rate and ETA on stderr (plain lines when not a terminal). */
function progressBar(
  total: number,
  enabled: boolean,
): { tick(): void; note(s: string): void; done(): void } {
  const tty = process.stderr.isTTY;
  const t0 = performance.now();
  let n = 0,
    lastLine = 0;
  const render = () => {
    const secs = (performance.now() - t0) / 1000;
    const rate = n / Math.max(secs, 1e-9);
    const eta = rate > 0 ? (total - n) / rate : Infinity;
    const width = 28;
    const filled = Math.round((width * n) / total);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n}/${total} ${Math.floor((100 * n) / total)}% ${rate.toFixed(2)} img/s ETA ${Number.isFinite(eta) ? formatSecs(eta) : '?'}`;
  };
  return {
    tick() {
      n++;
      if (!enabled) return;
      if (tty) process.stderr.write(`\r${render()}\x1b[K`);
      else if (performance.now() - lastLine > 2000 || n === total) {
        lastLine = performance.now();
        process.stderr.write(render() + '\n');
      }
    },
    note(s) {
      process.stderr.write(`${enabled && tty ? '\r\x1b[K' : ''}${s}\n`);
    },
    done() {
      if (enabled && tty) process.stderr.write('\n');
    },
  };
}

function formatSecs(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * Opening a {@link WorkerDataset} (plain data sent by the main thread) inside a worker. `pairs`
 * and `files` need nothing platform-specific; `folder` needs Node's file system and sharp, so its
 * opener is passed in by the Node worker entry (`src/worker.node.ts`) and browser bundles never
 * reach Node code.
 */
import { DatasetError, WorkerError } from '../core/errors.js';
import { browserPairedDataset } from '../core/browser-image.js';
import { detectEnvironment } from '../core/env.js';
import type { SampleSource } from '../pix2pix/batches.js';
import type { PairSample } from '../pix2pix/preprocess.js';
import type { WorkerDataset } from './protocol.js';

/** The dataset description of one kind. */
export type DatasetOf<K extends WorkerDataset['kind']> = Extract<WorkerDataset, { kind: K }>;

/**
 * Openers a worker host knows beyond the built-in `pairs` and `files`. Each receives the
 * description with `inputChannels` / `outputChannels` already defaulted to the model's.
 *
 * @example
 * ```ts
 * const openers: DatasetOpeners = { folder: (d) => openPairedDataset(d) };
 * startWorkerHost({ datasets: openers });
 * ```
 */
export interface DatasetOpeners {
  folder?: (
    d: DatasetOf<'folder'> & { inputChannels: 1 | 3; outputChannels: 1 | 3 },
  ) => Promise<SampleSource<PairSample>>;
}

const KINDS = ['folder', 'files', 'pairs'];

/**
 * Checks on the main thread that `d` is a description a worker can open (not a dataset object,
 * whose methods would not survive `postMessage`). Throws a `TypeError` naming `what`.
 *
 * @example
 * ```ts
 * assertWorkerDataset({ kind: 'pairs', pairs }, 'dataset');
 * ```
 */
export function assertWorkerDataset(d: unknown, what: string): asserts d is WorkerDataset {
  const kind = (d as { kind?: unknown } | null)?.kind;
  if (typeof d === 'object' && d !== null && typeof kind === 'string' && KINDS.includes(kind)) {
    const ok =
      kind === 'folder'
        ? typeof (d as { root?: unknown }).root === 'string'
        : kind === 'files'
          ? Array.isArray((d as { files?: unknown }).files)
          : Array.isArray((d as { pairs?: unknown }).pairs);
    if (ok) return;
    const field =
      kind === 'folder'
        ? '"root" (a path)'
        : kind === 'files'
          ? '"files" (an array of File, Blob or URL)'
          : '"pairs" (an array of PairSample)';
    throw new TypeError(`Option "${what}" of kind "${kind}" needs ${field}.`);
  }
  const hint =
    typeof (d as { get?: unknown } | null)?.get === 'function'
      ? ' A dataset object (openPairedDataset, browserPairedDataset) cannot be sent to a worker: describe it instead.'
      : '';
  throw new TypeError(
    `Option "${what}" of a worker model must be { kind: 'folder', root } (Node), { kind: 'files', files } (browsers) or { kind: 'pairs', pairs }.${hint}`,
  );
}

/**
 * Opens `d` in this worker. Channels default to the model's generator channels.
 *
 * @example
 * ```ts
 * const src = await openWorkerDataset({ kind: 'pairs', pairs }, { inputChannels: 3, outputChannels: 3 }, {});
 * ```
 */
export async function openWorkerDataset(
  d: WorkerDataset,
  channels: { inputChannels: number; outputChannels: number },
  openers: DatasetOpeners,
): Promise<SampleSource<PairSample>> {
  if (d.kind === 'pairs') {
    const pairs = d.pairs;
    if (!pairs.length) throw new DatasetError('The dataset is empty: "pairs" has no samples.');
    return { size: pairs.length, get: async (i) => pairs[i] };
  }
  const inputChannels = (d.inputChannels ?? channels.inputChannels) as 1 | 3;
  const outputChannels = (d.outputChannels ?? channels.outputChannels) as 1 | 3;
  if (d.kind === 'files') {
    if (detectEnvironment() === 'node') {
      throw new DatasetError(
        '{ kind: "files" } datasets are decoded with createImageBitmap, which a Node worker lacks; use { kind: "folder", root } or { kind: "pairs", pairs } in Node.',
      );
    }
    return browserPairedDataset(d.files, { direction: d.direction, inputChannels, outputChannels });
  }
  if (!openers.folder) {
    throw new WorkerError(
      'This worker cannot open folders: { kind: "folder" } datasets need the Node worker script (dist/worker.node.js, the default of createPix2Pix({ worker: true }) in Node). In browsers use { kind: "files", files }.',
    );
  }
  return openers.folder({ ...d, inputChannels, outputChannels });
}

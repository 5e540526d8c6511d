/**
 * The Node worker's dataset openers: `{ kind: 'folder' }` through `openPairedDataset` (sharp).
 * Only the Node worker entry (`src/worker.node.ts`) imports this file.
 */
import { openPairedDataset } from '../node/dataset.js';
import type { DatasetOpeners } from './datasets.js';

/**
 * Openers for a Node worker host.
 *
 * @example
 * ```ts
 * startWorkerHost({ datasets: nodeDatasetOpeners });
 * ```
 */
export const nodeDatasetOpeners: DatasetOpeners = {
  folder: ({ root, phase, layout, maxSize, direction, inputChannels, outputChannels }) =>
    openPairedDataset({ root, phase, layout, maxSize, direction, inputChannels, outputChannels }),
};

/**
 * The Node entry of pix2pix-ts: everything of the main entry, plus what needs Node (files, sharp):
 * paired datasets on disk and image decoding/encoding.
 *
 * @example
 * ```ts
 * import { createPix2Pix, openPairedDataset } from 'pix2pix-ts';
 * const ds = await openPairedDataset({ root: 'datasets/facades', phase: 'train' });
 * ```
 */
export * from './index.js';
export {
  openPairedDataset,
  findDefaultDataset,
  type PairedDataset,
  type OpenDatasetOptions,
  type Direction,
  type DatasetLayout,
} from './node/dataset.js';
export { decodeImage, encodePng, type DecodedImage } from './node/image-io.js';

/**
 * Paired image datasets on disk (Node). Two layouts, as in the reference implementation:
 * - aligned (the reference's `AlignedDataset`): each file holds A on the left half and B on the
 *   right half, in `<root>/<phase>/` (`train/`, `val/`, `test/`);
 * - two folders: `A/` and `B/` with files of the same name (the input of the reference's
 *   `combine_A_and_B.py`), as `<root>/<phase>/A` + `<root>/<phase>/B`, or `<root>/A/<phase>` +
 *   `<root>/B/<phase>`, or `<root>/A` + `<root>/B`.
 *
 * Opening lists the files (and fails early on an empty folder or a file with no counterpart);
 * pixels are read lazily by `get(i)`, so a dataset larger than memory works. A file that cannot
 * be used is reported with a {@link DatasetError} naming it and saying why.
 */
import { existsSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { DatasetError, LimitError } from '../core/errors.js';
import type { PairSample } from '../pix2pix/preprocess.js';
import {
  decodeImage,
  IMAGE_EXTENSIONS,
  rgbToGray,
  toFloat,
  type DecodedImage,
} from './image-io.js';

export type { PairSample } from '../pix2pix/preprocess.js';

/** Which half is the generator's input: `AtoB` translates A into B. */
export type Direction = 'AtoB' | 'BtoA';
/** `aligned`: one A|B file per pair; `two-folder`: `A/` and `B/` with matching names. */
export type DatasetLayout = 'aligned' | 'two-folder';

/** Options of {@link openPairedDataset}. */
export interface OpenDatasetOptions {
  /** Dataset folder (the reference's `--dataroot`). */
  root: string;
  /** Subfolder to read (the reference's `--phase`). @defaultValue 'train' */
  phase?: string;
  /** @defaultValue 'auto': two-folder when `A/` and `B/` folders are found, aligned otherwise */
  layout?: DatasetLayout | 'auto';
  /** @defaultValue 'AtoB' */
  direction?: Direction;
  /** Channels of `a`, the generator input: 1 (gray, PIL's `L`) or 3 (RGB). @defaultValue 3 */
  inputChannels?: 1 | 3;
  /** Channels of `b`, the target. @defaultValue 3 */
  outputChannels?: 1 | 3;
  /** Keep only the first `maxSize` files in sorted order (`--max_dataset_size`). @defaultValue Infinity */
  maxSize?: number;
  /**
   * Without a folder for `phase`, use the dataset folder itself (A|B images, or `A/` + `B/`
   * without phase subfolders). Pass `false` for an evaluation split, so that a missing `test/`
   * is an error instead of quietly reading the training images. @defaultValue true
   */
  phaseFallback?: boolean;
}

/** A problem found by {@link PairedDataset.validate}. */
export interface DatasetIssue {
  name: string;
  error: DatasetError;
}

/**
 * A paired dataset on disk. `get(i)` decodes pair `i` into a {@link PairSample}: `a` (input) and
 * `b` (target) as HWC `Float32Array`s in [-1, 1], after the direction is applied.
 */
export interface PairedDataset {
  /** Folder the names are relative to (the phase folder, or the `A/` folder's parent). */
  readonly root: string;
  readonly layout: DatasetLayout;
  /**
   * The split read: `phase` when its folder was found (`<root>/<phase>`, `<root>/<phase>/A`, or
   * `<root>/A/<phase>`), `null` when the dataset folder itself was read (no phase folder).
   */
  readonly phase: string | null;
  readonly direction: Direction;
  /** Sample names (paths relative to the image folder, `/`-separated), sorted. */
  readonly names: readonly string[];
  readonly size: number;
  /**
   * Symbolic links that were not used, each with the reason (a link to an image inside the
   * folder is followed; one that points outside it, a broken one, or a linked folder is not).
   */
  readonly skipped: readonly DatasetIssue[];
  /** Decodes one pair; throws a {@link DatasetError} naming the file if it is unusable. */
  get(index: number): Promise<PairSample>;
  /**
   * Decodes every file fully (as `get` does, a few at a time) and returns the problems found:
   * unreadable or truncated files, images over the pixel budget, odd widths, halves of different
   * sizes. So a damaged file is caught before training, not at the step that reads it.
   */
  validate(): Promise<DatasetIssue[]>;
}

const DIRECTIONS: readonly Direction[] = ['AtoB', 'BtoA'];
const LAYOUTS: readonly (DatasetLayout | 'auto')[] = ['auto', 'aligned', 'two-folder'];

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

interface Listing {
  names: string[];
  /** Symbolic links not followed, with the reason. */
  skipped: DatasetIssue[];
}

const isImageName = (name: string): boolean =>
  IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());

/**
 * Image files under `dir`, recursively (as the reference's `make_dataset`), relative and sorted.
 * A symbolic link to an image file inside `dir` is followed; one that points outside `dir`, a
 * broken one and a linked folder are not, and are listed in `skipped` (never dropped silently).
 */
async function listImages(dir: string): Promise<Listing> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const rel = (e: (typeof entries)[number]): string =>
    relative(dir, join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
      .split(sep)
      .join('/');
  const names: string[] = [];
  const skipped: DatasetIssue[] = [];
  let realDir: string | undefined;
  for (const e of entries) {
    if (e.isFile()) {
      if (isImageName(e.name)) names.push(rel(e));
      continue;
    }
    if (!e.isSymbolicLink()) continue;
    const name = rel(e);
    const full = join(dir, name);
    const skip = (why: string): void => {
      skipped.push({
        name,
        error: new DatasetError(`Symbolic link "${full}" is not used: ${why}.`),
      });
    };
    let target: string;
    try {
      target = await realpath(full);
    } catch {
      if (isImageName(e.name)) skip('its target does not exist');
      continue;
    }
    const st = await stat(target);
    if (st.isDirectory()) {
      skip(
        `it is a linked folder ("${target}"), and linked folders are not followed; copy or move its files in`,
      );
      continue;
    }
    if (!isImageName(e.name)) continue;
    realDir ??= await realpath(dir);
    if (!st.isFile()) skip(`its target "${target}" is not a regular file`);
    else if (!target.startsWith(realDir + sep))
      skip(`it points outside the dataset folder ("${target}"); copy the file in instead`);
    else names.push(name);
  }
  // Code-unit order, like Python's sorted(): names do not reorder with the locale.
  names.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return { names, skipped };
}

function noImages(dir: string, skipped: readonly DatasetIssue[] = []): DatasetError {
  return new DatasetError(
    `No images in "${dir}": expected files ending in ${IMAGE_EXTENSIONS.join(', ')} (searched recursively).` +
      (skipped.length
        ? ` ${skipped.length} symbolic link(s) not used: ${skipped[0].error.message}`
        : ''),
  );
}

/**
 * Runs `check` on every name, a few at a time (sharp decodes on its own thread pool), and
 * collects the {@link DatasetError}s (a {@link LimitError} too: an image over the pixel budget is
 * an unusable file); other errors propagate. Issues come back in name order.
 */
async function validateAll(
  names: readonly string[],
  check: (name: string) => Promise<void>,
  concurrency = 4,
): Promise<DatasetIssue[]> {
  const found: (DatasetIssue | undefined)[] = new Array(names.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const i = next++;
      try {
        await check(names[i]);
      } catch (e) {
        if (e instanceof LimitError)
          found[i] = { name: names[i], error: new DatasetError(e.message, { cause: e }) };
        else if (e instanceof DatasetError) found[i] = { name: names[i], error: e };
        else throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, worker));
  return found.filter((x): x is DatasetIssue => x !== undefined);
}

const stem = (name: string): string => name.slice(0, name.length - extname(name).length);

/**
 * Opens a paired dataset folder (listing only; pixels are read by `get`).
 *
 * @example
 * ```ts
 * const train = await openPairedDataset({ root: 'data/fonts-zi2zi', phase: 'train', inputChannels: 1, outputChannels: 1 });
 * const { a, b, width, height } = await train.get(0); // a: Song glyph, b: brush glyph, 64x64x1 each
 * ```
 */
export async function openPairedDataset(options: OpenDatasetOptions): Promise<PairedDataset> {
  const {
    root: rootOpt,
    phase = 'train',
    layout = 'auto',
    direction = 'AtoB',
    inputChannels = 3,
    outputChannels = 3,
    maxSize = Infinity,
    phaseFallback = true,
  } = options;
  if (typeof rootOpt !== 'string' || !rootOpt)
    throw new TypeError('Option "root" must be the path of a dataset folder.');
  if (!DIRECTIONS.includes(direction))
    throw new TypeError(
      `Unsupported direction: ${JSON.stringify(direction)}. Should be one of: "AtoB", "BtoA".`,
    );
  if (!LAYOUTS.includes(layout))
    throw new TypeError(
      `Unsupported layout: ${JSON.stringify(layout)}. Should be one of: ${LAYOUTS.map((l) => `"${l}"`).join(', ')}.`,
    );
  for (const [k, v] of [
    ['inputChannels', inputChannels],
    ['outputChannels', outputChannels],
  ] as const) {
    if (v !== 1 && v !== 3)
      throw new RangeError(`Option "${k}" must be 1 or 3, got ${JSON.stringify(v)}.`);
  }
  if (!(maxSize >= 1)) throw new RangeError(`Option "maxSize" must be at least 1, got ${maxSize}.`);
  if (typeof phaseFallback !== 'boolean')
    throw new TypeError(
      `Option "phaseFallback" must be true or false, got ${JSON.stringify(phaseFallback)}.`,
    );
  if (typeof phase !== 'string' || !phase || /[/\\]|^\.\.?$/.test(phase))
    throw new TypeError(
      `Option "phase" must be the name of a split folder (e.g. "train", "test"), got ${JSON.stringify(phase)}.`,
    );
  const root = resolve(rootOpt);
  if (!(await isDir(root)))
    throw new DatasetError(`Dataset folder "${root}" does not exist or is not a folder.`);

  // The left half (A in the file) is the input for AtoB, the target for BtoA.
  const leftChannels = direction === 'AtoB' ? inputChannels : outputChannels;
  const rightChannels = direction === 'AtoB' ? outputChannels : inputChannels;

  const phaseDir = join(root, phase);
  const twoFolderCandidates: [string, string][] = [
    [join(phaseDir, 'A'), join(phaseDir, 'B')],
    [join(root, 'A', phase), join(root, 'B', phase)],
    ...(phaseFallback ? [[join(root, 'A'), join(root, 'B')] as [string, string]] : []),
  ];
  if (layout !== 'aligned') {
    for (const [i, [dirA, dirB]] of twoFolderCandidates.entries()) {
      if ((await isDir(dirA)) && (await isDir(dirB)))
        return openTwoFolder(
          dirA,
          dirB,
          i < 2 ? phase : null,
          direction,
          leftChannels,
          rightChannels,
          maxSize,
        );
    }
    if (layout === 'two-folder') {
      throw new DatasetError(
        `No A/ and B/ folders for phase "${phase}" in "${root}": expected one of ${twoFolderCandidates.map(([a, b]) => `"${relative(root, a)}" + "${relative(root, b)}"`).join(', ')}.`,
      );
    }
  }
  // The reference reads <dataroot>/<phase>; a folder of A|B images given directly works too.
  const dir = (await isDir(phaseDir)) ? phaseDir : root;
  if (dir === root && !phaseFallback) {
    throw new DatasetError(
      `No "${phase}" split in "${root}": expected A|B images in "${phaseDir}", or "${relative(root, twoFolderCandidates[0][0])}" + "${relative(root, twoFolderCandidates[0][1])}", or "${relative(root, twoFolderCandidates[1][0])}" + "${relative(root, twoFolderCandidates[1][1])}" folders.`,
    );
  }
  if (dir === root && (await listImages(root)).names.length === 0) {
    throw new DatasetError(
      `No dataset for phase "${phase}" in "${root}": expected A|B images in "${phaseDir}", A/ and B/ folders, or A|B images in "${root}" itself.`,
    );
  }
  return openAligned(
    dir,
    dir === root ? null : phase,
    direction,
    leftChannels,
    rightChannels,
    maxSize,
  );
}

async function openAligned(
  dir: string,
  phase: string | null,
  direction: Direction,
  leftC: 1 | 3,
  rightC: 1 | 3,
  maxSize: number,
): Promise<PairedDataset> {
  const listing = await listImages(dir);
  const names = listing.names.slice(0, maxSize);
  if (names.length === 0) throw noImages(dir, listing.skipped);
  const oddWidth = (name: string, w: number, h: number): DatasetError =>
    new DatasetError(
      `"${join(dir, name)}" is ${w}x${h}: an aligned A|B image must have an even width (A is the left half, B the right half of equal size).`,
    );
  return {
    root: dir,
    layout: 'aligned',
    phase,
    direction,
    names,
    size: names.length,
    skipped: listing.skipped,
    async get(index: number): Promise<PairSample> {
      const name = names[checkIndex(index, names.length)];
      const path = join(dir, name);
      // One decode; a gray half of an RGB file is converted from the RGB pixels, as PIL would.
      const decoded = await decodeImage(path, leftC === 3 || rightC === 3 ? 3 : 1);
      const left = withChannels(decoded, leftC);
      const right = withChannels(decoded, rightC);
      if (left.width % 2 !== 0) throw oddWidth(name, left.width, left.height);
      const half = left.width / 2;
      const l = toFloat(cropHalf(left, 0, half));
      const r = toFloat(cropHalf(right, half, half));
      const [a, b] = direction === 'AtoB' ? [l, r] : [r, l];
      return {
        a,
        b,
        width: half,
        height: left.height,
        channelsA: direction === 'AtoB' ? leftC : rightC,
        channelsB: direction === 'AtoB' ? rightC : leftC,
        name,
      };
    },
    validate(): Promise<DatasetIssue[]> {
      return validateAll(names, async (name) => {
        const { width, height } = await decodeImage(join(dir, name), 1);
        if (width % 2 !== 0) throw oddWidth(name, width, height);
      });
    },
  };
}

async function openTwoFolder(
  dirA: string,
  dirB: string,
  phase: string | null,
  direction: Direction,
  leftC: 1 | 3,
  rightC: 1 | 3,
  maxSize: number,
): Promise<PairedDataset> {
  const [listA, listB] = await Promise.all([listImages(dirA), listImages(dirB)]);
  const [filesA, filesB] = [listA.names, listB.names];
  if (filesA.length === 0) throw noImages(dirA, listA.skipped);
  if (filesB.length === 0) throw noImages(dirB, listB.skipped);
  // Pairs match by name without extension, so A/x.jpg pairs with B/x.png.
  const byStem = (files: string[], dir: string): Map<string, string> => {
    const m = new Map<string, string>();
    for (const f of files) {
      const s = stem(f);
      const prev = m.get(s);
      if (prev !== undefined)
        throw new DatasetError(
          `"${join(dir, prev)}" and "${join(dir, f)}" have the same name without extension, so their counterpart is ambiguous: rename or remove one.`,
        );
      m.set(s, f);
    }
    return m;
  };
  const stemsA = byStem(filesA, dirA);
  const stemsB = byStem(filesB, dirB);
  const missing = (
    from: Map<string, string>,
    fromDir: string,
    to: Map<string, string>,
    toDir: string,
  ): string[] =>
    [...from]
      .filter(([s]) => !to.has(s))
      .map(([, f]) => `"${join(fromDir, f)}" has no counterpart "${join(toDir, stem(f))}.*"`);
  const unmatched = [
    ...missing(stemsA, dirA, stemsB, dirB),
    ...missing(stemsB, dirB, stemsA, dirA),
  ];
  if (unmatched.length) {
    const shown =
      unmatched.slice(0, 5).join('; ') +
      (unmatched.length > 5 ? `; and ${unmatched.length - 5} more` : '');
    throw new DatasetError(
      `${unmatched.length} file(s) without a counterpart: ${shown}. A/ and B/ must hold files with the same names.`,
    );
  }
  const pairs = [...stemsA]
    .map(([s, fa]) => ({ name: fa, fileA: fa, fileB: stemsB.get(s)! }))
    .slice(0, maxSize);
  const mismatch = (
    fa: string,
    sa: { width: number; height: number },
    fb: string,
    sb: { width: number; height: number },
  ): DatasetError =>
    new DatasetError(
      `"${join(dirA, fa)}" is ${sa.width}x${sa.height} but its counterpart "${join(dirB, fb)}" is ${sb.width}x${sb.height}: the two images of a pair must have the same size.`,
    );
  return {
    root: resolve(dirA, '..'),
    layout: 'two-folder',
    phase,
    direction,
    names: pairs.map((p) => p.name),
    size: pairs.length,
    skipped: [...listA.skipped, ...listB.skipped],
    async get(index: number): Promise<PairSample> {
      const { name, fileA, fileB } = pairs[checkIndex(index, pairs.length)];
      const [imgA, imgB] = await Promise.all([
        decodeImage(join(dirA, fileA), leftC),
        decodeImage(join(dirB, fileB), rightC),
      ]);
      if (imgA.width !== imgB.width || imgA.height !== imgB.height)
        throw mismatch(fileA, imgA, fileB, imgB);
      const [x, y] = direction === 'AtoB' ? [imgA, imgB] : [imgB, imgA];
      return {
        a: toFloat(x),
        b: toFloat(y),
        width: imgA.width,
        height: imgA.height,
        channelsA: x.channels,
        channelsB: y.channels,
        name,
      };
    },
    validate(): Promise<DatasetIssue[]> {
      const byName = new Map(pairs.map((p) => [p.name, p]));
      return validateAll(
        pairs.map((p) => p.name),
        async (name) => {
          const { fileA, fileB } = byName.get(name)!;
          const [sa, sb] = await Promise.all([
            decodeImage(join(dirA, fileA), 1),
            decodeImage(join(dirB, fileB), 1),
          ]);
          if (sa.width !== sb.width || sa.height !== sb.height)
            throw mismatch(fileA, sa, fileB, sb);
        },
      );
    },
  };
}

function checkIndex(index: number, size: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= size)
    throw new RangeError(`Sample index must be an integer from 0 to ${size - 1}, got ${index}.`);
  return index;
}

function cropHalf(img: DecodedImage, x0: number, width: number): DecodedImage {
  const { height, channels: c } = img;
  const out = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++)
    out.set(
      img.data.subarray((y * img.width + x0) * c, (y * img.width + x0 + width) * c),
      y * width * c,
    );
  return { data: out, width, height, channels: c };
}

const withChannels = (img: DecodedImage, channels: 1 | 3): DecodedImage =>
  img.channels === channels ? img : rgbToGray(img);

/** Where the shipped dataset lives, relative to the package root. */
export const DEFAULT_DATASET_DIR = 'data/fonts-zi2zi';

/**
 * Finds the dataset that ships with pix2pix-ts (`data/fonts-zi2zi`: Noto Serif SC glyphs to
 * Ma Shan Zheng brush glyphs, 64x64 gray, 500 train / 100 test pairs) by walking up from `from`
 * (a folder or a `file:` URL; by default this module's location, which works from `src/`, a bundle
 * in `dist/` and the test bundles alike). Throws a {@link DatasetError} if it is not found.
 *
 * @example
 * ```ts
 * const test = await openPairedDataset({ root: findDefaultDataset(), phase: 'test', inputChannels: 1, outputChannels: 1 });
 * ```
 */
export function findDefaultDataset(from: string = import.meta.url): string {
  let dir = from.startsWith('file:') ? dirname(new URL(from).pathname) : resolve(from);
  for (;;) {
    const candidate = join(dir, DEFAULT_DATASET_DIR);
    if (existsSync(join(candidate, 'train'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new DatasetError(
        `The default dataset "${DEFAULT_DATASET_DIR}" was not found above "${from}": run from a checkout of pix2pix-ts, or pass a dataset folder.`,
      );
    dir = parent;
  }
}

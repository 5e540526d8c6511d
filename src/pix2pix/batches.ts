/**
 * Streaming epochs: a seeded shuffled order over any random-access sample source, decoded lazily
 * with a small prefetch queue so that decoding (sharp's thread pool in Node, `createImageBitmap`
 * in browsers) overlaps training compute and a dataset larger than memory streams through.
 * Platform-neutral: no Node or DOM APIs.
 */
import { AbortError, DatasetError, ShapeError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { PairSample } from './preprocess.js';

/** Anything that can fetch sample `index` of `size` asynchronously (e.g. a Node `PairedDataset`). */
export interface SampleSource<T> {
  readonly size: number;
  get(index: number): Promise<T>;
}

/** One batch of an epoch. */
export interface Batch<U> {
  samples: U[];
  /** Dataset index of each sample. */
  indices: number[];
  epoch: number;
  /** 0-based number of this batch within the epoch (counting from the resumed position). */
  batchIndex: number;
  /** Position in the epoch order to pass as `startPosition` to resume right after this batch. */
  nextPosition: number;
}

/** Options of {@link iterateEpoch}. */
export interface EpochOptions<T, U> {
  /** @defaultValue 1 */
  batchSize?: number;
  /** Shuffle the order (the reference's default for training; its test script uses a fixed order). @defaultValue true */
  shuffle?: boolean;
  /** Seed of the shuffle; each epoch's order depends only on (seed, epoch). @defaultValue 0 */
  seed?: number;
  /** @defaultValue 0 */
  epoch?: number;
  /** Resume inside the epoch: skip this many positions of the order without reading them. @defaultValue 0 */
  startPosition?: number;
  /** Drop a last batch smaller than `batchSize`. @defaultValue false */
  dropLast?: boolean;
  /** Samples requested ahead of the one being consumed. @defaultValue 2 * batchSize */
  prefetch?: number;
  /**
   * Applied to each sample in epoch order on the consuming side (e.g. random crop and flip), so
   * an RNG used there is drawn in the same order whatever order decodes finish in.
   */
  map?: (sample: T, index: number) => U;
  /**
   * Called with a {@link DatasetError} (e.g. a corrupt file) instead of throwing it; the sample
   * is then skipped. Other errors always throw.
   */
  onError?: (error: DatasetError, index: number) => void;
  signal?: AbortSignal;
}

/**
 * The order of dataset indices for one epoch: a Fisher-Yates shuffle seeded by (seed, epoch), or
 * 0..size-1 when `shuffle` is false.
 *
 * @example
 * ```ts
 * epochOrder(5, { seed: 1, epoch: 0 }); // e.g. [3, 0, 4, 1, 2], the same on every run
 * ```
 */
export function epochOrder(
  size: number,
  {
    shuffle = true,
    seed = 0,
    epoch = 0,
  }: { shuffle?: boolean; seed?: number; epoch?: number } = {},
): number[] {
  if (!Number.isInteger(size) || size < 0)
    throw new RangeError(`Dataset size must be a non-negative integer, got ${size}.`);
  const order = Array.from({ length: size }, (_, i) => i);
  if (!shuffle) return order;
  if (!Number.isInteger(seed) || !Number.isInteger(epoch) || epoch < 0)
    throw new RangeError(
      `Option "seed" must be an integer and "epoch" a non-negative integer, got ${seed} and ${epoch}.`,
    );
  // seed and epoch fill two words of the state, so distinct pairs give distinct streams; the
  // discarded draws let the low-entropy state mix before it is used.
  const rng = new Rng([seed >>> 0, epoch >>> 0, 0x243f6a88, 0x85a308d3]);
  for (let i = 0; i < 16; i++) rng.uint32();
  return rng.shuffle(order);
}

/**
 * Streams one epoch of `source` in batches. Samples are requested `prefetch` ahead and consumed
 * in order; a rejected prefetch is reported only when its turn comes, and one that is never
 * consumed (the loop was left early) is dropped silently.
 *
 * @example
 * ```ts
 * const opts = resolvePreprocessOptions({ loadSize: 72, cropSize: 64 });
 * const rng = new Rng(0);
 * for await (const batch of iterateEpoch(dataset, { batchSize: 4, seed: 0, epoch, map: (s) => preprocessSample(s, opts, rng) })) {
 *   const { a, b, shapeA, shapeB } = stackPairs(batch.samples);
 *   // ...train step...
 * }
 * ```
 */
export async function* iterateEpoch<T, U = T>(
  source: SampleSource<T>,
  options: EpochOptions<T, U> = {},
): AsyncGenerator<Batch<U>, void, undefined> {
  const {
    batchSize = 1,
    shuffle = true,
    seed = 0,
    epoch = 0,
    startPosition = 0,
    dropLast = false,
    map,
    onError,
    signal,
  } = options;
  const { prefetch = 2 * batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`Option "batchSize" must be a positive integer, got ${batchSize}.`);
  if (!Number.isInteger(prefetch) || prefetch < 0)
    throw new RangeError(`Option "prefetch" must be a non-negative integer, got ${prefetch}.`);
  if (!Number.isInteger(startPosition) || startPosition < 0 || startPosition > source.size) {
    throw new RangeError(
      `Option "startPosition" must be an integer from 0 to the dataset size ${source.size}, got ${startPosition}.`,
    );
  }
  const order = epochOrder(source.size, { shuffle, seed, epoch });
  const queue: Promise<T>[] = [];
  let requested = startPosition;
  let position = startPosition;
  const fill = (): void => {
    while (requested < order.length && requested < position + 1 + prefetch) {
      const p = source.get(order[requested++]);
      p.catch(() => undefined); // handled when consumed; never an unhandled rejection
      queue.push(p);
    }
  };
  let batchIndex = 0;
  while (position < order.length) {
    const samples: U[] = [];
    const indices: number[] = [];
    while (samples.length < batchSize && position < order.length) {
      if (signal?.aborted)
        throw new AbortError('Epoch iteration was aborted', { cause: signal.reason });
      fill();
      const index = order[position];
      let sample: T;
      try {
        sample = await queue.shift()!;
      } catch (e) {
        position++;
        if (onError && e instanceof DatasetError) {
          onError(e, index);
          continue;
        }
        throw e;
      }
      position++;
      samples.push(map ? map(sample, index) : (sample as unknown as U));
      indices.push(index);
    }
    if (samples.length === 0 || (dropLast && samples.length < batchSize)) return;
    fill(); // the next batch decodes while the consumer computes on this one
    yield { samples, indices, epoch, batchIndex: batchIndex++, nextPosition: position };
  }
}

/**
 * Stacks same-sized {@link PairSample}s into NHWC float arrays (what `tf.tensor4d` takes).
 *
 * @example
 * ```ts
 * const { a, shapeA } = stackPairs(batch.samples);
 * const x = tf.tensor4d(a, shapeA);
 * ```
 */
export function stackPairs(samples: readonly PairSample[]): {
  a: Float32Array;
  b: Float32Array;
  shapeA: [number, number, number, number];
  shapeB: [number, number, number, number];
} {
  if (samples.length === 0) throw new ShapeError('Cannot stack an empty batch.');
  const { width, height, channelsA, channelsB } = samples[0];
  const sizeA = width * height * channelsA;
  const sizeB = width * height * channelsB;
  const a = new Float32Array(samples.length * sizeA);
  const b = new Float32Array(samples.length * sizeB);
  samples.forEach((s, i) => {
    if (
      s.width !== width ||
      s.height !== height ||
      s.channelsA !== channelsA ||
      s.channelsB !== channelsB
    ) {
      throw new ShapeError(
        `Batch samples differ in size: "${samples[0].name}" is ${width}x${height} (${channelsA}+${channelsB} channels) but "${s.name}" is ${s.width}x${s.height} (${s.channelsA}+${s.channelsB}); use a crop or resize preprocess so all samples match.`,
      );
    }
    a.set(s.a, i * sizeA);
    b.set(s.b, i * sizeB);
  });
  return {
    a,
    b,
    shapeA: [samples.length, height, width, channelsA],
    shapeB: [samples.length, height, width, channelsB],
  };
}

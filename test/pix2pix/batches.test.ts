import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AbortError, DatasetError, ShapeError } from '../../src/core/errors.js';
import {
  epochOrder,
  iterateEpoch,
  stackPairs,
  type Batch,
  type SampleSource,
} from '../../src/pix2pix/batches.js';
import type { PairSample } from '../../src/pix2pix/preprocess.js';

/** A source whose get() calls are recorded and resolved by the test, in any order it likes. */
function controlled(size: number) {
  const requested: number[] = [];
  const pending = new Map<number, { resolve: (v: number) => void; reject: (e: unknown) => void }>();
  const source: SampleSource<number> = {
    size,
    get(i) {
      requested.push(i);
      return new Promise<number>((resolve, reject) => pending.set(i, { resolve, reject }));
    },
  };
  return { source, requested, pending };
}
const immediate = (size: number, fail: Set<number> = new Set()): SampleSource<number> => ({
  size,
  get: async (i) => {
    if (fail.has(i)) throw new DatasetError(`Cannot read image "file-${i}.png": corrupt`);
    return i * 10;
  },
});
const collect = async <U>(it: AsyncIterable<Batch<U>>): Promise<Batch<U>[]> => {
  const out: Batch<U>[] = [];
  for await (const b of it) out.push(b);
  return out;
};
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

const order = suite('epochOrder');

order('is a permutation that depends only on seed and epoch', () => {
  const o = epochOrder(100, { seed: 3, epoch: 2 });
  assert.equal(
    [...o].sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.equal(epochOrder(100, { seed: 3, epoch: 2 }), o);
  assert.not.equal(epochOrder(100, { seed: 3, epoch: 3 }), o);
  assert.not.equal(epochOrder(100, { seed: 4, epoch: 2 }), o);
  // (seed, epoch) pairs do not alias the way seed + epoch would
  assert.not.equal(epochOrder(100, { seed: 1, epoch: 0 }), epochOrder(100, { seed: 0, epoch: 1 }));
  assert.equal(epochOrder(5, { shuffle: false, seed: 9 }), [0, 1, 2, 3, 4]);
});

const stream = suite('iterateEpoch');

stream('yields every index once, in the epoch order, in batches', async () => {
  const batches = await collect(iterateEpoch(immediate(10), { batchSize: 3, seed: 1, epoch: 4 }));
  assert.equal(
    batches.map((b) => b.samples.length),
    [3, 3, 3, 1],
  );
  assert.equal(
    batches.flatMap((b) => b.indices),
    epochOrder(10, { seed: 1, epoch: 4 }),
  );
  assert.equal(
    batches.flatMap((b) => b.samples),
    batches.flatMap((b) => b.indices.map((i) => i * 10)),
  );
  assert.equal(
    batches.map((b) => b.batchIndex),
    [0, 1, 2, 3],
  );
  const dropped = await collect(
    iterateEpoch(immediate(10), { batchSize: 3, seed: 1, epoch: 4, dropLast: true }),
  );
  assert.equal(
    dropped.map((b) => b.samples.length),
    [3, 3, 3],
  );
});

stream('two runs with the same seed give the same batches', async () => {
  const run = async () =>
    (await collect(iterateEpoch(immediate(17), { batchSize: 4, seed: 5 }))).map((b) => b.indices);
  assert.equal(await run(), await run());
});

stream("prefetches a bounded number of samples ahead, during the consumer's work", async () => {
  const { source, requested, pending } = controlled(20);
  const it = iterateEpoch(source, { batchSize: 2, prefetch: 3, shuffle: false });
  const first = it.next();
  await tick();
  assert.equal(requested, [0, 1, 2, 3], 'the current sample plus 3 ahead');
  for (const i of [0, 1]) pending.get(i)!.resolve(i);
  const b0 = await first;
  assert.equal((b0.value as Batch<number>).samples, [0, 1]);
  // While the consumer works on batch 0, the next sample and 3 more are already being decoded.
  assert.equal(requested, [0, 1, 2, 3, 4, 5]);
  await tick();
  assert.equal(requested.length, 6, 'no more requests while the consumer has not asked for more');
  const second = it.next();
  await tick();
  assert.equal(requested.length, 6, 'none while sample 2 is still pending');
  // Decodes finishing out of order still come out in order.
  pending.get(3)!.resolve(3);
  pending.get(2)!.resolve(2);
  assert.equal(((await second).value as Batch<number>).samples, [2, 3]);
  await it.return();
});

stream('map runs in epoch order on the consuming side', async () => {
  const seen: number[] = [];
  const batches = await collect(
    iterateEpoch(immediate(8), {
      batchSize: 3,
      seed: 2,
      map: (s, i) => {
        seen.push(i);
        return -s;
      },
    }),
  );
  assert.equal(seen, epochOrder(8, { seed: 2 }));
  assert.equal(
    batches[0].samples,
    batches[0].indices.map((i) => -i * 10),
  );
});

stream('resuming from nextPosition gives the remaining batches exactly', async () => {
  const all = await collect(iterateEpoch(immediate(11), { batchSize: 3, seed: 8, epoch: 1 }));
  const resumed = await collect(
    iterateEpoch(immediate(11), {
      batchSize: 3,
      seed: 8,
      epoch: 1,
      startPosition: all[1].nextPosition,
    }),
  );
  assert.equal(
    resumed.map((b) => b.indices),
    all.slice(2).map((b) => b.indices),
  );
});

stream('a bad sample throws its DatasetError at its turn, or is skipped with onError', async () => {
  const ord = epochOrder(6, { seed: 0 });
  const bad = ord[3];
  const got: number[] = [];
  try {
    for await (const b of iterateEpoch(immediate(6, new Set([bad])), { batchSize: 1, seed: 0 }))
      got.push(...b.indices);
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, DatasetError);
    assert.match((e as Error).message, `file-${bad}.png`);
  }
  assert.equal(got, ord.slice(0, 3));
  const skipped: number[] = [];
  const batches = await collect(
    iterateEpoch(immediate(6, new Set([bad])), {
      batchSize: 2,
      seed: 0,
      onError: (_e, i) => skipped.push(i),
    }),
  );
  assert.equal(skipped, [bad]);
  assert.equal(
    batches.flatMap((b) => b.indices),
    ord.filter((i) => i !== bad),
  );
});

stream('leaving early never leaks an unhandled rejection from a prefetched sample', async () => {
  let unhandled = 0;
  const onUnhandled = (): void => {
    unhandled++;
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    const ord = epochOrder(10, { shuffle: false });
    for await (const b of iterateEpoch(immediate(10, new Set([ord[2]])), {
      batchSize: 1,
      prefetch: 4,
      shuffle: false,
    })) {
      assert.is(b.indices[0], 0);
      break; // sample 2 was requested (and failed) but is never consumed
    }
    await tick();
    await tick();
    assert.is(unhandled, 0);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

stream('stops with an AbortError when its signal is aborted', async () => {
  const ac = new AbortController();
  const seen: number[] = [];
  try {
    for await (const b of iterateEpoch(immediate(10), { batchSize: 2, signal: ac.signal })) {
      seen.push(b.batchIndex);
      if (b.batchIndex === 1) ac.abort();
    }
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, AbortError);
  }
  assert.equal(seen, [0, 1]);
});

stream('rejects bad options with messages naming them', async () => {
  for (const [opts, re] of [
    [{ batchSize: 0 }, /"batchSize"/],
    [{ prefetch: -1 }, /"prefetch"/],
    [{ startPosition: 11 }, /"startPosition"/],
  ] as const) {
    try {
      await iterateEpoch(immediate(10), opts).next();
      assert.unreachable();
    } catch (e) {
      assert.instance(e, RangeError);
      assert.match((e as Error).message, re);
    }
  }
});

const stack = suite('stackPairs');

const pair = (
  name: string,
  w: number,
  h: number,
  ca: number,
  cb: number,
  v: number,
): PairSample => ({
  a: new Float32Array(w * h * ca).fill(v),
  b: new Float32Array(w * h * cb).fill(-v),
  width: w,
  height: h,
  channelsA: ca,
  channelsB: cb,
  name,
});

stack('stacks NHWC with the right shapes and order', () => {
  const { a, b, shapeA, shapeB } = stackPairs([
    pair('x', 2, 3, 3, 1, 0.5),
    pair('y', 2, 3, 3, 1, 0.25),
  ]);
  assert.equal(shapeA, [2, 3, 2, 3]);
  assert.equal(shapeB, [2, 3, 2, 1]);
  assert.is(a[0], 0.5);
  assert.is(a[18], 0.25);
  assert.is(b[6], -0.25);
  assert.is(b.length, 12);
});

stack('refuses samples of different sizes, naming them', () => {
  assert.throws(
    () => stackPairs([pair('x', 2, 3, 3, 1, 0), pair('y', 3, 3, 3, 1, 0)]),
    (e: Error) => e instanceof ShapeError && /"x" is 2x3.*"y" is 3x3/.test(e.message),
  );
  assert.throws(
    () => stackPairs([]),
    (e: Error) => e instanceof ShapeError,
  );
});

order.run();
stream.run();
stack.run();

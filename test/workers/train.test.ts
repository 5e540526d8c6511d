// Training in a worker_threads worker: equal to in-thread training, progress, validation samples,
// abort at a step boundary, checkpoints and resume. This bundle is its own worker script (run as a
// worker it starts the host the way src/worker.node.ts does, with the folder opener).
import { isMainThread } from 'node:worker_threads';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startWorkerHost } from '../../src/workers/host.js';
import { nodeDatasetOpeners } from '../../src/workers/node-datasets.js';
import { openPairedDataset } from '../../src/node/dataset.js';
import {
  createPix2Pix,
  AbortError,
  DatasetError,
  WorkerError,
  type WorkerPix2Pix,
  type PairSample,
  type TrainProgress,
  type SampleSet,
  type TrainerState,
} from '../../src/index.js';
import { ROOT } from '../support/env.js';
import { copyBundleWithWasm } from '../support/bundle-copy.js';

// Inside the repository, so the copy below resolves sharp from node_modules.
const TMP = isMainThread
  ? (mkdirSync(join(ROOT, '.tmp'), { recursive: true }),
    mkdtempSync(join(ROOT, '.tmp', 'worker-train-')))
  : '';
if (isMainThread) process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));

// Workers run a private copy of this bundle: other test runs may clear .tmp/test.
function privateCopy(): string {
  const file = copyBundleWithWasm(import.meta.url, TMP);
  return pathToFileURL(file).href;
}
const SELF = isMainThread ? privateCopy() : '';

const opts = {
  generator: { numDowns: 5, ngf: 4 },
  discriminator: { ndf: 4 },
  backend: 'wasm',
  seed: 3,
} as const;
const pre = { loadSize: 36, cropSize: 32 };

/** Deterministic pairs, HWC floats in [-1, 1]. */
function pairs(n: number, size: number, seed: number): PairSample[] {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1;
  return Array.from({ length: n }, (_, i) => {
    const a = new Float32Array(size * size * 3).map(rnd);
    const b = a.map((v, k) => Math.tanh(2 * v + (k % 3) * 0.1));
    return { a, b, width: size, height: size, channelsA: 3, channelsB: 3, name: `pair-${i}` };
  });
}

/** A copy (pairs sent to a worker with transfer are detached; in-thread runs keep their own). */
const clonePairs = (ps: PairSample[]): PairSample[] =>
  ps.map((p) => ({ ...p, a: p.a.slice(), b: p.b.slice() }));

/** The deterministic part of a progress event (not rates or ETA). */
const core = (p: TrainProgress) => ({
  step: p.step,
  totalSteps: p.totalSteps,
  epoch: p.epoch,
  batchInEpoch: p.batchInEpoch,
  losses: p.losses,
  lr: p.lr,
});

/** Losses of a history as numbers; assert.equal compares them exactly (bitwise for finite floats). */
const losses = (st: TrainerState) =>
  st.history.map(({ step, epoch, ...l }) => ({ step, epoch, ...l }));

const probe = {
  data: new Uint8ClampedArray(32 * 32 * 4).map((_, i) => (i * 37) & 255),
  width: 32,
  height: 32,
};

const createWorker = (): Promise<WorkerPix2Pix> =>
  createPix2Pix({ ...opts, worker: true, workerUrl: SELF });

if (!isMainThread) {
  startWorkerHost({ datasets: nodeDatasetOpeners });
} else {
  const same = suite('worker training (worker_threads): same as in-thread');

  same(
    'trains on in-memory pairs with progress and losses bitwise equal to in-thread training',
    async () => {
      const data = pairs(4, 36, 1);
      const trainOpts = { nEpochs: 1, nEpochsDecay: 1, batchSize: 2, preprocess: pre };
      const local = await createPix2Pix(opts);
      const remote = await createWorker();
      try {
        const localEvents: TrainProgress[] = [];
        const want = await local.train(
          { size: data.length, get: async (i) => data[i] },
          { ...trainOpts, onProgress: (p) => localEvents.push(p) },
        );
        const events: TrainProgress[] = [];
        const got = await remote.train(
          { kind: 'pairs', pairs: clonePairs(data) },
          { ...trainOpts, onProgress: (p) => events.push(p) },
        );
        assert.is(got.step, 4);
        assert.equal(losses(got), losses(want));
        assert.equal(events.map(core), localEvents.map(core));
        assert.equal(
          Array.from((await remote.translate(probe)).data),
          Array.from((await local.translate(probe)).data),
        );
      } finally {
        await local.dispose();
        await remote.dispose();
      }
    },
  );

  same(
    'opens a dataset folder in the worker and trains as in-thread training on openPairedDataset',
    async () => {
      const root = join(TMP, 'folder-ds');
      mkdirSync(join(root, 'train'), { recursive: true });
      for (const [i, p] of pairs(3, 36, 9).entries()) {
        const px = new Uint8Array(72 * 36 * 3);
        for (let y = 0; y < 36; y++) {
          for (let x = 0; x < 36; x++) {
            for (let c = 0; c < 3; c++) {
              px[(y * 72 + x) * 3 + c] = Math.round((p.a[(y * 36 + x) * 3 + c] + 1) * 127.5);
              px[(y * 72 + 36 + x) * 3 + c] = Math.round((p.b[(y * 36 + x) * 3 + c] + 1) * 127.5);
            }
          }
        }
        await sharp(px, { raw: { width: 72, height: 36, channels: 3 } })
          .png()
          .toFile(join(root, 'train', `${i}.png`));
      }
      const trainOpts = { nEpochs: 1, nEpochsDecay: 1, preprocess: pre };
      const local = await createPix2Pix(opts);
      const remote = await createWorker();
      try {
        const want = await local.train(
          await openPairedDataset({ root, phase: 'train' }),
          trainOpts,
        );
        const got = await remote.train(
          {
            kind: 'folder',
            root,
            phase: 'train',
            direction: 'AtoB',
            inputChannels: 3,
            outputChannels: 3,
          },
          trainOpts,
        );
        assert.is(got.step, 6);
        assert.equal(losses(got), losses(want));
      } finally {
        await local.dispose();
        await remote.dispose();
      }
    },
  );

  same('sends validation samples as float images equal to the in-thread ones', async () => {
    const data = pairs(2, 32, 4);
    const val = pairs(2, 32, 5);
    const trainOpts = { nEpochs: 2, nEpochsDecay: 0, preprocess: { preprocess: 'none' as const } };
    const local = await createPix2Pix(opts);
    const remote = await createWorker();
    try {
      const want: SampleSet[] = [];
      await local.train(
        { size: 2, get: async (i) => data[i] },
        {
          ...trainOpts,
          validation: {
            source: { size: 2, get: async (i) => val[i] },
            every: 2,
            count: 2,
            onSamples: (s) => void want.push(structuredClone(s)),
          },
        },
      );
      const got: SampleSet[] = [];
      await remote.train(
        { kind: 'pairs', pairs: data },
        {
          ...trainOpts,
          validation: {
            source: { kind: 'pairs', pairs: val },
            every: 2,
            count: 2,
            onSamples: async (s) => void got.push(s),
          },
        },
      );
      assert.is(got.length, 2);
      assert.equal(
        got.map((s) => [s.step, s.epoch]),
        [
          [2, 0],
          [4, 1],
        ],
      );
      for (const [k, set] of got.entries()) {
        assert.is(set.samples.length, 2);
        for (const [i, smp] of set.samples.entries()) {
          assert.ok(smp.output.data instanceof Float32Array);
          assert.is(smp.output.width, 32);
          assert.equal(Array.from(smp.output.data), Array.from(want[k].samples[i].output.data));
          assert.equal(Array.from(smp.input.data), Array.from(val[i].a));
          assert.equal(Array.from(smp.target.data), Array.from(val[i].b));
        }
      }
      // The caller's pairs were copied (transfer defaults to off), so they are intact.
      assert.is(data[0].a.length, 32 * 32 * 3);
    } finally {
      await local.dispose();
      await remote.dispose();
    }
  });

  same("hands the pairs' buffers over with transfer: true", async () => {
    const data = pairs(2, 32, 6);
    const remote = await createWorker();
    try {
      const st = await remote.train(
        { kind: 'pairs', pairs: data },
        { nEpochs: 1, nEpochsDecay: 0, preprocess: { preprocess: 'none' }, transfer: true },
      );
      assert.is(st.step, 2);
      assert.is(data[0].a.byteLength, 0);
      assert.is(data[1].b.byteLength, 0);
    } finally {
      await remote.dispose();
    }
  });

  same.run();

  const control = suite('worker training (worker_threads): abort, checkpoints, errors');

  control(
    'an abort stops at the next step boundary; the model holds the last whole step and still translates',
    async () => {
      const data = pairs(4, 32, 7);
      const trainOpts = {
        nEpochs: 50,
        nEpochsDecay: 0,
        preprocess: { preprocess: 'none' as const },
      };
      const remote = await createWorker();
      const local = await createPix2Pix(opts);
      try {
        const ac = new AbortController();
        const events: TrainProgress[] = [];
        try {
          await remote.train(
            { kind: 'pairs', pairs: clonePairs(data) },
            {
              ...trainOpts,
              signal: ac.signal,
              onProgress: (p) => {
                events.push(p);
                ac.abort();
              },
            },
          );
          assert.unreachable('training should have been aborted');
        } catch (e) {
          assert.instance(e, AbortError);
        }
        // Every progress event is delivered before the rejection, so exactly `done` steps ran. The
        // worker does not wait for the main thread, so how many steps fit in one round trip varies.
        const done = events.length;
        console.log(
          `# abort sent at step 1 of 200 (from onProgress): the worker stopped after step ${done}`,
        );
        assert.ok(done >= 1 && done < 20, `stopped after ${done} steps`);
        assert.equal(
          events.map((e) => e.step),
          Array.from({ length: done }, (_, i) => i + 1),
        );
        await local.train({ size: 4, get: async (i) => data[i] }, { ...trainOpts, maxSteps: done });
        assert.equal(
          Array.from((await remote.translate(probe)).data),
          Array.from((await local.translate(probe)).data),
        );
      } finally {
        await local.dispose();
        await remote.dispose();
      }
    },
  );

  control(
    "an abort that reaches the worker during a step stops the run at that step's end",
    async () => {
      // onSamples is awaited by the worker, so the cancel message is in its port before the step ends.
      const data = pairs(4, 32, 7);
      const remote = await createWorker();
      try {
        const ac = new AbortController();
        const steps: number[] = [];
        try {
          await remote.train(
            { kind: 'pairs', pairs: clonePairs(data) },
            {
              nEpochs: 50,
              nEpochsDecay: 0,
              preprocess: { preprocess: 'none' },
              signal: ac.signal,
              onProgress: (p) => steps.push(p.step),
              validation: {
                source: { kind: 'pairs', pairs: clonePairs(data) },
                every: 2,
                count: 1,
                onSamples: () => ac.abort(),
              },
            },
          );
          assert.unreachable('training should have been aborted');
        } catch (e) {
          assert.instance(e, AbortError);
        }
        assert.equal(steps, [1, 2]);
      } finally {
        await remote.dispose();
      }
    },
  );

  control(
    'writes checkpoints in the worker and resumes a run exactly in a new worker',
    async () => {
      const data = pairs(4, 32, 8);
      const trainOpts = { nEpochs: 2, nEpochsDecay: 1, preprocess: { loadSize: 34, cropSize: 32 } };
      const ckpt = join(TMP, 'run', 'latest.ckpt');
      const local = await createPix2Pix(opts);
      const first = await createWorker();
      let second: WorkerPix2Pix | undefined;
      try {
        const want = await local.train({ size: 4, get: async (i) => data[i] }, trainOpts);
        const part = await first.train(
          { kind: 'pairs', pairs: clonePairs(data) },
          { ...trainOpts, maxSteps: 6, checkpoint: { every: 1, target: ckpt } },
        );
        assert.is(part.step, 6);
        await first.dispose();
        second = await createWorker();
        const rest = await second.train(
          { kind: 'pairs', pairs: clonePairs(data) },
          { ...trainOpts, resumeFrom: ckpt },
        );
        assert.is(rest.step, 12);
        assert.equal(losses(rest), losses(want));

        const saved = join(TMP, 'run', 'saved.ckpt');
        await second.saveCheckpoint(saved);
        const reloaded = await createPix2Pix({ backend: 'wasm', weights: saved });
        try {
          assert.equal(
            Array.from((await reloaded.translate(probe)).data),
            Array.from((await second.translate(probe)).data),
          );
          assert.equal(
            Array.from((await reloaded.translate(probe)).data),
            Array.from((await local.translate(probe)).data),
          );
        } finally {
          await reloaded.dispose();
        }
      } finally {
        await local.dispose();
        await first.dispose();
        await second?.dispose();
      }
    },
  );

  control("rejects datasets it cannot open, with the library's error classes", async () => {
    const remote = await createWorker();
    try {
      try {
        await remote.train(
          { kind: 'folder', root: join(TMP, 'no-such-folder') },
          { nEpochs: 1, nEpochsDecay: 0 },
        );
        assert.unreachable();
      } catch (e) {
        assert.instance(e, DatasetError);
        assert.match((e as Error).message, /no-such-folder/);
      }
      try {
        await remote.train({ kind: 'files', files: ['a.png'] }, { nEpochs: 1, nEpochsDecay: 0 });
        assert.unreachable();
      } catch (e) {
        assert.instance(e, DatasetError);
        assert.match((e as Error).message, /createImageBitmap/);
      }
      try {
        await remote.train({ size: 1, get: async () => pairs(1, 32, 1)[0] } as never, {});
        assert.unreachable();
      } catch (e) {
        assert.instance(e, TypeError);
        assert.match((e as Error).message, /cannot be sent to a worker/);
      }
      // The model is untouched and usable after the failures.
      assert.is((await remote.translate(probe)).width, 32);
    } finally {
      await remote.dispose();
    }
  });

  control('a worker whose script has no folder opener says which script can', async () => {
    const { createWorkerHost } = await import('../../src/workers/host.js');
    const host = createWorkerHost('worker_threads');
    await host.init({ ...opts, backend: 'cpu' });
    try {
      await host.train({ kind: 'folder', root: TMP }, { nEpochs: 1, nEpochsDecay: 0 });
      assert.unreachable();
    } catch (e) {
      assert.instance(e, WorkerError);
      assert.match((e as Error).message, /worker\.node\.js/);
    } finally {
      await host.dispose();
    }
  });

  control(
    'a worker on auto for inference does not load Dawn (no Vulkan instance, no driver warnings)',
    async () => {
      // With the optional webgpu package installed, loading Dawn would report navigator.gpu.
      const remote = await createPix2Pix({
        ...opts,
        backend: 'auto',
        worker: true,
        workerUrl: SELF,
      });
      try {
        // onnxruntime-node (a dev dependency here) first, wasm under it for the weights.
        assert.is(remote.backendInfo.name, 'ort-node');
        assert.is(remote.backendInfo.tfjs?.name, 'wasm');
        assert.is(remote.backendInfo.capabilities.webgpu, false);
      } finally {
        await remote.dispose();
      }
    },
  );

  control.run();
}

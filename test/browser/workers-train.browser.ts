// Training in a module Web Worker on `File`s made from canvases: the worker decodes them itself
// (createImageBitmap + OffscreenCanvas) and trains exactly as the page does in-thread; checkpoints
// go to IndexedDB from the worker. This bundle is its own worker script.
import * as assert from 'uvu/assert';
import { suite, measure } from './support/runner.js';
import { startWorkerHost } from '../../src/workers/host.js';
import {
  createPix2Pix,
  browserPairedDataset,
  AbortError,
  type TrainProgress,
  type TrainerState,
} from '../../src/index.js';

const SELF = import.meta.url;
const opts = {
  generator: { numDowns: 5, ngf: 4 },
  discriminator: { ndf: 4 },
  backend: 'wasm',
  seed: 5,
} as const;
const pre = { loadSize: 36, cropSize: 32 };

/** An A|B canvas: a pattern that differs per index on the left, a transform of it on the right. */
function pairCanvas(i: number): OffscreenCanvas {
  const c = new OffscreenCanvas(64, 32);
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, 64, 32);
  ctx.fillStyle = `rgb(${40 * i}, 20, ${200 - 30 * i})`;
  ctx.fillRect(4 + 3 * i, 6, 14, 12 + i);
  ctx.fillStyle = `rgb(${200 - 30 * i}, 230, ${40 * i})`;
  ctx.fillRect(32 + 4 + 3 * i, 6, 14, 12 + i);
  ctx.beginPath();
  ctx.arc(48, 24, 3 + i, 0, Math.PI * 2);
  ctx.fill();
  return c;
}

const files = (): Promise<File[]> =>
  Promise.all(
    [0, 1, 2, 3].map(
      async (i) =>
        new File([await pairCanvas(i).convertToBlob({ type: 'image/png' })], `pair-${i}.png`, {
          type: 'image/png',
        }),
    ),
  );
const losses = (st: TrainerState) =>
  st.history.map(({ step, epoch, ...l }) => ({ step, epoch, ...l }));
const probe = {
  data: new Uint8ClampedArray(32 * 32 * 4).map((_, i) => (i * 37) & 255),
  width: 32,
  height: 32,
};

if (typeof document === 'undefined') {
  startWorkerHost();
} else {
  const s = suite('worker training (Web Worker): files decoded in the worker');

  s(
    'trains a few steps on canvas-made Files with losses bitwise equal to in-thread training',
    async () => {
      const fs = await files();
      const trainOpts = { nEpochs: 1, nEpochsDecay: 1, batchSize: 2, preprocess: pre };
      const local = await createPix2Pix(opts);
      const remote = await createPix2Pix({ ...opts, worker: true, workerUrl: SELF });
      try {
        const want = await local.train(browserPairedDataset(fs), trainOpts);
        const events: TrainProgress[] = [];
        const t0 = performance.now();
        const got = await remote.train(
          { kind: 'files', files: fs },
          { ...trainOpts, onProgress: (p) => events.push(p) },
        );
        measure(
          'worker training, 4 steps of batch 2 at 32x32 (numDowns 5, ngf 4, wasm)',
          `${(performance.now() - t0).toFixed(0)} ms`,
        );
        assert.is(got.step, 4);
        assert.equal(
          events.map((e) => e.step),
          [1, 2, 3, 4],
        );
        assert.equal(losses(got), losses(want));
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

  s(
    'checkpoints to IndexedDB from the worker and resumes there; aborts keep the model usable',
    async () => {
      const fs = await files();
      const trainOpts = { nEpochs: 1, nEpochsDecay: 1, preprocess: pre };
      const target = 'indexeddb://p2p-worker-train-test';
      const local = await createPix2Pix(opts);
      const first = await createPix2Pix({ ...opts, worker: true, workerUrl: SELF });
      const second = await createPix2Pix({ ...opts, worker: true, workerUrl: SELF });
      try {
        const want = await local.train(browserPairedDataset(fs), trainOpts);
        const part = await first.train(
          { kind: 'files', files: fs },
          { ...trainOpts, maxSteps: 3, checkpoint: { every: 1, target } },
        );
        assert.is(part.step, 3);
        const rest = await second.train(
          { kind: 'files', files: fs },
          { ...trainOpts, resumeFrom: target },
        );
        assert.equal(losses(rest), losses(want));

        const ac = new AbortController();
        try {
          await first.train(
            { kind: 'files', files: fs },
            {
              nEpochs: 20,
              nEpochsDecay: 0,
              preprocess: pre,
              signal: ac.signal,
              onProgress: () => ac.abort(),
            },
          );
          assert.unreachable('training should have been aborted');
        } catch (e) {
          assert.instance(e, AbortError);
        }
        assert.is((await first.translate(probe)).width, 32);
      } finally {
        await local.dispose();
        await first.dispose();
        await second.dispose();
      }
    },
  );

  s.run();
}

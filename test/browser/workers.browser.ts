// The worker model in headless Chromium (module Web Worker). This bundle is its own worker script:
// loaded in a worker it starts the same host src/worker.ts starts (plus a test-only crash trigger);
// loaded by the page it registers the suites.
import * as assert from 'uvu/assert';
import { suite, measure } from './support/runner.js';
import { startWorkerHost } from '../../src/workers/host.js';
import {
  createPix2Pix,
  ShapeError,
  CheckpointError,
  WorkerError,
  type WorkerPix2Pix,
  type Pix2Pix,
  type WorkProgress,
} from '../../src/index.js';

const SELF = import.meta.url;
const opts = { generator: { numDowns: 6, ngf: 8 }, discriminator: { ndf: 8 } } as const;

function image(
  width: number,
  height: number,
  seed: number,
): { data: Uint8ClampedArray; width: number; height: number } {
  const data = new Uint8ClampedArray(width * height * 4);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (i & 3) === 3 ? 255 : s >>> 24;
  }
  return { data, width, height };
}

const inWorker = typeof document === 'undefined';

if (inWorker) {
  startWorkerHost();
  self.addEventListener('message', (ev: MessageEvent) => {
    if ((ev.data as { __test?: string })?.__test === 'throw')
      setTimeout(() => {
        throw new RangeError('test crash in the web worker');
      });
  });
} else {
  const same = suite('worker model (Web Worker): results');
  let local: Pix2Pix;
  let remote: WorkerPix2Pix;
  same.before(async () => {
    local = await createPix2Pix({ ...opts, backend: 'wasm' });
    remote = await createPix2Pix({ ...opts, backend: 'wasm', worker: true, workerUrl: SELF });
  });
  same.after(async () => {
    await local.dispose();
    await remote.dispose();
  });

  same('runs wasm in a module Web Worker and says so', () => {
    measure(
      'worker backend',
      `${remote.backendInfo.name} (${remote.backendInfo.threads} threads, simd ${remote.backendInfo.simd}): ${remote.backendInfo.reason}`,
    );
    assert.is(remote.backendInfo.name, 'wasm');
    assert.is(remote.backendInfo.worker.kind, 'web-worker');
    assert.is(remote.backendInfo.capabilities.environment, 'worker');
  });

  same('translates pixel-equal to the in-thread model, with progress', async () => {
    const imgs = [image(70, 45, 3), image(64, 64, 4)];
    const events: WorkProgress[] = [];
    const got = await remote.translateBatch(imgs, { onProgress: (e) => events.push(e) });
    for (let i = 0; i < imgs.length; i++) {
      const want = await local.translate(imgs[i]);
      assert.is(got[i].width, want.width);
      assert.equal(Array.from(got[i].data), Array.from(want.data));
    }
    assert.equal(events, [
      { kind: 'translate', done: 1, total: 2 },
      { kind: 'translate', done: 2, total: 2 },
    ]);
  });

  same('an error thrown in the worker arrives with its class and code', async () => {
    try {
      await remote.translate({ data: new Uint8ClampedArray(10), width: 4, height: 4 });
      assert.unreachable();
    } catch (e) {
      assert.instance(e, ShapeError, String(e));
      assert.is((e as ShapeError).code, 'E_SHAPE');
    }
    try {
      await remote.loadPth(new Uint8Array([80, 75, 3, 4, 0, 0]));
      assert.unreachable();
    } catch (e) {
      assert.instance(e, CheckpointError, String(e));
    }
  });

  same(
    'loads weights by URL in the worker (relative to the page) with download progress',
    async () => {
      const events: WorkProgress[] = [];
      await remote.loadPth('/fixtures/golden/unet64_batch/G.pth', 'G', {
        onProgress: (e) => events.push(e),
      });
      const bytes = new Uint8Array(
        await (await fetch('/fixtures/golden/unet64_batch/G.pth')).arrayBuffer(),
      );
      await local.loadPth(bytes);
      const last = events.at(-1) as Extract<WorkProgress, { kind: 'download' }>;
      assert.is(last.kind, 'download');
      assert.is(last.loaded, bytes.length);
      const img = image(64, 64, 9);
      assert.equal(
        Array.from((await remote.translate(img)).data),
        Array.from((await local.translate(img)).data),
      );
    },
  );

  same.run();

  const gpu = suite('worker model (Web Worker): WebGL through OffscreenCanvas');

  gpu('runs WebGL in the worker when asked, close to in-thread wasm', async () => {
    const w = await createPix2Pix({ ...opts, backend: 'webgl', worker: true, workerUrl: SELF });
    const ref = await createPix2Pix({ ...opts, backend: 'wasm' });
    try {
      measure(
        'webgl in worker',
        `${w.backendInfo.name}: ${w.backendInfo.reason}; fallback ${JSON.stringify(w.backendInfo.worker.fallback)}`,
      );
      assert.is(w.backendInfo.capabilities.environment, 'worker');
      assert.is(w.backendInfo.capabilities.webgl2, true, 'OffscreenCanvas WebGL2 in the worker');
      assert.is(w.backendInfo.name, 'webgl');
      const img = image(64, 48, 5);
      const [a, b] = [await w.translate(img), await ref.translate(img)];
      let worst = 0;
      for (let i = 0; i < a.data.length; i++)
        worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
      measure('webgl (worker) vs wasm: max |diff| in 0..255', worst);
      assert.ok(worst <= 2, `max diff ${worst}`);
    } finally {
      await w.dispose();
      await ref.dispose();
    }
  });

  gpu('a GPU backend unavailable in the worker falls back to wasm there and says why', async () => {
    const w = await createPix2Pix({ ...opts, backend: 'webgpu', worker: true, workerUrl: SELF });
    try {
      const info = w.backendInfo;
      measure('webgpu request in worker', `${info.name}: ${info.reason}`);
      if (info.name === 'webgpu') assert.is(info.worker.fallback, null);
      else {
        assert.is(info.name, 'wasm');
        assert.is(info.worker.fallback?.requested, 'webgpu');
        assert.match(info.worker.fallback!.error, /webgpu/i);
        assert.match(info.reason, /fallback in the worker/);
      }
    } finally {
      await w.dispose();
    }
  });

  gpu.run();

  const crash = suite('worker model (Web Worker): crashes');

  crash(
    'an uncaught error in the worker rejects pending calls with WorkerError; restart works',
    async () => {
      const w = await createPix2Pix({ ...opts, backend: 'wasm', worker: true, workerUrl: SELF });
      const pending = w.translateBatch(
        Array.from({ length: 300 }, (_, i) => image(64, 64, i)),
        {
          onProgress: (e) => {
            if (e.kind === 'translate' && e.done === 1)
              (w.worker as Worker).postMessage({ __test: 'throw' });
          },
        },
      );
      try {
        await pending;
        assert.unreachable();
      } catch (e) {
        assert.instance(e, WorkerError, String(e));
        assert.match((e as Error).message, /test crash in the web worker/);
      }
      await w.restart();
      assert.is((await w.translate(image(16, 16, 1))).width, 16);
      await w.terminate();
      try {
        await w.translate(image(16, 16, 1));
        assert.unreachable();
      } catch (e) {
        assert.instance(e, WorkerError, String(e));
      }
      await w.dispose();
    },
  );

  crash.run();
}

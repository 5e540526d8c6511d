// The worker pool in Node. This bundle is its own worker script (see client.test.ts).
import { isMainThread } from 'node:worker_threads';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startWorkerHost } from '../../src/workers/host.js';
import {
  createPix2Pix,
  createWorkerPool,
  AbortError,
  LimitError,
  ShapeError,
} from '../../src/index.js';
import { copyBundleWithWasm } from '../support/bundle-copy.js';

const opts = {
  generator: { numDowns: 5, ngf: 4 },
  discriminator: { ndf: 4 },
  backend: 'wasm',
} as const;

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

// Workers run a private copy of this bundle (with the wasm binaries): other test runs may clear .tmp/test.
function privateCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'p2p-pool-test-'));
  copyBundleWithWasm(import.meta.url, dir);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return pathToFileURL(join(dir, 'self.mjs')).href;
}

if (!isMainThread) {
  startWorkerHost();
} else {
  const workerUrl = privateCopy();
  const pool = suite('worker pool (worker_threads)');

  pool('translates a batch on 2 workers in input order, pixel-equal to in-thread', async () => {
    const p = await createWorkerPool({ ...opts, size: 2, workerUrl });
    const local = await createPix2Pix(opts);
    try {
      assert.is(p.size, 2);
      assert.is(p.backendInfo.worker.kind, 'worker_threads');
      const imgs = Array.from({ length: 7 }, (_, i) => image(32 + 4 * i, 24, i));
      const seen: number[] = [];
      const outs = await p.translateAll(imgs, { onProgress: (e) => seen.push(e.index) });
      assert.equal(
        [...seen].sort((a, b) => a - b),
        [0, 1, 2, 3, 4, 5, 6],
      );
      for (let i = 0; i < imgs.length; i++) {
        assert.is(outs[i].width, imgs[i].width);
        assert.equal(Array.from(outs[i].data), Array.from((await local.translate(imgs[i])).data));
      }
    } finally {
      await p.dispose();
      await local.dispose();
    }
  });

  pool('translateAll takes a pixel budget, as translate does', async () => {
    const p = await createWorkerPool({ ...opts, size: 1, workerUrl });
    try {
      try {
        await p.translateAll([image(32, 24, 1), image(64, 64, 2)], { maxPixels: 1000 });
        assert.unreachable();
      } catch (e) {
        assert.instance(e, LimitError, String((e as Error)?.stack ?? e));
      }
      assert.is((await p.translateAll([image(32, 24, 1)], { maxPixels: 1000 }))[0].width, 32);
    } finally {
      await p.dispose();
    }
  });

  pool(
    'weights loaded through the pool reach every worker; an abort stops handing out images',
    async () => {
      const p = await createWorkerPool({ ...opts, size: 2, workerUrl });
      const local = await createPix2Pix({ ...opts, seed: 5 });
      try {
        await p.loadPth(await local.exportPth('G'));
        const img = image(40, 40, 9);
        const want = Array.from((await local.translate(img)).data);
        const outs = await p.translateAll([img, img, img, img]);
        for (const o of outs) assert.equal(Array.from(o.data), want);
        const ac = new AbortController();
        let done = 0;
        try {
          await p.translateAll(
            Array.from({ length: 100 }, (_, i) => image(32, 32, i)),
            {
              signal: ac.signal,
              onProgress: () => {
                done++;
                ac.abort();
              },
            },
          );
          assert.unreachable();
        } catch (e) {
          assert.instance(e, AbortError, String(e));
        }
        assert.ok(done <= 2 + 1, `${done} images finished after the abort`);
        try {
          await p.translate({ data: new Uint8ClampedArray(3), width: 2, height: 2 });
          assert.unreachable();
        } catch (e) {
          assert.instance(e, ShapeError, String(e));
        }
      } finally {
        await p.dispose();
        await local.dispose();
      }
    },
  );

  pool.run();
}

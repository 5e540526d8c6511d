// <pix2pix-translator> in headless Chromium, driven from Node with playwright-core: the script-tag
// example (examples/widget.html) served by scripts/serve-examples.mjs with a randomly initialised
// model, real pointer and file-input events, and the widget's output compared pixel for pixel with
// the library's own translation of the same input pixels.
// Runs under scripts/test.mjs like the Node tests; skipped loudly without Chromium (failed in CI).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { createPix2Pix, readPth, writePth } from '../../src/index.js';

const root = process.env.PIX2PIX_ROOT ?? process.cwd();
const work = join(root, '.tmp', 'web', 'widget');
const shots = join(root, '.tmp', 'web', 'screenshots');
// Non-literal specifiers: loaded at run time, not bundled into this test (esbuild cannot bundle itself).
const load = (rel: string) => import(pathToFileURL(join(root, rel)).href);

const ARCH = { numDowns: 6, ngf: 8, inputChannels: 1, outputChannels: 1 };
const TIMEOUT = 180_000;

/**
 * A randomly initialised generator, its conv weights scaled x4 so the net responds visibly to
 * its input (N(0, 0.02) init has a per-layer gain of ~0.2 at ngf 8: the output would be flat grey).
 */
async function makeModel(): Promise<Uint8Array> {
  const p2p = await createPix2Pix({
    backend: 'cpu',
    generator: { ...ARCH, norm: 'batch' },
    seed: 11,
  });
  const sd = readPth(await p2p.exportPth('G'));
  await p2p.dispose();
  for (const t of sd.values())
    if (t.shape.length === 4 && t.data instanceof Float32Array)
      for (let i = 0; i < t.data.length; i++) t.data[i] *= 4;
  return writePth(sd);
}

/**
 * The library's worker, except that it swallows its answers to translate() when the page tells it
 * to (over a BroadcastChannel, before the first translation): a worker that stops answering, as
 * one whose wasm threads hang does, for the watchdog test.
 */
const HANG_WORKER = `
import './worker.js'; // static: a message that arrives before comlink listens would be lost
const bc = new BroadcastChannel('p2p-hang');
let hang = null;
bc.onmessage = (e) => { if (hang === null && (e.data === 'hang' || e.data === 'go')) hang = e.data === 'hang'; };
bc.postMessage('hello');
// A translation's answer is the only one that carries an image (comlink's RAW value with data, width, height).
const isImage = (m) => m && m.value && m.value.data && typeof m.value.width === 'number';
const post = self.postMessage.bind(self);
self.postMessage = (m, t) => { if (hang && isImage(m)) return; post(m, t); };
`;

type Page = import('playwright-core').Page;
type Browser = import('playwright-core').Browser;

const ctx: {
  browser?: Browser;
  origin?: string;
  close?: () => Promise<void>;
  skip?: string;
  requests: string[];
} = { requests: [] };

const W = suite('the <pix2pix-translator> widget');

W.before(async () => {
  const harness = await load('test/browser/harness.mjs');
  const chromium = harness.findChromium();
  if (!chromium) {
    if (process.env.CI) throw new Error('Chromium is required in CI (apt-get install -y chromium)');
    ctx.skip = `Chromium not found (${process.env.CHROMIUM_PATH || '/usr/bin/chromium'}; apt-get install -y chromium)`;
    return;
  }
  mkdirSync(join(work, 'models'), { recursive: true });
  mkdirSync(shots, { recursive: true });
  const { buildWebDist } = await load('test/browser/web-build.mjs');
  const sizes = await buildWebDist(root, join(work, 'dist'));
  console.log(`# widget bundle (esbuild, minified): ${(sizes.widget / 1024).toFixed(1)} KiB`);
  writeFileSync(join(work, 'models', 'random-g.pth'), await makeModel());
  writeFileSync(join(work, 'dist', 'hang-worker.js'), HANG_WORKER);
  writeFileSync(
    join(work, 'models', 'not-a-model.pth'),
    new TextEncoder().encode('these bytes are no checkpoint '.repeat(20)),
  );
  const { startExamplesServer } = await load('scripts/serve-examples.mjs');
  const srv = await startExamplesServer({
    port: 0,
    mounts: [
      ['/examples/', join(root, 'examples')],
      ['/dist/', join(work, 'dist')],
      ['/models/', join(work, 'models')],
    ],
    onRequest: (path: string) => ctx.requests.push(path),
  });
  ctx.origin = srv.origin;
  ctx.close = srv.close;
  const { chromium: pw } = await import('playwright-core');
  ctx.browser = await pw.launch({
    executablePath: chromium,
    headless: true,
    args: harness.CHROMIUM_ARGS,
  });
});

W.after(async () => {
  await ctx.browser?.close();
  await ctx.close?.();
});

async function openWidget(
  query: string,
  opts: { waitFor?: 'ready' | 'error' } = {},
): Promise<Page> {
  const page = await ctx.browser!.newPage({ viewport: { width: 900, height: 640 } });
  page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[console.error] ${m.text()}`);
  });
  await page.goto(`${ctx.origin}/examples/widget.html${query}`);
  const want = opts.waitFor ?? 'ready';
  await page.waitForFunction(
    (s) => {
      const st = (document.getElementById('t') as unknown as { state: string }).state;
      return st === s || (s === 'ready' && st === 'error');
    },
    want,
    { timeout: TIMEOUT },
  );
  const state = await page.evaluate(
    () => (document.getElementById('t') as unknown as { state: string }).state,
  );
  if (state !== want) {
    const err = await page.locator('pix2pix-translator .error').textContent();
    throw new Error(`widget state ${state}, expected ${want}: ${err}`);
  }
  return page;
}

/** The widget's input and output pixels, and the library's translation of the same input (its worker, same backend). */
async function compareWithLibrary(page: Page) {
  if (!(await page.evaluate(() => 'Pix2Pix' in window)))
    await page.addScriptTag({ url: '/dist/pix2pix.min.js' });
  return page.evaluate(async () => {
    const el = document.getElementById('t') as unknown as {
      flush(): Promise<ImageData>;
      getInputImageData(): ImageData;
      backendInfo: { name: string };
      getAttribute(n: string): string;
    };
    const output = await el.flush();
    const input = el.getInputImageData();
    const lib = (
      window as unknown as {
        Pix2Pix: {
          createPix2Pix(o: object): Promise<{
            translate(i: object): Promise<{ data: Uint8ClampedArray }>;
            dispose(): Promise<void>;
          }>;
        };
      }
    ).Pix2Pix;
    const model = el.getAttribute('model');
    // tfjs web weights (model.json + weights file) load by URL; single files as bytes.
    const weights = model.endsWith('.json')
      ? new URL(model, location.href).href
      : new Uint8Array(await (await fetch(model)).arrayBuffer());
    // In a worker, like the widget's own model: threaded wasm on a page's main thread waits by
    // spinning, and once spun forever in a test run (see docs/backends.md, WASM and threads).
    const p2p = await lib.createPix2Pix({ backend: el.backendInfo.name, weights, worker: true });
    const ref = await p2p.translate({
      data: input.data,
      width: input.width,
      height: input.height,
      channels: 4,
    });
    await p2p.dispose();
    let mismatches = 0;
    let maxDiff = 0;
    for (let i = 0; i < ref.data.length; i++) {
      const d = Math.abs(ref.data[i] - output.data[i]);
      if (d) mismatches++;
      if (d > maxDiff) maxDiff = d;
    }
    const distinct = (d: Uint8ClampedArray) =>
      new Set(Array.from({ length: d.length / 4 }, (_, p) => d[p * 4])).size;
    let dark = 0;
    for (let p = 0; p < input.data.length; p += 4) if (input.data[p] < 128) dark++;
    return {
      mismatches,
      maxDiff,
      outputLength: output.data.length,
      refLength: ref.data.length,
      outputLevels: distinct(output.data),
      inputDark: dark,
      input: Array.from(input.data.subarray(0, 0)),
      outSum: output.data.reduce((a, b) => a + b, 0),
    };
  });
}

W(
  'loads from the script-tag example, reads the architecture from the .pth and shows the backend',
  async () => {
    if (ctx.skip) return console.log(`# SKIPPED: ${ctx.skip}`);
    const page = await openWidget('?model=/models/random-g.pth');
    const info = await page.evaluate(() => {
      const el = document.getElementById('t') as unknown as {
        backendInfo: {
          name: string;
          threads: number;
          capabilities: { crossOriginIsolated: boolean; wasmThreads: boolean };
        };
        architecture: object;
        size: number;
      };
      return {
        backend: el.backendInfo.name,
        threads: el.backendInfo.threads,
        isolated: el.backendInfo.capabilities.crossOriginIsolated,
        wasmThreads: el.backendInfo.capabilities.wasmThreads,
        arch: el.architecture,
        size: el.size,
      };
    });
    await page.evaluate(() =>
      (document.getElementById('t') as unknown as { flush(): Promise<ImageData> }).flush(),
    );
    assert.equal(info.arch, { ...ARCH, norm: 'batch' });
    assert.is(info.size, 64);
    assert.ok(info.isolated, 'served with COOP/COEP, the worker is cross-origin isolated');
    assert.ok(info.wasmThreads, 'and can use wasm threads');
    // A short line for visitors; the engine's full reason behind a click (a <details>).
    const short = await page
      .locator('pix2pix-translator [role=status] summary .state')
      .textContent();
    assert.match(
      short!,
      info.backend === 'wasm'
        ? /^Ready · CPU(, \d threads)? · [\d.]+ m?s$/
        : /^Ready · GPU \(\w+(, software)?\) · [\d.]+ m?s$/,
      `short status "${short}"`,
    );
    assert.ok(short!.length < 40, 'the short status stays short');
    assert.is(
      await page.locator('pix2pix-translator [role=status] details').getAttribute('open'),
      null,
      'details start closed',
    );
    const details = await page.locator('pix2pix-translator [role=status] .details').textContent();
    assert.ok(
      details!.includes(`Backend: ${info.backend}`),
      `details "${details}" name the backend ${info.backend}`,
    );
    await page.locator('pix2pix-translator [role=status] summary').click();
    assert.ok(
      await page.locator('pix2pix-translator [role=status] .details').isVisible(),
      'a click shows the details',
    );
    console.log(`# widget backend (isolated page): ${info.backend}, ${info.threads} thread(s)`);
    await page.close();
  },
);

W(
  "translates a drawn stroke into exactly the library's output for the same input pixels",
  async () => {
    if (ctx.skip) return;
    const page = await openWidget('?model=/models/random-g.pth');
    const before = await compareWithLibrary(page);
    const box = (await page.locator('pix2pix-translator canvas.input').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.3);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++)
      await page.mouse.move(
        box.x + box.width * (0.2 + 0.05 * i),
        box.y + box.height * (0.3 + 0.035 * i),
        { steps: 2 },
      );
    await page.mouse.up();
    const after = await compareWithLibrary(page);
    assert.ok(after.inputDark > 40, `the stroke darkened ${after.inputDark} input pixels`);
    assert.is.not(after.outSum, before.outSum, 'the output changed with the stroke');
    assert.ok(after.outputLevels > 8, `the output is not flat (${after.outputLevels} grey levels)`);
    assert.is(after.outputLength, 64 * 64 * 4);
    assert.is(
      after.mismatches,
      0,
      `widget output differs from the library's in ${after.mismatches} values (max ${after.maxDiff})`,
    );

    // A pen (pressure-scaled) stroke and undo, by synthetic pointer events.
    const penDark = await page.evaluate(async () => {
      const el = document.getElementById('t') as unknown as HTMLElement & {
        getInputImageData(): ImageData;
        undo(): void;
      };
      const c = el.shadowRoot!.querySelector('canvas.input') as HTMLCanvasElement;
      const r = c.getBoundingClientRect();
      const ev = (type: string, fx: number) =>
        c.dispatchEvent(
          new PointerEvent(type, {
            pointerId: 7,
            pointerType: 'pen',
            pressure: 1,
            button: 0,
            buttons: 1,
            bubbles: true,
            clientX: r.left + r.width * fx,
            clientY: r.top + r.height * 0.8,
          }),
        );
      const dark = () => {
        const d = el.getInputImageData().data;
        let n = 0;
        for (let p = 0; p < d.length; p += 4) if (d[p] < 128) n++;
        return n;
      };
      const d0 = dark();
      ev('pointerdown', 0.1);
      ev('pointermove', 0.5);
      ev('pointermove', 0.9);
      ev('pointerup', 0.9);
      const d1 = dark();
      el.undo();
      return { d0, d1, d2: dark() };
    });
    assert.ok(penDark.d1 > penDark.d0, 'the pen stroke drew');
    assert.is(penDark.d2, penDark.d0, 'undo removed it');
    await page.screenshot({ path: join(shots, 'widget.png') });
    if (process.env.P2P_DOCS_SCREENSHOTS)
      copyFileSync(join(shots, 'widget.png'), join(root, 'docs', 'widget.png'));
    await page.close();
  },
);

W(
  'the example page loads the shipped default model (fonts, 8-bit web weights) and translates a drawn stroke',
  async () => {
    if (ctx.skip) return;
    const page = await openWidget('');
    const arch = await page.evaluate(
      () =>
        (document.getElementById('t') as unknown as { architecture: Record<string, unknown> })
          .architecture,
    );
    assert.equal([arch.numDowns, arch.ngf, arch.inputChannels, arch.outputChannels], [7, 16, 1, 1]);
    const box = await page.evaluate(() => {
      const r = (document.getElementById('t') as HTMLElement)
        .shadowRoot!.querySelector('canvas.input')!
        .getBoundingClientRect();
      return { x: r.left, y: r.top, w: r.width, h: r.height };
    });
    await page.mouse.move(box.x + 0.2 * box.w, box.y + 0.5 * box.h);
    await page.mouse.down();
    await page.mouse.move(box.x + 0.8 * box.w, box.y + 0.5 * box.h, { steps: 10 });
    await page.mouse.up();
    const r = await compareWithLibrary(page);
    assert.is(r.mismatches, 0, `max diff ${r.maxDiff}`);
    assert.ok(
      r.inputDark > 0 && r.outputLevels > 2,
      'a stroke was drawn and the output is not flat',
    );

    // The page steers visitors to printed characters: a sample button puts one in and translates it.
    assert.is(await page.locator('#samples button').count(), 6);
    await page.locator('#samples button').nth(2).click();
    await page.waitForFunction(
      () =>
        (
          document.getElementById('t') as unknown as { getInputImageData(): ImageData }
        ).getInputImageData().data[0] === 255,
    );
    const s = await compareWithLibrary(page);
    assert.ok(
      s.inputDark > 300,
      `the sample character is in the input (${s.inputDark} dark pixels)`,
    );
    // Within 1 level: once, under a load average of 30, 3 of 65536 values differed by 1 from a fresh
    // worker's (exact in reruns; the same worker had translated the strokes before).
    assert.ok(
      s.maxDiff <= 1 && s.mismatches <= 16,
      `sample: ${s.mismatches} values differ, max diff ${s.maxDiff}`,
    );
    await page.screenshot({ path: join(shots, 'widget-sample.png') });
    await page.close();
  },
);

W('translates an image picked with the file input', async () => {
  if (ctx.skip) return;
  const page = await openWidget('?model=/models/random-g.pth');
  // A 120x60 black bar on white: letterboxed into the 64x64 input.
  const png = await sharp({
    create: { width: 120, height: 60, channels: 3, background: '#ffffff' },
  })
    .composite([
      {
        input: await sharp({
          create: { width: 80, height: 20, channels: 3, background: '#000000' },
        })
          .png()
          .toBuffer(),
        left: 20,
        top: 20,
      },
    ])
    .png()
    .toBuffer();
  await page.evaluate(() => {
    const el = document.getElementById('t')!;
    (window as unknown as { translatedCount: number }).translatedCount = 0;
    el.addEventListener(
      'translated',
      () => (window as unknown as { translatedCount: number }).translatedCount++,
    );
  });
  await page
    .locator('pix2pix-translator input[type=file]')
    .setInputFiles({ name: 'bar.png', mimeType: 'image/png', buffer: png });
  await page.waitForFunction(
    () => (window as unknown as { translatedCount: number }).translatedCount > 0,
    null,
    { timeout: TIMEOUT },
  );
  const r = await compareWithLibrary(page);
  const rows = await page.evaluate(() => {
    const d = (
      document.getElementById('t') as unknown as { getInputImageData(): ImageData }
    ).getInputImageData().data;
    const at = (x: number, y: number) => d[(y * 64 + x) * 4];
    return { corner: at(1, 1), centre: at(32, 32), topBand: at(32, 8) };
  });
  assert.is(rows.corner, 255, 'letterbox stays white');
  assert.ok(rows.centre < 40, `the bar is in the middle (value ${rows.centre})`);
  assert.is(rows.topBand, 255, 'above the bar (the image is fitted, not stretched)');
  assert.is(r.mismatches, 0, `widget output differs from the library's in ${r.mismatches} values`);
  await page.close();
});

W(
  'shows a not-found error for a missing model and a format error for a file that is not one',
  async () => {
    if (ctx.skip) return;
    const page = await openWidget('?model=/models/missing.pth', { waitFor: 'error' });
    assert.is(await page.locator('pix2pix-translator').getAttribute('data-error'), 'not-found');
    const alert = await page.locator('pix2pix-translator [role=alert]').textContent();
    assert.match(alert!, /Model not found/);
    assert.match(alert!, /404/);
    assert.match(
      (await page.locator('#log').textContent())!,
      /error \(not-found\)/,
      'the error event reached the page',
    );
    await page.screenshot({ path: join(shots, 'widget-404.png') });
    // Fixing the attribute recovers: a new load, then a translation.
    await page.evaluate(() =>
      document.getElementById('t')!.setAttribute('model', '/models/random-g.pth'),
    );
    await page.waitForFunction(
      () => (document.getElementById('t') as unknown as { state: string }).state === 'ready',
      null,
      { timeout: TIMEOUT },
    );
    assert.is(
      await page.locator('pix2pix-translator').getAttribute('data-error'),
      null,
      'the error is cleared',
    );
    assert.is(
      await page.evaluate(
        async () =>
          (
            await (
              document.getElementById('t') as unknown as { flush(): Promise<ImageData> }
            ).flush()
          ).width,
      ),
      64,
    );
    await page.close();

    // The same cause, the same message, whatever the format: a missing model.json is "Model not found" too.
    const json = await openWidget('?model=/models/missing/model.json', { waitFor: 'error' });
    assert.is(await json.locator('pix2pix-translator').getAttribute('data-error'), 'not-found');
    const jsonAlert = await json.locator('pix2pix-translator [role=alert]').textContent();
    assert.match(jsonAlert!, /^Model not found.*missing\/model\.json.*404/);
    await json.close();

    const bad = await openWidget('?model=/models/not-a-model.pth', { waitFor: 'error' });
    assert.is(await bad.locator('pix2pix-translator').getAttribute('data-error'), 'format');
    assert.match(
      (await bad.locator('pix2pix-translator [role=alert]').textContent())!,
      /^Not a model file/,
    );
    await bad.close();
  },
);

W(
  'works without cross-origin isolation (wasm on one thread) and still matches the library',
  async () => {
    if (ctx.skip) return;
    const page = await openWidget('?coi=0&model=/models/random-g.pth&backend=wasm');
    const caps = await page.evaluate(() => {
      const el = document.getElementById('t') as unknown as {
        backendInfo: {
          name: string;
          threads: number;
          capabilities: { crossOriginIsolated: boolean; wasmThreads: boolean };
        };
      };
      return {
        name: el.backendInfo.name,
        threads: el.backendInfo.threads,
        isolated: el.backendInfo.capabilities.crossOriginIsolated,
        wasmThreads: el.backendInfo.capabilities.wasmThreads,
      };
    });
    assert.is(caps.isolated, false);
    assert.is(caps.wasmThreads, false);
    assert.is(caps.threads, 1);
    assert.is(caps.name, 'wasm');
    const r = await compareWithLibrary(page);
    assert.is(r.mismatches, 0);
    await page.close();
  },
);

W(
  'keeps translating after a debounce timer fires once a fast translation has taken its change',
  async () => {
    if (ctx.skip) return;
    const page = await openWidget('?model=/models/random-g.pth');
    await page.evaluate(() =>
      (document.getElementById('t') as unknown as { flush(): Promise<ImageData> }).flush(),
    );
    // What a 40 ms debounce timer does when the translation that takes its change ends sooner: here
    // with a 1.5 s timer (the element's own requestTranslate) and a translation started at once.
    // Before the fix, the timer's pump() left the loop's promise set for good: nothing translated
    // again and flush() spun in microtasks, freezing the page.
    const probe = page.evaluate(async () => {
      const el = document.getElementById('t') as unknown as {
        requestTranslate(ms: number): void;
        pump(): Promise<void>;
        clear(): void;
        flush(): Promise<ImageData>;
        lastTranslation: { ms: number } | null;
      };
      el.requestTranslate(1500);
      await el.pump();
      await new Promise((r) => setTimeout(r, 2000));
      const before = el.lastTranslation;
      el.clear();
      const out = await el.flush();
      return { width: out.width, translatedAgain: el.lastTranslation !== before };
    });
    const r = await Promise.race([
      probe,
      new Promise<'hang'>((res) => setTimeout(() => res('hang'), 60_000)),
    ]);
    assert.is.not(r, 'hang', 'flush() answered');
    assert.equal(r, { width: 64, translatedAgain: true });
    await Promise.race([page.close(), new Promise((res) => setTimeout(res, 5000))]);
  },
);

W(
  'shows download progress for everything it fetches: the worker script and the model',
  async () => {
    if (ctx.skip) return;
    const page = await ctx.browser!.newPage();
    const before = ctx.requests.length;
    await page.addInitScript(() => {
      const seen: { loaded: number; total: number | null; what: string }[] = [];
      (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
      document.addEventListener(
        'progress',
        (e) => seen.push({ ...(e as unknown as CustomEvent).detail }),
        true,
      );
    });
    await page.goto(`${ctx.origin}/examples/widget.html?model=/models/random-g.pth`);
    await page.waitForFunction(
      () => (document.getElementById('t') as unknown as { state: string }).state === 'ready',
      null,
      { timeout: TIMEOUT },
    );
    const seen = await page.evaluate(
      () =>
        (
          window as unknown as {
            progressSeen: { loaded: number; total: number | null; what: string }[];
          }
        ).progressSeen,
    );
    const { statSync } = await import('node:fs');
    const expected =
      statSync(join(work, 'dist', 'worker.js')).size +
      statSync(join(work, 'models', 'random-g.pth')).size;
    const last = seen[seen.length - 1];
    assert.ok(seen.length >= 2, `${seen.length} progress events`);
    assert.is(last.loaded, expected, 'the last event counts every byte of worker.js and the model');
    assert.is(last.total, expected);
    assert.ok(
      seen.some((p) => /model engine/.test(p.what)),
      'the worker script is named while it downloads',
    );
    assert.ok(
      seen.every((p, i) => i === 0 || p.loaded >= seen[i - 1].loaded),
      'progress never goes back',
    );
    // The worker starts from the bytes downloaded with progress (a blob URL), not by a second download.
    assert.is(
      ctx.requests.slice(before).filter((p) => p === '/dist/worker.js').length,
      1,
      'worker.js is fetched once',
    );
    await page.close();
  },
);

W(
  'replaces a worker that stops answering (watchdog), says so, and flush() still resolves',
  async () => {
    if (ctx.skip) return;
    const page = await ctx.browser!.newPage();
    await page.addInitScript(() => {
      // The first worker is told to swallow its translate answers; the ones after it answer.
      const bc = new BroadcastChannel('p2p-hang');
      let hellos = 0;
      bc.onmessage = (e) => {
        if (e.data === 'hello') bc.postMessage(hellos++ === 0 ? 'hang' : 'go');
      };
      const w = window as unknown as {
        bc: BroadcastChannel;
        errors: { kind: string; fatal: boolean }[];
      };
      w.bc = bc;
      w.errors = [];
      document.addEventListener(
        'error',
        (e) => {
          const d = (e as unknown as CustomEvent).detail;
          if (d) w.errors.push({ kind: d.kind, fatal: d.fatal });
        },
        true,
      );
    });
    await page.goto(
      `${ctx.origin}/examples/widget.html?model=/models/random-g.pth&worker-url=/dist/hang-worker.js&watchdog=1500`,
    );
    await page.waitForFunction(
      () => (document.getElementById('t') as unknown as { state: string }).state === 'ready',
      null,
      { timeout: TIMEOUT },
    );
    const r = await page.evaluate(async () => {
      const el = document.getElementById('t') as unknown as {
        flush(): Promise<ImageData>;
        workerRestarts: number;
        state: string;
      };
      const t0 = performance.now();
      const out = await el.flush();
      return {
        width: out.width,
        ms: performance.now() - t0,
        restarts: el.workerRestarts,
        state: el.state,
        errors: (window as unknown as { errors: { kind: string; fatal: boolean }[] }).errors,
      };
    });
    assert.is(r.width, 64, 'flush() resolved with the output of the new worker');
    assert.is(r.restarts, 1, 'one worker was replaced');
    assert.is(r.state, 'ready');
    assert.equal(
      r.errors,
      [{ kind: 'timeout', fatal: false }],
      'an error event of kind timeout, not fatal',
    );
    const details = await page.locator('pix2pix-translator [role=status] .details').textContent();
    assert.match(details!, /restarted 1 time/, 'the details say the worker was restarted');
    assert.is(
      await page.locator('pix2pix-translator').getAttribute('data-error'),
      null,
      'the error panel is cleared once the new worker answers',
    );
    await page.close();
  },
);

W.run();

// The built package (dist/, as `npm run build` makes it and npm ships it) in headless Chromium, on
// a cross-origin-isolated page: the minified <script> build and the ESM build with its worker run
// the threaded wasm binary (their pthread workers import dist/tfjs-backend-wasm-threaded-simd.js,
// not tfjs's Blob of the minified factory source, which fails there with a ReferenceError and
// leaves the backend starting forever), and without that file the backend runs on one thread and
// says why. Every page call has a deadline, so a backend that never starts fails the test.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.env.PIX2PIX_ROOT ?? process.cwd();
const load = (rel: string) => import(pathToFileURL(join(root, rel)).href);
const work = join(root, '.tmp', 'web', 'dist-pages');
const DEADLINE = 90_000;

type Browser = import('playwright-core').Browser;
type Page = import('playwright-core').Page;
const ctx: { browser?: Browser; origin?: string; close?: () => Promise<void>; skip?: string } = {};

const ARCH = { numDowns: 6, ngf: 8, inputChannels: 1, outputChannels: 1, norm: 'batch' };

// Runs in the page: a seeded random model on `backend`, one 64x64 translation; returns its info and pixels.
const TRANSLATE = `async function translateOn(lib, backend, worker) {
  const p2p = await lib.createPix2Pix({ backend, worker, generator: ${JSON.stringify(ARCH)}, seed: 5 });
  const data = new Uint8ClampedArray(64 * 64 * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 251;
  const out = await p2p.translate({ data, width: 64, height: 64, channels: 4 });
  const info = p2p.backendInfo;
  await p2p.dispose();
  return { name: info.name, threads: info.threads, reason: info.reason, pixels: Array.from(out.data) };
}`;

const W = suite('the built dist/ in Chromium');

W.before(async () => {
  const harness = await load('test/browser/harness.mjs');
  const chromium = harness.findChromium();
  if (!chromium || !existsSync(join(root, 'dist', 'pix2pix.min.js'))) {
    if (process.env.CI) throw new Error('Chromium and dist/ are required in CI');
    ctx.skip = chromium ? 'dist/ is not built (npm run build)' : 'Chromium not found';
    return;
  }
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'noglue'), { recursive: true });
  // dist/ without the glue file, as a careless copy of the binaries alone would leave it.
  for (const f of readdirSync(join(root, 'dist')))
    if (f === 'pix2pix.min.js' || f.endsWith('.wasm'))
      copyFileSync(join(root, 'dist', f), join(work, 'noglue', f));
  const iife = (src: string) =>
    `<!doctype html><meta charset=utf-8><script src="${src}"></script><script>${TRANSLATE}</script>`;
  writeFileSync(join(work, 'iife.html'), iife('/dist/pix2pix.min.js'));
  writeFileSync(join(work, 'noglue.html'), iife('/pages/noglue/pix2pix.min.js'));
  writeFileSync(
    join(work, 'esm.html'),
    `<!doctype html><meta charset=utf-8><script type=module>import * as lib from '/dist/index.js'; ${TRANSLATE}; window.lib = lib; window.translateOn = translateOn; window.ready = true;</script>`,
  );
  const { startExamplesServer } = await load('scripts/serve-examples.mjs');
  const srv = await startExamplesServer({
    port: 0,
    mounts: [
      ['/dist/', join(root, 'dist')],
      ['/pages/', work],
    ],
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

interface Result {
  name: string;
  threads: number;
  reason: string;
  pixels: number[];
  cores: number;
}

/** Opens `page` and runs translateOn(lib, backend, worker) there, failing after DEADLINE. */
async function run(path: string, backend: string, worker = false): Promise<Result> {
  const page: Page = await ctx.browser!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${ctx.origin}${path}`);
    await page.waitForFunction(
      () => 'translateOn' in window && ('Pix2Pix' in window || 'lib' in window),
      null,
      { timeout: DEADLINE },
    );
    const call = page.evaluate(
      async ([b, w]) => {
        const g = window as unknown as {
          Pix2Pix?: unknown;
          lib?: unknown;
          translateOn(lib: unknown, b: string, w: boolean): Promise<object>;
        };
        return {
          ...(await g.translateOn(g.Pix2Pix ?? g.lib, b as string, w as boolean)),
          cores: navigator.hardwareConcurrency,
        };
      },
      [backend, worker] as const,
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${path} (${backend}${worker ? ', worker' : ''}) did not finish in ${DEADLINE / 1000} s; page errors: ${errors.join(' | ') || 'none'}`,
            ),
          ),
        DEADLINE,
      );
    });
    try {
      return (await Promise.race([call, late])) as Result;
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await page.close().catch(() => {});
  }
}

function maxDiff(a: number[], b: number[]): number {
  assert.is(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

W('the minified <script> build runs wasm on threads in the page and matches cpu', async () => {
  if (ctx.skip) return console.log(`# SKIPPED: ${ctx.skip}`);
  const cpu = await run('/pages/iife.html', 'cpu');
  const wasm = await run('/pages/iife.html', 'wasm');
  assert.is(wasm.name, 'wasm');
  assert.is(wasm.threads, Math.min(8, wasm.cores), `one XNNPACK thread per core (${wasm.reason})`);
  const d = maxDiff(cpu.pixels, wasm.pixels);
  console.log(
    `# dist/pix2pix.min.js wasm (${wasm.threads} threads) vs cpu: max pixel difference ${d}`,
  );
  assert.ok(d <= 1, `wasm and cpu pixels differ by ${d}`);
});

W('the ESM build runs threaded wasm in its worker (dist/worker.js)', async () => {
  if (ctx.skip) return;
  const cpu = await run('/pages/iife.html', 'cpu');
  const wasm = await run('/pages/esm.html', 'wasm', true);
  assert.is(wasm.name, 'wasm');
  assert.ok(wasm.threads >= Math.min(2, wasm.cores), `threads ${wasm.threads} (${wasm.reason})`);
  const d = maxDiff(cpu.pixels, wasm.pixels);
  console.log(
    `# dist/index.js + dist/worker.js wasm (${wasm.threads} threads) vs cpu: max pixel difference ${d}`,
  );
  assert.ok(d <= 1, `wasm and cpu pixels differ by ${d}`);
});

W(
  'without the glue file beside the binaries, wasm runs on one thread and the reason says so',
  async () => {
    if (ctx.skip) return;
    const wasm = await run('/pages/noglue.html', 'wasm');
    assert.is(wasm.name, 'wasm');
    assert.is(wasm.threads, 1);
    assert.match(
      wasm.reason,
      /tfjs-backend-wasm-threaded-simd\.js at http:\/\/127\.0\.0\.1:\d+\/pages\/noglue\/tfjs-backend-wasm-threaded-simd\.js cannot be loaded: HTTP 404/,
    );
    console.log(`# without the glue: ${wasm.reason}`);
  },
);

W.run();

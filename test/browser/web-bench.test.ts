// examples/bench.html in headless Chromium (SwiftShader WebGL 2, wasm with and without threads,
// the JavaScript cpu backend; WebGPU has no adapter there and must be reported as skipped), in
// quick mode: tiny models, two timed runs. Checks that every available backend produced both
// tasks at both sizes, that the charts and the table show them, and that the JSON report is whole.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.env.PIX2PIX_ROOT ?? process.cwd();
const work = join(root, '.tmp', 'web', 'bench');
const shots = join(root, '.tmp', 'web', 'screenshots');
const load = (rel: string) => import(pathToFileURL(join(root, rel)).href);

interface Result {
  variant: string;
  task: string;
  size: number;
  msMedian: number;
  gflops: number;
  stepsPerSec?: number;
  reps: number;
}
interface Report {
  device: Record<string, unknown>;
  results: Result[];
  skipped: { variant: string; reason: string }[];
}

const B = suite('the backend benchmark page');

B(
  'completes in quick mode on webgl and wasm, reports webgpu as skipped, and draws its charts',
  async () => {
    const harness = await load('test/browser/harness.mjs');
    const chromium = harness.findChromium();
    if (!chromium) {
      if (process.env.CI) assert.unreachable('Chromium is required in CI');
      console.log('# SKIPPED: Chromium not found (apt-get install -y chromium)');
      return;
    }
    mkdirSync(shots, { recursive: true });
    const { buildBench } = await load('examples/build.mjs');
    await buildBench(join(work, 'dist'));
    const { startExamplesServer } = await load('scripts/serve-examples.mjs');
    const srv = await startExamplesServer({
      port: 0,
      mounts: [
        ['/examples/bench/dist/', join(work, 'dist')],
        ['/examples/', join(root, 'examples')],
      ],
    });
    const { chromium: pw } = await import('playwright-core');
    const browser = await pw.launch({
      executablePath: chromium,
      headless: true,
      args: harness.CHROMIUM_ARGS,
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
      page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
      await page.goto(
        `${srv.origin}/examples/bench.html?quick=1&backends=webgpu,webgl,wasm-threads,wasm-simd,cpu`,
      );
      await page.waitForFunction(
        () => ['done', 'error'].includes(document.documentElement.dataset.benchState ?? ''),
        null,
        { timeout: 420_000 },
      );
      assert.is(
        await page.evaluate(() => document.documentElement.dataset.benchState),
        'done',
        (await page.locator('#status').textContent()) ?? '',
      );
      const report = (await page.evaluate(
        () => (globalThis as unknown as { benchReport: unknown }).benchReport,
      )) as Report;

      const has = (variant: string) => report.results.filter((r) => r.variant === variant);
      for (const v of ['webgl', 'wasm-simd', 'cpu']) {
        const rs = has(v);
        assert.equal(
          rs.map((r) => `${r.task}@${r.size}`).sort(),
          ['infer@32', 'infer@64', 'train@32', 'train@64'],
          `${v} ran both tasks at both sizes`,
        );
        for (const r of rs) {
          assert.ok(
            r.msMedian > 0 && Number.isFinite(r.gflops) && r.gflops > 0,
            `${v} ${r.task} ${r.size}: a positive median and GFLOP/s`,
          );
          if (r.task === 'train') assert.ok(Math.abs(r.stepsPerSec! - 1000 / r.msMedian) < 1e-9);
        }
      }
      // Threads: run where the worker got a pool of 2+, else skipped with the reason (2-core CI machines).
      const threaded = has('wasm-threads');
      assert.ok(
        threaded.length === 4 ||
          report.skipped.some((s) => s.variant === 'wasm-threads' && /thread/.test(s.reason)),
        'wasm-threads ran or says why not',
      );
      assert.ok(
        report.skipped.some((s) => s.variant === 'webgpu'),
        'webgpu (no adapter under SwiftShader) is listed as skipped',
      );
      assert.is(report.device.crossOriginIsolated, true);
      assert.type(report.device.webglRenderer, 'string');

      const bars = await page.evaluate(() =>
        [...document.querySelectorAll('#charts svg')].map(
          (s) => s.querySelectorAll('rect.bar').length,
        ),
      );
      const n = (task: string) => report.results.filter((r) => r.task === task).length;
      assert.equal(bars, [n('infer'), n('train')], 'one bar per result in each chart');
      assert.is(await page.locator('#results tr').count(), report.results.length);
      assert.ok(!(await page.locator('#download').isDisabled()), 'JSON download enabled');
      for (const r of report.results)
        console.log(
          `# bench quick ${r.variant} ${r.task} ${r.size}px: ${r.msMedian.toFixed(1)} ms`,
        );
      await page.screenshot({ path: join(shots, 'bench.png'), fullPage: true });
      if (process.env.P2P_DOCS_SCREENSHOTS)
        copyFileSync(join(shots, 'bench.png'), join(root, 'docs', 'bench.png'));
    } finally {
      await browser.close();
      await srv.close();
    }
  },
);

B.run();

// examples/app/ (the npm-package app built with its own rollup config from dist/) in headless
// Chromium: loads font sample pairs, trains a few steps in the worker, translates the held-out
// inputs. Needs dist/ (npm test builds it first); skipped with a message when it is missing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.env.PIX2PIX_ROOT ?? process.cwd();
const load = (rel: string) => import(pathToFileURL(join(root, rel)).href);

const A = suite('the app example');

A('trains on dropped pairs in a worker and translates held-out inputs', async () => {
  const harness = await load('test/browser/harness.mjs');
  const chromium = harness.findChromium();
  if (!chromium || !existsSync(join(root, 'dist', 'index.js'))) {
    if (process.env.CI) assert.unreachable('Chromium and dist/ are required in CI');
    console.log(
      `# SKIPPED: ${chromium ? 'dist/ is not built (npm run build)' : 'Chromium not found'}`,
    );
    return;
  }
  const { buildApp } = await load('examples/build.mjs');
  await buildApp();
  const { startExamplesServer } = await load('scripts/serve-examples.mjs');
  const srv = await startExamplesServer({ port: 0 });
  const { chromium: pw } = await import('playwright-core');
  const browser = await pw.launch({
    executablePath: chromium,
    headless: true,
    args: harness.CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 960, height: 900 } });
    page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
    await page.goto(`${srv.origin}/examples/app/`);
    await page.click('#samples');
    await page.waitForFunction(
      () => document.querySelectorAll('#pairs canvas').length === 16,
      null,
      { timeout: 60_000 },
    );
    await page.fill('#steps', '4');
    await page.click('#train');
    await page.waitForFunction(
      () => document.documentElement.dataset.appState === 'translated',
      null,
      { timeout: 240_000 },
    );
    const r = await page.evaluate(() => {
      const cs = [...document.querySelectorAll('#results canvas')] as HTMLCanvasElement[];
      const out = cs[0].getContext('2d')!.getImageData(64, 0, 64, 64).data;
      let sum = 0;
      for (let i = 0; i < out.length; i += 4) sum += out[i];
      return {
        n: cs.length,
        mean: sum / (out.length / 4),
        log: document.getElementById('log')!.textContent,
      };
    });
    assert.is(r.n, 4, 'one result per held-out pair (16 / 4)');
    assert.match(r.log!, /step 4\/4 +G_GAN [\d.]+ +G_L1 [\d.]+/);
    assert.ok(r.mean > 0 && r.mean < 255, `the output has content (mean ${r.mean.toFixed(1)})`);
    mkdirSync(join(root, '.tmp', 'web', 'screenshots'), { recursive: true });
    await page.screenshot({
      path: join(root, '.tmp', 'web', 'screenshots', 'app.png'),
      fullPage: true,
    });
  } finally {
    await browser.close();
    await srv.close();
  }
});

A.run();

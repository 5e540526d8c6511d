#!/usr/bin/env node
// Takes docs/widget.png: the example page with the shipped default model (examples/models/), a
// printed sample character picked with its button, and its live translation, the status line's
// details opened. Builds the widget, worker and wasm files with esbuild into .tmp/web/shot-dist
// (as test/browser/web-build.mjs does; no `npm run build` needed). Needs /usr/bin/chromium.
//   node scripts/screenshot-widget.mjs [out.png] [--sample N] [--draw]
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startExamplesServer, defaultMounts } from './serve-examples.mjs';
import { CHROMIUM_ARGS, findChromium } from '../test/browser/harness.mjs';
import { buildWebDist } from '../test/browser/web-build.mjs';

const args = process.argv.slice(2);
const out = args.find((a) => a.endsWith('.png')) ?? 'docs/widget.png';
const sample = args.includes('--sample') ? Number(args[args.indexOf('--sample') + 1]) : 3; // 天
const root = new URL('..', import.meta.url).pathname;
const dist = join(root, '.tmp', 'web', 'shot-dist');
await buildWebDist(root, dist);
const server = await startExamplesServer({
  port: 0,
  mounts: [['/dist/', dist], ...defaultMounts(root).filter(([p]) => p !== '/dist/')],
});
const browser = await chromium.launch({
  executablePath: findChromium(),
  headless: true,
  args: CHROMIUM_ARGS,
});
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 860 } });
  await page.goto(`${server.origin}/examples/widget.html`);
  await page.waitForFunction(
    () => ['ready', 'error'].includes(document.getElementById('t').state),
    null,
    { timeout: 180_000 },
  );
  const state = await page.evaluate(() => document.getElementById('t').state);
  if (state !== 'ready') throw new Error(`widget state ${state}`);
  if (args.includes('--draw')) {
    const box = await page.evaluate(() => {
      const r = document
        .getElementById('t')
        .shadowRoot.querySelector('canvas.input')
        .getBoundingClientRect();
      return { x: r.left, y: r.top, w: r.width, h: r.height };
    });
    // 大: a horizontal stroke, then the two sweeping strokes.
    const strokes = [
      [
        [0.18, 0.38],
        [0.82, 0.36],
      ],
      [
        [0.5, 0.15],
        [0.5, 0.42],
        [0.38, 0.65],
        [0.18, 0.85],
      ],
      [
        [0.52, 0.45],
        [0.66, 0.66],
        [0.85, 0.84],
      ],
    ];
    for (const s of strokes) {
      await page.mouse.move(box.x + s[0][0] * box.w, box.y + s[0][1] * box.h);
      await page.mouse.down();
      for (const [fx, fy] of s.slice(1))
        await page.mouse.move(box.x + fx * box.w, box.y + fy * box.h, { steps: 12 });
      await page.mouse.up();
    }
  } else {
    await page.locator('#samples button').nth(sample).click();
  }
  await page.evaluate(() => document.getElementById('t').flush());
  await page.locator('pix2pix-translator [role=status] summary').click();
  await page.waitForTimeout(300);
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}

#!/usr/bin/env node
// Takes docs/widget.png: the example page with the shipped default model (examples/models/),
// a character drawn with the mouse, and its live translation. Needs `npm run build` and
// `node examples/build.mjs` first, and /usr/bin/chromium.
//   node scripts/screenshot-widget.mjs [out.png]
import { chromium } from 'playwright-core';
import { startExamplesServer } from './serve-examples.mjs';
import { CHROMIUM_ARGS, findChromium } from '../test/browser/harness.mjs';

const out = process.argv[2] ?? 'docs/widget.png';
const server = await startExamplesServer({ port: 0 });
const browser = await chromium.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
  await page.goto(`${server.origin}/examples/widget.html`);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.getElementById('t').state), null, { timeout: 120_000 });
  const state = await page.evaluate(() => document.getElementById('t').state);
  if (state !== 'ready') throw new Error(`widget state ${state}`);
  const box = await page.evaluate(() => {
    const c = document.getElementById('t').shadowRoot.querySelector('canvas.input');
    const r = c.getBoundingClientRect();
    return { x: r.left, y: r.top, w: r.width, h: r.height };
  });
  // 大: a horizontal stroke, then the two sweeping strokes.
  const strokes = [
    [[0.18, 0.38], [0.82, 0.36]],
    [[0.5, 0.15], [0.5, 0.42], [0.38, 0.65], [0.18, 0.85]],
    [[0.52, 0.45], [0.66, 0.66], [0.85, 0.84]],
  ];
  for (const s of strokes) {
    await page.mouse.move(box.x + s[0][0] * box.w, box.y + s[0][1] * box.h);
    await page.mouse.down();
    for (const [fx, fy] of s.slice(1)) await page.mouse.move(box.x + fx * box.w, box.y + fy * box.h, { steps: 12 });
    await page.mouse.up();
  }
  await page.evaluate(() => document.getElementById('t').flush?.());
  await page.waitForTimeout(1500);
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}

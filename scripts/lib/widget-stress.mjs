// A bounded stress loop for the <pix2pix-translator> example page in headless Chromium: each load
// opens examples/widget.html (the shipped font model, in the widget's worker), waits for it to be
// ready, draws a stroke and awaits flush(), then (optionally) runs the library in-thread on the
// page's main thread with threaded wasm. Every step has a deadline; a step that misses it counts
// as a hang and the page is closed, so the loop always ends. Used by scripts/stress-widget.mjs
// (long runs) and test/browser/web-stress.test.ts (a short run in npm test).
import { join } from 'node:path';
import { chromium as pw } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../../test/browser/harness.mjs';
import { startExamplesServer, defaultMounts } from '../serve-examples.mjs';
import { buildWebDist } from '../../test/browser/web-build.mjs';

/** Rejects with a `deadline` error when `p` has not settled after `ms`. */
function within(p, ms, what) {
  let t;
  return Promise.race([
    p,
    new Promise((_, reject) => {
      t = setTimeout(
        () =>
          reject(
            Object.assign(new Error(`${what}: no answer within ${ms} ms`), { deadline: true }),
          ),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(t));
}

/**
 * Runs `loads` page loads; returns counts per step and the details of each failure.
 *
 * @example
 * const r = await runWidgetStress({ root, loads: 10 });
 * console.log(r.hangs, r.failures);
 */
export async function runWidgetStress({
  root,
  loads = 10,
  inThread = true,
  readyMs = 90_000,
  flushMs = 30_000,
  inThreadMs = 60_000,
  freshBrowser = false,
  log = () => {},
  distDir,
  model,
  modelsDir,
  probe = false,
} = {}) {
  const dist = distDir ?? join(root, '.tmp', 'web', 'stress', 'dist');
  if (!distDir) await buildWebDist(root, dist);
  const mounts = [
    ['/dist/', dist],
    ...(modelsDir ? [['/models/', modelsDir]] : []),
    ...defaultMounts(root).filter(([p]) => p !== '/dist/'),
  ];
  const srv = await startExamplesServer({ port: 0, mounts });
  const launch = () =>
    pw.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS });
  let browser = await launch();
  const steps = { ready: 0, flush: 0, inThread: 0 };
  const result = {
    loads: 0,
    ok: 0,
    hangs: { ready: 0, flush: 0, probe: 0, inThread: 0 },
    errors: { ready: 0, flush: 0, probe: 0, inThread: 0 },
    restarts: 0,
    failures: [],
    ms: { ready: [], flush: [], inThread: [] },
  };
  try {
    for (let i = 0; i < loads; i++) {
      if (freshBrowser && i) {
        await browser.close();
        browser = await launch();
      }
      result.loads++;
      const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
      const consoleLines = [];
      page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
      let step = 'ready';
      try {
        let t0 = Date.now();
        await page.goto(
          `${srv.origin}/examples/widget.html${model ? `?model=${encodeURIComponent(model)}` : ''}`,
        );
        await within(
          page.waitForFunction(
            () => ['ready', 'error'].includes(document.getElementById('t')?.state),
            null,
            { timeout: readyMs + 5000 },
          ),
          readyMs,
          'ready',
        );
        const state = await page.evaluate(() => document.getElementById('t').state);
        if (state !== 'ready')
          throw new Error(
            `widget state ${state}: ${await page.evaluate(() => document.getElementById('t').shadowRoot.querySelector('.error')?.textContent)}`,
          );
        result.ms.ready.push(Date.now() - t0);
        step = 'flush';
        const box = await page.evaluate(() => {
          const r = document
            .getElementById('t')
            .shadowRoot.querySelector('canvas.input')
            .getBoundingClientRect();
          return { x: r.left, y: r.top, w: r.width, h: r.height };
        });
        // A stroke at a hand's pace (a move every 16 ms for about half a second), so that moves
        // arrive while translations run and debounce timers outlive fast translations.
        const y = 0.3 + (0.4 * ((i * 7) % 10)) / 10;
        await page.mouse.move(box.x + 0.2 * box.w, box.y + y * box.h);
        await page.mouse.down();
        for (let k = 1; k <= 30; k++) {
          await page.mouse.move(
            box.x + (0.2 + 0.02 * k) * box.w,
            box.y + (y + ((1 - 2 * y) * k) / 30) * box.h,
          );
          await page.waitForTimeout(16);
        }
        await page.mouse.up();
        t0 = Date.now();
        const flushed = await within(
          page.evaluate(() =>
            document
              .getElementById('t')
              .flush()
              .then((d) => d.width),
          ),
          flushMs,
          'flush',
        );
        if (!(flushed > 0)) throw new Error(`flush gave width ${flushed}`);
        result.ms.flush.push(Date.now() - t0);
        if (probe) {
          // The debounce race, forced: a pending timer that fires after the translation that took
          // its change has ended (what a 40 ms timer does when translations take less), then a
          // change and flush(). Uses the element's private requestTranslate/pump (same names before
          // and after the fix).
          step = 'probe';
          await within(
            page.evaluate(async () => {
              const el = document.getElementById('t');
              el.requestTranslate(1000);
              await el.pump();
              await new Promise((r) => setTimeout(r, 1300));
              el.clear();
              return (await el.flush()).width;
            }),
            flushMs,
            'probe',
          );
        }
        result.restarts += await page.evaluate(
          () => document.getElementById('t').workerRestarts ?? 0,
        );
        if (inThread) {
          step = 'inThread';
          t0 = Date.now();
          await page.addScriptTag({ url: '/dist/pix2pix.min.js' });
          const w = await within(
            page.evaluate(async () => {
              const el = document.getElementById('t');
              const input = el.getInputImageData();
              const p2p = await window.Pix2Pix.createPix2Pix({
                backend: 'wasm',
                weights: new URL(el.getAttribute('model'), location.href).href,
              });
              const out = await p2p.translate({
                data: input.data,
                width: input.width,
                height: input.height,
                channels: 4,
              });
              const threads = p2p.backendInfo.threads;
              await p2p.dispose();
              return `${out.width}:${threads}`;
            }),
            inThreadMs,
            'in-thread',
          );
          if (!/^\d+:\d+$/.test(w)) throw new Error(`in-thread translate gave ${w}`);
          result.ms.inThread.push(Date.now() - t0);
        }
        result.ok++;
        log(`load ${i + 1}/${loads}: ok`);
      } catch (e) {
        const kind = e.deadline ? 'hangs' : 'errors';
        result[kind][step]++;
        result.failures.push({
          load: i + 1,
          step,
          kind,
          message: e.message,
          console: consoleLines.slice(-12),
        });
        log(
          `load ${i + 1}/${loads}: ${kind === 'hangs' ? 'HANG' : 'ERROR'} at ${step}: ${e.message}\n    ${consoleLines.slice(-6).join('\n    ')}`,
        );
      } finally {
        await within(page.close(), 10_000, 'close').catch(() => undefined);
      }
    }
  } finally {
    await browser.close().catch(() => undefined);
    await srv.close();
  }
  void steps;
  return result;
}

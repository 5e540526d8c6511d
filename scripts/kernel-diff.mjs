#!/usr/bin/env node
// Where two backends part: one training step of a float64 golden folder (written by
// scripts/fidelity.mjs, e.g. .tmp/fidelity/s256_ngf16) on backend A, then on backend B, in one
// headless Chromium page (webgl on SwiftShader, wasm, cpu); every top-level kernel's outputs are
// read back and compared in order (relative L2 of B from A, and elements whose sign differs). The
// first kernel whose difference jumps is where the error enters; each backend's step-0 gradient
// error from float64 is printed first. This is how webgl's 5e-4 at 256 was traced to one
// LeakyReLU input on the wrong side of 0 (docs/faithfulness.md).
// A kernel one backend runs and the other does not (a fused one) is listed without --min.
// Usage: node scripts/kernel-diff.mjs .tmp/fidelity/s256_ngf16 [--a webgl] [--b wasm] [--min 1e-5]
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { ROOT, copyWasmBinaries } from './lib/node-bundle.mjs';
import { CHROMIUM_ARGS, findChromium } from '../test/browser/harness.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes('--' + name) ? args[args.indexOf('--' + name) + 1] : def);
const dir = resolve(args[0] ?? '');
if (!args[0] || !dir.startsWith(ROOT)) {
  console.error('usage: node scripts/kernel-diff.mjs <golden folder under the repo> [--a webgl] [--b wasm] [--min 1e-5]');
  process.exit(2);
}
const min = Number(opt('min', '0'));
const pageDir = join(ROOT, '.tmp', 'kernel-diff');
await build({
  entryPoints: [join(ROOT, 'scripts/lib/kernel-diff-page.ts')],
  outfile: join(pageDir, 'page.js'),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  logLevel: 'warning',
});
copyWasmBinaries(pageDir);
const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const file = path === '/' ? null : join(ROOT, path);
  if (file && !file.startsWith(ROOT)) return res.writeHead(403).end();
  try {
    const body = file ? await readFile(file) : '<script type="module" src="/.tmp/kernel-diff/page.js"></script>';
    const type = !file ? 'text/html' : file.endsWith('.js') ? 'text/javascript' : file.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(0);
  const done = new Promise((ok, fail) => {
    page.on('console', (m) => {
      const t = m.text();
      if (t === 'KDIFF-DONE') ok();
      else if (t.startsWith('KDIFF-ERROR')) fail(new Error(t));
      else if (t.startsWith('KDIFF ')) {
        const line = t.slice(6);
        // With --min, only kernels whose largest difference reaches it (and the summary lines).
        const diffs = [...line.matchAll(/: ([\d.e+-]+)|, ([\d.e+-]+)/g)].map((x) => Number(x[1] ?? x[2]));
        if (!min || /^\D/.test(line) || /sign flips/.test(line) || Math.max(0, ...diffs) >= min) console.log(line);
      }
    });
    page.on('pageerror', fail);
    page.on('crash', () => fail(new Error('the page crashed')));
    page.on('requestfailed', (r) => fail(new Error('request failed: ' + r.url())));
    page.on('response', (r) => { if (r.status() >= 400) fail(new Error('HTTP ' + r.status() + ' for ' + r.url())); });
  });
  const q = new URLSearchParams({ dir: relative(ROOT, dir), a: opt('a', 'webgl'), b: opt('b', 'wasm') });
  await page.goto(`http://127.0.0.1:${server.address().port}/?${q}`);
  await done;
} finally {
  await browser.close();
  server.close();
}

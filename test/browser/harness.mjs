// Headless-Chromium harness for test/browser/**/*.browser.ts.
//
// Builds each test file into one browser ESM bundle (esbuild), serves the bundles, the tfjs wasm
// binaries next to them and test/fixtures/ from 127.0.0.1 on an ephemeral port with COOP/COEP
// headers (so the page is cross-origin isolated and tfjs can use its threaded wasm binary), drives
// the system Chromium (/usr/bin/chromium, from `apt-get install chromium`) with playwright-core,
// and turns the page's reports (test/support/runner.ts) into pass/fail lines for scripts/test.mjs.
//
// A test file named `*.no-coi.browser.ts` is served without COOP/COEP (not cross-origin isolated),
// to test what users get from a plain static host.
//
// Chromium runs with SwiftShader for WebGL2 (--use-angle=swiftshader --enable-unsafe-swiftshader).
// Env: CHROMIUM_PATH overrides the browser; a screenshot of every page is left in
// .tmp/browser/screenshots/ for a look at what ran.
import { build } from 'esbuild';
import { createServer } from 'node:http';
import {
  existsSync,
  readdirSync,
  statSync,
  mkdirSync,
  rmSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, extname, dirname, sep, normalize } from 'node:path';
import { copyWasmBinaries } from '../../scripts/lib/node-bundle.mjs';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Extra flags for pages under test/browser/webgpu*: WebGPU on SwiftShader's Vulkan (a software
 * adapter; parity, not speed). A separate browser, so the other pages keep the default GPU setup.
 */
export const CHROMIUM_WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
];
const isWebGPUPage = (src) => /^test\/browser\/webgpu/.test(src.split(sep).join('/'));

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.map': 'application/json',
  '.pth': 'application/octet-stream',
  '.f32': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.css': 'text/css',
};

/** Path of the Chromium to drive, or null when none is installed. */
export function findChromium() {
  const candidates = process.env.CHROMIUM_PATH
    ? [process.env.CHROMIUM_PATH]
    : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** test/browser/**\/*.browser.ts matching any filter substring (all when no filters). */
export function listBrowserTests(root, filters = []) {
  const walk = (d) =>
    readdirSync(d).flatMap((f) => {
      const p = join(d, f);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
  const dir = join(root, 'test', 'browser');
  if (!existsSync(dir)) return [];
  return walk(dir)
    .filter((f) => f.endsWith('.browser.ts'))
    .filter((f) => !filters.length || filters.some((s) => relative(root, f).includes(s)))
    .sort();
}

function serve(roots) {
  // roots: [urlPrefix, folder][]; first match wins. Only GET of files under a root.
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    const isolated = !path.includes('.no-coi.');
    const headers = {
      ...(isolated
        ? {
            'Cross-Origin-Opener-Policy': 'same-origin',
            'Cross-Origin-Embedder-Policy': 'require-corp',
          }
        : {}),
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    for (const [prefix, folder] of roots) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(folder, path.slice(prefix.length)));
      if (!file.startsWith(folder) || !existsSync(file) || !statSync(file).isFile()) break;
      res.writeHead(200, {
        ...headers,
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      });
      res.end(readFileSync(file));
      return;
    }
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const PAGE = (bundle, title) => `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title}</title>
<style>body{font:13px/1.5 ui-monospace,monospace;margin:16px;background:#fff;color:#222}
h1{font-size:15px}.pass{color:#176d2c}.fail{color:#b3261e;white-space:pre-wrap}.measure{color:#555}.done{font-weight:bold;margin-top:8px}</style>
</head><body><h1>${title}</h1>
<script type="module">
try {
  await import('./${bundle}');
  await globalThis.runBrowserSuites();
} catch (e) {
  await globalThis.__pix2pixReport?.({ type: 'test', suite: 'page', name: 'loads and runs', ok: false, error: String(e && e.stack || e), ms: 0 });
  await globalThis.__pix2pixReport?.({ type: 'done', passed: 0, failed: 1 });
}
</script></body></html>`;

/**
 * Runs the browser tests. Returns { passed, failed, failures, skipped }; `skipped` is a reason
 * string when the tests could not run at all (no Chromium outside CI).
 */
export async function runBrowserTests({
  root,
  filters = [],
  log = (s) => process.stdout.write(s),
  pageTimeoutMs = 300_000,
}) {
  const files = listBrowserTests(root, filters);
  const result = { passed: 0, failed: 0, failures: [], skipped: null, files: files.length };
  if (!files.length) return result;
  const chromium = findChromium();
  if (!chromium) {
    const why = `Chromium not found at ${process.env.CHROMIUM_PATH || '/usr/bin/chromium'} (install it: apt-get update && apt-get install -y chromium, or set CHROMIUM_PATH)`;
    if (process.env.CI) {
      log(`FAIL browser tests: ${why}; CI must run them.\n`);
      result.failed = 1;
      result.failures.push('test/browser (no Chromium)');
      return result;
    }
    log(
      `\n${'!'.repeat(78)}\n!! SKIPPED ${files.length} browser test file(s): ${why}.\n!! webgl, threaded wasm and worker tests did NOT run. CI fails in this case.\n${'!'.repeat(78)}\n`,
    );
    result.skipped = why;
    result.skippedFiles = files.length;
    return result;
  }

  const outdir = join(root, '.tmp', 'browser');
  // Bundles go to a folder of this run's own (concurrent runs share the working tree); screenshots
  // to one stable folder, overwritten.
  const pagesDir = join(outdir, `pages-${process.pid}`);
  rmSync(pagesDir, { recursive: true, force: true });
  mkdirSync(join(outdir, 'screenshots'), { recursive: true });
  await build({
    entryPoints: files,
    outbase: join(root, 'test', 'browser'),
    outdir: pagesDir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: 'inline',
    define: { 'process.env.NODE_ENV': '"test"' },
    logLevel: 'warning',
  });
  const pages = files.map((f) => {
    const rel = relative(join(root, 'test', 'browser'), f).replace(/\.ts$/, '');
    const dir = join(pagesDir, dirname(rel));
    // The wasm binaries sit next to each bundle, as they do next to dist/ in the package, so the
    // default `new URL('./', import.meta.url)` finds them.
    copyWasmBinaries(dir);
    const base = rel.split(sep).pop();
    writeFileSync(join(dir, `${base}.html`), PAGE(`${base}.js`, relative(root, f)));
    return {
      src: relative(root, f),
      url: `/pages/${rel.split(sep).join('/')}.html`,
      shot: join(outdir, 'screenshots', `${rel.split(sep).join('__')}.png`),
    };
  });

  // onnxruntime-web's wasm files, for the ort-webgpu engine's page.
  const server = await serve([
    ['/pages/', pagesDir + sep],
    ['/fixtures/', join(root, 'test', 'fixtures') + sep],
    ['/ort-web/', join(root, 'node_modules', 'onnxruntime-web', 'dist') + sep],
  ]);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const { chromium: pw } = await import('playwright-core');
  const browser = await pw.launch({
    executablePath: chromium,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  log(
    `browser: Chromium ${browser.version()} (${chromium}), pages from ${origin} with COOP/COEP (except *.no-coi.*)\n`,
  );
  let webgpuBrowser = null;
  try {
    for (const page of pages) {
      if (isWebGPUPage(page.src))
        webgpuBrowser ??= await pw.launch({
          executablePath: chromium,
          headless: true,
          args: [...CHROMIUM_ARGS, ...CHROMIUM_WEBGPU_ARGS],
        });
      await runPage(
        isWebGPUPage(page.src) ? webgpuBrowser : browser,
        origin,
        page,
        result,
        log,
        pageTimeoutMs,
      );
    }
  } finally {
    await webgpuBrowser?.close();
    await browser.close();
    await new Promise((r) => server.close(r));
    rmSync(pagesDir, { recursive: true, force: true });
  }
  return result;
}

async function runPage(browser, origin, { src, url, shot }, result, log, pageTimeoutMs) {
  const t0 = Date.now();
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  const lines = [];
  const consoleTail = [];
  let passed = 0,
    failed = 0;
  let resolveDone;
  const done = new Promise((r) => (resolveDone = r));
  await page.exposeFunction('__pix2pixReport', (e) => {
    if (e.type === 'test') {
      if (e.ok) passed++;
      else failed++;
      lines.push(
        `  ${e.ok ? '✔' : '✘'} ${e.suite} › ${e.name}${e.ok ? '' : `\n      ${String(e.error).split('\n').join('\n      ')}`}`,
      );
    } else if (e.type === 'measure') {
      lines.push(`# ${e.suite} › ${e.key}: ${e.value}`);
    } else if (e.type === 'done') resolveDone(e);
  });
  page.on('console', (m) => {
    consoleTail.push(`[console.${m.type()}] ${m.text()}`);
    if (consoleTail.length > 40) consoleTail.shift();
  });
  page.on('response', (r) => {
    if (r.status() >= 400) consoleTail.push(`[http ${r.status()}] ${r.url()}`);
  });
  page.on('pageerror', (err) => {
    failed++;
    lines.push(`  ✘ uncaught in page: ${err.message}`);
  });
  page.on('crash', () => resolveDone({ crashed: true }));
  let outcome;
  try {
    await page.goto(origin + url);
    // A harness guard against a hung page, not a timing assertion.
    outcome = await Promise.race([
      done,
      new Promise((r) => setTimeout(() => r({ timedOut: true }), pageTimeoutMs)),
    ]);
  } catch (e) {
    outcome = { error: e };
  }
  if (outcome.timedOut) {
    failed++;
    lines.push(`  ✘ page did not finish within ${pageTimeoutMs / 1000}s`);
  }
  if (outcome.crashed) {
    failed++;
    lines.push('  ✘ page crashed');
  }
  if (outcome.error) {
    failed++;
    lines.push(`  ✘ ${outcome.error.message}`);
  }
  try {
    await page.screenshot({ path: shot, fullPage: true });
  } catch {
    /* a crashed page has nothing to show */
  }
  await context.close();
  const ok = failed === 0 && passed > 0;
  if (!ok && passed === 0 && failed === 0) failed = 1; // a page that ran no test is a failure
  result.passed += passed;
  result.failed += failed;
  if (!ok) result.failures.push(src);
  log(
    `${ok ? 'ok  ' : 'FAIL'} ${src} [chromium] (${passed}/${passed + failed}, ${((Date.now() - t0) / 1000).toFixed(1)}s)\n`,
  );
  const shown = ok ? lines.filter((l) => l.startsWith('# ')) : [...lines, ...consoleTail];
  if (shown.length) log(shown.map((l) => '    ' + l).join('\n') + '\n');
}

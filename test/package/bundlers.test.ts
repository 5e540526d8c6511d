// The packed package in apps built by the bundlers people use (npm test builds dist/ first): one
// tarball (`npm pack`), installed once into a throwaway app, whose one source file is built with
// vite build, webpack 5 (production), esbuild (`--bundle --platform=browser`, then
// `pix2pix-ts assets`), rollup (then `pix2pix-ts assets`), served by the vite dev server, and
// loaded as a `<script>` tag from a CDN-like second origin. Each page is served on localhost with
// COOP/COEP and opened in headless Chromium, where the shipped model translates a fixed input on
// wasm in the page and in a worker (`worker: true`); both must run with threads and give the
// pixels Node gives. Every page call has a deadline. The bundlers come from this repo's
// node_modules (dev dependencies); the app installs only the tarball (offline where npm's cache
// has sharp, as after `npm ci`).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { ROOT } from '../support/env.js';
import { PATTERN } from '../support/package-pattern.js';

// Outside the repository: an app inside it would resolve packages from the repo's node_modules.
const work = join(tmpdir(), `pix2pix-ts-bundlers-${process.pid}`);
const app = join(work, 'app');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const bin = (p: string) => join(ROOT, 'node_modules', p);
/** The deadline of every page call, and of every build. */
const DEADLINE = 120_000;
const BUILD_DEADLINE = 300_000;
const MB = 2 ** 20;

type Browser = import('playwright-core').Browser;

interface Result {
  name: string;
  threads: number;
  reason: string;
  pixels: number[];
}

const ctx: {
  skip?: string;
  browser?: Browser;
  node?: Result;
  origin?: string;
  cdnOrigin?: string;
  servers: Server[];
  vite?: ChildProcess;
  viteOrigin?: string;
} = { servers: [] };

const MAIN = `import { createPix2Pix } from 'pix2pix-ts';
import { translateDefault } from './pattern.js';
window.runPix2Pix = (worker) => translateDefault(createPix2Pix, worker);
`;
const page = (script: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>app</title></head><body>${script}</body></html>\n`;

function du(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += du(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

/** Runs `node args` in the app folder; fails with its output unless it exits 0. Returns the output. */
function node(args: string[], what: string): string {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, {
    cwd: app,
    encoding: 'utf8',
    timeout: BUILD_DEADLINE,
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  assert.is(r.status, 0, `${what} failed (${r.error?.message ?? `exit ${r.status}`}):\n${out}`);
  console.log(`# ${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return out;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
};

/**
 * A static server on 127.0.0.1 with `headers` on every answer. `mounts`: [url prefix, folder].
 * A folder's URL serves its index.html.
 */
async function serve(
  mounts: [string, string][],
  headers: Record<string, string>,
  host = '127.0.0.1',
): Promise<string> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    for (const [prefix, folder] of mounts) {
      if (!path.startsWith(prefix)) continue;
      let file = normalize(join(folder, path.slice(prefix.length)));
      if (!file.startsWith(folder + sep) && file !== folder) break;
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
      if (!existsSync(file) || !statSync(file).isFile()) break;
      res.writeHead(200, {
        ...headers,
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      });
      createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  ctx.servers.push(server);
  return `http://${host === '127.0.0.1' ? '127.0.0.1' : 'localhost'}:${(server.address() as AddressInfo).port}`;
}

const ISOLATED = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cache-Control': 'no-store',
};

/** Opens `url` and runs the app's translation (in the page, or in a worker); fails after DEADLINE. */
async function runPage(url: string, worker: boolean): Promise<Result> {
  const p = await ctx.browser!.newPage();
  const errors: string[] = [];
  p.on('pageerror', (e) => errors.push(e.message));
  p.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `${url} (${worker ? 'worker' : 'in the page'}) did not finish in ${DEADLINE / 1000} s; page errors: ${errors.join(' | ') || 'none'}`,
          ),
        ),
      DEADLINE,
    );
  });
  try {
    const call = (async () => {
      await p.goto(url, { timeout: DEADLINE });
      await p.waitForFunction(() => 'runPix2Pix' in window, null, { timeout: DEADLINE });
      return (await p.evaluate(
        (w) => (window as unknown as { runPix2Pix(w: boolean): Promise<Result> }).runPix2Pix(w),
        worker,
      )) as Result;
    })();
    return await Promise.race([call, late]);
  } catch (e) {
    throw new Error(`${(e as Error).message}\npage errors: ${errors.join(' | ') || 'none'}`, {
      cause: e,
    });
  } finally {
    clearTimeout(timer);
    await p.close().catch(() => {});
  }
}

function maxDiff(a: number[], b: number[]): number {
  assert.is(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** In the page and in a worker: wasm with 2 threads, and Node's pixels (max difference <= 1). */
async function check(label: string, url: string): Promise<void> {
  for (const worker of [false, true]) {
    const r = await runPage(url, worker);
    const where = `${label}, ${worker ? 'worker' : 'in the page'}`;
    assert.is(r.name, 'wasm', `${where}: ${r.reason}`);
    assert.is(r.threads, 2, `${where}: wasm threads (${r.reason})`);
    const d = maxDiff(ctx.node!.pixels, r.pixels);
    console.log(`# ${where}: wasm, ${r.threads} threads, max pixel difference to Node ${d}`);
    assert.ok(d <= 1, `${where}: pixels differ from Node's by up to ${d}`);
  }
}

const B = suite('the packed package in bundled apps');

B.before(async () => {
  const harness = await import(pathToFileURL(join(ROOT, 'test/browser/harness.mjs')).href);
  const chromium = harness.findChromium();
  if (!existsSync(join(ROOT, 'dist', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
  if (!chromium) {
    if (process.env.CI) throw new Error('Chromium is required in CI');
    ctx.skip = 'Chromium not found';
    return;
  }
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(app, 'src'), { recursive: true });
  const t0 = Date.now();
  const out = execFileSync(
    npm,
    ['pack', '--ignore-scripts', '--json', '--pack-destination', work],
    { cwd: ROOT, encoding: 'utf8' },
  );
  const [info] = JSON.parse(out) as [{ filename: string; size: number }];
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'bundled-app', private: true, type: 'module' }),
  );
  const r = spawnSync(
    npm,
    ['install', join(work, info.filename), '--prefer-offline', '--no-audit', '--no-fund'],
    { cwd: app, encoding: 'utf8' },
  );
  assert.is(r.status, 0, r.stderr);
  console.log(
    `# packed (${(info.size / MB).toFixed(2)} MB) and installed in ${((Date.now() - t0) / 1000).toFixed(1)} s: node_modules ${(du(join(app, 'node_modules')) / MB).toFixed(1)} MB`,
  );
  writeFileSync(join(app, 'src', 'pattern.js'), PATTERN);
  writeFileSync(join(app, 'src', 'main.js'), MAIN);
  const { chromium: pw } = await import('playwright-core');
  ctx.browser = await pw.launch({
    executablePath: chromium,
    headless: true,
    args: harness.CHROMIUM_ARGS,
    timeout: DEADLINE,
  });
  // The builds' output folders, served isolated from one origin; the CDN is another origin.
  ctx.origin = await serve([['/', join(app, 'out')]], ISOLATED);
  ctx.cdnOrigin = await serve(
    [['/npm/pix2pix-ts@0.1.0/', join(app, 'node_modules', 'pix2pix-ts')]],
    {
      // What jsDelivr and unpkg send: readable from any origin, embeddable by isolated pages.
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    },
    'localhost',
  );
});

B.after(async () => {
  await ctx.browser?.close();
  if (ctx.vite?.exitCode === null) ctx.vite.kill();
  for (const s of ctx.servers) s.close();
  rmSync(work, { recursive: true, force: true });
});

B('Node translates the fixed input with the installed package (the reference)', () => {
  if (ctx.skip) return console.log(`# SKIPPED: ${ctx.skip}`);
  writeFileSync(
    join(app, 'node-run.js'),
    `import { createPix2Pix } from 'pix2pix-ts';\nimport { translateDefault } from './src/pattern.js';\nconsole.log(JSON.stringify(await translateDefault(createPix2Pix, false)));\n`,
  );
  const out = node(['node-run.js'], 'Node reference');
  ctx.node = JSON.parse(out.trim().split('\n').pop()!) as Result;
  assert.is(ctx.node.name, 'wasm');
  assert.ok(new Set(ctx.node.pixels).size > 2, 'the output is not flat');
});

B('vite build: wasm on 2 threads in the page and in a worker, as in Node', async () => {
  if (ctx.skip) return;
  writeFileSync(
    join(app, 'index.html'),
    page('<script type="module" src="/src/main.js"></script>'),
  );
  const out = node(
    [
      bin('vite/bin/vite.js'),
      'build',
      '--base',
      './',
      '--outDir',
      'out/vite',
      '--logLevel',
      'warn',
    ],
    'vite build',
  );
  // Node built-ins (tfjs's require('util')) and Node-only packages stay out of the browser build.
  assert.not.match(out, /externalized for browser compatibility|could not be resolved/i, out);
  await check('vite build', `${ctx.origin}/vite/`);
});

B('webpack 5 (production): wasm on 2 threads in the page and in a worker, as in Node', async () => {
  if (ctx.skip) return;
  // Production mode without its minifier: terser over tfjs twice (the app and the worker) takes
  // minutes on 2 cores and changes nothing this test looks at (assets, worker, Node built-ins).
  writeFileSync(
    join(app, 'webpack.build.cjs'),
    `const webpack = require(${JSON.stringify(bin('webpack'))});
webpack({ mode: 'production', optimization: { minimize: false }, context: __dirname, entry: './src/main.js', output: { path: __dirname + '/out/webpack', filename: 'main.js', clean: true } },
  (err, stats) => {
    if (err) { console.error(err); process.exit(1); }
    const s = stats.toJson({ all: false, errors: true, warnings: true });
    for (const w of s.warnings) console.error('warning:', w.message);
    for (const e of s.errors) console.error('error:', e.message);
    process.exit(stats.hasErrors() ? 1 : 0);
  });
`,
  );
  const out = node(['webpack.build.cjs'], 'webpack build');
  assert.not.match(out, /error:/, out);
  writeFileSync(join(app, 'out/webpack/index.html'), page('<script src="main.js"></script>'));
  // In the worker too: webpack leaves Node's `__filename` free in ES modules, and the emscripten
  // factories' read of it threw a ReferenceError in worker.js until the browser build dropped it.
  await check('webpack 5', `${ctx.origin}/webpack/`);
});

B('esbuild --bundle --platform=browser, then `pix2pix-ts assets`: the same', async () => {
  if (ctx.skip) return;
  node(
    [
      bin('esbuild/bin/esbuild'),
      'src/main.js',
      '--bundle',
      '--platform=browser',
      '--format=esm',
      '--outdir=out/esbuild',
      '--log-level=warning',
    ],
    'esbuild',
  );
  node(['node_modules/pix2pix-ts/dist/cli.js', 'assets', 'out/esbuild'], 'pix2pix-ts assets');
  writeFileSync(
    join(app, 'out/esbuild/index.html'),
    page('<script type="module" src="main.js"></script>'),
  );
  await check('esbuild', `${ctx.origin}/esbuild/`);
});

B('rollup (node-resolve), then `pix2pix-ts assets`: the same', async () => {
  if (ctx.skip) return;
  writeFileSync(
    join(app, 'rollup.config.mjs'),
    `import { nodeResolve } from ${JSON.stringify(pathToFileURL(bin('@rollup/plugin-node-resolve/dist/es/index.js')).href)};
export default { input: 'src/main.js', output: { dir: 'out/rollup', format: 'es' }, plugins: [nodeResolve({ browser: true })] };
`,
  );
  node([bin('rollup/dist/bin/rollup'), '-c', 'rollup.config.mjs', '--silent'], 'rollup');
  node(['node_modules/pix2pix-ts/dist/cli.js', 'assets', 'out/rollup'], 'pix2pix-ts assets');
  writeFileSync(
    join(app, 'out/rollup/index.html'),
    page('<script type="module" src="main.js"></script>'),
  );
  await check('rollup', `${ctx.origin}/rollup/`);
});

B('the vite dev server, with no pix2pix-ts configuration: the same', async () => {
  if (ctx.skip) return;
  // The COOP/COEP headers are the page's hosting; nothing for pix2pix-ts (no optimizeDeps.exclude:
  // vite pre-bundles it, and its files are still found).
  writeFileSync(
    join(app, 'vite.config.js'),
    `export default { server: { headers: ${JSON.stringify(ISOLATED)} } };\n`,
  );
  const vite = spawn(
    process.execPath,
    [bin('vite/bin/vite.js'), '--host', '127.0.0.1', '--port', '0', '--strictPort'],
    { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  ctx.vite = vite;
  let log = '';
  vite.stdout!.on('data', (d) => (log += d));
  vite.stderr!.on('data', (d) => (log += d));
  ctx.viteOrigin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`vite did not start in ${DEADLINE / 1000} s:\n${log}`)),
      DEADLINE,
    );
    const poll = setInterval(() => {
      // eslint-disable-next-line no-control-regex -- strips ANSI colour codes (ESC [ ... m)
      const m = log.replace(/\u001b\[[0-9;]*m/g, '').match(/http:\/\/127\.0\.0\.1:(\d+)/);
      if (m || vite.exitCode !== null) {
        clearInterval(poll);
        clearTimeout(timer);
        if (m) resolve(`http://127.0.0.1:${m[1]}`);
        else reject(new Error(`vite exited:\n${log}`));
      }
    }, 100);
  });
  try {
    await check('vite dev', `${ctx.viteOrigin}/`);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nvite:\n${log}`, { cause: e });
  }
  // The shipped files name no source map that is not shipped (vite logged an ENOENT for each).
  assert.not.match(log, /Failed to load source map|ENOENT/, log);
});

B('a <script> tag of dist/pix2pix.min.js from a CDN (another origin): the same', async () => {
  if (ctx.skip) return;
  mkdirSync(join(app, 'out/cdn'), { recursive: true });
  const src = `${ctx.cdnOrigin}/npm/pix2pix-ts@0.1.0/dist/pix2pix.min.js`;
  // The same code as the apps', on the global the script defines.
  const body = PATTERN.replace(/^export /gm, '');
  writeFileSync(
    join(app, 'out/cdn/index.html'),
    page(
      `<script src="${src}"></script>\n<script>\n${body}\nwindow.runPix2Pix = (worker) => translateDefault(Pix2Pix.createPix2Pix, worker);\n</script>`,
    ),
  );
  await check('CDN <script>', `${ctx.origin}/cdn/`);
});

B.run();

// The package as users get it (npm test builds dist/ first): `npm pack`, the tarball's contents and
// size, a fresh app that installs it (its node_modules size printed), the .d.ts under strict
// TypeScript 5 and 7 with skipLibCheck false, and the installed package in Node (no tfjs installed:
// it is bundled) translating with the shipped model.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/env.js';
import { PATTERN } from '../support/package-pattern.js';

const work = join(ROOT, '.tmp', 'package-test', `run-${process.pid}`);
const app = join(work, 'app');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const DEADLINE = 120_000;
const MB = 2 ** 20;

type PackFile = { path: string; size: number };
const ctx: { tarball?: string; files?: PackFile[]; size?: number; node?: Result } = {};

interface Result {
  name: string;
  threads: number;
  reason: string;
  pixels: number[];
}

function du(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += du(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

const P = suite('the npm package');

P.after(() => {
  rmSync(work, { recursive: true, force: true });
});

P.before(() => {
  if (!existsSync(join(ROOT, 'dist', 'index.node.js')))
    throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(app, { recursive: true });
});

P('npm pack ships dist/, the licences, the model and the dataset, in at most 5 MB', () => {
  // dist/ is built already; the repo's .npmrc sets ignore-scripts, so `prepack` is not run here
  // (the next test checks that it is there and what it runs).
  const out = execFileSync(
    npm,
    ['pack', '--ignore-scripts', '--json', '--pack-destination', work],
    { cwd: ROOT, encoding: 'utf8' },
  );
  const [info] = JSON.parse(out) as [
    { filename: string; size: number; unpackedSize: number; files: PackFile[] },
  ];
  ctx.tarball = join(work, info.filename);
  ctx.files = info.files;
  ctx.size = info.size;
  const paths = new Set(info.files.map((f) => f.path));
  for (const f of [
    'package.json',
    'README.md',
    'LICENSE',
    'dist/THIRD_PARTY_LICENSES.txt',
    'dist/index.js',
    'dist/index.node.js',
    'dist/index.d.ts',
    'dist/index.node.d.ts',
    'dist/worker.js',
    'dist/worker.node.js',
    'dist/cli.js',
    'dist/pix2pix.min.js',
    'dist/pix2pix-widget.min.js',
    'dist/widget.js',
    'dist/tfjs-backend-wasm.wasm',
    'dist/tfjs-backend-wasm-simd.wasm',
    'dist/tfjs-backend-wasm-threaded-simd.wasm',
    'dist/tfjs-backend-wasm-threaded-simd.js',
    'dist/pix2pix-simd.wasm',
    'dist/pix2pix-simd-shared.wasm',
    'dist/default-model.json',
    'dist/default-model.bin',
    'data/fonts-zi2zi/README.md',
  ]) {
    assert.ok(paths.has(f), `${f} is in the tarball`);
  }
  assert.ok(
    info.files.some((f) => f.path.startsWith('data/fonts-zi2zi/train/')),
    'the demo dataset is in the tarball',
  );
  assert.not.ok(
    info.files.some((f) => /^src\/|\.ts$/.test(f.path) && !f.path.endsWith('.d.ts')),
    'no TypeScript sources',
  );
  const maps = info.files.filter((f) => f.path.endsWith('.map')).reduce((s, f) => s + f.size, 0);
  for (const f of info.files.filter((f) => f.path.endsWith('.map'))) {
    assert.not.ok(
      /"sourcesContent"/.test(readFileSync(join(ROOT, f.path), 'utf8')),
      `${f.path} holds no sources`,
    );
  }
  console.log(
    `# tarball ${(info.size / MB).toFixed(2)} MB (${(info.unpackedSize / MB).toFixed(1)} MB unpacked, source maps ${(maps / MB).toFixed(1)} MB), ${info.files.length} files`,
  );
  // dist/worker.js is one self-contained minified file (about 0.3 MB packed) rather than an entry
  // sharing index.js's tfjs chunk, because the widget starts it from a blob URL, where a relative
  // chunk import cannot resolve (src/web/model-loader.ts); the other bundles are minified too.
  assert.ok(info.size <= 5 * MB, `tarball ${info.size} bytes`);
});

P('packing from a clean clone builds first (prepack runs the build)', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.is(pkg.scripts.prepack, 'npm run build');
  // With scripts allowed, `npm pack` runs prepack: a shell that records its command stands in for
  // the build, so this takes a second rather than a rebuild.
  const shell = join(work, 'record-shell.sh');
  const log = join(work, 'prepack.log');
  writeFileSync(shell, `#!/bin/sh\necho "$@" >> ${JSON.stringify(log)}\n`, { mode: 0o755 });
  execFileSync(npm, ['pack', '--dry-run', '--ignore-scripts=false', `--script-shell=${shell}`], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: 'pipe',
  });
  assert.match(readFileSync(log, 'utf8'), /npm run build/);
});

P('a fresh app installs it without install scripts, and light', () => {
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }),
  );
  const r = spawnSync(
    npm,
    ['install', ctx.tarball!, '--prefer-offline', '--no-audit', '--no-fund'],
    { cwd: app, encoding: 'utf8' },
  );
  assert.is(r.status, 0, r.stderr);
  const warnings = r.stderr.split('\n').filter((l) => /warn/i.test(l));
  assert.not.ok(
    warnings.some((l) => /script|gyp|peer/i.test(l)),
    warnings.join('\n'),
  );
  const deps = readdirSync(join(app, 'node_modules'));
  assert.not.ok(deps.includes('@tensorflow'), 'tfjs is bundled, not installed');
  assert.not.ok(deps.includes('webgpu'), 'webgpu is an optional peer');
  const size = du(join(app, 'node_modules'));
  console.log(
    `# fresh app node_modules after npm i pix2pix-ts: ${(size / MB).toFixed(1)} MB (${deps.join(', ')})`,
  );
  assert.ok(size <= 60 * MB, `${size} bytes`);
});

P('its .d.ts type-check under strict TypeScript 5 and 7 with skipLibCheck false', () => {
  const src = `import { createPix2Pix, type Pix2Pix } from 'pix2pix-ts';
import { definePix2PixTranslator } from 'pix2pix-ts/widget';
export async function use(): Promise<Pix2Pix> {
  const p2p = await createPix2Pix({ backend: 'wasm', weights: 'default' });
  const out = await p2p.translate({ data: new Uint8ClampedArray(4 * 4 * 4), width: 4, height: 4, channels: 4 });
  out.data.length.toFixed();
  definePix2PixTranslator();
  return p2p as Pix2Pix;
}
`;
  writeFileSync(join(app, 'check.ts'), src);
  const tsconfig = {
    compilerOptions: {
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      lib: ['ES2022', 'DOM', 'DOM.Iterable'],
      types: [],
    },
    files: ['check.ts'],
  };
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(tsconfig));
  for (const [name, bin] of [
    ['TypeScript 5', join(ROOT, 'node_modules/typescript/bin/tsc')],
    ['TypeScript 7', join(ROOT, 'node_modules/@typescript/native-preview/bin/tsgo')],
  ] as const) {
    const r = spawnSync(process.execPath, [bin, '-p', 'tsconfig.json'], {
      cwd: app,
      encoding: 'utf8',
    });
    assert.is(r.status, 0, `${name}:\n${r.stdout}${r.stderr}`);
  }
});

P('in Node the installed package translates with the shipped model, on wasm with threads', () => {
  writeFileSync(join(app, 'pattern.js'), PATTERN);
  writeFileSync(
    join(app, 'node-run.js'),
    `import { createPix2Pix } from 'pix2pix-ts';\nimport { translateDefault } from './pattern.js';\nconsole.log(JSON.stringify(await translateDefault(createPix2Pix, false)));\n`,
  );
  const r = spawnSync(process.execPath, ['node-run.js'], {
    cwd: app,
    encoding: 'utf8',
    timeout: DEADLINE,
  });
  assert.is(r.status, 0, r.stderr);
  ctx.node = JSON.parse(r.stdout.trim().split('\n').pop()!) as Result;
  assert.is(ctx.node.name, 'wasm');
  assert.is(ctx.node.pixels.length, 128 * 128 * 4);
  assert.ok(new Set(ctx.node.pixels).size > 2, 'the output is not flat');
  console.log(`# Node: ${ctx.node.reason}`);
});

P.run();

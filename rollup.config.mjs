// Builds dist/: ESM for bundlers/browsers, ESM for Node (same code with a CommonJS shim for the
// wasm glue), a minified IIFE global `Pix2Pix` for <script>, the CLI, and .d.ts files.
// tfjs is bundled in rather than external: its ESM dist cannot be loaded by Node's own loader and
// its CommonJS bundle registers no gradients, so one self-contained copy is what works everywhere.
// The wasm binaries are copied unrenamed next to the bundles and found at run time beside them.
import { chmodSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';
import { transform } from 'esbuild';

// Each build starts from an empty dist/: chunk names carry content hashes, so old ones would pile up.
// P2P_BUILD_ONLY=dts (or node) rebuilds the .d.ts files (or the Node entries) alone, keeping the rest of dist/.
const only = process.env.P2P_BUILD_ONLY;
if (!only) rmSync('dist', { recursive: true, force: true });

const wasmDir = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
const wasmFiles = readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'));
const ownWasmDir = 'src/backends/wasm-simd';
const ownWasmFiles = ['pix2pix-simd.wasm', 'pix2pix-simd-shared.wasm'];
// The threaded binary's emscripten glue, as published: its pthread workers import this file rather
// than tfjs's Blob of the bundled (renamed, minified) factory source (src/backends/wasm.ts).
const threadedGlue =
  'node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';

/** The shipped model's files and their names in dist/ (the weights file's name carries a hash). */
function defaultModelFiles() {
  const dir = 'examples/models/fonts128-u8';
  const bin = readdirSync(dir).find((f) => f.endsWith('.bin'));
  return [
    [`${dir}/model.json`, 'default-model.json'],
    [`${dir}/${bin}`, 'default-model.bin'],
  ];
}

/**
 * Minifies a chunk with esbuild (fast; terser takes minutes on tfjs under load). For the files
 * that were shipped unminified: the browser ESM chunks (bundlers minify again, but the package is
 * downloaded whole: this keeps the tarball <= 5 MB) and the Node chunks. The `new URL('./<file>',
 * import.meta.url)` and `new Worker(new URL(...), { type: 'module' })` patterns bundlers look for
 * survive it as they are (test/package/bundlers.test.ts builds apps with them). The source maps
 * in dist/ (built, not shipped) map back to the sources.
 */
function esbuildMinify() {
  return {
    name: 'esbuild-minify',
    async renderChunk(code, chunk) {
      const r = await transform(code, {
        minify: true,
        sourcemap: true,
        sourcefile: chunk.fileName,
        target: 'es2022',
        legalComments: 'eof',
      });
      return { code: r.code, map: r.map };
    },
  };
}

/** Emits the tfjs wasm binaries and the threaded glue unrenamed beside the bundle. */
function wasmAssets() {
  return {
    name: 'wasm-assets',
    generateBundle() {
      for (const f of wasmFiles)
        this.emitFile({ type: 'asset', fileName: f, source: readFileSync(`${wasmDir}/${f}`) });
      this.emitFile({
        type: 'asset',
        fileName: 'tfjs-backend-wasm-threaded-simd.js',
        source: readFileSync(threadedGlue),
      });
      // pix2pix-ts's own SIMD kernels (src/backends/wasm-simd/), committed prebuilt.
      for (const f of ownWasmFiles)
        this.emitFile({ type: 'asset', fileName: f, source: readFileSync(`${ownWasmDir}/${f}`) });
      // The shipped pretrained model (`weights: 'default'`, src/pix2pix/default-model.ts).
      for (const [from, to] of defaultModelFiles())
        this.emitFile({ type: 'asset', fileName: to, source: readFileSync(from) });
    },
  };
}

/**
 * Browser builds: Node built-ins that tfjs's emscripten glue `require`s behind its own
 * ENVIRONMENT_IS_NODE checks resolve to an empty module, so the browser files hold no Node
 * built-in imports and `esbuild --platform=browser` / webpack 5 bundle them without configuration.
 */
function emptyNodeBuiltins() {
  const stub = '\0p2p-empty-builtin';
  return {
    name: 'empty-node-builtins',
    resolveId(id) {
      return nodeBuiltins.includes(id.replace(/^node:/, '')) ? stub : null;
    },
    load(id) {
      return id === stub ? 'export default {};' : null;
    },
  };
}

/**
 * Browser builds: Node-only code that bundlers would otherwise try to follow. tfjs-core's
 * PlatformNode (used only where tfjs detects Node) calls `require('util')` and
 * `require('node-fetch')` from an ES module, which no plugin rewrites and which esbuild
 * `--platform=browser` and webpack 5 fail on; the Node WebGPU loader's `import('webgpu')` (an
 * optional Node peer) is replaced by its browser answer, undefined, so no bundler looks for Dawn.
 */
function nodeOnlyCodeOut() {
  const stub = '\0p2p-node-webgpu-browser';
  return {
    name: 'node-only-code-out',
    resolveId(source, importer) {
      return source === './node-webgpu.js' && /[\\/]src[\\/]backends[\\/]/.test(importer ?? '')
        ? stub
        : null;
    },
    load(id) {
      return id === stub
        ? 'export function nodeWebGPU() { return Promise.resolve(undefined); }\n'
        : null;
    },
    transform(code, id) {
      if (!/[\\/]tfjs-core[\\/]dist[\\/]platforms[\\/]platform_node\.js$/.test(id)) return null;
      const out = code
        .replace("require('util')", 'globalThis')
        .replace("require('node-fetch')", 'globalThis.fetch');
      if (/\brequire\(/.test(out))
        throw new Error(`${id}: a require() call is left for the browser build`);
      return { code: out, map: null };
    },
  };
}

/** The licences of the packages bundled into dist/ (tfjs is Apache-2.0), shipped beside them. */
function thirdPartyLicenses() {
  const pkgs = [
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-backend-cpu',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-backend-webgl',
    '@tensorflow/tfjs-backend-webgpu',
    'comlink',
    'fflate',
    'cli-progress',
  ];
  return {
    name: 'third-party-licenses',
    generateBundle() {
      const parts = pkgs.map((name) => {
        const dir = `node_modules/${name}`;
        const { version, license } = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
        const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
        const text = file
          ? readFileSync(`${dir}/${file}`, 'utf8')
          : `${license} (no licence file in the package)`;
        return `${name}@${version} (${license})\n\n${text.trim()}\n`;
      });
      this.emitFile({
        type: 'asset',
        fileName: 'THIRD_PARTY_LICENSES.txt',
        source: `pix2pix-ts bundles the following packages into dist/.\n\n${parts.join('\n' + '-'.repeat(72) + '\n\n')}`,
      });
    },
  };
}

const nodeBuiltins = [
  'fs',
  'path',
  'os',
  'url',
  'module',
  'worker_threads',
  'perf_hooks',
  'crypto',
  'util',
  'child_process',
  'events',
  'stream',
  'zlib',
  'readline',
  'tty',
];
const nodeExternal = (id) =>
  id.startsWith('node:') ||
  nodeBuiltins.includes(id) ||
  [
    'sharp',
    '@napi-rs/canvas',
    'webgpu',
    'playwright-core',
    'onnxruntime-node',
    'onnxruntime-web',
  ].some((p) => id === p || id.startsWith(p + '/'));
const nodeShim =
  "import { createRequire as __p2pCreateRequire } from 'node:module'; import { fileURLToPath as __p2pFileURLToPath } from 'node:url'; const require = __p2pCreateRequire(import.meta.url); const __filename = __p2pFileURLToPath(import.meta.url); const __dirname = __p2pFileURLToPath(new URL('.', import.meta.url));";

const onwarn = (warning) => {
  // tfjs's own sources trip these two harmlessly (`this` at top level of TS-emitted helpers, and
  // circular imports inside tfjs-core); any other warning fails the build.
  if (
    warning.code === 'THIS_IS_UNDEFINED' ||
    (warning.code === 'CIRCULAR_DEPENDENCY' && /node_modules/.test(warning.message))
  )
    return;
  throw new Error(`rollup warning (${warning.code}): ${warning.message}`);
};

const ts = () =>
  typescript({
    tsconfig: './tsconfig.json',
    noEmit: false,
    declaration: false,
    sourceMap: true,
    outDir: 'dist',
    include: ['src/**/*.ts'],
  });
const browserPlugins = () => [
  nodeOnlyCodeOut(),
  emptyNodeBuiltins(),
  nodeResolve({ browser: true, preferBuiltins: false }),
  commonjs(),
  ts(),
];
const nodePlugins = () => [
  nodeResolve({ preferBuiltins: true, exportConditions: ['node'] }),
  commonjs({ ignore: nodeBuiltins }),
  ts(),
];

// Source maps without the sources' text: they map stack traces to file and line, and keep the
// package small (with sourcesContent they were 69 of its 86 MB unpacked). Hidden (no
// `sourceMappingURL` comment): they are not shipped, and a comment naming a missing map made the
// vite dev server log an ENOENT error for worker.js.map.
const map = { sourcemap: 'hidden', sourcemapExcludeSources: true };

/**
 * The .d.ts files carry the tfjs-core types they use (tfjs is bundled, not a dependency). tfjs-core
 * names one WebGPU type (`GPUBuffer`, in `Tensor.dataToGPU`'s result) and references
 * `@webgpu/types` for it, which clash with TypeScript 6/7's own lib.dom; the reference is dropped
 * and the type declared locally, so a strict project type-checks the files with TS 5 or 7 and
 * `skipLibCheck: false`, without WebGPU type packages.
 */
function selfContainedTypes() {
  return {
    name: 'self-contained-types',
    renderChunk(code) {
      let out = code.replace(/^\/\/\/ <reference types="@webgpu\/types[^"]*" \/>\n/m, '');
      const other = out.match(/\/\/\/ <reference types="[^"]*"/);
      if (other) throw new Error(`unexpected type reference in the .d.ts: ${other[0]}`);
      // `[Symbol.asyncDispose]` (explicit resource management) is in TypeScript's esnext.disposable
      // lib, which projects targeting ES2022 do not load by themselves.
      if (/\bGPUBuffer\b/.test(out))
        out = `/** A WebGPU buffer (WebGPU's \`GPUBuffer\`); left untyped so that no WebGPU type package is needed. */\ntype GPUBuffer = any;\n${out}`;
      // A triple-slash directive counts only at the top of the file.
      if (/Symbol\.asyncDispose/.test(out))
        out = `/// <reference lib="esnext.disposable" />\n${out}`;
      return { code: out, map: null };
    },
  };
}

// Type-only references to Node built-ins (core/env.ts) stay imports; a test checks that the
// browser .d.ts files keep none.
const dtsExternal = (id) =>
  id.startsWith('node:') || (nodeExternal(id) && !id.startsWith('@tensorflow/'));

const builds = [
  {
    // Shared chunks sit beside index.js, not in a subfolder: the library finds worker.js, the wasm
    // binaries and the threaded glue next to the module that runs (`import.meta.url`).
    input: { index: 'src/index.ts' },
    output: {
      dir: 'dist',
      format: 'es',
      ...map,
      entryFileNames: '[name].js',
      chunkFileNames: '[name]-[hash].js',
      plugins: [esbuildMinify()],
    },
    plugins: [...browserPlugins(), wasmAssets(), thirdPartyLicenses()],
    onwarn,
  },
  {
    // Node: the entries and the worker script share their chunks (one copy of tfjs for Node), and
    // the chunks sit beside them, where the wasm binaries are.
    input: {
      'index.node': 'src/index.node.ts',
      cli: 'src/cli/main.ts',
      bench: 'src/bench/index.ts',
      'worker.node': 'src/worker.node.ts',
    },
    output: {
      dir: 'dist',
      format: 'es',
      ...map,
      entryFileNames: '[name].js',
      chunkFileNames: 'node-[name]-[hash].js',
      banner: nodeShim,
      plugins: [esbuildMinify()],
    },
    external: nodeExternal,
    // The `bin` must be executable, or `npx pix2pix-ts` in a checkout answers "Permission denied"
    // (npm sets the mode only when it installs a package).
    plugins: [
      ...nodePlugins(),
      { name: 'executable-cli', writeBundle: () => chmodSync('dist/cli.js', 0o755) },
    ],
    onwarn,
  },
  // The browser worker script: one self-contained, minified file (it is the largest file a page
  // with the widget downloads). Not a shared-chunk entry: the widget downloads worker.js and starts
  // it from a blob URL (src/web/model-loader.ts), where a relative chunk import cannot resolve.
  {
    input: 'src/worker.ts',
    output: {
      file: 'dist/worker.js',
      format: 'es',
      ...map,
      inlineDynamicImports: true,
      plugins: [terser()],
    },
    plugins: browserPlugins(),
    onwarn,
  },
  {
    input: 'src/index.ts',
    output: {
      file: 'dist/pix2pix.min.js',
      format: 'iife',
      name: 'Pix2Pix',
      ...map,
      inlineDynamicImports: true,
      plugins: [terser()],
    },
    plugins: browserPlugins(),
    onwarn,
  },
  // The <pix2pix-translator> widget: its own small bundles (no tfjs: the model runs in worker.js,
  // found beside them), so a page that embeds it loads ~12 KB gzipped before the worker starts,
  // and pix2pix.min.js stays the plain library. Self-contained (no shared chunks), because the
  // widget finds worker.js relative to its own file. Nothing it imports reaches tfjs (a test of
  // dist/ checks), so no tree-shaking override is needed.
  {
    input: 'src/web/index.ts',
    output: {
      file: 'dist/pix2pix-widget.min.js',
      format: 'iife',
      name: 'Pix2PixWidget',
      ...map,
      inlineDynamicImports: true,
      plugins: [terser()],
    },
    plugins: browserPlugins(),
    onwarn,
  },
  {
    input: 'src/web/index.ts',
    output: {
      file: 'dist/widget.js',
      format: 'es',
      ...map,
      inlineDynamicImports: true,
      plugins: [esbuildMinify()],
    },
    plugins: browserPlugins(),
    onwarn,
  },
  {
    input: 'src/web/index.ts',
    output: { file: 'dist/widget.d.ts', format: 'es' },
    external: dtsExternal,
    plugins: [
      dts({ tsconfig: './tsconfig.json', includeExternal: ['@tensorflow/tfjs-core'] }),
      selfContainedTypes(),
    ],
    onwarn,
  },
  {
    input: 'src/index.ts',
    output: { file: 'dist/index.d.ts', format: 'es' },
    external: dtsExternal,
    plugins: [
      dts({ tsconfig: './tsconfig.json', includeExternal: ['@tensorflow/tfjs-core'] }),
      selfContainedTypes(),
    ],
    onwarn,
  },
  {
    input: 'src/index.node.ts',
    output: { file: 'dist/index.node.d.ts', format: 'es' },
    external: dtsExternal,
    plugins: [
      dts({ tsconfig: './tsconfig.json', includeExternal: ['@tensorflow/tfjs-core'] }),
      selfContainedTypes(),
    ],
    onwarn,
  },
  {
    input: 'src/worker.ts',
    output: { file: 'dist/worker.d.ts', format: 'es' },
    external: dtsExternal,
    plugins: [
      dts({ tsconfig: './tsconfig.json', includeExternal: ['@tensorflow/tfjs-core'] }),
      selfContainedTypes(),
    ],
    onwarn,
  },
  {
    input: 'src/bench/index.ts',
    output: { file: 'dist/bench.d.ts', format: 'es' },
    external: dtsExternal,
    plugins: [
      dts({ tsconfig: './tsconfig.json', includeExternal: ['@tensorflow/tfjs-core'] }),
      selfContainedTypes(),
    ],
    onwarn,
  },
];

const pick = {
  dts: (b) => b.output.file?.endsWith('.d.ts'),
  node: (b) => typeof b.input === 'object' && 'index.node' in b.input,
  widget: (b) => b.input === 'src/web/index.ts' && !b.output.file.endsWith('.d.ts'),
};
export default only ? builds.filter(pick[only]) : builds;

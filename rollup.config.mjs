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

// Each build starts from an empty dist/: chunk names carry content hashes, so old ones would pile up.
rmSync('dist', { recursive: true, force: true });

const wasmDir = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
const wasmFiles = readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'));
// The threaded binary's emscripten glue, as published: its pthread workers import this file rather
// than tfjs's Blob of the bundled (renamed, minified) factory source (src/backends/wasm.ts).
const threadedGlue = 'node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';

/** Emits the tfjs wasm binaries and the threaded glue unrenamed beside the bundle. */
function wasmAssets() {
  return {
    name: 'wasm-assets',
    generateBundle() {
      for (const f of wasmFiles) this.emitFile({ type: 'asset', fileName: f, source: readFileSync(`${wasmDir}/${f}`) });
      this.emitFile({ type: 'asset', fileName: 'tfjs-backend-wasm-threaded-simd.js', source: readFileSync(threadedGlue) });
    },
  };
}

const nodeBuiltins = ['fs', 'path', 'os', 'url', 'module', 'worker_threads', 'perf_hooks', 'crypto', 'util', 'child_process', 'events', 'stream', 'zlib', 'readline', 'tty'];
const nodeExternal = (id) => id.startsWith('node:') || nodeBuiltins.includes(id) || ['sharp', '@napi-rs/canvas', 'webgpu', 'playwright-core', 'onnxruntime-node', 'onnxruntime-web'].some((p) => id === p || id.startsWith(p + '/'));
const nodeShim = "import { createRequire as __p2pCreateRequire } from 'node:module'; import { fileURLToPath as __p2pFileURLToPath } from 'node:url'; const require = __p2pCreateRequire(import.meta.url); const __filename = __p2pFileURLToPath(import.meta.url); const __dirname = __p2pFileURLToPath(new URL('.', import.meta.url));";

const onwarn = (warning) => {
  // tfjs's own sources trip these two harmlessly (`this` at top level of TS-emitted helpers, and
  // circular imports inside tfjs-core); any other warning fails the build.
  if (warning.code === 'THIS_IS_UNDEFINED' || (warning.code === 'CIRCULAR_DEPENDENCY' && /node_modules/.test(warning.message))) return;
  throw new Error(`rollup warning (${warning.code}): ${warning.message}`);
};

const ts = () => typescript({ tsconfig: './tsconfig.json', noEmit: false, declaration: false, sourceMap: true, outDir: 'dist', include: ['src/**/*.ts'] });
const browserPlugins = () => [nodeResolve({ browser: true, preferBuiltins: false }), commonjs({ ignore: nodeBuiltins }), ts()];
const nodePlugins = () => [nodeResolve({ preferBuiltins: true, exportConditions: ['node'] }), commonjs({ ignore: nodeBuiltins }), ts()];

const widgetTreeshake = { moduleSideEffects: (id) => !/[\\/]node_modules[\\/]@tensorflow[\\/]|[\\/]src[\\/]backends[\\/]|[\\/]src[\\/]core[\\/]tf\.ts$/.test(id) };

export default [
  {
    // Shared chunks sit beside index.js, not in a subfolder: the library finds worker.js, the wasm
    // binaries and the threaded glue next to the module that runs (`import.meta.url`).
    input: { index: 'src/index.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    plugins: [...browserPlugins(), wasmAssets()],
    onwarn,
  },
  {
    input: { 'index.node': 'src/index.node.ts', cli: 'src/cli/main.ts', bench: 'src/bench/index.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', banner: (chunk) => (chunk.isEntry || chunk.fileName.startsWith('chunks/') ? nodeShim : '') },
    external: nodeExternal,
    // The `bin` must be executable, or `npx pix2pix-ts` in a checkout answers "Permission denied"
    // (npm sets the mode only when it installs a package).
    plugins: [...nodePlugins(), { name: 'executable-cli', writeBundle: () => chmodSync('dist/cli.js', 0o755) }],
    onwarn,
  },
  // The worker scripts: one self-contained file each (a module worker loads one script; the
  // default workerUrl is `./worker.js` / `./worker.node.js` beside the bundle).
  {
    input: 'src/worker.ts',
    // Minified: it is the largest file a page with the widget downloads.
    output: { file: 'dist/worker.js', format: 'es', sourcemap: true, inlineDynamicImports: true, plugins: [terser()] },
    plugins: browserPlugins(),
    onwarn,
  },
  {
    // Its own entry: it adds the folder dataset opener (sharp, node:fs), which worker.js must not reach.
    input: 'src/worker.node.ts',
    output: { file: 'dist/worker.node.js', format: 'es', sourcemap: true, inlineDynamicImports: true, banner: nodeShim },
    external: nodeExternal,
    plugins: nodePlugins(),
    onwarn,
  },
  {
    input: 'src/index.ts',
    output: { file: 'dist/pix2pix.min.js', format: 'iife', name: 'Pix2Pix', sourcemap: true, inlineDynamicImports: true, plugins: [terser()] },
    plugins: browserPlugins(),
    onwarn,
  },
  // The <pix2pix-translator> widget: its own small bundles (no tfjs: the model runs in worker.js,
  // found beside them), so a page that embeds it loads ~12 KB gzipped before the worker starts,
  // and pix2pix.min.js stays the plain library. Self-contained (no shared chunks), because the
  // widget finds worker.js relative to its own file. The worker client reaches the capability
  // probe, which imports a backend module; nothing of tfjs runs on the widget's thread, so tfjs
  // and the backend registrations are declared side-effect free here and drop out.
  {
    input: 'src/web/index.ts',
    output: { file: 'dist/pix2pix-widget.min.js', format: 'iife', name: 'Pix2PixWidget', sourcemap: true, inlineDynamicImports: true, plugins: [terser()] },
    treeshake: widgetTreeshake,
    plugins: browserPlugins(),
    onwarn,
  },
  {
    input: 'src/web/index.ts',
    output: { file: 'dist/widget.js', format: 'es', sourcemap: true, inlineDynamicImports: true },
    treeshake: widgetTreeshake,
    plugins: browserPlugins(),
    onwarn,
  },
  {
    input: 'src/web/index.ts',
    output: { file: 'dist/widget.d.ts', format: 'es' },
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    onwarn,
  },
  {
    input: 'src/index.ts',
    output: { file: 'dist/index.d.ts', format: 'es' },
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    onwarn,
  },
  {
    input: 'src/index.node.ts',
    output: { file: 'dist/index.node.d.ts', format: 'es' },
    external: nodeExternal,
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    onwarn,
  },
  {
    input: 'src/worker.ts',
    output: { file: 'dist/worker.d.ts', format: 'es' },
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    onwarn,
  },
  {
    input: 'src/bench/index.ts',
    output: { file: 'dist/bench.d.ts', format: 'es' },
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    onwarn,
  },
];

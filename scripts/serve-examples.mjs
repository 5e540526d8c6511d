#!/usr/bin/env node
// Serves examples/ and dist/ from one origin with COOP/COEP headers, so pages are cross-origin
// isolated and tfjs can use its threaded wasm binary. `?coi=0` on a page serves that page without
// COOP/COEP, to see what a plain static host gives (wasm without threads).
//
//   npm run examples            # builds, then serves on PORT (default 8080) and prints the URLs
//   PORT=9000 node scripts/serve-examples.mjs
//
// Also imported by the browser tests (test/browser/web-*.test.ts), which mount their own builds.
import { createServer } from 'node:http';
import { existsSync, statSync, createReadStream } from 'node:fs';
import { join, extname, normalize, sep, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.webp': 'image/webp',
  '.pth': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/** The folders served by default: URL prefix -> folder. */
export function defaultMounts(root = ROOT) {
  return [
    ['/examples/', join(root, 'examples')],
    ['/dist/', join(root, 'dist')],
    // The shipped font dataset (aligned A|B PNGs): the app example's sample pairs.
    ['/data/', join(root, 'data')],
  ];
}

/**
 * Starts the server. `mounts` is a list of [urlPrefix, folder]; the first prefix that matches
 * serves the file; `onRequest(path, status)` hears of each file request. Returns { server, origin, close }.
 *
 * @example
 * const { origin, close } = await startExamplesServer({ port: 0 });
 */
export async function startExamplesServer({
  port = 8080,
  host = '127.0.0.1',
  mounts = defaultMounts(),
  quiet = true,
  onRequest,
} = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    const isolated = url.searchParams.get('coi') !== '0';
    const headers = {
      // COEP require-corp + COOP same-origin make the page cross-origin isolated (SharedArrayBuffer,
      // wasm threads); CORP lets isolated pages of this origin load every file here.
      ...(isolated
        ? {
            'Cross-Origin-Opener-Policy': 'same-origin',
            'Cross-Origin-Embedder-Policy': 'require-corp',
          }
        : {}),
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-cache',
    };
    if (path === '/' || path === '/examples') {
      res.writeHead(302, { ...headers, Location: '/examples/' }).end();
      return;
    }
    for (const [prefix, folder] of mounts) {
      if (!path.startsWith(prefix)) continue;
      let file = normalize(join(folder, path.slice(prefix.length)));
      if (file !== folder && !file.startsWith(folder.endsWith(sep) ? folder : folder + sep)) break;
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
      if (!existsSync(file) || !statSync(file).isFile()) break;
      const size = statSync(file).size;
      res.writeHead(200, {
        ...headers,
        'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
        'Content-Length': size,
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
      if (!quiet) console.log(`200 ${path}`);
      onRequest?.(path, 200);
      return;
    }
    if (!quiet) console.log(`404 ${path}`);
    onRequest?.(path, 404);
    res
      .writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' })
      .end(`not found: ${path}`);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const origin = `http://${host === '0.0.0.0' ? 'localhost' : host}:${server.address().port}`;
  return { server, origin, close: () => new Promise((r) => server.close(r)) };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1]);
if (isMain) {
  const port = Number(process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number (0-65535), got "${process.env.PORT}".`);
    process.exit(2);
  }
  const missing = [
    ['dist/pix2pix-widget.min.js', 'npm run build'],
    ['dist/worker.js', 'npm run build'],
    ['examples/build/bench/bench.js', 'node examples/build.mjs'],
    ['examples/app/dist/app.js', 'node examples/build.mjs'],
  ].filter(([f]) => !existsSync(join(ROOT, f)));
  for (const [f, how] of missing)
    console.warn(`warning: ${f} is missing; run \`${how}\` (npm run examples does both).`);
  const { origin } = await startExamplesServer({
    port,
    host: process.env.HOST ?? '127.0.0.1',
    quiet: !process.env.VERBOSE,
  });
  console.log(`pix2pix-ts examples on ${origin} (COOP/COEP: cross-origin isolated; add ?coi=0 to a page to turn isolation off)
  widget (script tag):  ${origin}/examples/widget.html
  app (npm + rollup):   ${origin}/examples/app/
  backend benchmark:    ${origin}/examples/bench.html
  quick benchmark:      ${origin}/examples/bench.html?quick=1
Ctrl+C to stop.`);
}

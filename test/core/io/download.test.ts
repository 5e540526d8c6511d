import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { download, resolveSource, type DownloadProgress } from '../../../src/core/io/download.js';
import { readBytes } from '../../../src/core/io/index.js';
import { Pix2PixError } from '../../../src/core/errors.js';

const D = suite('core/io/download');
const ctx: { dir?: string; server?: Server; origin?: string } = {};
const BODY = new Uint8Array(300_000).map((_, i) => i % 251);

D.before(async () => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'p2p-download-'));
  writeFileSync(join(ctx.dir, 'w.bin'), BODY);
  ctx.server = createServer((req, res) => {
    if (req.url === '/w.bin') {
      res.writeHead(200, { 'Content-Length': BODY.length });
      res.end(BODY);
    } else res.writeHead(404).end('<html>not here</html>');
  });
  await new Promise<void>((r) => ctx.server!.listen(0, '127.0.0.1', r));
  const a = ctx.server.address() as { port: number };
  ctx.origin = `http://127.0.0.1:${a.port}`;
});

D.after(() => {
  ctx.server?.close();
  rmSync(ctx.dir!, { recursive: true, force: true });
});

D('reads a path and a file: URL from disk, with progress', async () => {
  const seen: DownloadProgress[] = [];
  const a = await download(join(ctx.dir!, 'w.bin'), { onProgress: (p) => seen.push(p) });
  const b = await download(pathToFileURL(join(ctx.dir!, 'w.bin')));
  assert.equal([a.length, b.length], [BODY.length, BODY.length]);
  assert.equal(seen.at(-1), { loaded: BODY.length, total: BODY.length });
});

D('fetches a URL with progress up to the content-length', async () => {
  const seen: DownloadProgress[] = [];
  const got = await download(`${ctx.origin}/w.bin`, { onProgress: (p) => seen.push(p) });
  assert.equal(Array.from(got.slice(0, 5)), [0, 1, 2, 3, 4]);
  assert.is(got.length, BODY.length);
  assert.ok(seen.length >= 2);
  assert.ok(seen.every((p, i) => i === 0 || p.loaded >= seen[i - 1]!.loaded));
  assert.equal(seen.at(-1), { loaded: BODY.length, total: BODY.length });
});

D('names the URL and the status of a failed fetch', async () => {
  try {
    await readBytes(`${ctx.origin}/missing.pth`);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, Pix2PixError);
    assert.is((e as Pix2PixError).code, 'E_IO_NOT_FOUND');
    assert.match((e as Error).message, `${ctx.origin}/missing.pth`);
    assert.match((e as Error).message, /HTTP 404/);
  }
});

D('names the path of a missing file', async () => {
  try {
    await download(join(ctx.dir!, 'nope.pth'), { what: 'weights' });
    assert.unreachable();
  } catch (e) {
    assert.is((e as Pix2PixError).code, 'E_IO_NOT_FOUND');
    assert.match((e as Error).message, /No weights at ".*nope\.pth"/);
  }
});

D('keeps paths as they are in Node (browsers resolve them against the page)', () => {
  assert.is(resolveSource('models/x.pth'), 'models/x.pth');
  assert.is(resolveSource('https://example.com/x.pth'), 'https://example.com/x.pth');
});

D('a response that breaks off mid-stream is E_IO_READ, naming the bytes received', async () => {
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (!this.sent) {
        this.sent = true;
        c.enqueue(new Uint8Array(1000));
      } else c.error(new Error('connection reset'));
    },
    sent: false,
  } as UnderlyingDefaultSource<Uint8Array> & { sent: boolean });
  const fetch = async () => new Response(body, { headers: { 'content-length': '5000' } });
  try {
    await download('https://example.com/G.pth', { fetch: fetch as typeof globalThis.fetch });
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, Pix2PixError);
    assert.is((e as Pix2PixError).code, 'E_IO_READ');
    assert.match((e as Error).message, /broke off after 1000 bytes: connection reset/);
  }
});

D.run();

// The app module both package tests install beside the packed pix2pix-ts (in Node and in the
// bundled pages): a 128x128 RGBA cross translated by the shipped model, with the backend it ran on.

/** The source of `pattern.js`: `pattern()` and `translateDefault(createPix2Pix, worker)`. */
export const PATTERN = `export function pattern() {
  const data = new Uint8ClampedArray(128 * 128 * 4);
  for (let i = 0; i < 128 * 128; i++) {
    const x = i % 128, y = (i / 128) | 0;
    const v = (x > 30 && x < 98 && Math.abs(y - 64) < 10) || (y > 30 && y < 98 && Math.abs(x - 64) < 8) ? 0 : 255;
    data.set([v, v, v, 255], i * 4);
  }
  return { data, width: 128, height: 128, channels: 4 };
}
export async function translateDefault(createPix2Pix, worker) {
  const p2p = await createPix2Pix({ backend: 'wasm', worker, weights: 'default' });
  const out = await p2p.translate(pattern());
  const info = p2p.backendInfo;
  await p2p.dispose();
  return { name: info.name, threads: info.threads, reason: info.reason, pixels: Array.from(out.data) };
}
`;

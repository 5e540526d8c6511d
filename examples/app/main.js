// An app using the npm package: a model in a Web Worker, trained on pairs the user drops, then
// translating. Bundled by examples/app/rollup.config.mjs.
import { createPix2Pix } from 'pix2pix-ts';

const SIZE = 64; // each half is resized to 64x64: UNet-64 (numDowns 6), small enough to train in seconds per step
const $ = (id) => document.getElementById(id);
const pairs = []; // { a: ImageData, b: ImageData }
let p2p = null;
let abort = null;

const log = (line) => {
  $('log').textContent += line + '\n';
  $('log').scrollTop = 1e9;
};
const status = (s) => {
  $('status').textContent = s;
};

/** Splits an aligned A|B image into two SIZE x SIZE ImageData halves. */
async function splitPair(blob) {
  const bmp = await createImageBitmap(blob);
  const half = (x) => {
    const c = new OffscreenCanvas(SIZE, SIZE);
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bmp, x, 0, bmp.width / 2, bmp.height, 0, 0, SIZE, SIZE);
    return ctx.getImageData(0, 0, SIZE, SIZE);
  };
  return { a: half(0), b: half(bmp.width / 2) };
}

function thumb(images, cls) {
  const c = document.createElement('canvas');
  c.width = SIZE * images.length;
  c.height = SIZE;
  if (cls) c.className = cls;
  const ctx = c.getContext('2d');
  images.forEach((im, i) => ctx.putImageData(im, i * SIZE, 0));
  return c;
}

async function addPairs(blobs) {
  for (const blob of blobs) {
    try {
      const p = await splitPair(blob);
      pairs.push(p);
      $('pairs').append(thumb([p.a, p.b]));
    } catch (e) {
      log(`skipped ${blob.name ?? 'an image'}: ${e.message}`);
    }
  }
  $('train').disabled = pairs.length < 2;
  status(
    `${pairs.length} pairs (the last ${Math.max(1, Math.floor(pairs.length / 4))} are held out for translation)`,
  );
}

async function model() {
  if (p2p) return p2p;
  status('starting the worker…');
  p2p = await createPix2Pix({
    worker: true,
    purpose: 'train',
    generator: { numDowns: 6, ngf: 16 },
    discriminator: { ndf: 16 },
    seed: 0,
  });
  log(`backend: ${p2p.backendInfo.name} (${p2p.backendInfo.reason})`);
  return p2p;
}

async function train() {
  const m = await model();
  const held = Math.max(1, Math.floor(pairs.length / 4));
  const trainSet = pairs.slice(0, pairs.length - held);
  const steps = Number($('steps').value) || 40;
  abort = new AbortController();
  $('train').disabled = true;
  $('stop').disabled = false;
  const t0 = performance.now();
  try {
    for (let i = 0; i < steps && !abort.signal.aborted; i++) {
      const p = trainSet[i % trainSet.length];
      const l = await m.trainStep(p.a, p.b, { signal: abort.signal });
      if (i % 5 === 0 || i === steps - 1)
        log(
          `step ${i + 1}/${steps}  G_GAN ${l.G_GAN.toFixed(3)}  G_L1 ${l.G_L1.toFixed(3)}  D_real ${l.D_real.toFixed(3)}  D_fake ${l.D_fake.toFixed(3)}`,
        );
      status(
        `step ${i + 1}/${steps} · ${((i + 1) / ((performance.now() - t0) / 1000)).toFixed(1)} steps/s`,
      );
    }
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
    log('stopped');
  } finally {
    $('train').disabled = false;
    $('stop').disabled = true;
    $('translate').disabled = false;
  }
  await translate();
}

async function translate() {
  const m = await model();
  const held = pairs.slice(pairs.length - Math.max(1, Math.floor(pairs.length / 4)));
  $('results').replaceChildren();
  for (const p of held) {
    const out = await m.translate(p.a);
    $('results').append(
      thumb([p.a, new ImageData(new Uint8ClampedArray(out.data), out.width, out.height), p.b]),
    );
  }
  status(`translated ${held.length} held-out input(s)`);
  document.documentElement.dataset.appState = 'translated';
}

const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  void addPairs([...e.dataTransfer.files].filter((f) => f.type.startsWith('image/')));
});
$('files').addEventListener('change', (e) => void addPairs([...e.target.files]));
$('samples').addEventListener('click', async () => {
  // The shipped font dataset (Noto Serif SC -> Ma Shan Zheng), served by scripts/serve-examples.mjs at /data/.
  const rows = (await (await fetch('/data/fonts-zi2zi/chars.tsv')).text())
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'));
  const names = rows
    .filter((r) => r[4] === 'train')
    .slice(0, 16)
    .map((r) => r[0]);
  const blobs = await Promise.all(
    names.map(async (n) => (await fetch(`/data/fonts-zi2zi/train/${n}`)).blob()),
  );
  await addPairs(blobs);
});
$('train').addEventListener(
  'click',
  () =>
    void train().catch((e) => {
      log(`error: ${e.message}`);
      status('error');
    }),
);
$('stop').addEventListener('click', () => abort?.abort());
$('translate').addEventListener('click', () => void translate());
document.documentElement.dataset.appState = 'idle';

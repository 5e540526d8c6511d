// Seeded fuzzing of every file format the library reads: random mutations of valid .pth (zip and
// legacy, the pickle inside a zip too), pix2pix-ts checkpoints, model.json and PNG files, and PNG /
// JPEG files in a dataset (validate() must catch every file get() cannot read). Each must
// give a valid result or a named library error (a Pix2PixError with a code), never a hang, a raw
// RangeError/TypeError or gigabytes of memory. P2P_FUZZ_SEED / P2P_FUZZ_CASES change the run.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { unzipSync } from 'fflate';
import { fixture } from '../support/env.js';
import { readPth } from '../../src/core/pth/index.js';
import { writeZip } from '../../src/core/pth/zip-writer.js';
import {
  encodeArtifacts,
  decodeArtifacts,
  fileHandler,
  type FsLike,
} from '../../src/core/io/index.js';
import { Pix2PixError } from '../../src/core/errors.js';
import { initBackend } from '../../src/backends/index.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import { checkpointToArtifacts, modelFromArtifacts } from '../../src/pix2pix/checkpoint.js';
import { decodeImage } from '../../src/node/image-io.js';
import { openPairedDataset } from '../../src/node/dataset.js';

const SEED = Number(process.env.P2P_FUZZ_SEED ?? 19);
const CASES = Number(process.env.P2P_FUZZ_CASES ?? 80);
let state = SEED >>> 0 || 1;
const rand = (n: number): number => {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state % n;
};
const EXTREMES = [0, 0xff, 0x7f, 0x80];
const INTS = [0xffffffff, 0x7fffffff, 0x80000000, 0, 1, 0x10000];

/** One random mutation: byte flips, an extreme 32-bit value, a truncation, an insertion or a copied run. */
function mutate(src: Uint8Array): Uint8Array {
  const b = src.slice();
  switch (rand(6)) {
    case 0:
      for (let i = rand(8) + 1; i > 0; i--) b[rand(b.length)] = rand(256);
      return b;
    case 1:
      for (let i = rand(4) + 1; i > 0; i--) b[rand(b.length)] = EXTREMES[rand(4)];
      return b;
    case 2: {
      const p = rand(Math.max(1, b.length - 4));
      new DataView(b.buffer).setUint32(p, INTS[rand(INTS.length)], rand(2) === 0);
      return b;
    }
    case 3:
      return b.subarray(0, rand(b.length));
    case 4: {
      const p = rand(b.length);
      const ins = Uint8Array.from({ length: rand(16) + 1 }, () => rand(256));
      return concat(b.subarray(0, p), ins, b.subarray(p));
    }
    default: {
      const p = rand(b.length),
        q = rand(b.length),
        n = rand(64) + 1;
      b.copyWithin(p, q, q + n);
      return b;
    }
  }
}
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const counts: Record<string, { tried: number; named: number; valid: number }> = {};
const MAX_MS = 10_000;
const MAX_RSS = 2 ** 31;

/** Runs one hostile input: a valid result or a named error, within the time and memory bound. */
async function tryOne(kind: string, run: () => unknown): Promise<void> {
  const c = (counts[kind] ??= { tried: 0, named: 0, valid: 0 });
  c.tried++;
  const t0 = Date.now();
  try {
    await run();
    c.valid++;
  } catch (e) {
    if (!(e instanceof Pix2PixError))
      assert.unreachable(
        `${kind} case ${c.tried} (seed ${SEED}) threw an unnamed ${(e as Error)?.name}: ${String((e as Error)?.stack ?? e).slice(0, 600)}`,
      );
    assert.type((e as Pix2PixError).code, 'string');
    c.named++;
  }
  const ms = Date.now() - t0;
  assert.ok(ms < MAX_MS, `${kind} case ${c.tried} (seed ${SEED}) took ${ms} ms`);
  assert.ok(
    process.memoryUsage().rss < MAX_RSS,
    `${kind} case ${c.tried} (seed ${SEED}): RSS ${process.memoryUsage().rss}`,
  );
}

const fuzz = suite('fuzzing the readers');

fuzz('mutated .pth files (zip, legacy, and the pickle inside a zip)', async () => {
  const zip = new Uint8Array(readFileSync(fixture('golden', 'unet64_batch', 'D.pth')));
  const legacy = new Uint8Array(readFileSync(fixture('golden', 'unet64_batch', 'G_legacy.pth')));
  const entries = Object.entries(unzipSync(zip));
  const pklIndex = entries.findIndex(([n]) => n.endsWith('data.pkl'));
  for (let i = 0; i < CASES; i++) {
    await tryOne('pth-zip', () => readPth(mutate(zip)));
    await tryOne('pth-legacy', () => readPth(mutate(legacy)));
    const pkl = mutate(entries[pklIndex][1]);
    await tryOne('pth-pickle', () =>
      readPth(
        writeZip(entries.map(([name, data], j) => ({ name, data: j === pklIndex ? pkl : data }))),
      ),
    );
  }
});

fuzz('mutated pix2pix-ts checkpoints', async () => {
  await initBackend('cpu');
  const m = new Pix2PixModel({
    generator: { numDowns: 6, ngf: 2 },
    discriminator: { ndf: 2, nLayers: 1 },
  });
  const ckpt = concat(
    ...encodeArtifacts(
      await checkpointToArtifacts(m, {
        epoch: 0,
        position: 0,
        step: 0,
        rng: [1, 2, 3, 4],
        history: [],
      }),
    ),
  );
  m.dispose();
  for (let i = 0; i < CASES; i++) {
    await tryOne('ckpt', async () => {
      const loaded = await modelFromArtifacts(decodeArtifacts(mutate(ckpt)));
      loaded.model.dispose();
    });
  }
});

fuzz('mutated model.json files', async () => {
  const json = enc(
    JSON.stringify({
      modelTopology: {},
      weightsManifest: [
        { paths: ['w.bin'], weights: [{ name: 'w', shape: [2, 2], dtype: 'float32' }] },
      ],
    }),
  );
  const bin = new Uint8Array(16);
  for (let i = 0; i < CASES; i++) {
    const files: Record<string, Uint8Array> = { '/m/model.json': mutate(json), '/m/w.bin': bin };
    const fs = {
      readFile: async (p: string) => {
        if (!files[p]) throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
        return files[p];
      },
      lstat: async (p: string) => {
        if (!files[p]) throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
        return { isFile: () => true, size: files[p].length };
      },
    } as unknown as FsLike;
    await tryOne('model.json', () => fileHandler('/m/model.json', { fs }).load!());
  }
});

fuzz('mutated PNG files', async () => {
  const png = new Uint8Array(
    await sharp({ create: { width: 16, height: 12, channels: 3, background: '#336699' } })
      .png()
      .toBuffer(),
  );
  for (let i = 0; i < CASES; i++)
    await tryOne('png', () => decodeImage(mutate(png), 3, 'fuzz.png'));
});

fuzz(
  'mutated PNG and JPEG files in a dataset: validate() catches what get() would fail on',
  async () => {
    // Fixed pixels (sharp's noise is not seeded): the same files, so the same counts, every run.
    const px = Uint8Array.from({ length: 32 * 16 * 3 }, (_, i) => (i * 73 + (i >> 5) * 29) & 255);
    const noise = (format: 'png' | 'jpeg') => {
      const img = sharp(px, { raw: { width: 32, height: 16, channels: 3 } });
      return (format === 'png' ? img.png() : img.jpeg()).toBuffer();
    };
    const sources = {
      png: new Uint8Array(await noise('png')),
      jpg: new Uint8Array(await noise('jpeg')),
    };
    const root = mkdtempSync(join(tmpdir(), 'p2p-fuzz-ds-'));
    mkdirSync(join(root, 'train'));
    try {
      for (let i = 0; i < CASES; i++) {
        const ext = i % 2 ? 'jpg' : 'png';
        const file = join(root, 'train', `x.${ext}`);
        rmSync(join(root, 'train'), { recursive: true, force: true });
        mkdirSync(join(root, 'train'));
        writeFileSync(file, mutate(sources[ext]));
        await tryOne('dataset', async () => {
          const ds = await openPairedDataset({ root });
          const issues = await ds.validate();
          if (issues.length) throw issues[0].error;
          try {
            await ds.get(0);
          } catch (e) {
            // Not a named error on purpose: a file validate() passed must be readable.
            throw new Error(
              `validate() passed a file get() could not read: ${(e as Error)?.message}`,
              { cause: e },
            );
          }
        });
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
);

fuzz.after(() => {
  const total = Object.values(counts).reduce(
    (a, c) => ({ tried: a.tried + c.tried, named: a.named + c.named, valid: a.valid + c.valid }),
    { tried: 0, named: 0, valid: 0 },
  );
  for (const [k, c] of Object.entries(counts))
    console.log(
      `# fuzz ${k}: ${c.tried} tried / ${c.named} named errors / ${c.valid} valid results / ${c.tried} bounded`,
    );
  console.log(
    `# fuzz total (seed ${SEED}): ${total.tried} hostile inputs tried / ${total.named} named errors / ${total.valid} valid / ${total.tried} bounded (< ${MAX_MS / 1000} s, RSS < 2 GiB each)`,
  );
});

function enc(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

fuzz.run();

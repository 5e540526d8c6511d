// Page side of scripts/kernel-diff.mjs: one training step of a golden folder on backend `a`, then
// on backend `b`, each top-level kernel's outputs read back; prints, kernel by kernel in order, the
// relative L2 difference of b's outputs from a's and the elements whose sign differs.
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import { readPth } from '../../src/core/pth/index.js';
import { relL2 } from '../../src/pix2pix/golden.js';

const q = new URLSearchParams(location.search);
const dir = q.get('dir')!;
const read = async (name: string) =>
  new Uint8Array(await (await fetch('/' + dir + '/' + encodeURIComponent(name))).arrayBuffer());
const emit = (s: string) => console.log('KDIFF ' + s);

/** Elements whose sign differs, with the first three (index: a / b). */
function flips(a: Float32Array, b: Float32Array): string {
  let n = 0;
  let first = '';
  for (let i = 0; i < a.length; i++)
    if (a[i]! > 0 !== b[i]! > 0 && ++n <= 3)
      first += ` @${i}:${a[i]!.toExponential(2)}/${b[i]!.toExponential(2)}`;
  return n ? ` sign flips ${n}${first}` : '';
}

let mode: 'off' | 'record' | 'compare' = 'off';
let index = 0;
let depth = 0;
let cursor = 0;
/** A's kernels in order, by kernel name and output shapes (`key`). */
const recorded: Array<{ key: string; outs: Float32Array[] }> = [];

/** Wraps every kernel of `backendName` to record (or compare) its outputs at nesting depth 0. */
function wrap(backendName: string): void {
  for (const k of tf.getKernelsForBackend(backendName)) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        depth++;
        let out: tf.TensorInfo | tf.TensorInfo[];
        try {
          out = inner(args);
        } finally {
          depth--;
        }
        if (mode === 'off' || depth > 0) return out;
        const list = Array.isArray(out) ? out : [out];
        const be = args.backend as unknown as { readSync(id: unknown): ArrayLike<number> };
        const outs = list.map((o) =>
          o.dtype === 'float32' ? Float32Array.from(be.readSync(o.dataId)) : new Float32Array(0),
        );
        const i = index++;
        const key = `${k.kernelName} -> ${list.map((o) => `[${o.shape}]`).join(',')}`;
        if (mode === 'record') {
          recorded.push({ key, outs });
          return out;
        }
        // A backend may run a fused kernel where the other runs two: match the next A kernel of
        // the same name and output shapes within a few places, and skip what has no counterpart.
        let j = cursor;
        while (j < recorded.length && j < cursor + 8 && recorded[j]!.key !== key) j++;
        const r = recorded[j]?.key === key ? recorded[j] : undefined;
        if (r) cursor = j + 1;
        const ins = Object.entries(args.inputs)
          .filter(([, t]) => t)
          .map(([n, t]) => `${n}[${(t as tf.TensorInfo).shape}]`)
          .join(' ');
        if (!r) {
          emit(`${i} ${key}: no counterpart on the other backend`);
          return out;
        }
        const diffs = outs.map((o, j) =>
          o.length ? relL2(o, r.outs[j]!).toExponential(2) + flips(r.outs[j]!, o) : '-',
        );
        emit(`${i} ${k.kernelName} ${ins} -> ${list.map((o) => `[${o.shape}]`).join(',')}: ${diffs.join(', ')}`);
        r.outs = [];
        return out;
      },
    });
  }
}

async function step(backend: string, m: 'record' | 'compare'): Promise<void> {
  await initBackend(backend as 'webgl', { purpose: 'train' });
  wrap(backend);
  const manifest = JSON.parse(new TextDecoder().decode(await read('manifest.json')));
  const c = manifest.config;
  const nhwc = async (name: string) => {
    const t = manifest.tensors[name];
    const b = await read(t.file);
    const x = tf.tensor4d(new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4), t.shape);
    const y = tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D;
    x.dispose();
    return y;
  };
  const model = new Pix2PixModel({
    generator: { numDowns: c.num_downs, ngf: c.ngf, norm: c.norm, dropout: false },
    discriminator: { ndf: c.ndf, nLayers: c.n_layers, norm: c.norm },
    train: { ganMode: c.gan_mode ?? 'vanilla' },
  });
  model.loadStateDict('G', readPth(await read('G.pth')));
  model.loadStateDict('D', readPth(await read('D.pth')));
  const a = await nhwc('input/real_A');
  const b = await nhwc('input/real_B');
  const grads = { G: new Map<string, Float32Array>(), D: new Map<string, Float32Array>() };
  index = 0;
  cursor = 0;
  mode = m;
  await model.trainStep(a, b, { captureGrads: grads });
  mode = 'off';
  const errors: number[] = [];
  for (const net of ['G', 'D'] as const)
    for (const [key, g] of grads[net]) {
      const t = manifest.tensors[`grad_step0/${net}/${key}`];
      if (!t) continue;
      const ref = await read(t.file);
      errors.push(relL2(g, new Float32Array(ref.buffer, ref.byteOffset, ref.byteLength / 4)));
    }
  errors.sort((x, y) => x - y);
  emit(
    `${backend}: ${index} kernels; step-0 gradients from float64, median ${errors[errors.length >> 1]!.toExponential(2)}, worst ${errors[errors.length - 1]!.toExponential(2)}`,
  );
  model.dispose();
  tf.dispose([a, b]);
}

step(q.get('a')!, 'record')
  .then(() => step(q.get('b')!, 'compare'))
  .then(
    () => console.log('KDIFF-DONE'),
    (e) => console.log('KDIFF-ERROR ' + (e?.stack ?? e)),
  );

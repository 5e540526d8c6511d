/**
 * `pix2pix-ts convert <in> <out> [--to pth|ours|web-f32|web-f16|web-u8]`: converts generator
 * weights between PyTorch `.pth`, `.pict` (pix2pix-tensorflow / ml5.js demos), pix2pix-ts
 * checkpoints and web weights (float32 / float16 / 8-bit, one file or tfjs model.json). Written
 * over the public API: `createPix2Pix` on the cpu backend, then `exportPth`, `saveCheckpoint` or
 * `saveWeights`.
 */
import { createPix2Pix } from '../index.node.js';
import { atomicWrite, nodeFs } from '../core/io/index.js';
import { defineCommand, oneOf, UsageError } from './command.js';

export const CONVERT_HELP = `Usage: pix2pix-ts convert <in> <out> [--to pth|ours|web-f32|web-f16|web-u8] [--net G|D] [--key NAME]

Reads <in>: a PyTorch generator .pth (architecture inferred), a .pict (pix2pix-tensorflow /
ml5.js demos), a pix2pix-ts checkpoint or web weights (a file, or a tfjs model.json).
Writes <out> as:
  pth       PyTorch state dict of the generator (--net D: the discriminator) for torch.load
  ours      pix2pix-ts checkpoint (G, D, both Adam states); D and the optimizers are fresh
            unless <in> is a checkpoint
  web-f32   generator only, float32            (an <out> ending in .json writes tfjs's
  web-f16   generator only, float16 kernels     model.json + weights file layout, loadable
  web-u8    generator only, 8-bit kernels       with tf.io.http / createPix2Pix({ weights }))
Default --to: pth when <out> ends in .pth, web-f32 when it ends in .json, else ours.
--key NAME: the entry of a PyTorch checkpoint dict that holds the generator (e.g. netG in
{'netG': ..., 'netD': ..., 'opt': ...}).
Files are written atomically (temp file, fsync, rename).`;

const TARGETS = ['pth', 'ours', 'web-f32', 'web-f16', 'web-u8'] as const;
type Target = (typeof TARGETS)[number];

/** `pix2pix-ts convert`. */
export const convertCommand = defineCommand({
  name: 'convert',
  usage: CONVERT_HELP,
  options: { to: { type: 'string' }, net: { type: 'string' }, key: { type: 'string' } },
  positionals: 2,
  async run({ values, positionals: [input, output] }, io) {
    const to = oneOf<Target>(
      values,
      'to',
      TARGETS,
      /\.pth$/i.test(output) ? 'pth' : /\.json$/i.test(output) ? 'web-f32' : 'ours',
    );
    const net = oneOf(values, 'net', ['G', 'D'] as const, 'G');
    const p2p = await createPix2Pix({ backend: 'cpu', weights: input, key: values.key });
    try {
      const g = p2p.options.generator;
      const { kind, differences } = p2p.loadedWeights!;
      io.out(
        `read ${kind}: U-Net numDowns ${g.numDowns}, ngf ${g.ngf}, norm ${g.norm}, ${g.inputChannels} -> ${g.outputChannels} channels`,
      );
      for (const d of differences) io.err(`note: ${d}`);
      if (to === 'pth') {
        if (net === 'D' && kind !== 'checkpoint')
          throw new UsageError(
            `${input} holds no discriminator (only a checkpoint does); use --net G.`,
          );
        await atomicWrite(nodeFs(), output, [await p2p.exportPth(net)]);
      } else if (to === 'ours') {
        await p2p.saveCheckpoint(output);
      } else {
        const dtype = ({ 'web-f32': 'float32', 'web-f16': 'float16', 'web-u8': 'uint8' } as const)[
          to
        ];
        await p2p.saveWeights(output, { dtype });
      }
      io.out(`wrote ${output} (${to})`);
      return 0;
    } finally {
      await p2p.dispose();
    }
  },
});

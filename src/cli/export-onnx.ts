/**
 * `pix2pix-ts export-onnx <G.pth|checkpoint> <out.onnx>`: writes the generator as an ONNX model
 * for eval-mode inference (the architecture is read off the state dict's keys and shapes).
 */
import { writeFile } from 'node:fs/promises';
import { readGeneratorStateDict } from './generator-weights.js';
import { defineCommand, num, UsageError } from './command.js';
import {
  exportGeneratorOnnx,
  inferGeneratorOptions,
  ONNX_INPUT_NAME,
  ONNX_OUTPUT_NAME,
} from '../pix2pix/onnx-export.js';

export const EXPORT_ONNX_HELP = `Usage: pix2pix-ts export-onnx <weights> <out.onnx> [--key NAME] [--opset N] [--shape N,H,W]

Writes a pix2pix U-Net generator (a PyTorch .pth, zip or legacy; a pix2pix-ts checkpoint; web
weights, model.json; a path or URL, or "default", the shipped model) as an ONNX model
for inference in eval mode (BatchNorm running statistics, no dropout): NCHW float32 input
"${ONNX_INPUT_NAME}" [N, C, H, W] in [-1, 1], output "${ONNX_OUTPUT_NAME}" [N, C_out, H, W] in [-1, 1].
numDowns, ngf, channels and the norm are read from the weights' keys and shapes.

Options:
  --key NAME     entry of a checkpoint dict that holds the generator's state dict
  --opset N      ONNX opset (>= 13; default 17)
  --shape N,H,W  fix batch, height and width, H and W multiples of 2^numDowns (default:
                 dynamic N, H, W; H and W must be multiples of 2^numDowns at run time)
Exit code: 0 written, 2 unreadable input or bad options.`;

/** `pix2pix-ts export-onnx`. */
export const exportOnnxCommand = defineCommand({
  name: 'export-onnx',
  usage: EXPORT_ONNX_HELP,
  options: { key: { type: 'string' }, opset: { type: 'string' }, shape: { type: 'string' } },
  positionals: 2,
  async run({ values, positionals: [src, out] }, io) {
    let fixedShape: [number, number, number] | undefined;
    if (values.shape !== undefined) {
      const dims = values.shape.split(',').map(Number);
      if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1))
        throw new UsageError(
          `--shape must be three positive integers N,H,W (e.g. 1,256,256), got "${values.shape}".`,
        );
      fixedShape = dims as [number, number, number];
    }
    const opset = values.opset === undefined ? undefined : num(values, 'opset', 17, { int: true });
    const sd = await readGeneratorStateDict(src!, { key: values.key });
    const g = inferGeneratorOptions(sd);
    const bytes = exportGeneratorOnnx(sd, g, { opset, fixedShape });
    await writeFile(out, bytes);
    io.out(
      `wrote ${out}: U-Net numDowns ${g.numDowns}, ngf ${g.ngf}, ${g.norm} norm, ${g.inputChannels} -> ${g.outputChannels} channels, opset ${opset ?? 17}, ${(bytes.length / 2 ** 20).toFixed(1)} MiB`,
    );
    return 0;
  },
});

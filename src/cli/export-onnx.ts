/**
 * `pix2pix-ts export-onnx <G.pth|checkpoint> <out.onnx>`: writes the generator as an ONNX model
 * for eval-mode inference (the architecture is read off the state dict's keys and shapes).
 */
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { readGeneratorStateDict } from './generator-weights.js';
import { Pix2PixError } from '../core/errors.js';
import { exportGeneratorOnnx, inferGeneratorOptions, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from '../pix2pix/onnx-export.js';

export const EXPORT_ONNX_HELP = `Usage: pix2pix-ts export-onnx <weights> <out.onnx> [--key NAME] [--opset N] [--shape N,H,W]

Writes a pix2pix U-Net generator (a PyTorch .pth, zip or legacy; a pix2pix-ts checkpoint; web
weights, model.json; a path or URL, or "default", the shipped model) as an ONNX model
for inference in eval mode (BatchNorm running statistics, no dropout): NCHW float32 input
"${ONNX_INPUT_NAME}" [N, C, H, W] in [-1, 1], output "${ONNX_OUTPUT_NAME}" [N, C_out, H, W] in [-1, 1].
numDowns, ngf, channels and the norm are read from the weights' keys and shapes.

Options:
  --key NAME     entry of a checkpoint dict that holds the generator's state dict
  --opset N      ONNX opset (>= 13; default 17)
  --shape N,H,W  fix batch, height and width (default: dynamic N, H, W; H and W must be
                 multiples of 2^numDowns at run time)
Exit code: 0 written, 2 unreadable input or bad options.`;

export async function exportOnnxCommand(argv: string[], log = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { key: { type: 'string' }, opset: { type: 'string' }, shape: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    log(EXPORT_ONNX_HELP);
    return 0;
  }
  if (positionals.length !== 2) {
    log(EXPORT_ONNX_HELP);
    return 2;
  }
  const [src, out] = positionals;
  let fixedShape: [number, number, number] | undefined;
  if (values.shape !== undefined) {
    const dims = values.shape.split(',').map(Number);
    if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
      log(`error: --shape must be three positive integers N,H,W (e.g. 1,256,256), got "${values.shape}".`);
      return 2;
    }
    fixedShape = dims as [number, number, number];
  }
  const opset = values.opset === undefined ? undefined : Number(values.opset);
  try {
    const sd = await readGeneratorStateDict(src, { key: values.key });
    const g = inferGeneratorOptions(sd);
    const bytes = exportGeneratorOnnx(sd, g, { opset, fixedShape });
    await writeFile(out, bytes);
    log(`wrote ${out}: U-Net numDowns ${g.numDowns}, ngf ${g.ngf}, ${g.norm} norm, ${g.inputChannels} -> ${g.outputChannels} channels, opset ${opset ?? 17}, ${(bytes.length / 2 ** 20).toFixed(1)} MiB`);
    return 0;
  } catch (e) {
    if (e instanceof Pix2PixError || e instanceof RangeError || (e as NodeJS.ErrnoException)?.code === 'ENOENT') {
      log(`error${e instanceof Pix2PixError ? ` [${e.code}]` : ''}: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  }
}

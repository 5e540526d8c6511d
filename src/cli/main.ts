#!/usr/bin/env node
/**
 * The `pix2pix-ts` command line: `pix2pix-ts <command> [options]`, `--help` on each command.
 */
import { verifyCommand, VERIFY_HELP } from './verify.js';
import { convertCommand, CONVERT_HELP } from './convert.js';
import { benchCommand, BENCH_HELP } from './bench.js';
import { exportOnnxCommand, EXPORT_ONNX_HELP } from './export-onnx.js';
import { trainCommand, TRAIN_HELP, DEMO_HELP } from './train.js';

type Command = { summary: string; help: string; run: (argv: string[]) => Promise<number> };

const commands: Record<string, Command> = {
  train: { summary: 'train on a paired dataset (checkpoints, samples, loss curve, HTML report)', help: TRAIN_HELP, run: (a) => trainCommand(a) },
  demo: { summary: 'train on the embedded font dataset for a few minutes and write a report', help: DEMO_HELP, run: (a) => trainCommand(a, true) },
  translate: { summary: 'translate an image or a folder with a generator, on N worker threads', help: 'pix2pix-ts translate --help', run: async (a) => (await import('./translate.js')).translateCommand(a) },
  verify: { summary: 'compare this runtime with a PyTorch reference dump', help: VERIFY_HELP, run: (a) => verifyCommand(a) },
  convert: { summary: 'convert weights: .pth, .pict, pix2pix-ts checkpoints, web float16/8-bit', help: CONVERT_HELP, run: (a) => convertCommand(a) },
  bench: { summary: 'time inference and training steps on every backend and onnxruntime peers', help: BENCH_HELP, run: (a) => benchCommand(a) },
  'export-onnx': { summary: 'write a generator .pth as an ONNX model (eval-mode inference)', help: EXPORT_ONNX_HELP, run: (a) => exportOnnxCommand(a) },
  assets: { summary: 'copy the browser runtime files (worker, wasm, model) into a folder, for esbuild', help: 'pix2pix-ts assets --help', run: async (a) => (await import('./assets.js')).assetsCommand(a) },
};

export const MAIN_HELP = () => `Usage: pix2pix-ts <command> [options]

Commands:
${Object.entries(commands).map(([k, c]) => `  ${k.padEnd(10)} ${c.summary}`).join('\n')}

Run "pix2pix-ts <command> --help" for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(MAIN_HELP());
    return cmd ? 0 : 2;
  }
  const c = commands[cmd];
  if (!c) {
    console.error(`Unknown command "${cmd}". Should be one of: ${Object.keys(commands).join(', ')}.`);
    return 2;
  }
  try {
    return await c.run(rest);
  } catch (e) {
    console.error(`error: ${(e as Error)?.message ?? e}`);
    return 2;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

#!/usr/bin/env node
/**
 * The `pix2pix-ts` command line: `pix2pix-ts <command> [options]`, `--help` on each command.
 * Each command is loaded when it runs (so `translate` does not load what `train` needs).
 */
import type { Command } from './command.js';

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  train: {
    summary: 'train on a paired dataset (checkpoints, samples, loss curve, HTML report)',
    load: async () => (await import('./train.js')).trainCommand,
  },
  demo: {
    summary: 'train on the embedded font dataset for a few minutes and write a report',
    load: async () => (await import('./train.js')).demoCommand,
  },
  translate: {
    summary: 'translate an image or a folder with a generator, on N worker threads',
    load: async () => (await import('./translate.js')).translateCommand,
  },
  verify: {
    summary: 'compare this runtime with a PyTorch reference dump',
    load: async () => (await import('./verify.js')).verifyCommand,
  },
  convert: {
    summary: 'convert weights: .pth, .pict, pix2pix-ts checkpoints, web float16/8-bit',
    load: async () => (await import('./convert.js')).convertCommand,
  },
  bench: {
    summary: 'time inference and training steps on every backend and onnxruntime peers',
    load: async () => (await import('./bench.js')).benchCommand,
  },
  'export-onnx': {
    summary: 'write a generator .pth as an ONNX model (eval-mode inference)',
    load: async () => (await import('./export-onnx.js')).exportOnnxCommand,
  },
  assets: {
    summary: 'copy the browser runtime files (worker, wasm, model) into a folder, for esbuild',
    load: async () => (await import('./assets.js')).assetsCommand,
  },
};

export const MAIN_HELP = () => `Usage: pix2pix-ts <command> [options]

Commands:
${Object.entries(commands)
  .map(([k, c]) => `  ${k.padEnd(11)} ${c.summary}`)
  .join('\n')}

Run "pix2pix-ts <command> --help" for a command's options.`;

/**
 * Runs one command line; resolves with the exit code (0 done, 1 a negative result such as a
 * verification mismatch, 2 bad usage or unusable input: `error [CODE]: message` on stderr).
 *
 * @example
 * ```ts
 * process.exitCode = await main(['convert', 'G.pth', 'G.json']);
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    (cmd ? console.log : console.error)(MAIN_HELP());
    return cmd ? 0 : 2;
  }
  const c = commands[cmd];
  if (!c) {
    console.error(
      `error [E_USAGE]: unknown command "${cmd}". Should be one of: ${Object.keys(commands).join(', ')}.`,
    );
    return 2;
  }
  return (await c.load()).run(rest);
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

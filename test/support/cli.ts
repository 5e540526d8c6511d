import type { Command } from '../../src/cli/command.js';

/** What a command printed: stdout lines, stderr lines, and its exit code. */
export interface CommandRun {
  code: number;
  out: string[];
  err: string[];
}

/** Runs a CLI command with its stdout and stderr lines captured. */
export async function runCommand(cmd: Command, args: string[]): Promise<CommandRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await cmd.run(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/**
 * `train` arguments for a tiny grayscale run on the shipped font pairs (64x64 crops, ngf/ndf 4,
 * batch 2, one epoch): the set-up the CLI and PyTorch-interop tests share. `dataroot` is the
 * dataset folder; `extra` options (not already in this list) are appended.
 */
export function tinyTrainArgs(dataroot: string, backend: string, extra: string[] = []): string[] {
  return [
    '--dataroot',
    dataroot,
    '--input-nc',
    '1',
    '--output-nc',
    '1',
    '--num-downs',
    '6',
    '--ngf',
    '4',
    '--ndf',
    '4',
    '--load-size',
    '68',
    '--crop-size',
    '64',
    '--no-flip',
    '--batch',
    '2',
    '--epochs',
    '1',
    '--backend',
    backend,
    ...extra,
  ];
}

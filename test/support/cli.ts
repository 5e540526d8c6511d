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

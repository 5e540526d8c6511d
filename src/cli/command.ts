/**
 * What every `pix2pix-ts` command shares: parsing (`node:util` parseArgs, strict), `--help`,
 * the positional count, typed option readers, and one way to fail: `error [CODE]: message` on
 * stderr and exit code 2 (bad usage or unusable input). A command's `run` returns its own exit
 * code for everything else (e.g. 1 for a verification mismatch).
 *
 * @example
 * ```ts
 * export const helloCommand = defineCommand({
 *   name: 'hello', usage: 'Usage: pix2pix-ts hello <name>',
 *   options: { loud: { type: 'boolean' } }, positionals: 1,
 *   async run({ values, positionals }, io) { io.out(values.loud ? positionals[0].toUpperCase() : positionals[0]); return 0; },
 * });
 * ```
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Pix2PixError } from '../core/errors.js';

/** Where a command writes: results and progress to `out` (stdout), errors and notes to `err` (stderr). */
export interface CommandIO {
  out(line: string): void;
  err(line: string): void;
}

/** The console: stdout and stderr. */
export const consoleIO: CommandIO = { out: (l) => console.log(l), err: (l) => console.error(l) };

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>
>;

/** A command's declaration. */
export interface CommandSpec<O extends OptionsConfig> {
  /** The word after `pix2pix-ts`. */
  name: string;
  /** How the command is typed, for the `--help` pointer of usage errors. @defaultValue `pix2pix-ts <name>` */
  invocation?: string;
  /** The whole `--help` text (a function when it is computed, e.g. from the machine's cores). */
  usage: string | (() => string);
  /** parseArgs options; `--help` / `-h` is added. */
  options: O;
  /** How many positionals: exactly N, or a range. @defaultValue 0 */
  positionals?: number | { min: number; max: number };
  /** Runs the command with the parsed arguments (and the raw `argv`, for commands that re-run themselves). */
  run(args: Parsed<O> & { argv: string[] }, io: CommandIO): Promise<number>;
}

/** A runnable command: `run(argv, io)` resolves with the exit code and never throws. */
export interface Command {
  name: string;
  help(): string;
  run(argv: string[], io?: Partial<CommandIO>): Promise<number>;
}

/** Bad command-line usage: exit code 2 with the command's `--help` pointer. */
export class UsageError extends Pix2PixError {
  static override readonly errorName: string = 'UsageError';
  constructor(message: string) {
    super(message, 'E_USAGE');
  }
}

/**
 * Builds a {@link Command} from its declaration.
 *
 * @example
 * ```ts
 * process.exitCode = await helloCommand.run(['world']);
 * ```
 */
export function defineCommand<O extends OptionsConfig>(spec: CommandSpec<O>): Command {
  const help = () => (typeof spec.usage === 'string' ? spec.usage : spec.usage());
  return {
    name: spec.name,
    help,
    async run(argv, partial = {}) {
      const io: CommandIO = { ...consoleIO, ...partial };
      try {
        let parsed: Parsed<O>;
        try {
          parsed = parseArgs({
            args: argv,
            options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
            allowPositionals: true,
            strict: true,
          }) as Parsed<O>;
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        if ((parsed.values as { help?: boolean }).help) {
          io.out(help());
          return 0;
        }
        const want = spec.positionals ?? 0;
        const { min, max } = typeof want === 'number' ? { min: want, max: want } : want;
        const got = parsed.positionals.length;
        if (got < min || got > max) {
          const n =
            min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
          throw new UsageError(
            `expected ${n} argument(s), got ${got}${got ? ` (${parsed.positionals.join(' ')})` : ''}.`,
          );
        }
        return await spec.run({ ...parsed, argv }, io);
      } catch (e) {
        return reportError(e, spec.invocation ?? `pix2pix-ts ${spec.name}`, io);
      }
    },
  };
}

/** Prints `error [CODE]: message` on stderr (with the cause's stack for unexpected errors); returns 2. */
export function reportError(e: unknown, invocation: string, io: CommandIO): number {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = errorCode(err);
  io.err(`error [${code}]: ${err.message}`);
  if (code === 'E_USAGE') io.err(`Run "${invocation} --help" for the options.`);
  if (code === 'E_UNEXPECTED' && err.stack) io.err(err.stack);
  return 2;
}

/** A library error's `code`, a system error's (`ENOENT`), `E_USAGE` for bad arguments, else `E_UNEXPECTED`. */
function errorCode(e: Error): string {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && code) return code;
  if (e instanceof TypeError || e instanceof RangeError) return 'E_USAGE';
  return 'E_UNEXPECTED';
}

/**
 * Reads a numeric option: its default when absent, else a finite number (an integer when `int`).
 *
 * @example
 * ```ts
 * const epochs = num(values, 'epochs', 100, { int: true, min: 0 });
 * ```
 */
export function num(
  values: Record<string, unknown>,
  name: string,
  dflt: number,
  check: { int?: boolean; min?: number; max?: number } = {},
): number {
  const v = values[name];
  if (v === undefined) return dflt;
  const n = Number(v);
  const kind = check.int ? 'an integer' : 'a number';
  if (
    v === '' ||
    !Number.isFinite(n) ||
    (check.int && !Number.isInteger(n)) ||
    (check.min !== undefined && n < check.min) ||
    (check.max !== undefined && n > check.max)
  ) {
    const range = [
      check.min !== undefined ? `>= ${check.min}` : '',
      check.max !== undefined ? `<= ${check.max}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    throw new UsageError(
      `--${name} must be ${kind}${range ? ` ${range}` : ''}, got "${String(v)}".`,
    );
  }
  return n;
}

/**
 * Reads an option that takes one of a few values.
 *
 * @example
 * ```ts
 * const mode = oneOf(values, 'mode', ['eval', 'paper'] as const, 'eval');
 * ```
 */
export function oneOf<T extends string>(
  values: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
  dflt: T,
): T {
  const v = values[name];
  if (v === undefined) return dflt;
  if (!allowed.includes(v as T))
    throw new UsageError(`--${name} must be one of: ${allowed.join(', ')}; got "${String(v)}".`);
  return v as T;
}

/**
 * A comma-separated option as a list (numbers when `asNumber`).
 *
 * @example
 * ```ts
 * list(values, 'size'); // '64,256' -> ['64', '256']
 * ```
 */
export function list(values: Record<string, unknown>, name: string): string[] | undefined {
  const v = values[name];
  return v === undefined
    ? undefined
    : String(v)
        .split(',')
        .map((s) => s.trim());
}

/**
 * `pix2pix-ts bench [filters]`: the benchmark harness on the command line. A table by default,
 * one JSON object per case with `--json`. In Node, onnxruntime-web thread counts other than the
 * first run in a child process (its wasm module reads the thread count once per process).
 */
import { spawn } from 'node:child_process';
import { runBench, formatJsonLine, formatTable, type BenchResult } from '../bench/harness.js';
import { defineCommand, list, num } from './command.js';
import {
  BENCH_BACKENDS,
  BENCH_SIZES,
  DEFAULT_BENCH_BACKENDS,
  DEFAULT_BENCH_SIZES,
  DEFAULT_BENCH_NGF,
  DEFAULT_BENCH_THREADS,
  type BenchFilters,
  type BenchSkip,
} from '../bench/cases.js';

export const BENCH_HELP = `Usage: pix2pix-ts bench [filters] [--reps N] [--warmup N] [--max-seconds S] [--json]

Times pix2pix cases on every backend available here and on the onnxruntime peers (same network
and weights, via the ONNX export): "infer" = one eval-mode generator forward, "train" = one full
training step (G+D forward and backward, two Adam updates). Reports median, min, max, analytic
GFLOP and GFLOP/s, peak RSS (Node) and peak tfjs tensor memory.

Filters (comma-separated lists; default in brackets):
  --backend  ${BENCH_BACKENDS.join(',')} [${DEFAULT_BENCH_BACKENDS.join(',')}]
  --task     infer,train [both]
  --size     ${BENCH_SIZES.join(',')} [${DEFAULT_BENCH_SIZES.join(',')}]  (512 = UNet-256 on a 512 image, infer only)
  --ngf      generator filters, also the discriminator's ndf [${DEFAULT_BENCH_NGF.join(',')}]
  --threads  [${DEFAULT_BENCH_THREADS.join(',')}]  (tfjs wasm: its pool is fixed when it starts, so run one
             thread count per process; Node and browsers both run the threaded binary)
  --batch    [1]
Timing:
  --reps N         timed runs per case [5]
  --warmup N       untimed runs first [1]
  --max-seconds S  stop adding timed runs after S seconds in a case [60]
  --interleave     set up and warm up every case, then run them round-robin per repetition
                   (comparable ratios on a busy machine); one tfjs backend per process; each
                   further onnxruntime-web thread count repeats the whole run in a child process
                   (table column "run"; ratios within a run)
Output:
  --json      one JSON object per case: backend, task, size, ngf, batch, threads, msMedian,
              msMin, msMax, msQ1, msQ3, flops, gflops, peakRssMB, ...
  --verbose   progress on stderr
  --no-respawn  do not run other onnxruntime-web thread counts in child processes`;

/** `pix2pix-ts bench`: a table on stdout (JSON lines with `--json`), skips and progress on stderr. */
export const benchCommand = defineCommand({
  name: 'bench',
  usage: BENCH_HELP,
  options: {
    backend: { type: 'string' },
    task: { type: 'string' },
    size: { type: 'string' },
    ngf: { type: 'string' },
    threads: { type: 'string' },
    batch: { type: 'string' },
    reps: { type: 'string' },
    warmup: { type: 'string' },
    'max-seconds': { type: 'string' },
    json: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    'no-respawn': { type: 'boolean', default: false },
    group: { type: 'string' },
    interleave: { type: 'boolean', default: false },
  },
  async run({ values, argv }, io) {
    const numbers = (name: string) => list(values, name)?.map((s) => num({ [name]: s }, name, 0));
    const filters = {
      backend: list(values, 'backend'),
      task: list(values, 'task'),
      size: numbers('size'),
      ngf: numbers('ngf'),
      threads: numbers('threads'),
      batch: numbers('batch'),
    } as BenchFilters;
    const opt = (name: string) =>
      values[name as keyof typeof values] === undefined
        ? undefined
        : num(values, name, 0, { min: 0 });
    const results: BenchResult[] = [];
    const respawn = new Set<number>();
    // --interleave: this process is run 0; a child repeating the run for another ort-web thread
    // count gets --group N.
    const respawnGroup = values.interleave ? num(values, 'group', 0, { int: true }) : undefined;
    const onSkip = (s: BenchSkip & { respawn?: boolean }) => {
      if (s.respawn && !values['no-respawn']) respawn.add(s.threads!);
      else
        io.err(
          `skip ${s.backend}${s.task ? ` ${s.task}` : ''}${s.threads ? ` threads=${s.threads}` : ''}${s.size ? ` size ${s.size}` : ''}: ${s.reason}`,
        );
    };
    await runBench(filters, {
      reps: opt('reps'),
      warmup: opt('warmup'),
      maxSeconds: opt('max-seconds'),
      interleave: values.interleave,
      log: values.verbose ? (l) => io.err(l) : undefined,
      onSkip,
      onResult: (r) => {
        if (values.interleave && respawnGroup !== undefined) r.group = respawnGroup;
        results.push(r);
        if (values.json) io.out(formatJsonLine(r));
        else if (values.verbose) io.err(formatJsonLine(r));
      },
    });
    let group = 0;
    for (const threads of respawn) {
      group++;
      // Interleaved: the whole run again, this ort-web thread count first (the one a process keeps).
      const rest = (filters.threads ?? DEFAULT_BENCH_THREADS).filter((t) => t !== threads);
      const args = values.interleave
        ? [
            ...argv.filter(
              (a, i) =>
                !['--threads', '--group'].includes(argv[i - 1]) &&
                !['--threads', '--group', '--json'].includes(a) &&
                !a.startsWith('--threads='),
            ),
            '--threads',
            [threads, ...rest].join(','),
            '--group',
            String(group),
            '--json',
            '--no-respawn',
          ]
        : [
            ...argv.filter(
              (a, i) =>
                !['--backend', '--threads'].includes(argv[i - 1]) &&
                !a.startsWith('--backend') &&
                !a.startsWith('--threads') &&
                a !== '--json',
            ),
            '--backend',
            'ort-web',
            '--threads',
            String(threads),
            '--json',
            '--no-respawn',
          ];
      if (values.verbose) io.err(`ort-web threads=${threads}: in a child process`);
      for (const line of await runChild(['bench', ...args], io.err)) {
        const r = JSON.parse(line) as BenchResult;
        results.push(r);
        if (values.json) io.out(line);
      }
    }
    if (!values.json) io.out(formatTable(results));
    return 0;
  },
});

/** Runs this CLI again (same script) and returns its JSON lines. */
function runChild(args: string[], err: (s: string) => void): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => err(String(d).trimEnd()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out.split('\n').filter((l) => l.startsWith('{')))
        : reject(new Error(`bench child process exited with ${code}`)),
    );
  });
}

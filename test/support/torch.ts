/**
 * PyTorch as a live test partner: finds a Python with `torch` (Debian's python3-torch in CI) and
 * runs test/support/torch_reference.py, the project's own small PyTorch reference of pix2pix.
 * Without torch the tests that need it say they were skipped and why; under CI=true that fails.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './env.js';

const REFERENCE = join(ROOT, 'test', 'support', 'torch_reference.py');
let found: { python?: string; why: string } | undefined;

/** The first of /usr/bin/python3, python3 that imports torch (>= 1.13: `weights_only`), or why none does. */
export function findTorchPython(): { python?: string; why: string } {
  if (found) return found;
  const tried: string[] = [];
  for (const python of [process.env.PIX2PIX_TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter(
    Boolean,
  ) as string[]) {
    const r = spawnSync(
      python,
      [
        '-c',
        'import torch, inspect; assert "weights_only" in inspect.signature(torch.load).parameters, torch.__version__; print(torch.__version__)',
      ],
      { encoding: 'utf8', timeout: 300_000 },
    );
    if (r.status === 0) return (found = { python, why: `${python}: torch ${r.stdout.trim()}` });
    tried.push(
      `${python}: ${r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`)}`,
    );
  }
  return (found = {
    why: `no python with torch >= 1.13 (${tried.join('; ')}); install it with apt-get install -y python3-torch`,
  });
}

/**
 * The python to run the reference with, or undefined after printing why these tests are skipped.
 * Under CI=true a missing torch throws: CI must run them.
 */
export function torchPython(what: string): string | undefined {
  const { python, why } = findTorchPython();
  if (python) return python;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${what} cannot run: ${why}`);
  console.log(`# skipped: ${what}: ${why}`);
  return undefined;
}

/** Runs a command of torch_reference.py; returns its stdout, throws with its stderr on failure. */
export function runReference(python: string, args: string[]): string {
  const r = spawnSync(python, [REFERENCE, ...args], {
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0)
    throw new Error(
      `torch_reference.py ${args[0]} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}`,
    );
  return r.stdout;
}

/** Raw little-endian float32 file -> Float32Array. */
export function f32(bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes);
  return new Float32Array(copy.buffer, 0, copy.byteLength >> 2);
}

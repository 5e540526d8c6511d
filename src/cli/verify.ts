/**
 * `pix2pix-ts verify <golden-dir> [--backend cpu|wasm]`: runs every golden comparison on a folder
 * in the reference-dump format and prints one line per check; exit code 1 on any mismatch,
 * 2 on unreadable input. Written over the public API: `initBackend`, then `verifyGolden`.
 */
import { BACKENDS, TF_BACKEND_NAMES } from '../backends/index.js';
import { initBackend, verifyGolden, type BackendName } from '../index.node.js';
import { dirSource } from './fs-source.js';
import { defineCommand, oneOf } from './command.js';

export const VERIFY_HELP = `Usage: pix2pix-ts verify <golden-dir> [--backend cpu|wasm] [--quiet]

Compares this runtime with a PyTorch reference dump (manifest.json, *.f32, G.pth, D.pth,
optional G_legacy.pth): G/D forward, step-0 gradients, losses, parameters after the steps,
as relative L2 errors against their bounds. Prints one line per check.
Exit code: 0 all within bounds, 1 a mismatch, 2 unreadable or incomplete input.`;

/** The tfjs backends that compute on the CPU (cpu, wasm): the golden bounds are set for them. */
const CPU_BACKENDS = TF_BACKEND_NAMES.filter((n) => !BACKENDS[n].gpu);

/** `pix2pix-ts verify`. */
export const verifyCommand = defineCommand({
  name: 'verify',
  usage: VERIFY_HELP,
  options: { backend: { type: 'string' }, quiet: { type: 'boolean', default: false } },
  positionals: 1,
  async run({ values, positionals: [dir] }, io) {
    const backend = oneOf<BackendName>(values, 'backend', CPU_BACKENDS, 'cpu');
    await initBackend(backend);
    let bad = 0;
    const checks = await verifyGolden(dirSource(dir), {
      onCheck: (c) => {
        if (!c.ok) bad++;
        if (!values.quiet || !c.ok)
          io.out(
            `${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(72)} ${c.error.toExponential(2)} <= ${c.bound.toExponential(0)}`,
          );
      },
    });
    io.out(`${checks.length - bad} of ${checks.length} checks within bounds on ${backend}`);
    return bad ? 1 : 0;
  },
});

/**
 * `pix2pix-ts verify <golden-dir> [--backend cpu|wasm]`: runs every golden comparison on a folder
 * in the reference-dump format and prints one line per check; exit code 1 on any mismatch,
 * 2 on unreadable input.
 */
import { parseArgs } from 'node:util';
import { initBackend, type BackendName } from '../backends/index.js';
import { verifyGolden } from '../pix2pix/golden.js';
import { Pix2PixError } from '../core/errors.js';
import { dirSource } from './fs-source.js';

export const VERIFY_HELP = `Usage: pix2pix-ts verify <golden-dir> [--backend cpu|wasm] [--quiet]

Compares this runtime with a PyTorch reference dump (manifest.json, *.f32, G.pth, D.pth,
optional G_legacy.pth): G/D forward, step-0 gradients, losses, parameters after the steps,
as relative L2 errors against their bounds. Prints one line per check.
Exit code: 0 all within bounds, 1 a mismatch, 2 unreadable or incomplete input.`;

export async function verifyCommand(argv: string[], log = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { backend: { type: 'string', default: 'cpu' }, quiet: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    log(VERIFY_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    log(VERIFY_HELP);
    return 2;
  }
  const backend = values.backend as BackendName;
  try {
    await initBackend(backend);
    let bad = 0;
    const checks = await verifyGolden(dirSource(positionals[0]), {
      onCheck: (c) => {
        if (!c.ok) bad++;
        if (!values.quiet || !c.ok) log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(72)} ${c.error.toExponential(2)} <= ${c.bound.toExponential(0)}`);
      },
    });
    log(`${checks.length - bad} of ${checks.length} checks within bounds on ${backend}`);
    return bad ? 1 : 0;
  } catch (e) {
    if (e instanceof Pix2PixError) {
      log(`error [${e.code}]: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

#!/usr/bin/env node
// `pix2pix-ts translate` throughput (images/s, as the command prints it: from the first image to
// the last, after the workers started) on a folder, per backend / workers / threads configuration,
// the configurations interleaved round-robin. Random UNet weights of the given size (timing only).
// Usage: node scripts/bench-ort-translate.mjs <folder> [--rounds 2] [--ngf 64] [--num-downs 8]
// Needs `npm run build` (runs dist/cli.js).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '2' },
    ngf: { type: 'string', default: '64' },
    'num-downs': { type: 'string', default: '8' },
  },
});
// PIX2PIX_DIST: another build folder (e.g. an esbuild bundle of src/cli/main.ts + src/worker.node.ts).
const cli = join(
  process.env.PIX2PIX_DIST ?? new URL('../dist/', import.meta.url).pathname,
  'cli.js',
);
const configs = [
  ['wasm', 1, 1],
  ['ort-node', 1, 1],
  ['wasm', 2, 1],
  ['ort-node', 1, 2],
  ['ort-node', 2, 1],
];
const rates = new Map(configs.map((c) => [c.join(' '), []]));
console.log(
  `# translate ${positionals[0]}: UNet ngf ${values.ngf} numDowns ${values['num-downs']}; load average before ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
for (let r = 0; r < Number(values.rounds); r++) {
  for (const [backend, workers, threads] of configs) {
    const out = mkdtempSync(join(tmpdir(), 'p2p-translate-'));
    const p = spawnSync(
      process.execPath,
      [
        cli,
        'translate',
        positionals[0],
        '--out',
        out,
        '--backend',
        backend,
        '--workers',
        String(workers),
        '--threads',
        String(threads),
        '--ngf',
        values.ngf,
        '--num-downs',
        values['num-downs'],
        '--quiet',
      ],
      { encoding: 'utf8' },
    );
    rmSync(out, { recursive: true, force: true });
    const m = p.stdout.match(/\(([\d.]+) images\/s, (.*)\)/);
    if (!m) {
      console.error(p.stdout, p.stderr);
      process.exit(1);
    }
    rates.get([backend, workers, threads].join(' ')).push(Number(m[1]));
    console.error(
      `# round ${r + 1}: ${backend} ${workers} worker(s) x ${threads} thread(s): ${m[1]} images/s (${m[2]})`,
    );
  }
}
console.log('| backend | workers x threads | images/s (each round) | best |');
console.log('|---|---|---|---|');
for (const [k, v] of rates) {
  const [b, w, t] = k.split(' ');
  console.log(
    `| ${b} | ${w} x ${t} | ${v.map((x) => x.toFixed(2)).join(', ')} | ${Math.max(...v).toFixed(2)} |`,
  );
}
console.log(
  `# load average after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);

#!/usr/bin/env node
// Stress loop for the widget example in headless Chromium (see scripts/lib/widget-stress.mjs):
// N page loads, each drawing a stroke and translating (widget worker), then translating in-thread
// on the page's main thread with threaded wasm; every step has a deadline. Prints the counts.
//   node scripts/stress-widget.mjs [--loads 50] [--no-in-thread] [--fresh-browser] [--json out.json]
//     [--root DIR --dist DIR]   (another checkout's examples/ and an already built dist/, to compare)
//     [--probe]   (also force the debounce race of issue 19 item 8 on each load)
//     [--model URL --models-dir DIR]   (another model, e.g. a small fast one: DIR is served at /models/)
import { writeFileSync } from 'node:fs';
import { runWidgetStress } from './lib/widget-stress.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const root = opt('--root', new URL('..', import.meta.url).pathname);
const loads = Number(opt('--loads', 50));
const t0 = Date.now();
const r = await runWidgetStress({
  root,
  loads,
  inThread: !args.includes('--no-in-thread'),
  freshBrowser: args.includes('--fresh-browser'),
  distDir: opt('--dist'),
  model: opt('--model'),
  modelsDir: opt('--models-dir'),
  probe: args.includes('--probe'),
  log: (s) => console.log(s),
});
const med = (a) => (a.length ? [...a].sort((x, y) => x - y)[a.length >> 1] : NaN);
console.log(
  `\n${r.loads} loads in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${r.ok} ok; hangs ready ${r.hangs.ready}, flush ${r.hangs.flush}, probe ${r.hangs.probe}, in-thread ${r.hangs.inThread}; errors ready ${r.errors.ready}, flush ${r.errors.flush}, probe ${r.errors.probe}, in-thread ${r.errors.inThread}; worker restarts by the watchdog ${r.restarts}`,
);
console.log(
  `median ms: ready ${med(r.ms.ready)}, flush ${med(r.ms.flush)}, in-thread ${med(r.ms.inThread)}`,
);
if (opt('--json')) writeFileSync(opt('--json'), JSON.stringify(r, null, 2));
process.exitCode = r.ok === r.loads ? 0 : 1;

// A short run of the widget stress loop (scripts/lib/widget-stress.mjs) in headless Chromium: 10
// loads of examples/widget.html, each drawing a stroke and awaiting flush() (the widget's worker),
// then translating in-thread on the page's main thread with threaded wasm; every step has a
// deadline. Intermittent hangs (issue 19, item 8) show up here as a missed deadline instead of a
// stuck test. The long run: node scripts/stress-widget.mjs --loads 50.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.env.PIX2PIX_ROOT ?? process.cwd();
const load = (rel: string) => import(pathToFileURL(join(root, rel)).href);
const LOADS = 10;

const S = suite('the widget under repeated page loads');

S(
  `${LOADS} page loads each draw, translate in the widget and in-thread, within their deadlines`,
  async () => {
    const harness = await load('test/browser/harness.mjs');
    if (!harness.findChromium()) {
      if (process.env.CI)
        throw new Error('Chromium is required in CI (apt-get install -y chromium)');
      return console.log('# SKIPPED: Chromium not found');
    }
    const { runWidgetStress } = await load('scripts/lib/widget-stress.mjs');
    const r = await runWidgetStress({
      root,
      loads: LOADS,
      distDir: undefined,
      log: (s: string) => console.log(`  ${s}`),
    });
    console.log(
      `# widget stress: ${r.ok}/${r.loads} loads ok; hangs ready ${r.hangs.ready}, flush ${r.hangs.flush}, in-thread ${r.hangs.inThread}; watchdog restarts ${r.restarts}`,
    );
    assert.equal(
      r.hangs,
      { ready: 0, flush: 0, probe: 0, inThread: 0 },
      JSON.stringify(r.failures),
    );
    assert.equal(
      r.errors,
      { ready: 0, flush: 0, probe: 0, inThread: 0 },
      JSON.stringify(r.failures),
    );
    assert.is(r.ok, LOADS);
  },
);

S.run();

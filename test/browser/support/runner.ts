/**
 * Page side of the headless-Chromium harness: a uvu-shaped `suite()` whose results go back to Node
 * through functions the harness exposes (`__pix2pixReport`). Tests assert with `uvu/assert`.
 * Suites only register here; the harness page calls `runBrowserSuites()` once the bundle has loaded.
 */

/** One event sent to the Node side. */
export type ReportEvent =
  | { type: 'test'; suite: string; name: string; ok: boolean; error?: string; ms: number }
  | { type: 'measure'; suite: string; key: string; value: string }
  | { type: 'done'; passed: number; failed: number };

type TestFn = () => unknown | Promise<unknown>;
interface Suite {
  (name: string, fn: TestFn): void;
  before(fn: TestFn): void;
  after(fn: TestFn): void;
  run(): void;
}
interface Registered {
  name: string;
  tests: { name: string; fn: TestFn }[];
  before: TestFn[];
  after: TestFn[];
}

const g = globalThis as unknown as {
  __pix2pixSuites?: Registered[];
  __pix2pixReport?: (e: ReportEvent) => Promise<void>;
  runBrowserSuites?: () => Promise<{ passed: number; failed: number }>;
};
const queue = (g.__pix2pixSuites ??= []);
let current = '';

function send(e: ReportEvent): Promise<void> {
  const line = document.createElement('div');
  line.textContent =
    e.type === 'test'
      ? `${e.ok ? '✔' : '✘'} ${e.suite} › ${e.name}${e.error ? ` — ${e.error}` : ''}`
      : e.type === 'measure'
        ? `# ${e.key}: ${e.value}`
        : `${e.passed} passed, ${e.failed} failed`;
  line.className = e.type === 'test' ? (e.ok ? 'pass' : 'fail') : e.type;
  document.body.append(line);
  return g.__pix2pixReport ? g.__pix2pixReport(e) : Promise.resolve();
}

/**
 * Declares a suite, like uvu's `suite(name)`.
 *
 * @example
 * ```ts
 * const s = suite('probe');
 * s('reports WebGL2', async () => { assert.ok((await probeCapabilities()).webgl2); });
 * s.run();
 * ```
 */
export function suite(name: string): Suite {
  const reg: Registered = { name, tests: [], before: [], after: [] };
  const s = ((testName: string, fn: TestFn) => {
    reg.tests.push({ name: testName, fn });
  }) as Suite;
  s.before = (fn) => {
    reg.before.push(fn);
  };
  s.after = (fn) => {
    reg.after.push(fn);
  };
  s.run = () => {
    queue.push(reg);
  };
  return s;
}

/**
 * Records a measured number; the harness prints it as `# key: value` in the test output.
 *
 * @example
 * ```ts
 * measure('webgl renderer', caps.webglRenderer);
 * ```
 */
export function measure(key: string, value: unknown): void {
  void send({
    type: 'measure',
    suite: current,
    key,
    value: typeof value === 'string' ? value : JSON.stringify(value),
  });
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const details = (e as { details?: string }).details;
    return `${e.name}: ${e.message}${details ? `\n${details}` : ''}`;
  }
  return String(e);
}

// Runs every registered suite in order (the bundle's own copy of this module defines it).
g.runBrowserSuites ??= async () => {
  let passed = 0,
    failed = 0;
  for (const reg of queue) {
    current = reg.name;
    let setupError: string | undefined;
    for (const fn of reg.before) {
      try {
        await fn();
      } catch (e) {
        setupError = `before hook failed: ${describe(e)}`;
        break;
      }
    }
    for (const t of reg.tests) {
      const t0 = performance.now();
      let error = setupError;
      if (!error) {
        try {
          await t.fn();
        } catch (e) {
          error = describe(e);
        }
      }
      if (error) failed++;
      else passed++;
      await send({
        type: 'test',
        suite: reg.name,
        name: t.name,
        ok: !error,
        error,
        ms: performance.now() - t0,
      });
    }
    for (const fn of reg.after) {
      try {
        await fn();
      } catch (e) {
        failed++;
        await send({
          type: 'test',
          suite: reg.name,
          name: 'after hook',
          ok: false,
          error: describe(e),
          ms: 0,
        });
      }
    }
  }
  await send({ type: 'done', passed, failed });
  return { passed, failed };
};

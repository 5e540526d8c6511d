/**
 * Runs one bench task of `src/bench/tasks.ts`: `<task> [options]`. Bundled and run by
 * `scripts/bench-gpu.mjs` (gpu), `scripts/count-ops.mjs` (count-ops) and
 * `scripts/bench-kernels.mjs` (kernels), as scripts/test.mjs bundles tests.
 */
import { benchTasks } from '../src/bench/tasks.js';

const [name, ...args] = process.argv.slice(2);
const task = benchTasks[name as keyof typeof benchTasks];
if (!task) {
  console.error(
    `error [E_USAGE]: unknown bench task "${name}". Should be one of: ${Object.keys(benchTasks).join(', ')}.`,
  );
  process.exitCode = 2;
} else {
  process.exitCode = await task.run(args);
}

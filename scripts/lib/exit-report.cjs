// Preloaded into every Node test process by scripts/test.mjs (node --require). When a test process
// ends with a failure status, says how it ended: through process.exit (with the caller's stack) or
// because the event loop ran dry while a test still waited (then the resources still alive), so a
// test that "exits early" in CI explains itself in the log.
'use strict';
const realExit = process.exit;
process.exit = function exit(code) {
  if (code) process.stderr.write(`\n[exit report] ${new Error(`process.exit(${code}) called`).stack}\n`);
  return realExit.apply(this, arguments);
};
process.once('beforeExit', () => {
  // The loop ran dry. A status already set is the test framework's verdict on finished tests; one
  // set after this, by its own 'exit' listener (which runs before listeners added now), means tests
  // were still pending.
  if (process.exitCode) return;
  let resources = '';
  try { resources = process.getActiveResourcesInfo().join(', '); } catch { /* Node < 17 */ }
  process.once('exit', () => {
    if (!process.exitCode) return;
    process.stderr.write(`\n[exit report] status ${process.exitCode}: the event loop ran dry while work was pending; resources still alive: ${resources || 'none'}\n`);
  });
});

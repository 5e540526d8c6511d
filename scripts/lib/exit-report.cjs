// Preloaded into every Node test process by scripts/test.mjs (node --require). When a test process
// ends with a failure status that the test framework set on its way out (uvu: "Exiting early
// before testing is finished"), says how the process came to end: a process.exit call (with the
// caller's stack, whatever code it passed) or the event loop running dry while a test still waited
// (with the resources still alive), so a test that stops early in CI explains itself in the log.
'use strict';
// Listeners added at the moment of ending run after the framework's own 'exit' listener, so they see
// the status it settled on; a status already set before then is the verdict on finished tests.
function reportAtExit(how) {
  if (process.exitCode) return;
  process.once('exit', (code) => {
    if (!code && !process.exitCode) return;
    process.stderr.write(`\n[exit report] status ${process.exitCode || code}: ${how}\n`);
  });
}
const realExit = process.exit;
process.exit = function exit(code) {
  reportAtExit(new Error(`process.exit(${code === undefined ? '' : code}) was called`).stack);
  return realExit.apply(this, arguments);
};
process.once('beforeExit', () => {
  let resources = '';
  try {
    resources = process.getActiveResourcesInfo().join(', ');
  } catch {
    /* Node < 17 */
  }
  reportAtExit(
    `the event loop ran dry while work was pending; resources still alive: ${resources || 'none'}`,
  );
});

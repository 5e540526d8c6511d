#!/usr/bin/env node
// Checks commit subjects: at most 72 characters (the why goes in the body). Merge commits are
// skipped (git writes their subjects). Usage: node scripts/check-commits.mjs [<revision range>]
// The default range starts at the first commit made under this rule, so older history, whose
// subjects ran to paragraphs, is not re-litigated.
import { execFileSync } from 'node:child_process';

const RULE_SINCE = 'ac7f1bc'; // main when the rule was adopted
const MAX = 72;
const range = process.argv[2] ?? `${RULE_SINCE}..HEAD`;

let log;
try {
  log = execFileSync('git', ['log', '--no-merges', '--format=%h%x00%s', range], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
} catch (e) {
  console.error(
    `Cannot read the commits of "${range}" (${e.message.split('\n')[0]}). Pass a revision range that exists here, e.g. main..HEAD.`,
  );
  process.exit(2);
}
const long = log
  .split('\n')
  .filter(Boolean)
  .map((line) => line.split('\0'))
  .filter(([, subject]) => subject.length > MAX);
for (const [hash, subject] of long)
  console.error(`${hash}: subject has ${subject.length} characters (at most ${MAX}): ${subject}`);
if (long.length) {
  console.error(
    `${long.length} commit subject(s) too long in ${range}: shorten them (git commit --amend before they land) and move the details into the body.`,
  );
  process.exit(1);
}
console.log(`commit subjects in ${range}: all within ${MAX} characters`);

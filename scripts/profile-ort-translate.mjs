#!/usr/bin/env node
// Profile of one translate() on ort-node against the bare network on ort-node and wasm (see
// scripts/profile-ort-translate.ts). Bundled like scripts/test.mjs (one ESM world with tfjs).
// Usage: node scripts/profile-ort-translate.mjs [--threads 1] [--reps 5] [--size 256] [--ngf 64]
import { join } from 'node:path';
import { ROOT, bundleAndRun } from './lib/node-bundle.mjs';

await bundleAndRun('profile-ort-translate', join(ROOT, 'scripts/profile-ort-translate.ts'));

#!/usr/bin/env node
// The rseqlab command. Runs the bundle dist/rseqlab.mjs when it exists
// (npm run build:cli), else the TypeScript sources through tsx.
// RSEQLAB_FROM_SOURCE=1 forces the sources even when a bundle exists.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'rseqlab.mjs');

if (existsSync(bundle) && process.env.RSEQLAB_FROM_SOURCE !== '1') {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'cli', 'main.ts')).href);
}

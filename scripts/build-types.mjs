// Writes the Node API's type declarations (api/index.ts and what it
// imports) into dist/types/ with tsc (tsconfig.types.json); package.json's
// "types" and "exports" point at dist/types/api/index.d.ts. Run with
// `npm run build:types`; `--outdir DIR` writes them there instead.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 ? resolve(process.argv[at + 1]) : join(root, 'dist', 'types');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.types.json'), '--outDir', outdir], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('build-types: tsc failed');
  process.exit(1);
}
console.log(`  built       ${outdir === join(root, 'dist', 'types') ? 'dist/types/' : outdir} (API declarations)`);

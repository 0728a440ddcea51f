// Bundles with esbuild (platform node, ESM, npm packages left external):
//   dist/rseqlab.mjs      the CLI (cli/main.ts and everything it imports)
//   dist/api.mjs          the Node API (api/index.ts; package.json "exports")
//   dist/fuzz-worker.mjs  a fuzzing worker thread (cli/fuzz-worker.ts), which
//                         the other two start from their own directory
// The bundles find the CPU at ../build/emulator.wasm from dist/. Until
// emulator/index.ts exists, they get a stub createCpu() that makes
// `rseqlab run` say the CPU is missing. The API's declarations come from
// scripts/build-types.mjs. Run with `npm run build:cli`; `--outdir DIR`
// writes the bundles there instead of dist/.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 ? resolve(process.argv[at + 1]) : join(root, 'dist');
const emulatorEntry = join(root, 'emulator', 'index.ts');

/** @type {import('esbuild').Plugin} */
const missingCpu = {
  name: 'missing-cpu',
  setup(b) {
    b.onResolve({ filter: /emulator[\\/]index\.js$/ }, (args) => {
      if (existsSync(emulatorEntry)) return undefined;
      return { path: args.path, namespace: 'missing-cpu' };
    });
    b.onLoad({ filter: /.*/, namespace: 'missing-cpu' }, () => ({
      contents: `export async function createCpu() {
  throw Object.assign(new Error("the CPU is not available: this rseqlab bundle was built before emulator/index.ts existed; rebuild with 'npm run build:cli'"), { code: 'RSEQLAB_NO_CPU' });
}`,
      loader: 'js',
    }));
  },
};

try {
  await build({
    entryPoints: {
      rseqlab: join(root, 'cli', 'main.ts'),
      api: join(root, 'api', 'index.ts'),
      'fuzz-worker': join(root, 'cli', 'fuzz-worker.ts'),
    },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [missingCpu],
  });
  for (const f of ['rseqlab.mjs', 'api.mjs', 'fuzz-worker.mjs']) console.log(`  built       ${relative(root, join(outdir, f))}`);
} catch (e) {
  console.error(`build-cli: esbuild failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}

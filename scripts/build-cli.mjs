// Bundles the CLI (cli/main.ts and everything it imports from kernel-model/
// and emulator/) into dist/rseqlab.mjs with esbuild: platform node, ESM,
// npm packages left external. Until emulator/index.ts exists, the bundle
// gets a stub createCpu() that makes `rseqlab run` say the CPU is missing.
// Run with `npm run build:cli`.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
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
    entryPoints: [join(root, 'cli', 'main.ts')],
    outfile: join(root, 'dist', 'rseqlab.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [missingCpu],
  });
  console.log('  built       dist/rseqlab.mjs');
} catch (e) {
  console.error(`build-cli: esbuild failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}

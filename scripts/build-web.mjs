// Builds the playground (web/) into build/web/, a static folder any static
// host can serve:
//   index.html, style.css   copied from web/
//   app.js                  web/main.ts bundled by esbuild for browsers (the
//                           same emulator/ and kernel-model/ code as Node)
//   fuzz-worker.js          web/fuzz-worker.ts: the page's fuzzer in a Web
//                           Worker (fuzz/ with the same CPU and kernel model)
//   emulator.wasm           the CPU (build/emulator.wasm)
//   capstone/capstone.wasm  the disassembler's wasm (@alexaltea/capstone-js)
//   keystone/keystone.js,   the assembly sandbox's assembler
//   keystone/keystone.wasm  (@alexaltea/keystone-js, GPL-2.0): bundled apart
//                           from app.js and loaded only when the sandbox opens
//   programs/<name>         every built program (build/programs/*)
//   programs/index.json     { programs: [{ name, size }] }, sorted by name
// Needs `npm run build:wasm` and `npm run build:programs` first. Run with
// `npm run build:web` (`--outdir DIR` writes the folder there instead);
// serve with `npm run serve:web`.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 ? resolve(process.argv[at + 1]) : join(root, 'build', 'web');
const wasm = join(root, 'build', 'emulator.wasm');
const programsDir = join(root, 'build', 'programs');

function fail(message) {
  console.error(`build-web: ${message}`);
  process.exit(1);
}

if (!existsSync(wasm)) fail(`${relative(root, wasm)} is missing: run 'npm run build:wasm' first`);
if (!existsSync(programsDir)) fail(`${relative(root, programsDir)} is missing: run 'npm run build:programs' first`);

rmSync(outdir, { recursive: true, force: true });
mkdirSync(join(outdir, 'programs'), { recursive: true });
mkdirSync(join(outdir, 'capstone'), { recursive: true });
mkdirSync(join(outdir, 'keystone'), { recursive: true });

try {
  await build({
    entryPoints: { app: join(root, 'web', 'main.ts'), 'fuzz-worker': join(root, 'web', 'fuzz-worker.ts') },
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    // Node-only branches (emulator/index.ts reading a file: URL, capstone's
    // emscripten loader under Node) never run in a browser.
    external: ['node:*'],
    logLevel: 'warning',
  });
  // Its own bundle: web/keystone.ts imports it by URL, so app.js stays small.
  await build({
    entryPoints: { keystone: join(root, 'web', 'keystone-entry.ts') },
    outdir: join(outdir, 'keystone'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    external: ['node:*'],
    logLevel: 'warning',
  });
} catch (e) {
  fail(`esbuild failed: ${e instanceof Error ? e.message : e}`);
}

for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'web', f), join(outdir, f));
copyFileSync(wasm, join(outdir, 'emulator.wasm'));
const capstoneJs = createRequire(import.meta.url).resolve('@alexaltea/capstone-js');
copyFileSync(join(dirname(capstoneJs), 'capstone.wasm'), join(outdir, 'capstone', 'capstone.wasm'));
const keystoneJs = createRequire(import.meta.url).resolve('@alexaltea/keystone-js');
copyFileSync(join(dirname(keystoneJs), 'keystone.wasm'), join(outdir, 'keystone', 'keystone.wasm'));

const programs = readdirSync(programsDir)
  .filter((name) => statSync(join(programsDir, name)).isFile())
  .sort()
  .map((name) => {
    copyFileSync(join(programsDir, name), join(outdir, 'programs', name));
    return { name, size: statSync(join(programsDir, name)).size };
  });
if (programs.length === 0) fail(`${relative(root, programsDir)} has no programs: run 'npm run build:programs'`);
writeFileSync(join(outdir, 'programs', 'index.json'), JSON.stringify({ programs }, null, 2) + '\n');

const total = readdirSync(outdir, { recursive: true })
  .map((f) => join(outdir, String(f)))
  .filter((f) => statSync(f).isFile())
  .reduce((n, f) => n + statSync(f).size, 0);
console.log(`  built       ${relative(root, outdir)}/ (${programs.length} programs, ${(total / 1e6).toFixed(1)} MB)`);

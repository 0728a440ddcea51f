// Builds the CPU: generates the decoder tables from the opcode table, then
// compiles emulator/assembly to build/emulator.wasm with AssemblyScript.

import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const debug = process.argv.includes('--debug');

function step(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build-wasm: '${cmd} ${args.join(' ')}' failed`);
    process.exit(r.status ?? 1);
  }
}

mkdirSync(join(root, 'build'), { recursive: true });
step(process.execPath, ['--import', 'tsx', 'scripts/gen-decoder.ts']);
step(process.execPath, [
  'node_modules/assemblyscript/bin/asc.js', 'emulator/assembly/index.ts',
  '--outFile', 'build/emulator.wasm',
  '--runtime', 'stub',
  '--noAssert',
  '--initialMemory', '64',
  '--exportStart', '_initialize',
  ...(debug ? ['--debug', '--sourceMap'] : ['-O3', '--converge']),
]);
console.log('build-wasm: build/emulator.wasm');

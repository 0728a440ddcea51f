// Entry point of the rseqlab command (bundled into dist/rseqlab.mjs by
// scripts/build-cli.mjs; bin/rseqlab.mjs runs it).

import { cli } from './cli.js';
import type { CliIo } from './run.js';

async function readAllStdin(): Promise<Uint8Array> {
  if (process.stdin.isTTY) return new Uint8Array(0);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const io: CliIo = {
  writeStdout: (d) => void process.stdout.write(d),
  writeStderr: (d) => void process.stderr.write(d),
  readStdin: readAllStdin,
  now: () => performance.now(),
  stderrIsTerminal: process.stderr.isTTY === true,
};

process.exitCode = await cli(process.argv.slice(2), { io, debug: process.env.RSEQLAB_DEBUG === '1' });

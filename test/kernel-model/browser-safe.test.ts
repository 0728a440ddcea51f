// The browser page drives the same Machine (and fuzzer) as the CLI, so
// nothing under kernel-model/, fuzz/ or web/ (or the CPU binding) may import Node's modules or read the
// host clock or Math.random (determinism: every choice comes from the seed).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('kernel-model runs in a browser and is deterministic', () => {
  // fuzz/ too: the page runs the same fuzzer in a Web Worker; web/ is the page itself.
  const files = [...sources(join(root, 'kernel-model')), ...sources(join(root, 'fuzz')), ...sources(join(root, 'web'))];
  it('has sources to check', () => {
    expect(files.length).toBeGreaterThan(30);
  });
  // The page's pacing (how long a Run slice holds the page, schedules/s) reads the clock in this one file; nothing the machine decides does.
  const wallClock = join(root, 'web', 'wall-clock.ts');
  for (const f of files) {
    it(`${relative(root, f)}: no Node imports, no host clock, no Math.random`, () => {
      const text = readFileSync(f, 'utf8');
      expect(text).not.toMatch(/from ['"]node:|\brequire\(['"]|from ['"](fs|path|os|child_process)['"]/);
      if (f !== wallClock) expect(text).not.toMatch(/Date\.now\(|new Date\(|performance\.now\(|Math\.random\(/);
      expect(text).not.toMatch(/Math\.random\(/);
    });
  }
  it('only the page reads the wall clock: nothing under kernel-model/ or fuzz/ imports web/wall-clock.ts', () => {
    for (const f of files.filter((x) => !relative(root, x).startsWith('web'))) expect(readFileSync(f, 'utf8')).not.toMatch(/wall-clock/);
  });
});

// A Session in Node on a bundled program, and what the page would show of
// it as comparable data: the Node side of the page tests.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCpu } from '../../emulator/index.js';
import { Session, type SessionChoice } from '../../web/session.js';
import { root } from './browser.js';

/** rseq_counter 2 300, seed 1, on 2 vCPUs unless told otherwise. */
export async function nodeSession(choice: Partial<Omit<SessionChoice, 'program'>> = {}): Promise<Session> {
  const name = choice.name ?? 'rseq_counter';
  const program = new Uint8Array(await readFile(join(root, 'build', 'programs', name)));
  return Session.create(await createCpu(), { name, program, args: name === 'rseq_counter' ? '2 300' : '', seed: 1, cpus: 2, ...choice });
}

/** What the page shows, as comparable data. */
export function shown(s: Session) {
  const v = s.view();
  return { retired: v.retired, traceHash: v.traceHash, threads: v.threads, events: v.events, vcpus: v.vcpus, stdout: v.stdout, kind: v.kind, timeline: s.timeline() };
}

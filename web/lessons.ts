// The playground's lessons (issue #13 item 7, the first three): each one a
// short text written from shared/docs/rseq-abi.md, a prepared program and
// choices, and a prepared list of actions the reader walks through with
// Next, each with a caption saying what to watch. Plain data plus one
// function that plays an action on a Session, so Node tests play them too.
// No DOM here.

import type { Session } from './session.js';

/** One step of a lesson, played on the Session with its existing methods. */
export type LessonAction =
  /** Run until a thread is about to run a critical section's first instruction (that thread becomes the lesson's thread). */
  | { kind: 'run-to-section' }
  /** Step the lesson's thread this many instructions (default 1). */
  | { kind: 'step-thread'; times?: number }
  /** Step the lesson's thread until it is about to run the last instruction of its section (the one just before post_commit_ip). */
  | { kind: 'step-to-last' }
  /** Preempt the lesson's thread at its current instruction. */
  | { kind: 'preempt' }
  | { kind: 'run-to-end' };

export interface LessonStep {
  action: LessonAction;
  /** The Next button's text for this step. */
  label: string;
  /** Shown after the step: what happened and what to watch. */
  caption: string;
}

export interface Lesson {
  id: string;
  title: string;
  /** Paragraphs. */
  text: string[];
  program: string;
  args: string;
  seed: number;
  cpus: number;
  steps: LessonStep[];
  /** What the last step leaves on the page: text the output (stdout or stderr) contains. */
  outcome: string;
}

export const LESSONS: readonly Lesson[] = [
  {
    id: 'critical-section',
    title: '1. A critical section, and why cpu_id is compared',
    text: [
      'A thread registers a struct rseq with the kernel (the rseq system call). The kernel keeps its cpu_id_start and cpu_id fields (and node_id, mm_cid) up to date: cpu_id is the number of the CPU the thread runs on, rewritten on every return to user space after the registration, a preemption, a migration or a signal.',
      'A restartable sequence (a critical section) updates data that belongs to one CPU without a lock. It reads cpu_id_start to choose the CPU\'s slot, then stores the address of a struct rseq_cs descriptor into the area\'s rseq_cs field. The descriptor says where the section starts (start_ip), where it ends (start_ip + post_commit_offset, the post_commit_ip) and where to go if it is interrupted (abort_ip).',
      'The section\'s first instruction compares the CPU number read before with cpu_id. If the thread moved to another CPU between the read and the section, they differ and it jumps to the abort handler instead of writing another CPU\'s slot. Then the work ends with one store, the commit, which is the last instruction of the range.',
      'rseq_counter: each thread adds 1 to its CPU\'s counter with such a section; the total must be threads × increments.',
    ],
    program: 'rseq_counter',
    args: '2 300',
    seed: 1,
    cpus: 2,
    steps: [
      { action: { kind: 'run-to-section' }, label: 'Run to the next critical section', caption: 'A thread is at start_ip (code view: "section start"). rseq_cs is no longer 0: it points to the descriptor, whose start_ip, post_commit_offset and abort_ip the rseq area now shows. cpu_id is the vCPU the thread runs on.' },
      { action: { kind: 'step-thread' }, label: 'Step this thread', caption: 'It ran the cmpl: the CPU number it read before the section against cpu_id. They are equal (it was not moved), so the jnz to the abort handler is not taken.' },
      { action: { kind: 'step-thread' }, label: 'Step this thread', caption: 'The jnz fell through; the next instruction is the commit (code view: "commit"), an addq to this CPU\'s counter.' },
      { action: { kind: 'step-thread' }, label: 'Step this thread', caption: 'The commit is done and the thread is past post_commit_ip: out of the section. rseq_cs still points to the descriptor; the kernel clears it lazily at the next preemption.' },
      { action: { kind: 'run-to-end' }, label: 'Run to end', caption: 'Every addition landed once: the output says "2 threads x 300 increments = 600".' },
    ],
    outcome: 'rseq_counter: 2 threads x 300 increments = 600',
  },
  {
    id: 'abort',
    title: '2. Preemption inside the section: the abort',
    text: [
      'When a thread is preempted, migrated or gets a signal, the kernel runs the abort-IP fixup before it returns to user space (rseq_ip_fixup): it reads rseq_cs; if that is 0, nothing happens. Otherwise it checks the descriptor (version 0, the range, the signature in the 4 bytes before abort_ip).',
      'If the interrupted instruction pointer is outside [start_ip, post_commit_ip), it only clears rseq_cs (a lazy clear). If it is inside, it clears rseq_cs and sets the instruction pointer to abort_ip: the section is abandoned before its commit, and the abort handler retries from the start, reading the CPU number again.',
      'Here we preempt a thread in the middle of its section, before the commit, and watch the abort.',
    ],
    program: 'rseq_counter',
    args: '2 300',
    seed: 1,
    cpus: 2,
    steps: [
      { action: { kind: 'run-to-section' }, label: 'Run to the next critical section', caption: 'A thread is at start_ip; rseq_cs points to its descriptor (see rseq_cs.abort_ip).' },
      { action: { kind: 'step-thread' }, label: 'Step this thread', caption: 'It is inside the section, before the commit.' },
      { action: { kind: 'preempt' }, label: 'Preempt here', caption: 'The event log shows the abort: from the interrupted instruction to abort_ip. rseq_cs is 0 again and the code view shows the thread at the "abort handler".' },
      { action: { kind: 'run-to-end' }, label: 'Run to end', caption: 'The handler retried the addition, which had not happened: nothing lost, nothing counted twice, the total is 600.' },
    ],
    outcome: 'rseq_counter: 2 threads x 300 increments = 600',
  },
  {
    id: 'commit-last',
    title: '3. Why the commit must be the last instruction',
    text: [
      'The kernel decides to abort from the instruction pointer alone: inside [start_ip, post_commit_ip) means abort. It cannot know whether the commit store already happened.',
      'rseq_bug_commit_not_last is a known-buggy counter: after its commit (addq) one more instruction (movl $1, %eax) is still inside the range. A preemption on that instruction sends the thread to abort_ip after the addition was made, and the caller makes it again: one increment is counted twice.',
      'A native run almost never gets preempted on exactly that instruction, so the bug hides. The fuzzer finds it; its shrunk failure is one preemption on the instruction after the commit store, which we replay here. The fix is to end the range right after the commit.',
    ],
    program: 'rseq_bug_commit_not_last',
    args: '1000',
    seed: 1,
    cpus: 2,
    steps: [
      { action: { kind: 'run-to-section' }, label: 'Run to the next critical section', caption: 'The thread is at start_ip of addv_commit_not_last\'s section.' },
      { action: { kind: 'step-to-last' }, label: 'Step to the last instruction of the section', caption: 'The cmpl, the jnz and the commit (addq) ran: the counter is already 1 higher. The thread is at movl, still before post_commit_ip, so still in the range: the code view labels it "commit", the place the commit should have been.' },
      { action: { kind: 'preempt' }, label: 'Preempt here', caption: 'The event log shows an abort from the movl to abort_ip, though the commit had happened.' },
      { action: { kind: 'run-to-end' }, label: 'Run to end', caption: 'The retry added 1 again: the program reports "counted 1001 for 1000 increments".' },
    ],
    outcome: 'counted 1001 for 1000 increments',
  },
];

/** The address of the last instruction of the section thread tid is in (the one ending at post_commit_ip), or undefined. */
export function lastInstructionOf(s: Session, tid: number): number | undefined {
  const t = s.machine.kernel.tasks.get(tid);
  if (!t) return undefined;
  const rip = Number(t.ctx.rip);
  const cs = s.sectionsOf(tid).find((c) => rip >= c.start && rip < c.postCommit);
  if (!cs) return undefined;
  let last = cs.start;
  for (let at = cs.start; at < cs.postCommit; at += s.machine.cpu.decode(at).length) last = at;
  return last;
}

/** Plays one lesson action on s for thread tid (the lesson's thread, once run-to-section has picked it); returns the lesson's thread after it. */
export function playAction(s: Session, action: LessonAction, tid: number | undefined): number | undefined {
  const need = (): number => {
    if (tid === undefined) throw new Error('This step needs a thread: run to a critical section first');
    return tid;
  };
  switch (action.kind) {
    case 'run-to-section': {
      const t = s.runToSection();
      if (t === undefined) throw new Error('No thread reached a critical section');
      return t;
    }
    case 'step-thread':
      for (let i = 0; i < (action.times ?? 1); i++) s.stepThread(need());
      return tid;
    case 'step-to-last': {
      const last = lastInstructionOf(s, need());
      if (last === undefined) throw new Error(`thread ${tid} is not in a critical section`);
      for (let i = 0; i < 64 && Number(s.machine.kernel.tasks.get(need())?.ctx.rip) !== last; i++) s.stepThread(need());
      return tid;
    }
    case 'preempt':
      s.injectHere(need(), { kind: 'preempt' });
      return tid;
    case 'run-to-end':
      s.runToEnd();
      return tid;
  }
}

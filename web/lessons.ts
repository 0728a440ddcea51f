// The playground's lessons (issue #13 item 7): each one a short text
// written from shared/docs/rseq-abi.md and shared/docs/history/, a prepared
// program and choices (kernel profile included), and a prepared list of
// actions the reader walks through with Next, each with a caption saying
// what to watch. A step acts on the lesson's machine, or compares the
// program's runs under several kernel profiles (web/compare.ts). Plain data
// plus one function that plays a machine action on a Session, so Node tests
// play them too. No DOM here.

import type { KernelProfileName } from '../kernel-model/kernel-profile.js';
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
  /** Run until the event log shows an rseq event `what` ('slice-grant', 'slice-yield', …) of any thread; that thread becomes the lesson's. */
  | { kind: 'run-to-event'; what: string }
  | { kind: 'run-to-end' };

/**
 * A step that leaves the lesson's machine alone: the lesson's program run
 * to its end once under each kernel profile, the outputs side by side
 * (web/compare.ts), to show what changed between Linux versions.
 */
export interface CompareAction {
  kind: 'compare';
  kernels: KernelProfileName[];
}

/** What a lesson step does: an action on the lesson's machine, or a comparison across kernels. */
export type StepAction = LessonAction | CompareAction;

export interface LessonStep {
  action: StepAction;
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
  /** The kernel profile the lesson's machine behaves as (default 'current'). */
  kernel?: KernelProfileName | 'current';
  steps: LessonStep[];
  /** What the last step leaves on the page: text the output (stdout or stderr), or the status line, contains. */
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
  {
    id: 'signature',
    title: '4. The abort signature, and what a mismatch does',
    text: [
      'A registration gives the kernel a 32-bit signature as well as the area: glibc passes 0x53053053, the x86-64 convention. Every abort handler must be preceded by the same 4 bytes. On x86-64 they are the end of a ud1 instruction just before abort_ip, which would trap if it ever ran.',
      'Before the kernel moves a thread to abort_ip it reads the 4 bytes at abort_ip - 4 and compares them with the registered signature (rseq_ip_fixup, rseq-abi.md section 4 step 5). If they differ it does not jump: it kills the thread with SIGSEGV and logs "Possible attack attempt". So code that can overwrite rseq_cs cannot send a thread to any address it likes, only to a prepared abort handler.',
      'rseq_bug_bad_signature is a known-buggy counter: its abort handler is preceded by 0x53053054, one off. Left alone it usually passes, because the kernel reads the descriptor only after a preemption, migration or signal. Here we preempt it inside its section.',
    ],
    program: 'rseq_bug_bad_signature',
    args: '1000',
    seed: 1,
    cpus: 2,
    steps: [
      { action: { kind: 'run-to-section' }, label: 'Run to the critical section', caption: 'The thread is at start_ip and rseq_cs points to the descriptor. The rseq area shows the signature the thread registered, 0x53053053 (the event log\'s register line too), and the 4 bytes before rseq_cs.abort_ip: 0x53053054.' },
      { action: { kind: 'step-thread' }, label: 'Step this thread', caption: 'It ran the cmpl and is inside the section, before the commit: if it is interrupted now, the kernel must send it to abort_ip.' },
      { action: { kind: 'preempt' }, label: 'Preempt here', caption: 'The kernel checked the signature before jumping and found 0x53053054 where it expected 0x53053053. The event log shows the violation, the timeline a violation mark, and the status says the program was killed by SIGSEGV (exit status 139).' },
    ],
    outcome: 'Killed by SIGSEGV',
  },
  {
    id: 'extensible-abi',
    title: '5. glibc\'s registration, and how the ABI grew',
    text: [
      'Since glibc 2.35 a program does not register rseq itself: glibc registers an area inside each thread\'s control block, at start-up for the main thread and in pthread_create for the others, with the signature 0x53053053. The area is at the thread pointer plus __rseq_offset; __rseq_size says how many bytes of fields it has (0 when glibc did not register, and then cpu_id is -2). A thread can have only one registration, so every library uses that area: registering again is EBUSY, at another address EINVAL (rseq-abi.md sections 2 and 6).',
      'glibc\'s sched_getcpu() reads cpu_id from the area instead of making the getcpu system call. That is why glibc and the rseq maintainer argued in 2020 about whether cpu_id could be trusted after a kernel bug: for sched_getcpu a wrong CPU only costs speed, but "in the case of rseq, having the wrong cpu_id value is a real issue which will lead to corruption and crashes" (Mathieu Desnoyers, July 2020).',
      'The first struct rseq had 20 bytes of fields in a 32-byte area, and the kernel accepted no other length. Days before the glibc 2.32 release (July 2020) rseq support was pulled out to settle how the struct could grow: a longer rseq_len (what Google did privately; an old kernel rejects it with EINVAL), a frozen 32-byte struct with size fields inside, or a size published by the kernel. Linux 6.3 chose the last: AT_RSEQ_FEATURE_SIZE and AT_RSEQ_ALIGN in the auxiliary vector, with node_id and mm_cid as the first new fields. A program checks the feature size before it reads a new field.',
      'rseq_abi_probe prints what the kernel and glibc offer, one line each. Next runs it under the 4.18 and the current (7.0) profile side by side, then walks glibc\'s registration on this machine.',
    ],
    program: 'rseq_abi_probe',
    args: '',
    seed: 1,
    cpus: 2,
    kernel: 'current',
    steps: [
      { action: { kind: 'compare', kernels: ['4.18', '7.0'] }, label: 'Run the probe under 4.18 and 7.0', caption: 'The highlighted lines differ. 4.18 puts no AT_RSEQ_FEATURE_SIZE or AT_RSEQ_ALIGN in the auxiliary vector, writes no node_id or mm_cid and refuses a 64-byte area with EINVAL. 7.0 publishes feature size 33 (slice_ctrl came after mm_cid) and alignment 64, writes both fields and accepts the longer area. __rseq_size is 20 under both: this glibc reports only the original fields, so a program must read the feature size itself.' },
      { action: { kind: 'run-to-event', what: 'register' }, label: 'Run to glibc\'s registration', caption: 'Before main, glibc registered the main thread\'s area: the event log shows its address, length 32 and signature 0x53053053. The fields are not written yet: cpu_id is -1 until the thread returns to user space.' },
      { action: { kind: 'step-thread' }, label: 'Step this thread', caption: 'Back in user space: the kernel wrote cpu_id_start and cpu_id (the vCPU the thread runs on), node_id and mm_cid. From now on sched_getcpu() is a read of cpu_id.' },
      { action: { kind: 'run-to-event', what: 'finding' }, label: 'Run to the probe\'s second registration', caption: 'The probe registered glibc\'s area again with the same arguments: the kernel answered EBUSY, and rseqlab\'s ABI checker logs the refused registration as a finding.' },
      { action: { kind: 'run-to-end' }, label: 'Run to end', caption: 'The output is the right-hand column of the comparison: the same probe on this machine, the current profile.' },
    ],
    outcome: 'AT_RSEQ_FEATURE_SIZE: 33',
  },
  {
    id: 'cpu-id-start',
    title: '6. The 6.19 regression: who writes cpu_id_start',
    text: [
      'cpu_id_start belongs to the kernel: user space reads it and never writes it (rseq-abi.md section 1). tcmalloc wrote its own value there anyway (bit 31 set) and counted on the kernel replacing it after every context switch, as a cheap "was I switched out?" test.',
      'Kernels up to 6.18 rewrite all the IDs on every return to user space after a context switch, so that worked. Linux 6.19 reworked rseq for speed: the IDs are written only when they change (a migration, a new mm_cid), and rseq_cs is looked at only when user space was interrupted. tcmalloc\'s value survived and tcmalloc broke (the April 2026 regression thread "rseq: refactoring in v6.19 broke everyone on arm64 and tcmalloc everywhere").',
      'Linux 7.0 keeps both behaviours and picks one by the registration\'s length (section 9): 32 bytes, what glibc 2.35 to 2.40 registers, gets the old legacy behaviour; a longer area is the optimized "V2", where the kernel enforces the read-only fields and a user write kills the process.',
      'rseq_cpu_id_start writes a sentinel into cpu_id_start of glibc\'s area, sleeps 1 ms and checks that the kernel rewrote it, three times. rseqlab\'s ABI checker reports the write itself (read-only-field-written) whatever the kernel does.',
    ],
    program: 'rseq_cpu_id_start',
    args: '',
    seed: 1,
    cpus: 2,
    kernel: '6.19',
    steps: [
      { action: { kind: 'compare', kernels: ['6.3', '6.19', '7.0'] }, label: 'Run it under 6.3, 6.19 and 7.0', caption: '6.3 and 7.0 print "cpu_id_start: rewritten"; under 6.19 the program exits with status 1: the sentinel survived a context switch. Each column shows the checker\'s finding: the program broke the rule under every kernel, only 6.19 made it visible.' },
      { action: { kind: 'run-to-event', what: 'finding' }, label: 'Run to the write (6.19)', caption: 'This machine is the 6.19 profile. The checker stopped at the store into cpu_id_start: the event log shows the finding, and the rseq area shows cpu_id_start = -2147483648 (0x80000000, bit 31) while cpu_id is the vCPU.' },
      { action: { kind: 'run-to-end' }, label: 'Run to end', caption: 'The thread slept and ran again on the same vCPU, so 6.19 had no new ID to write: the sentinel is still there and the program says so on its standard error.' },
    ],
    outcome: 'the sentinel 0x80000000 in cpu_id_start survived a context switch',
  },
  {
    id: 'slice-extension',
    title: '7. The time slice extension (Linux 7.0)',
    text: [
      'A thread that holds a lock for a few hundred instructions would rather not be preempted in the middle: every other thread waiting for the lock then waits a whole time slice. Linux 7.0 lets it ask for a little more time (rseq-abi.md section 9). It needs a V2 registration (an area longer than 32 bytes) and prctl(PR_RSEQ_SLICE_EXTENSION, SET, ENABLE); then it sets slice_ctrl.request = 1 before such a short region.',
      'If the scheduler wants to preempt the thread while request is set, the kernel may grant an extension instead: it clears request, sets granted = 1, arms a timer (5 microseconds here; a sysctl in Linux) and lets the thread run on.',
      'Leaving the region, the thread clears request and, if granted is set, calls rseq_slice_yield() (system call 471) to give the CPU back at once. Any other system call during a grant revokes it and reschedules, and so does the timer.',
      'rseq_slice 200 2: two threads each run 200 regions; every second region breaks the rule with a getppid() system call in its middle. The timeline marks each grant, yield and revocation.',
    ],
    program: 'rseq_slice',
    args: '200 2',
    seed: 1,
    cpus: 2,
    kernel: 'current',
    steps: [
      { action: { kind: 'run-to-section' }, label: 'Run to a region', caption: 'A thread is inside a region, at the start of an rseq section there: the rseq area (64 bytes, V2) shows slice_ctrl.request = 1 and granted = 0.' },
      { action: { kind: 'preempt' }, label: 'Preempt here', caption: 'The preemption asked the kernel to reschedule the thread, but request was set, so it granted an extension instead: request 0, granted 1. The thread kept its vCPU and its rseq section was not aborted. The timeline shows the injection and the grant.' },
      { action: { kind: 'run-to-event', what: 'slice-yield' }, label: 'Run to the end of the region', caption: 'The region is over: the thread cleared request, saw granted and called rseq_slice_yield(). The event log and the timeline show the yield, and granted is 0 again.' },
      { action: { kind: 'run-to-section' }, label: 'Run to the next region', caption: 'The next region, with request = 1 again. This one will make a system call in its middle.' },
      { action: { kind: 'preempt' }, label: 'Preempt here', caption: 'Granted again: granted = 1.' },
      { action: { kind: 'run-to-event', what: 'slice-revoke' }, label: 'Run to the revocation', caption: 'The region called getppid() (system call 110) while it held the grant. On the system call\'s entry the kernel revoked it ("ended by system call 110"): the timeline shows the revocation, and granted is 0.' },
      { action: { kind: 'run-to-end' }, label: 'Run to end', caption: 'Every region\'s additions landed once: the program prints "slice extension: ok".' },
    ],
    outcome: 'slice extension: ok',
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
    case 'run-to-event': {
      const e = s.runToEvent(action.what);
      if (!e) throw new Error(`The program ended without an rseq ${action.what} event`);
      return e.tid;
    }
    case 'run-to-end':
      s.runToEnd();
      return tid;
  }
}

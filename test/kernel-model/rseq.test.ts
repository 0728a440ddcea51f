import { describe, expect, it } from 'vitest';
import { StopReason } from '../../emulator/api.js';
import { EBUSY, EFAULT, EINVAL, EPERM } from '../../kernel-model/errno.js';
import { kernelProfile } from '../../kernel-model/kernel-profile.js';
import type { CpuContext } from '../../emulator/api.js';
import { RSEQ_EVENT_PREEMPT, RSEQ_SIG_X86, RseqField, TaskRseq, rseqIpFixup, rseqNotifyResume, sysRseq, type RseqExit, type RseqIds } from '../../kernel-model/rseq.js';
import { UserMemory } from '../../kernel-model/user-memory.js';
import { FakeCpu } from './fake-cpu.js';

const AREA = 0x10000;
const current = kernelProfile('current');
const v418 = kernelProfile('4.18');
const v63 = kernelProfile('6.3');

/** The return-to-user context for the rseq steps. */
function exitOf(mem: UserMemory, profile: ReturnType<typeof kernelProfile>, ctx: CpuContext, ids: RseqIds = { cpu: 0, node: 0, mmCid: 0 }, fromSyscall = false): RseqExit {
  return { mem, profile, ctx, ids, fromSyscall, debug: false };
}

function setup() {
  const cpu = new FakeCpu();
  cpu.map(AREA, 0x2000, 3);
  const mem = new UserMemory(cpu);
  const state = new TaskRseq();
  const ctx = cpu.createContext();
  return { cpu, mem, state, ctx };
}

describe('rseq registration (rseq-abi.md section 2 and 8)', () => {
  it('registers, then EBUSY / EINVAL / EPERM for second registrations', () => {
    const { mem, state } = setup();
    expect(sysRseq(state, mem, current, AREA, 32, 0, RSEQ_SIG_X86)).toBe(0);
    expect(state.registration).toEqual({ address: AREA, length: 32, signature: RSEQ_SIG_X86, mode: 'legacy', v2: false });
    expect(sysRseq(state, mem, current, AREA, 32, 0, RSEQ_SIG_X86)).toBe(-EBUSY);
    expect(sysRseq(state, mem, current, AREA + 32, 32, 0, RSEQ_SIG_X86)).toBe(-EINVAL);
    expect(sysRseq(state, mem, current, AREA, 64, 0, RSEQ_SIG_X86)).toBe(-EINVAL);
    expect(sysRseq(state, mem, current, AREA, 32, 0, 0x12345678)).toBe(-EPERM);
    // RSEQ_FLAG_SLICE_EXT_DEFAULT_ON (2) is a registration flag from 7.0 on; other bits never are.
    expect(sysRseq(state, mem, current, AREA, 32, 2, RSEQ_SIG_X86)).toBe(-EBUSY);
    expect(sysRseq(state, mem, current, AREA, 32, 4, RSEQ_SIG_X86)).toBe(-EINVAL);
    expect(sysRseq(new TaskRseq(), mem, v63, AREA, 32, 2, RSEQ_SIG_X86)).toBe(-EINVAL);
  });

  it('checks length and alignment', () => {
    const { mem, state } = setup();
    expect(sysRseq(state, mem, current, AREA, 28, 0, RSEQ_SIG_X86)).toBe(-EINVAL);
    expect(sysRseq(state, mem, current, AREA + 16, 32, 0, RSEQ_SIG_X86)).toBe(-EINVAL);
    expect(sysRseq(state, mem, current, AREA + 8, 64, 0, RSEQ_SIG_X86)).toBe(-EINVAL);
    // Extended lengths are fine on 6.3+, not on 4.18.
    expect(sysRseq(new TaskRseq(), mem, v418, AREA, 64, 0, RSEQ_SIG_X86)).toBe(-EINVAL);
    expect(sysRseq(state, mem, current, AREA, 64, 0, RSEQ_SIG_X86)).toBe(0);
    expect(state.registration?.mode).toBe('optimized');
  });

  it('EFAULT for areas that are not user memory, and clears a stale rseq_cs', () => {
    const { cpu, mem, state } = setup();
    expect(sysRseq(state, mem, current, 0x7ffffffff000, 32, 0, RSEQ_SIG_X86)).toBe(-EFAULT);
    expect(sysRseq(state, mem, current, 0x40000, 32, 0, RSEQ_SIG_X86)).toBe(-EFAULT);
    cpu.writeU64(AREA + RseqField.rseqCs, 0x1234n);
    expect(sysRseq(state, mem, current, AREA, 32, 0, RSEQ_SIG_X86)).toBe(0);
    expect(cpu.readU64(AREA + RseqField.rseqCs)).toBe(0n);
  });

  it('6.3 writes the fields on the next return to user space, not in the call', () => {
    const { cpu, mem, state, ctx } = setup();
    cpu.writeU32(AREA + RseqField.cpuId, 0xfffffffe);
    cpu.writeU32(AREA + RseqField.nodeId, 77);
    sysRseq(state, mem, v63, AREA, 32, 0, RSEQ_SIG_X86);
    expect(cpu.readU32(AREA + RseqField.cpuId)).toBe(0xfffffffe);
    expect(rseqNotifyResume(state, exitOf(mem, v63, ctx, { cpu: 3, node: 1, mmCid: 0 }, true))).toBeUndefined();
    expect(cpu.readU32(AREA + RseqField.cpuIdStart)).toBe(3);
    expect(cpu.readU32(AREA + RseqField.cpuId)).toBe(3);
    expect(cpu.readU32(AREA + RseqField.nodeId)).toBe(1);
  });

  it('4.18 leaves node_id and mm_cid alone', () => {
    const { cpu, mem, state, ctx } = setup();
    cpu.writeU32(AREA + RseqField.nodeId, 77);
    sysRseq(state, mem, v418, AREA, 32, 0, RSEQ_SIG_X86);
    rseqNotifyResume(state, exitOf(mem, v418, ctx, { cpu: 2, node: 1, mmCid: 0 }, true));
    expect(cpu.readU32(AREA + RseqField.cpuId)).toBe(2);
    expect(cpu.readU32(AREA + RseqField.nodeId)).toBe(77);
  });

  it('unregisters: EINVAL for another area or length, EPERM for a wrong signature, then cpu_id is -1', () => {
    const { cpu, mem, state, ctx } = setup();
    sysRseq(state, mem, current, AREA, 32, 0, RSEQ_SIG_X86);
    rseqNotifyResume(state, exitOf(mem, current, ctx, { cpu: 0, node: 0, mmCid: 0 }, true));
    expect(sysRseq(state, mem, current, AREA + 32, 32, 1, RSEQ_SIG_X86)).toBe(-EINVAL);
    expect(sysRseq(state, mem, current, AREA, 64, 1, RSEQ_SIG_X86)).toBe(-EINVAL);
    expect(sysRseq(state, mem, current, AREA, 32, 3, RSEQ_SIG_X86)).toBe(-EINVAL);
    expect(sysRseq(state, mem, current, AREA, 32, 1, 0)).toBe(-EPERM);
    expect(sysRseq(state, mem, current, AREA, 32, 1, RSEQ_SIG_X86)).toBe(0);
    expect(cpu.readU32(AREA + RseqField.cpuId) | 0).toBe(-1);
    expect(state.registration).toBeUndefined();
    expect(sysRseq(state, mem, current, AREA, 32, 1, RSEQ_SIG_X86)).toBe(-EINVAL);
  });
});

describe('rseq abort-IP fixup (rseq_ip_fixup)', () => {
  const CS = AREA + 0x100;
  const CODE = AREA + 0x1000;
  function withSection(sig = RSEQ_SIG_X86, version = 0, profile = current) {
    const s = setup();
    const { cpu, mem, state } = s;
    sysRseq(state, mem, profile, AREA, 32, 0, RSEQ_SIG_X86);
    cpu.writeU32(CS, version);
    cpu.writeU64(CS + 8, BigInt(CODE)); // start_ip
    cpu.writeU64(CS + 16, 0x20n); // post_commit_offset
    cpu.writeU64(CS + 24, BigInt(CODE + 0x40)); // abort_ip
    cpu.writeU32(CODE + 0x40 - 4, sig);
    cpu.writeU64(AREA + RseqField.rseqCs, BigInt(CS));
    return s;
  }

  it('moves rip to abort_ip after a preemption inside the section and clears rseq_cs', () => {
    const { cpu, mem, state, ctx } = withSection();
    ctx.rip = BigInt(CODE + 0x10);
    state.event(RSEQ_EVENT_PREEMPT);
    expect(rseqIpFixup(state, exitOf(mem, current, ctx))).toBeUndefined();
    expect(ctx.rip).toBe(BigInt(CODE + 0x40));
    expect(cpu.readU64(AREA + RseqField.rseqCs)).toBe(0n);
  });

  it('lazily clears rseq_cs outside the section', () => {
    const { cpu, mem, state, ctx } = withSection();
    ctx.rip = BigInt(CODE + 0x20);
    state.event(RSEQ_EVENT_PREEMPT);
    expect(rseqIpFixup(state, exitOf(mem, current, ctx))).toBeUndefined();
    expect(ctx.rip).toBe(BigInt(CODE + 0x20));
    expect(cpu.readU64(AREA + RseqField.rseqCs)).toBe(0n);
  });

  it('up to 6.18 a wrong signature or version is fatal even outside the section', () => {
    for (const s of [withSection(0xdeadbeef, 0, v63), withSection(RSEQ_SIG_X86, 1, v63)]) {
      s.ctx.rip = BigInt(CODE + 0x30);
      expect(rseqIpFixup(s.state, exitOf(s.mem, v63, s.ctx))?.reason).toMatch(/abort signature mismatch at 0x1103c: found 0xdeadbeef, expected 0x53053053|version is 1/);
    }
  });

  it('from 6.19 a bad descriptor outside the section is only cleared; inside, the signature still kills', () => {
    for (const s of [withSection(0xdeadbeef), withSection(RSEQ_SIG_X86, 1)]) {
      s.ctx.rip = BigInt(CODE + 0x30);
      expect(rseqIpFixup(s.state, exitOf(s.mem, current, s.ctx))).toBeUndefined();
      expect(s.cpu.readU64(AREA + RseqField.rseqCs)).toBe(0n);
    }
    const bad = withSection(0xdeadbeef);
    bad.ctx.rip = BigInt(CODE + 0x10);
    expect(rseqIpFixup(bad.state, exitOf(bad.mem, current, bad.ctx))?.reason).toMatch(/abort signature mismatch at 0x1103c: found 0xdeadbeef, expected 0x53053053/);
    // version 1 inside: only a debug kernel checks it.
    const v1 = withSection(RSEQ_SIG_X86, 1);
    v1.ctx.rip = BigInt(CODE + 0x10);
    expect(rseqIpFixup(v1.state, { ...exitOf(v1.mem, current, v1.ctx), debug: true })?.reason).toMatch(/version 1 and flags 0x0 must both be 0/);
  });
});

describe('rseq through the Machine', () => {
  it('is reachable as syscall 334 and writes cpu_id on the way out', async () => {
    const { Machine } = await import('../../kernel-model/machine.js');
    const { gcc, TINY_C } = await import('./gcc.js');
    const { syscallStep } = await import('./fake-cpu.js');
    const cpu = new FakeCpu();
    const m = Machine.create({ cpu, program: gcc('rseq-tiny', TINY_C, ['-static', '-nostdlib', '-fno-pie', '-no-pie']).bytes, path: '/t', seed: 1 });
    const area = m.process.mm.mmap(0, 4096, 3, 0x22, undefined, 0);
    cpu.writeU32(area + 4, 0xffffffff);
    cpu.script.push(
      syscallStep(334, area, 32, 0, RSEQ_SIG_X86),
      (ctx) => {
        expect(ctx.gpr[0]).toBe(0n);
        expect(cpu.readU32(area + 4)).toBe(0);
        return { reason: StopReason.Budget, retired: 5 };
      },
      syscallStep(231, 3),
    );
    const r = m.run({ maxInstructions: 1000 });
    expect(r.kind).toBe('exited');
    expect(r.exitCode).toBe(3);
  });
});

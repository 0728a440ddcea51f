import { describe, expect, it } from 'vitest';
import { StopReason } from '../../emulator/api.js';
import { EBUSY, EFAULT, EINVAL, EPERM } from '../../kernel-model/errno.js';
import { kernelProfile } from '../../kernel-model/kernel-profile.js';
import { RSEQ_EVENT_PREEMPT, RSEQ_SIG_X86, RseqField, TaskRseq, rseqIpFixup, rseqNotifyResume, sysRseq } from '../../kernel-model/rseq.js';
import { UserMemory } from '../../kernel-model/user-memory.js';
import { FakeCpu } from './fake-cpu.js';

const AREA = 0x10000;
const current = kernelProfile('current');
const v418 = kernelProfile('4.18');

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
    expect(state.registration).toEqual({ address: AREA, length: 32, signature: RSEQ_SIG_X86 });
    expect(sysRseq(state, mem, current, AREA, 32, 0, RSEQ_SIG_X86)).toBe(-EBUSY);
    expect(sysRseq(state, mem, current, AREA + 32, 32, 0, RSEQ_SIG_X86)).toBe(-EINVAL);
    expect(sysRseq(state, mem, current, AREA, 64, 0, RSEQ_SIG_X86)).toBe(-EINVAL);
    expect(sysRseq(state, mem, current, AREA, 32, 0, 0x12345678)).toBe(-EPERM);
    expect(sysRseq(state, mem, current, AREA, 32, 2, RSEQ_SIG_X86)).toBe(-EINVAL);
  });

  it('checks length and alignment', () => {
    const { mem, state } = setup();
    expect(sysRseq(state, mem, current, AREA, 28, 0, RSEQ_SIG_X86)).toBe(-EINVAL);
    expect(sysRseq(state, mem, current, AREA + 16, 32, 0, RSEQ_SIG_X86)).toBe(-EINVAL);
    expect(sysRseq(state, mem, current, AREA + 8, 64, 0, RSEQ_SIG_X86)).toBe(-EINVAL);
    // Extended lengths are fine on 6.3+, not on 4.18.
    expect(sysRseq(new TaskRseq(), mem, v418, AREA, 64, 0, RSEQ_SIG_X86)).toBe(-EINVAL);
    expect(sysRseq(state, mem, current, AREA, 64, 0, RSEQ_SIG_X86)).toBe(0);
  });

  it('EFAULT for areas that are not user memory, and clears a stale rseq_cs', () => {
    const { cpu, mem, state } = setup();
    expect(sysRseq(state, mem, current, 0x7ffffffff000, 32, 0, RSEQ_SIG_X86)).toBe(-EFAULT);
    expect(sysRseq(state, mem, current, 0x40000, 32, 0, RSEQ_SIG_X86)).toBe(-EFAULT);
    cpu.writeU64(AREA + RseqField.rseqCs, 0x1234n);
    expect(sysRseq(state, mem, current, AREA, 32, 0, RSEQ_SIG_X86)).toBe(0);
    expect(cpu.readU64(AREA + RseqField.rseqCs)).toBe(0n);
  });

  it('writes the fields on the next return to user space, not in the call', () => {
    const { cpu, mem, state, ctx } = setup();
    cpu.writeU32(AREA + RseqField.cpuId, 0xffffffff);
    cpu.writeU32(AREA + RseqField.nodeId, 77);
    sysRseq(state, mem, current, AREA, 32, 0, RSEQ_SIG_X86);
    expect(cpu.readU32(AREA + RseqField.cpuId)).toBe(0xffffffff);
    expect(rseqNotifyResume(state, mem, current, ctx, { cpu: 3, node: 1, mmCid: 0 }, true)).toBeUndefined();
    expect(cpu.readU32(AREA + RseqField.cpuIdStart)).toBe(3);
    expect(cpu.readU32(AREA + RseqField.cpuId)).toBe(3);
    expect(cpu.readU32(AREA + RseqField.nodeId)).toBe(1);
  });

  it('4.18 leaves node_id and mm_cid alone', () => {
    const { cpu, mem, state, ctx } = setup();
    cpu.writeU32(AREA + RseqField.nodeId, 77);
    sysRseq(state, mem, v418, AREA, 32, 0, RSEQ_SIG_X86);
    rseqNotifyResume(state, mem, v418, ctx, { cpu: 2, node: 1, mmCid: 0 }, true);
    expect(cpu.readU32(AREA + RseqField.cpuId)).toBe(2);
    expect(cpu.readU32(AREA + RseqField.nodeId)).toBe(77);
  });

  it('unregisters: EINVAL for another area or length, EPERM for a wrong signature, then cpu_id is -1', () => {
    const { cpu, mem, state, ctx } = setup();
    sysRseq(state, mem, current, AREA, 32, 0, RSEQ_SIG_X86);
    rseqNotifyResume(state, mem, current, ctx, { cpu: 0, node: 0, mmCid: 0 }, true);
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
  function withSection(sig = RSEQ_SIG_X86, version = 0) {
    const s = setup();
    const { cpu, mem, state } = s;
    sysRseq(state, mem, current, AREA, 32, 0, RSEQ_SIG_X86);
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
    expect(rseqIpFixup(state, mem, current, ctx)).toBeUndefined();
    expect(ctx.rip).toBe(BigInt(CODE + 0x40));
    expect(cpu.readU64(AREA + RseqField.rseqCs)).toBe(0n);
  });

  it('lazily clears rseq_cs outside the section', () => {
    const { cpu, mem, state, ctx } = withSection();
    ctx.rip = BigInt(CODE + 0x20);
    state.event(RSEQ_EVENT_PREEMPT);
    expect(rseqIpFixup(state, mem, current, ctx)).toBeUndefined();
    expect(ctx.rip).toBe(BigInt(CODE + 0x20));
    expect(cpu.readU64(AREA + RseqField.rseqCs)).toBe(0n);
  });

  it('a wrong signature or version is fatal even outside the section', () => {
    for (const s of [withSection(0xdeadbeef), withSection(RSEQ_SIG_X86, 1)]) {
      s.ctx.rip = BigInt(CODE + 0x30);
      expect(rseqIpFixup(s.state, s.mem, current, s.ctx)?.reason).toMatch(/unexpected rseq signature|version is 1/);
    }
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

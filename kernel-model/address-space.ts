// A process's address space operations (Linux's mm/mmap.c, mm/mprotect.c,
// mm/mremap.c, mm/madvise.c), on top of the memory map. Each method takes
// the system call's arguments already converted and returns the result or a
// negative errno, with the checks in the kernel's order.

import { PROT_EXEC, PROT_READ, PROT_WRITE, type Cpu } from '../emulator/api.js';
import { EACCES, EEXIST, EFAULT, EINVAL, ENODEV, ENOMEM, EOPNOTSUPP, EOVERFLOW, EPERM } from './errno.js';
import type { OpenFile } from './files.js';
import { MMAP_MIN_ADDR, PAGE_SIZE, TASK_SIZE, pageUp } from './layout.js';
import { MemoryMap, type Vma, type VmaAttributes } from './memory-map.js';

export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_SHARED_VALIDATE = 0x03;
export const MAP_TYPE = 0x0f;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_GROWSDOWN = 0x100;
export const MAP_DENYWRITE = 0x800;
export const MAP_EXECUTABLE = 0x1000;
export const MAP_LOCKED = 0x2000;
export const MAP_NORESERVE = 0x4000;
export const MAP_POPULATE = 0x8000;
export const MAP_NONBLOCK = 0x10000;
export const MAP_STACK = 0x20000;
export const MAP_HUGETLB = 0x40000;
export const MAP_SYNC = 0x80000;
export const MAP_FIXED_NOREPLACE = 0x100000;
const LEGACY_MAP_MASK = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE |
  MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB;

export const PROT_SEM = 0x8;
export const PROT_GROWSDOWN = 0x01000000;
export const PROT_GROWSUP = 0x02000000;

export const MREMAP_MAYMOVE = 1;
export const MREMAP_FIXED = 2;
export const MREMAP_DONTUNMAP = 4;

export const MADV_DONTNEED = 4;
export const MADV_DONTFORK = 10;
export const MADV_DOFORK = 11;
export const MADV_WIPEONFORK = 18;
export const MADV_KEEPONFORK = 19;
const KNOWN_ADVICE = new Set([0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);


export class AddressSpace {
  readonly map: MemoryMap;
  /** mm->start_brk and mm->brk. */
  brkStart = 0;
  brk = 0;
  /** Processes using this address space (vfork children share their parent's). */
  users = 1;
  /** Concurrency IDs in use (mm->cid bitmap): index = cid, value = the running task's tid or 0. */
  private readonly cids: number[] = [];

  constructor(
    private readonly cpu: Cpu,
    /** The CPU's address-space id: futex keys and the machine's address-space switch use it. */
    readonly id = 0,
  ) {
    this.map = new MemoryMap(cpu);
  }

  /**
   * dup_mm for fork: the CPU copies the page table copy-on-write
   * (Cpu.forkAddressSpace); this copies the areas and the break. The caller
   * switches to the new address space before touching its memory.
   */
  fork(): AddressSpace {
    const child = new AddressSpace(this.cpu, this.cpu.forkAddressSpace(this.id));
    child.map.copyFrom(this.map);
    child.brkStart = this.brkStart;
    child.brk = this.brk;
    // dup_mmap: MADV_DONTFORK areas are not copied; MADV_WIPEONFORK ones start as zero pages.
    const special = this.map.areas().filter((v) => v.dontFork || v.wipeOnFork);
    if (special.length > 0) {
      const before = this.cpu.currentAddressSpace();
      this.cpu.useAddressSpace(child.id);
      try {
        for (const v of special) {
          if (v.dontFork) child.map.unmap(v.start, v.end - v.start);
          else child.map.map(v.start, v.end - v.start, v.prot, attributesAt(v, v.start));
        }
      } finally {
        this.cpu.useAddressSpace(before);
      }
    }
    return child;
  }

  /** The address space is no longer used by any process (exit, exec). */
  destroy(): void {
    if (this.cpu.currentAddressSpace() === this.id) return;
    this.cpu.destroyAddressSpace(this.id);
  }

  /**
   * mm_cid_get at switch-in: the lowest concurrency ID free in this mm.
   * A task holds it while it runs and gives it back when switched out, so
   * IDs stay below min(threads, CPUs) and are unique among the tasks running
   * at the same moment (rseq-abi.md section 3; the model's policy: lowest
   * free first, released at every switch-out).
   */
  allocateCid(task: { tid: number; mmCid: number }): void {
    if (task.mmCid >= 0) return;
    let cid = this.cids.indexOf(0);
    if (cid < 0) {
      cid = this.cids.length;
      this.cids.push(0);
    }
    this.cids[cid] = task.tid;
    task.mmCid = cid;
  }

  releaseCid(task: { tid: number; mmCid: number }): void {
    if (task.mmCid >= 0 && this.cids[task.mmCid] === task.tid) this.cids[task.mmCid] = 0;
    task.mmCid = -1;
  }

  /**
   * The bound shrank (a thread exited, affinity narrowed): a running task
   * holding an ID at or above `limit` moves to the lowest free one, which
   * is below it because fewer tasks run than the limit allows (the
   * compaction Linux's mm_cid code does). Returns the tasks that moved.
   */
  compactCids<T extends { tid: number; mmCid: number }>(running: readonly T[], limit: number): T[] {
    const moved: T[] = [];
    for (const t of running) {
      if (t.mmCid < limit) continue;
      this.releaseCid(t);
      this.allocateCid(t);
      moved.push(t);
    }
    this.cids.length = Math.min(this.cids.length, Math.max(limit, ...running.map((t) => t.mmCid + 1)));
    return moved;
  }

  /** Sets start_brk after the ELF image (fs/binfmt_elf.c: mm->start_brk = mm->brk = ELF_PAGEALIGN(elf_brk)). */
  initBrk(addr: number): void {
    this.brkStart = pageUp(addr);
    this.brk = this.brkStart;
  }

  /** SYSCALL_DEFINE1(brk): returns the new break, or the old one when the request cannot be met. */
  setBrk(requested: number): number {
    if (requested < this.brkStart) return this.brk;
    const newBrk = pageUp(requested);
    const oldBrk = pageUp(this.brk);
    if (newBrk === oldBrk) {
      this.brk = requested;
      return this.brk;
    }
    if (requested <= this.brk) {
      this.map.unmap(newBrk, oldBrk - newBrk);
      this.brk = requested;
      return this.brk;
    }
    const next = this.map.findAbove(oldBrk);
    if (newBrk > TASK_SIZE || (next && newBrk + PAGE_SIZE > next.start)) return this.brk;
    // do_brk_flags: security_vm_enough_memory_mm for the pages added.
    if (!this.enoughMemory(newBrk - oldBrk)) return this.brk;
    this.map.map(oldBrk, newBrk - oldBrk, PROT_READ | PROT_WRITE, { kind: 'heap', shared: false, name: '[heap]' });
    this.brk = requested;
    return this.brk;
  }

  /**
   * __vm_enough_memory (mm/util.c) under Linux's default heuristic
   * overcommit (OVERCOMMIT_GUESS): one request for more than the machine's
   * RAM and swap (none here) fails with ENOMEM; anything smaller is
   * allowed, and running out later is the OOM killer's business. The RAM is
   * what the CPU can hold (Cpu.memoryCapacity: --memory, and no more than
   * wasm memory can take), so a request that could never be backed is
   * refused up front instead of OOM-killing the process later.
   */
  private enoughMemory(bytes: number): boolean {
    return bytes <= this.cpu.memoryCapacity();
  }

  /** do_mmap, after sys_mmap checked the offset. `file` is undefined for MAP_ANONYMOUS. */
  mmap(addr: number, length: number, prot: number, flags: number, file: OpenFile | undefined, offset: number, path?: string): number {
    if (offset % PAGE_SIZE !== 0) return -EINVAL;
    if (length === 0) return -EINVAL;
    const len = pageUp(length);
    if (len > TASK_SIZE) return -ENOMEM;
    if (offset + len > Number.MAX_SAFE_INTEGER) return -EOVERFLOW;
    const type = flags & MAP_TYPE;
    if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) return -EINVAL;
    if (type === MAP_SHARED_VALIDATE && (flags & ~(LEGACY_MAP_MASK | MAP_SYNC | MAP_FIXED_NOREPLACE)) !== 0) return -EOPNOTSUPP;
    const shared = type !== MAP_PRIVATE;
    const fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0;

    let data: Uint8Array | undefined;
    let object: { id: number; page: number } | undefined;
    const sharedFile = file && shared ? sharedObjectOf(file) : undefined;
    if (!(flags & MAP_ANONYMOUS)) {
      if (!file) return -EINVAL; // callers resolve the fd first (EBADF)
      if (shared && (prot & PROT_WRITE) && (file.statusFlags & 3) === 0) return -EACCES;
      if (sharedFile !== undefined) {
        object = { id: sharedFile, page: offset / PAGE_SIZE };
      } else {
        data = file.contents();
        if (!data) return -ENODEV;
      }
    }

    let start: number;
    if (fixed) {
      if (addr % PAGE_SIZE !== 0) return -EINVAL;
      if (addr > TASK_SIZE - len) return -ENOMEM;
      if (addr < MMAP_MIN_ADDR) return -EPERM;
      if ((flags & MAP_FIXED_NOREPLACE) && !this.map.isFree(addr, len)) return -EEXIST;
      start = addr;
    } else {
      const hint = pageUp(addr);
      if (hint !== 0 && hint >= MMAP_MIN_ADDR && hint <= TASK_SIZE - len && this.map.isFree(hint, len)) {
        start = hint;
      } else {
        const found = this.map.findFree(len);
        if (found === undefined) return -ENOMEM;
        start = found;
      }
    }

    // mmap_region charges private writable mappings (accountable_mapping);
    // shmem_zero_setup charges shared anonymous ones; MAP_NORESERVE skips both.
    const accountable = !(flags & MAP_NORESERVE) && (shared ? !file : (prot & PROT_WRITE) !== 0);
    if (accountable && !this.enoughMemory(len)) return -ENOMEM;

    if (shared && !file) {
      // MAP_SHARED | MAP_ANONYMOUS: pages of their own object, which fork shares (shmem_zero_setup).
      const id = this.cpu.createSharedObject(len / PAGE_SIZE);
      object = { id, page: 0 };
    }
    const attrs: VmaAttributes = data
      ? { kind: 'file', shared, name: path, file: { data, offset } }
      : object
        ? { kind: file ? 'file' : 'anon', shared: true, name: file ? path : '/dev/zero (deleted)', object }
        : { kind: 'anon', shared, name: flags & MAP_STACK ? '[stack-like]' : undefined };
    this.map.map(start, len, prot & (PROT_READ | PROT_WRITE | PROT_EXEC), attrs);
    // The anonymous object lives on in its mappings only.
    if (shared && !file && object) this.cpu.releaseSharedObject(object.id);
    if (data) this.fillFromFile(start, len, data, offset);
    return start;
  }

  /** Copies file bytes into fresh zero pages (a private copy; past end of file stays zero where Linux would raise SIGBUS). */
  private fillFromFile(start: number, len: number, data: Uint8Array, offset: number): void {
    if (offset >= data.length) return;
    const bytes = data.subarray(offset, Math.min(data.length, offset + len));
    this.cpu.write(start, bytes);
  }

  /** __vm_munmap. */
  munmap(addr: number, length: number): number {
    if (addr % PAGE_SIZE !== 0 || addr > TASK_SIZE || length > TASK_SIZE - addr) return -EINVAL;
    const len = pageUp(length);
    if (len === 0) return -EINVAL;
    this.map.unmap(addr, len);
    return 0;
  }

  /** do_mprotect_pkey. */
  mprotect(addr: number, length: number, prot: number): number {
    const extra = prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP);
    if (extra !== 0) return -EINVAL;
    if ((prot & (PROT_GROWSDOWN | PROT_GROWSUP)) === (PROT_GROWSDOWN | PROT_GROWSUP)) return -EINVAL;
    if (addr % PAGE_SIZE !== 0) return -EINVAL;
    if (length === 0) return 0;
    const len = pageUp(length);
    if (addr + len > TASK_SIZE || len < length) return -ENOMEM;
    if (!this.map.isFullyMapped(addr, len)) return -ENOMEM;
    const wantWrite = (prot & PROT_WRITE) !== 0;
    const sharedReadOnlyFile = this.map.areas().some((v) => v.start < addr + len && v.end > addr && v.kind === 'file' && v.shared);
    if (wantWrite && sharedReadOnlyFile) return -EACCES;
    this.map.protect(addr, len, prot & (PROT_READ | PROT_WRITE | PROT_EXEC));
    return 0;
  }

  /** SYSCALL_DEFINE5(mremap). */
  mremap(addr: number, oldLength: number, newLength: number, flags: number, newAddr: number): number {
    if (flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP)) return -EINVAL;
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) return -EINVAL;
    if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || oldLength !== newLength)) return -EINVAL;
    if (addr % PAGE_SIZE !== 0) return -EINVAL;
    const oldLen = pageUp(oldLength);
    const newLen = pageUp(newLength);
    if (newLen === 0 || oldLen === 0) return -EINVAL;
    if (addr + oldLen > TASK_SIZE) return -EFAULT;

    const vma = this.map.find(addr);
    if (!vma || oldLen > vma.end - addr) return -EFAULT;

    if (flags & MREMAP_FIXED) {
      if (newAddr % PAGE_SIZE !== 0) return -EINVAL;
      if (newAddr > TASK_SIZE - newLen) return -EINVAL;
      if (newAddr < addr + oldLen && addr < newAddr + newLen) return -EINVAL;
      return this.move(vma, addr, oldLen, newLen, newAddr, (flags & MREMAP_DONTUNMAP) !== 0);
    }
    if (oldLen >= newLen) {
      if (oldLen > newLen) this.map.unmap(addr + newLen, oldLen - newLen);
      return addr;
    }
    const growStart = addr + oldLen;
    const growLen = newLen - oldLen;
    // VM_ACCOUNT areas (private writable) are charged for the pages added.
    if (!vma.shared && (vma.prot & PROT_WRITE) && !this.enoughMemory(growLen)) return -ENOMEM;
    if (vma.end === growStart && growStart + growLen <= TASK_SIZE && this.map.isFree(growStart, growLen)) {
      this.map.map(growStart, growLen, vma.prot, attributesAt(vma, growStart));
      if (vma.file) this.fillFromFile(growStart, growLen, vma.file.data, vma.file.offset + (growStart - vma.start));
      return addr;
    }
    if (!(flags & MREMAP_MAYMOVE)) return -ENOMEM;
    const target = this.map.findFree(newLen);
    if (target === undefined) return -ENOMEM;
    return this.move(vma, addr, oldLen, newLen, target, (flags & MREMAP_DONTUNMAP) !== 0);
  }

  /** move_vma: the pages keep their contents at the new address. */
  private move(vma: Vma, addr: number, oldLen: number, newLen: number, target: number, keepOld: boolean): number {
    const attrs = attributesAt(vma, addr);
    if (vma.object) {
      // A shared mapping moves by mapping the same object pages at the target.
      this.map.map(target, newLen, vma.prot, attrs);
      if (!keepOld) this.map.unmap(addr, oldLen);
      return target;
    }
    const contents = this.cpu.read(addr, oldLen);
    this.map.map(target, newLen, vma.prot, attrs);
    this.cpu.write(target, contents);
    if (vma.file && newLen > oldLen) this.fillFromFile(target + oldLen, newLen - oldLen, vma.file.data, vma.file.offset + (addr - vma.start) + oldLen);
    if (keepOld) this.map.map(addr, oldLen, vma.prot, attrs);
    else this.map.unmap(addr, oldLen);
    return target;
  }

  /** do_madvise: MADV_DONTNEED drops the pages (anonymous memory reads back as zero); other advice is accepted and has no effect. */
  madvise(addr: number, length: number, advice: number): number {
    if (!KNOWN_ADVICE.has(advice)) return -EINVAL;
    if (addr % PAGE_SIZE !== 0) return -EINVAL;
    const len = pageUp(length);
    if (len < length || addr + len > TASK_SIZE) return -EINVAL;
    if (len === 0) return 0;
    const unmapped = !this.map.isFullyMapped(addr, len);
    if (advice === MADV_DONTFORK || advice === MADV_DOFORK) {
      this.map.updateRange(addr, addr + len, { dontFork: advice === MADV_DONTFORK });
    }
    if (advice === MADV_WIPEONFORK || advice === MADV_KEEPONFORK) {
      // Only private anonymous memory can be wiped (madvise_vma_behavior: EINVAL otherwise).
      if (advice === MADV_WIPEONFORK && this.map.areas().some((v) => v.start < addr + len && v.end > addr && (v.shared || v.kind === 'file'))) return -EINVAL;
      this.map.updateRange(addr, addr + len, { wipeOnFork: advice === MADV_WIPEONFORK });
    }
    if (advice === MADV_DONTNEED) {
      const end = addr + len;
      for (const v of [...this.map.areas()]) {
        const s = Math.max(v.start, addr);
        const e = Math.min(v.end, end);
        if (s >= e) continue;
        this.map.map(s, e - s, v.prot, attributesAt(v, s));
        if (v.file && !v.shared) this.fillFromFile(s, e - s, v.file.data, v.file.offset + (s - v.start));
      }
    }
    return unmapped ? -ENOMEM : 0;
  }
}

function attributesAt(v: Vma, at: number): VmaAttributes {
  return {
    kind: v.kind,
    shared: v.shared,
    name: v.name,
    file: v.file ? { data: v.file.data, offset: v.file.offset + (at - v.start) } : undefined,
    object: v.object ? { id: v.object.id, page: v.object.page + (at - v.start) / PAGE_SIZE } : undefined,
    dontFork: v.dontFork,
    wipeOnFork: v.wipeOnFork,
  };
}

/** The CPU shared object behind a file whose MAP_SHARED mappings share pages (memfd), if any. */
function sharedObjectOf(file: OpenFile): number | undefined {
  const o = (file as OpenFile & { object?: unknown }).object;
  return typeof o === 'number' ? o : undefined;
}

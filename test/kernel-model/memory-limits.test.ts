// The two memories a guest can exhaust, and what it sees of each. The
// machine's (--memory): one mmap, brk or mremap asking for more than it
// could ever hold gets ENOMEM, as Linux's heuristic overcommit refuses it
// (__vm_enough_memory); smaller requests succeed and touching past the
// limit OOM-kills (limits.test.ts). The host's: a wasm32 memory holds at
// most 4 GiB, so a bigger request is refused the same way whatever
// --memory says, and when wasm memory cannot grow before the machine's
// limit is reached (the test seam setHostMemoryLimit plays a host that
// gives less) the process is OOM-killed with one line saying it was the
// host, never a trap of the CPU.
import { describe, expect, it } from 'vitest';
import { createCpu, type WasmCpu } from '../../emulator/index.js';
import { Machine, type MachineOptions } from '../../kernel-model/machine.js';
import { gcc, HELLO_C, MEMORY_HOG_C, STATIC } from './gcc.js';

async function run(name: string, source: string, options: Partial<MachineOptions> & { hostLimitBytes?: number } = {}) {
  const prog = gcc(name, source, STATIC);
  const warnings: string[] = [];
  const cpu = await createCpu();
  if (options.hostLimitBytes !== undefined) (cpu as WasmCpu).setHostMemoryLimit(options.hostLimitBytes);
  const m = Machine.create({ cpu, program: prog.bytes, path: prog.path, seed: 1, onWarning: (w) => warnings.push(w), ...options });
  const r = m.run({ maxInstructions: 2e9 });
  return { r, warnings, out: new TextDecoder().decode(r.stdout) };
}

/** Each request of SIZE bytes; prints what it got, so the test reads one line per rule. */
const REQUESTS = `
  #define _GNU_SOURCE
  #include <errno.h>
  #include <stdio.h>
  #include <stdlib.h>
  #include <string.h>
  #include <sys/mman.h>
  #include <unistd.h>
  static const char *res(void *p) { return p == MAP_FAILED ? strerror(errno) : "ok"; }
  int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    size_t big = SIZE;
    printf("mmap private writable: %s\\n", res(mmap(0, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)));
    printf("mmap shared anonymous: %s\\n", res(mmap(0, big, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)));
    printf("mmap MAP_NORESERVE: %s\\n", res(mmap(0, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)));
    printf("mmap PROT_NONE: %s\\n", res(mmap(0, big, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)));
    errno = 0;
    void *brk0 = sbrk(0);
    printf("sbrk: %s\\n", res(sbrk(big) == (void *)-1 ? MAP_FAILED : brk0));
    void *small = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mremap growing: %s\\n", res(mremap(small, 1 << 20, big, MREMAP_MAYMOVE)));
    printf("malloc: %s\\n", malloc(big) ? "ok" : "NULL");
    char *fits = malloc(16 << 20);
    memset(fits, 7, 16 << 20);
    printf("16 MiB: %s\\n", fits && fits[(16 << 20) - 1] == 7 ? "ok" : "failed");
    return 0;
  }`;

describe('running out of memory', () => {
  it('one request larger than the machine gets ENOMEM (mmap, shared mmap, brk, mremap; malloc returns NULL); MAP_NORESERVE and PROT_NONE are not charged', async () => {
    const { r, out } = await run('enomem', REQUESTS.replace('SIZE', '(size_t)128 << 20'), { memoryBytes: 64 << 20 });
    expect(r.kind).toBe('exited');
    expect(r.exitCode).toBe(0);
    expect(out).toBe([
      'mmap private writable: Cannot allocate memory',
      'mmap shared anonymous: Cannot allocate memory',
      'mmap MAP_NORESERVE: ok',
      'mmap PROT_NONE: ok',
      'sbrk: Cannot allocate memory',
      'mremap growing: Cannot allocate memory',
      'malloc: NULL',
      '16 MiB: ok',
      '',
    ].join('\n'));
  });

  it('a request larger than wasm memory can hold gets ENOMEM even when --memory is larger', async () => {
    const { r, out } = await run('enomem-wasm', REQUESTS.replace('SIZE', '(size_t)5 << 30'), { memoryBytes: 16 * 2 ** 30 });
    expect(r.kind).toBe('exited');
    expect(out).toContain('mmap private writable: Cannot allocate memory\n');
    expect(out).toContain('malloc: NULL\n');
    expect(out).toContain('16 MiB: ok\n');
  });

  it('requests up to the machine\'s memory succeed: memory is only taken when touched', async () => {
    const { r, out } = await run('fits', REQUESTS.replace('SIZE', '(size_t)60 << 20'), { memoryBytes: 64 << 20 });
    expect(r.kind).toBe('exited');
    expect(out).toContain('mmap private writable: ok\n');
    expect(out).toContain('mremap growing: ok\n');
    expect(out).toContain('malloc: ok\n');
  });


  it('when the host gives no more wasm memory before the machine\'s limit, the toucher is OOM-killed with one line saying so, and the host goes on', async () => {
    const { r, out, warnings } = await run('hosthog', MEMORY_HOG_C, { memoryBytes: 1 << 30, hostLimitBytes: 40 << 20 });
    expect(r.kind).toBe('killed');
    expect(r.signal?.name).toBe('SIGKILL');
    expect(r.exitCode).toBe(137);
    expect(r.message).toMatch(
      /^out of memory: pid 1000 touched a fresh page at 0x[0-9a-f]+ but the host gave the emulator no more memory \(\d+ MiB of guest pages in use; wasm memory holds at most 4 GiB\) \(OOM kill; a smaller --memory makes the guest meet its own limit first\)$/,
    );
    expect(r.message).not.toMatch(/unreachable|internal/);
    expect(out).toContain('32 MiB\n');
    expect(warnings.filter((w) => w.startsWith('rseqlab: out of memory'))).toHaveLength(1);
    // The process is fine: another machine runs.
    const hello = await run('hello-after', HELLO_C);
    expect(hello.out).toBe('hello\n');
  });

  it('the host running out inside a system call OOM-kills with the same kind of line', async () => {
    const { r } = await run('hostread', `
      #include <fcntl.h>
      #include <stdio.h>
      #include <stdlib.h>
      #include <sys/mman.h>
      #include <unistd.h>
      int main(void) {
        size_t n = 64 << 20;
        char *p = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        int fd = open("/dev/zero", O_RDONLY);
        for (size_t done = 0; done < n;) done += read(fd, p + done, n - done);
        puts("read it all");
        return 0;
      }`, { memoryBytes: 1 << 30, hostLimitBytes: 16 << 20 });
    expect(r.kind).toBe('killed');
    expect(r.message).toMatch(/^out of memory: pid 1000 needed memory in a system call but the host gave the emulator no more memory \(\d+ MiB of guest pages in use; wasm memory holds at most 4 GiB\) \(OOM kill; a smaller --memory makes the guest meet its own limit first\)$/);
  });
});

describe('wasm memory accounting', () => {
  it('memory grows ahead of need geometrically, and memoryCapacity is the frame limit, at most what 4 GiB of wasm memory leaves', async () => {
    const cpu = (await createCpu()) as WasmCpu;
    expect(cpu.hostMemoryBytes()).toBeGreaterThanOrEqual(cpu.hostBytesInUse());
    expect(cpu.memoryCapacity()).toBe(2 ** 32 - cpu.hostBytesInUse());
    cpu.setFrameLimit(256);
    expect(cpu.memoryCapacity()).toBe(1 << 20);
    cpu.setFrameLimit(Infinity);
    // Touching 64 MiB page by page grows memory by a quarter at a time (about ten times from a fresh CPU), not 1024 times by 64 KiB.
    const sizes = new Set([cpu.hostMemoryBytes()]);
    cpu.map(0x10000000, 64 << 20, 3);
    for (let a = 0; a < 64 << 20; a += 4096) {
      cpu.writeU32(0x10000000 + a, 1);
      sizes.add(cpu.hostMemoryBytes());
    }
    expect(cpu.hostBytesInUse()).toBeGreaterThan(64 << 20);
    expect(sizes.size - 1).toBeLessThanOrEqual(16);
  });
});

// The native side of the differential tests: runs x86-64 instruction
// sequences directly on the host CPU and prints the state they leave.
//
// Built by gcc at test time (test/differential/native.ts). The guest gets
// fixed mappings that the emulator side mirrors exactly:
//
//   CODE  0x20000000  4 KiB  R-X  the case's bytes, then `jmp [rip+0]; dq guest_exit`
//   DATA  0x10000000  4 KiB  RW   filled from a seed (xorshift32), then patched
//   STACK 0x30000000 16 KiB  RW   zero, then patched; the guest's rsp points here
//
// A trampoline saves the host's callee-saved registers and rsp, loads all
// 16 guest GPRs (rsp included), RFLAGS (popfq), xmm0-15 and MXCSR, and jumps
// to the code. The exit stub stores everything without touching the guest
// stack, then restores the host. Faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
// SIGTRAP) are caught on an alternate signal stack; the state at the fault
// comes from the signal's ucontext, and siglongjmp returns to the loop.
//
// Input, one directive per line (hex without 0x):
//   C <code bytes>          starts a case (registers zero, flags 0x202, mxcsr 1f80)
//   R <16 x u64>            rax rcx rdx rbx rsp rbp rsi rdi r8..r15
//   F <rflags>              only CF PF AF ZF SF OF DF are taken
//   M <mxcsr>
//   X <256 bytes>           xmm0..xmm15, little-endian
//   D <seed u32>            data region fill (0 = zeros)
//   P <addr> <bytes>        patch bytes inside DATA or STACK
//   E                       run the case and print its record
// Output per case:
//   S ok 0 0 0 <rip>  |  S fault <signo> <si_code> <si_addr> <rip>
//   R <16 x u64>
//   F <rflags>
//   M <mxcsr>
//   X <256 bytes>
//   W <addr> <bytes>        one line per run of bytes that differ from the initial image
//   .
// Every case is straight-line code whose branches all lead to the end, so it
// ends after a bounded number of instructions; a per-case timer (SIGALRM,
// reported as signal 14) guards against a generator mistake all the same.

#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE_ADDR 0x20000000UL
#define CODE_SIZE 0x1000UL
#define DATA_ADDR 0x10000000UL
#define DATA_SIZE 0x1000UL
#define STACK_ADDR 0x30000000UL
#define STACK_SIZE 0x4000UL
#define MAX_CODE 2048

#define FLAGS_MASK 0xcd5UL /* CF PF AF ZF SF OF DF */

// Guest state in and out; the asm below addresses these by name.
uint64_t g_in_gpr[16], g_out_gpr[16];
uint64_t g_in_flags, g_out_flags;
uint32_t g_in_mxcsr, g_out_mxcsr, g_host_mxcsr;
uint8_t g_in_xmm[256] __attribute__((aligned(16)));
uint8_t g_out_xmm[256] __attribute__((aligned(16)));
uint64_t g_host_rsp, g_code_entry;
uint8_t g_exit_stack[4096] __attribute__((aligned(16)));

void run_guest(void);
void guest_exit(void);

#define XMM_LOAD(i) "movdqu g_in_xmm+" #i "*16(%rip), %xmm" #i "\n"
#define XMM_STORE(i) "movdqu %xmm" #i ", g_out_xmm+" #i "*16(%rip)\n"

__asm__(
    ".text\n"
    ".globl run_guest\n"
    "run_guest:\n"
    "push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
    "mov %rsp, g_host_rsp(%rip)\n"
    "stmxcsr g_host_mxcsr(%rip)\n"
    XMM_LOAD(0) XMM_LOAD(1) XMM_LOAD(2) XMM_LOAD(3) XMM_LOAD(4) XMM_LOAD(5) XMM_LOAD(6) XMM_LOAD(7)
    XMM_LOAD(8) XMM_LOAD(9) XMM_LOAD(10) XMM_LOAD(11) XMM_LOAD(12) XMM_LOAD(13) XMM_LOAD(14) XMM_LOAD(15)
    "ldmxcsr g_in_mxcsr(%rip)\n"
    "pushq g_in_flags(%rip)\n"
    "popfq\n"
    "mov g_in_gpr+0(%rip), %rax\n"
    "mov g_in_gpr+8(%rip), %rcx\n"
    "mov g_in_gpr+16(%rip), %rdx\n"
    "mov g_in_gpr+24(%rip), %rbx\n"
    "mov g_in_gpr+40(%rip), %rbp\n"
    "mov g_in_gpr+48(%rip), %rsi\n"
    "mov g_in_gpr+56(%rip), %rdi\n"
    "mov g_in_gpr+64(%rip), %r8\n"
    "mov g_in_gpr+72(%rip), %r9\n"
    "mov g_in_gpr+80(%rip), %r10\n"
    "mov g_in_gpr+88(%rip), %r11\n"
    "mov g_in_gpr+96(%rip), %r12\n"
    "mov g_in_gpr+104(%rip), %r13\n"
    "mov g_in_gpr+112(%rip), %r14\n"
    "mov g_in_gpr+120(%rip), %r15\n"
    "mov g_in_gpr+32(%rip), %rsp\n"
    "jmp *g_code_entry(%rip)\n"
    "\n"
    ".globl guest_exit\n"
    "guest_exit:\n"
    "mov %rsp, g_out_gpr+32(%rip)\n"
    "lea g_exit_stack+4096(%rip), %rsp\n"
    "pushfq\n"
    "popq g_out_flags(%rip)\n"
    "mov %rax, g_out_gpr+0(%rip)\n"
    "mov %rcx, g_out_gpr+8(%rip)\n"
    "mov %rdx, g_out_gpr+16(%rip)\n"
    "mov %rbx, g_out_gpr+24(%rip)\n"
    "mov %rbp, g_out_gpr+40(%rip)\n"
    "mov %rsi, g_out_gpr+48(%rip)\n"
    "mov %rdi, g_out_gpr+56(%rip)\n"
    "mov %r8, g_out_gpr+64(%rip)\n"
    "mov %r9, g_out_gpr+72(%rip)\n"
    "mov %r10, g_out_gpr+80(%rip)\n"
    "mov %r11, g_out_gpr+88(%rip)\n"
    "mov %r12, g_out_gpr+96(%rip)\n"
    "mov %r13, g_out_gpr+104(%rip)\n"
    "mov %r14, g_out_gpr+112(%rip)\n"
    "mov %r15, g_out_gpr+120(%rip)\n"
    XMM_STORE(0) XMM_STORE(1) XMM_STORE(2) XMM_STORE(3) XMM_STORE(4) XMM_STORE(5) XMM_STORE(6) XMM_STORE(7)
    XMM_STORE(8) XMM_STORE(9) XMM_STORE(10) XMM_STORE(11) XMM_STORE(12) XMM_STORE(13) XMM_STORE(14) XMM_STORE(15)
    "stmxcsr g_out_mxcsr(%rip)\n"
    "cld\n"
    "ldmxcsr g_host_mxcsr(%rip)\n"
    "mov g_host_rsp(%rip), %rsp\n"
    "pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
    "ret\n");

static sigjmp_buf g_jmp;
static volatile int g_fault_sig, g_fault_code;
static volatile uint64_t g_fault_addr, g_fault_rip;

// ucontext register slots in the manual's encoding order (rax, rcx, ...).
static const int UC_GPR[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                               REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

static void on_fault(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = (ucontext_t *)ucv;
  uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
  int inGuest = rip >= CODE_ADDR && rip < CODE_ADDR + CODE_SIZE;
  // A fetch fault after a branch to an unmapped address has rip == si_addr.
  if (!inGuest && !(sig == SIGSEGV && rip == (uint64_t)si->si_addr)) {
    static const char msg[] = "runner: fault or timeout outside guest code\n";
    if (write(2, msg, sizeof msg - 1)) {}
    _exit(3);
  }
  g_fault_sig = sig;
  g_fault_code = si->si_code;
  g_fault_addr = (uint64_t)si->si_addr;
  g_fault_rip = rip;
  for (int i = 0; i < 16; i++) g_out_gpr[i] = (uint64_t)uc->uc_mcontext.gregs[UC_GPR[i]];
  g_out_flags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
  if (uc->uc_mcontext.fpregs) {
    memcpy(g_out_xmm, uc->uc_mcontext.fpregs->_xmm, 256);
    g_out_mxcsr = uc->uc_mcontext.fpregs->mxcsr;
  }
  siglongjmp(g_jmp, 1);
}

/** Arms (ms > 0) or disarms the per-case timer; SIGALRM in guest code ends the case as a fault. */
static void case_timer(long ms) {
  struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
  setitimer(ITIMER_REAL, &it, NULL);
}

static void *map_fixed(uint64_t addr, uint64_t size, int prot) {
  void *p = mmap((void *)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p != (void *)addr) {
    fprintf(stderr, "runner: cannot map 0x%lx+0x%lx\n", (unsigned long)addr, (unsigned long)size);
    exit(2);
  }
  return p;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/** Parses hex byte pairs from s into out (at most max); returns the count. */
static size_t parse_bytes(const char *s, uint8_t *out, size_t max) {
  size_t n = 0;
  while (*s == ' ') s++;
  while (n < max) {
    int hi = hexval(s[0]);
    if (hi < 0) break;
    int lo = hexval(s[1]);
    if (lo < 0) break;
    out[n++] = (uint8_t)(hi << 4 | lo);
    s += 2;
  }
  return n;
}

static void fill_data(uint8_t *p, uint32_t seed) {
  if (seed == 0) {
    memset(p, 0, DATA_SIZE);
    return;
  }
  uint32_t x = seed;
  for (size_t i = 0; i < DATA_SIZE; i += 4) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    memcpy(p + i, &x, 4);
  }
}

static uint8_t data_init[DATA_SIZE], stack_init[STACK_SIZE];

static void print_hex(const uint8_t *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    putchar(digits[p[i] >> 4]);
    putchar(digits[p[i] & 15]);
  }
}

static void print_diffs(uint64_t base, const uint8_t *now, const uint8_t *init, size_t size) {
  size_t i = 0;
  while (i < size) {
    if (now[i] == init[i]) {
      i++;
      continue;
    }
    size_t j = i;
    while (j < size && now[j] != init[j]) j++;
    printf("W %lx ", (unsigned long)(base + i));
    print_hex(now + i, j - i);
    putchar('\n');
    i = j;
  }
}

int main(void) {
  uint8_t *code = map_fixed(CODE_ADDR, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
  uint8_t *data = map_fixed(DATA_ADDR, DATA_SIZE, PROT_READ | PROT_WRITE);
  uint8_t *stack = map_fixed(STACK_ADDR, STACK_SIZE, PROT_READ | PROT_WRITE);

  static uint8_t altstack[65536];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGALRM};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);

  static char line[1 << 16];
  size_t codeLen = 0;
  static uint8_t codeBuf[MAX_CODE];
  while (fgets(line, sizeof line, stdin)) {
    switch (line[0]) {
    case 'C':
      codeLen = parse_bytes(line + 1, codeBuf, MAX_CODE - 16);
      memset(g_in_gpr, 0, sizeof g_in_gpr);
      memset(g_in_xmm, 0, sizeof g_in_xmm);
      g_in_flags = 0x202;
      g_in_mxcsr = 0x1f80;
      memset(data_init, 0, DATA_SIZE);
      memset(stack_init, 0, STACK_SIZE);
      break;
    case 'R': {
      char *s = line + 1;
      for (int i = 0; i < 16; i++) g_in_gpr[i] = strtoull(s, &s, 16);
      break;
    }
    case 'F':
      g_in_flags = (strtoull(line + 1, NULL, 16) & FLAGS_MASK) | 0x202;
      break;
    case 'M':
      g_in_mxcsr = (uint32_t)strtoul(line + 1, NULL, 16);
      break;
    case 'X':
      parse_bytes(line + 1, g_in_xmm, 256);
      break;
    case 'D':
      fill_data(data_init, (uint32_t)strtoul(line + 1, NULL, 16));
      break;
    case 'P': {
      char *s = line + 1;
      uint64_t addr = strtoull(s, &s, 16);
      uint8_t buf[4096];
      size_t n = parse_bytes(s, buf, sizeof buf);
      if (addr >= DATA_ADDR && addr + n <= DATA_ADDR + DATA_SIZE) memcpy(data_init + (addr - DATA_ADDR), buf, n);
      else if (addr >= STACK_ADDR && addr + n <= STACK_ADDR + STACK_SIZE) memcpy(stack_init + (addr - STACK_ADDR), buf, n);
      else {
        fprintf(stderr, "runner: patch outside DATA and STACK at 0x%lx\n", (unsigned long)addr);
        return 2;
      }
      break;
    }
    case 'E': {
      // The emulator maps code read+execute only: so does the host while the guest runs.
      mprotect(code, CODE_SIZE, PROT_READ | PROT_WRITE);
      memset(code, 0, CODE_SIZE);
      memcpy(code, codeBuf, codeLen);
      // jmp qword [rip+0]; dq guest_exit
      uint8_t *p = code + codeLen;
      p[0] = 0xff, p[1] = 0x25, p[2] = p[3] = p[4] = p[5] = 0;
      uint64_t exitAddr = (uint64_t)(uintptr_t)guest_exit;
      memcpy(p + 6, &exitAddr, 8);
      mprotect(code, CODE_SIZE, PROT_READ | PROT_EXEC);
      memcpy(data, data_init, DATA_SIZE);
      memcpy(stack, stack_init, STACK_SIZE);
      g_code_entry = CODE_ADDR;
      g_fault_sig = 0;
      if (sigsetjmp(g_jmp, 1) == 0) {
        case_timer(1000);
        run_guest();
        case_timer(0);
        g_out_flags &= ~0x10000UL; /* RF is not architectural state the guest can see */
        printf("S ok 0 0 0 %lx\n", (unsigned long)(CODE_ADDR + codeLen));
      } else {
        case_timer(0);
        __asm__ volatile("cld");
        uint32_t m = 0x1f80;
        __asm__ volatile("ldmxcsr %0" ::"m"(m));
        g_out_flags &= ~0x10000UL;
        printf("S fault %d %d %lx %lx\n", g_fault_sig, g_fault_code, (unsigned long)g_fault_addr,
               (unsigned long)g_fault_rip);
      }
      putchar('R');
      for (int i = 0; i < 16; i++) printf(" %lx", (unsigned long)g_out_gpr[i]);
      printf("\nF %lx\nM %x\nX ", (unsigned long)g_out_flags, g_out_mxcsr);
      print_hex(g_out_xmm, 256);
      putchar('\n');
      print_diffs(DATA_ADDR, data, data_init, DATA_SIZE);
      print_diffs(STACK_ADDR, stack, stack_init, STACK_SIZE);
      puts(".");
      break;
    }
    default:
      break;
    }
  }
  fflush(stdout);
  return 0;
}

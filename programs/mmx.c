/* mmx: MMX instructions written out in asm (gcc would turn <mmintrin.h>
 * into SSE code on x86-64), so the run compares MMX itself with the host:
 * every two-operand packed operation over pairs of edge values (one
 * checksum line each), shifts by register and immediate counts, pshufw,
 * pinsrw/pextrw, pmovmskb, maskmovq, movntq, movd/movq to and from general
 * registers, the conversions between mm and xmm, then the x87 side: the tag
 * word and TOP after MMX code and after emms, x87 arithmetic after emms, and
 * eight mm registers kept across a signal whose handler runs MMX code of its
 * own (the kernel saves them with the x87 state). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef uint64_t u64;

static const u64 V[] = {
  0, 1, 0xffffffffffffffffull, 0x8000000000000000ull, 0x7fffffffffffffffull,
  0x7f7f7f7f80808080ull, 0x00ff00ff7fff8000ull, 0x8000800080008000ull, 0x7fff7fff00010001ull,
  0x0123456789abcdefull, 0xfedcba9876543210ull, 0x80000000ffffffffull, 0x000000007fffffffull,
  0x0000000000000010ull, 0x000000000000003full, 0x0000000000000040ull, 0xdeadbeefcafef00dull,
};
#define NV (sizeof V / sizeof V[0])

static u64 hash;
static void mix(u64 v) {
  for (int i = 0; i < 8; i++) hash = (hash ^ ((v >> (8 * i)) & 0xff)) * 0x100000001b3ull;
}

/* a = a OP b with a and b in mm0/mm1, then emms. */
#define BINOP(op)                                                                     \
  static u64 op##_(u64 a, u64 b) {                                                    \
    u64 r;                                                                            \
    __asm__ volatile("movq %1, %%mm0\n\tmovq %2, %%mm1\n\t" #op " %%mm1, %%mm0\n\t"   \
                     "movq %%mm0, %0\n\temms"                                         \
                     : "=m"(r) : "m"(a), "m"(b) : "mm0", "mm1");                      \
    return r;                                                                         \
  }
#define OPS(X)                                                                               \
  X(paddb) X(paddw) X(paddd) X(paddq) X(psubb) X(psubw) X(psubd) X(psubq) X(paddsb) X(paddsw) \
  X(paddusb) X(paddusw) X(psubsb) X(psubsw) X(psubusb) X(psubusw) X(pcmpeqb) X(pcmpeqw)       \
  X(pcmpeqd) X(pcmpgtb) X(pcmpgtw) X(pcmpgtd) X(pminub) X(pmaxub) X(pminsw) X(pmaxsw)         \
  X(pavgb) X(pavgw) X(pmullw) X(pmulhw) X(pmulhuw) X(pmuludq) X(pmaddwd) X(psadbw) X(pand)    \
  X(pandn) X(por) X(pxor) X(punpcklbw) X(punpcklwd) X(punpckldq) X(punpckhbw) X(punpckhwd)   \
  X(punpckhdq) X(packsswb) X(packuswb) X(packssdw) X(psrlw) X(psrld) X(psrlq) X(psraw)       \
  X(psrad) X(psllw) X(pslld) X(psllq)
OPS(BINOP)
struct op { const char *name; u64 (*f)(u64, u64); };
#define ENTRY(op) {#op, op##_},
static const struct op ops[] = { OPS(ENTRY) };

/* Shifts by an immediate: every count from 0 to 65 would need 66 functions; these are the edges. */
#define SHIFTI(op, n)                                                                           \
  { u64 r, a = V[i];                                                                            \
    __asm__ volatile("movq %1, %%mm3\n\t" #op " $" #n ", %%mm3\n\tmovq %%mm3, %0\n\temms"       \
                     : "=m"(r) : "m"(a) : "mm3");                                               \
    mix(r); }
#define SHIFTS_I(op) SHIFTI(op, 0) SHIFTI(op, 1) SHIFTI(op, 7) SHIFTI(op, 15) SHIFTI(op, 16) SHIFTI(op, 31) SHIFTI(op, 32) SHIFTI(op, 63) SHIFTI(op, 64) SHIFTI(op, 255)

static void words_and_masks(void) {
  hash = 0xcbf29ce484222325ull;
  for (unsigned i = 0; i < NV; i++) {
    u64 a = V[i], b = V[(i * 7 + 3) % NV], r;
    unsigned w0, w3, mask;
    uint16_t low;
    memcpy(&low, &V[i], 2);
    __asm__ volatile("movq %1, %%mm2\n\tpshufw $0x1b, %%mm2, %%mm4\n\tmovq %%mm4, %0\n\temms" : "=m"(r) : "m"(a) : "mm2", "mm4");
    mix(r);
    __asm__ volatile("pshufw $0xe4, %1, %%mm5\n\tmovq %%mm5, %0\n\temms" : "=m"(r) : "m"(b) : "mm5");
    mix(r);
    __asm__ volatile("movq %3, %%mm6\n\tpextrw $0, %%mm6, %0\n\tpextrw $3, %%mm6, %1\n\tpmovmskb %%mm6, %2\n\temms"
                     : "=r"(w0), "=r"(w3), "=r"(mask) : "m"(a) : "mm6");
    mix(w0 | (u64)w3 << 16 | (u64)mask << 32);
    __asm__ volatile("movq %1, %%mm7\n\tpinsrw $2, %2, %%mm7\n\tpinsrw $1, %3, %%mm7\n\tmovq %%mm7, %0\n\temms"
                     : "=m"(r) : "m"(a), "r"((unsigned)b), "m"(low) : "mm7");
    mix(r);
    /* maskmovq stores the bytes of mm0 whose byte in mm1 has its top bit set, at [rdi]. */
    unsigned char buf[8];
    memset(buf, 0x5a, sizeof buf);
    __asm__ volatile("movq %1, %%mm0\n\tmovq %2, %%mm1\n\tmaskmovq %%mm1, %%mm0\n\tsfence\n\temms"
                     : : "D"(buf), "m"(a), "m"(b) : "mm0", "mm1", "memory");
    u64 m;
    memcpy(&m, buf, 8);
    mix(m);
    u64 nt;
    __asm__ volatile("movq %1, %%mm2\n\tmovntq %%mm2, %0\n\tsfence\n\temms" : "=m"(nt) : "m"(b) : "mm2");
    mix(nt);
    /* movd/movq between mm and general registers: movd zero-extends. */
    u64 g32, g64;
    __asm__ volatile("movq %2, %%mm3\n\tmovd %%mm3, %k0\n\tmovq %%mm3, %1\n\temms" : "=r"(g32), "=r"(g64) : "m"(a) : "mm3");
    mix(g32);
    mix(g64);
    __asm__ volatile("movd %k1, %%mm4\n\tmovq %%mm4, %0\n\temms" : "=m"(r) : "r"(b) : "mm4");
    mix(r);
    __asm__ volatile("movq %1, %%mm4\n\tmovq %%mm4, %0\n\temms" : "=m"(r) : "r"(b) : "mm4");
    mix(r);
  }
  printf("words/masks/moves %016llx\n", (unsigned long long)hash);
}

static void conversions(void) {
  static const float fs[] = { 0.5f, 1.5f, -2.5f, 3.49f, -0.0f, 2147483520.0f, 2147483648.0f, -2147483648.0f, 1e20f, -1e-20f };
  static const double ds[] = { 0.5, 2.5, -1.5, 1e10, -2147483648.0, 2147483647.4, 1.0 / 3, -1e300 };
  unsigned mxcsr0, mxcsr;
  __asm__ volatile("stmxcsr %0" : "=m"(mxcsr0));
  for (int rc = 0; rc < 4; rc++) {
    mxcsr = (mxcsr0 & ~0x603fu) | (unsigned)rc << 13;
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    hash = 0xcbf29ce484222325ull;
    for (unsigned i = 0; i + 1 < sizeof fs / sizeof fs[0]; i++) {
      u64 r, t;
      float pair[4] = { fs[i], fs[i + 1], 0, 0 };
      __asm__ volatile("movups %2, %%xmm1\n\tcvtps2pi %%xmm1, %%mm0\n\tcvttps2pi %%xmm1, %%mm1\n\t"
                       "movq %%mm0, %0\n\tmovq %%mm1, %1\n\temms"
                       : "=m"(r), "=m"(t) : "m"(pair) : "xmm1", "mm0", "mm1");
      mix(r);
      mix(t);
    }
    for (unsigned i = 0; i + 1 < sizeof ds / sizeof ds[0]; i++) {
      u64 r, t;
      double pair[2] __attribute__((aligned(16))) = { ds[i], ds[i + 1] };
      __asm__ volatile("cvtpd2pi %2, %%mm2\n\tmovapd %2, %%xmm2\n\tcvttpd2pi %%xmm2, %%mm3\n\t"
                       "movq %%mm2, %0\n\tmovq %%mm3, %1\n\temms"
                       : "=m"(r), "=m"(t) : "m"(pair) : "xmm2", "mm2", "mm3");
      mix(r);
      mix(t);
    }
    for (unsigned i = 0; i < NV; i++) {
      float f[4] = { 9, 9, 9, 9 };
      double d[2];
      __asm__ volatile("movups %2, %%xmm3\n\tmovq %3, %%mm4\n\tcvtpi2ps %%mm4, %%xmm3\n\tcvtpi2pd %%mm4, %%xmm4\n\t"
                       "movups %%xmm3, %0\n\tmovupd %%xmm4, %1\n\temms"
                       : "=m"(f), "=m"(d) : "m"(f), "m"(V[i]) : "xmm3", "xmm4", "mm4");
      u64 fb[2], db[2];
      memcpy(fb, f, 16);
      memcpy(db, d, 16);
      mix(fb[0]);
      mix(fb[1]);
      mix(db[0]);
      mix(db[1]);
      __asm__ volatile("cvtpi2ps %1, %%xmm5\n\tcvtpi2pd %1, %%xmm6\n\tmovq %%xmm5, %0" : "=m"(fb[0]) : "m"(V[i]) : "xmm5", "xmm6");
      mix(fb[0]);
      /* movq2dq / movdq2q */
      u64 lo, hi, back;
      __asm__ volatile("movq %3, %%mm5\n\tmovq2dq %%mm5, %%xmm7\n\tmovq %%xmm7, %0\n\tpsrldq $8, %%xmm7\n\tmovq %%xmm7, %1\n\t"
                       "movdq2q %%xmm7, %%mm6\n\tmovq %%mm6, %2\n\temms"
                       : "=m"(lo), "=m"(hi), "=m"(back) : "m"(V[i]) : "xmm7", "mm5", "mm6");
      mix(lo);
      mix(hi);
      mix(back);
    }
    unsigned flags;
    __asm__ volatile("stmxcsr %0" : "=m"(flags));
    printf("conversions rc %d %016llx mxcsr flags %02x\n", rc, (unsigned long long)hash, flags & 0x3f);
  }
  __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr0));
}

/* The x87 view of MMX state (Vol. 1, 9.5): fnstenv's tag word and TOP. */
static void x87_view(void) {
  struct { unsigned cw, sw, tw, rest[4]; } env;
  unsigned char image[108];
  long double one = 1, three = 3;
  __asm__ volatile("fninit\n\tfld1\n\tfld1\n\tfld1\n\tfnstenv %0\n\tfldcw %0" : "=m"(env));
  printf("after three fld1: sw %04x tw %04x\n", env.sw & 0xffff, env.tw & 0xffff);
  /* Only R2 (written) and R5-R7 (the fld1 values) have known contents: the other tags are masked. */
  __asm__ volatile("pxor %%mm2, %%mm2\n\tfnstenv %0\n\tfldcw %0" : "=m"(env) : : "mm2");
  printf("after pxor mm2, mm2: sw %04x tw (R2, R5-R7) %04x\n", env.sw & 0xffff, env.tw & 0xfc30);
  __asm__ volatile("movq %1, %%mm0\n\tfnsave %0\n\tfrstor %0" : "=m"(image) : "m"(V[9]) : "mm0");
  printf("fnsave after movq mm0: tw (R0) %x st0 ", image[8] & 3);
  for (int i = 9; i >= 0; i--) printf("%02x", image[28 + i]);
  printf("\n");
  __asm__ volatile("emms\n\tfnstenv %0\n\tfldcw %0" : "=m"(env));
  printf("after emms: sw %04x tw %04x\n", env.sw & 0xffff, env.tw & 0xffff);
  long double r = one / three;
  unsigned char rb[10];
  memcpy(rb, &r, 10);
  printf("x87 after emms: 1/3 = ");
  for (int i = 9; i >= 0; i--) printf("%02x", rb[i]);
  printf("\n");
  /* x87 code after MMX code without emms: the stack is full, fld overflows. */
  unsigned short sw;
  __asm__ volatile("fninit\n\tmovq %1, %%mm1\n\tfld1\n\tfnstsw %0\n\tfninit" : "=m"(sw) : "m"(V[1]) : "mm1");
  printf("fld after MMX without emms: sw %04x\n", sw);
}

/* The handler clobbers every mm register and empties the tag word. */
static void on_usr1(int sig) {
  (void)sig;
  __asm__ volatile("pcmpeqb %%mm0, %%mm0\n\tmovq %%mm0, %%mm1\n\tmovq %%mm0, %%mm2\n\tmovq %%mm0, %%mm3\n\t"
                   "movq %%mm0, %%mm4\n\tmovq %%mm0, %%mm5\n\tmovq %%mm0, %%mm6\n\tmovq %%mm0, %%mm7\n\temms"
                   : : : "mm0", "mm1", "mm2", "mm3", "mm4", "mm5", "mm6", "mm7");
}

static void across_signal(void) {
  signal(SIGUSR1, on_usr1);
  u64 in[8], out[8];
  for (int i = 0; i < 8; i++) in[i] = V[i + 5];
  long pid = getpid(), tid = syscall(SYS_gettid);
  __asm__ volatile(
      "movq 0(%2), %%mm0\n\tmovq 8(%2), %%mm1\n\tmovq 16(%2), %%mm2\n\tmovq 24(%2), %%mm3\n\t"
      "movq 32(%2), %%mm4\n\tmovq 40(%2), %%mm5\n\tmovq 48(%2), %%mm6\n\tmovq 56(%2), %%mm7\n\t"
      "syscall\n\t" /* tgkill(pid, tid, SIGUSR1): the handler runs on the way back */
      "movq %%mm0, 0(%1)\n\tmovq %%mm1, 8(%1)\n\tmovq %%mm2, 16(%1)\n\tmovq %%mm3, 24(%1)\n\t"
      "movq %%mm4, 32(%1)\n\tmovq %%mm5, 40(%1)\n\tmovq %%mm6, 48(%1)\n\tmovq %%mm7, 56(%1)\n\temms"
      : "+a"(*(long[]){SYS_tgkill}) : "r"(out), "r"(in), "D"(pid), "S"(tid), "d"((long)SIGUSR1)
      : "rcx", "r11", "memory", "mm0", "mm1", "mm2", "mm3", "mm4", "mm5", "mm6", "mm7");
  printf("mm registers across a signal: %s\n", memcmp(in, out, sizeof in) == 0 ? "kept" : "LOST");
}

int main(void) {
  for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++) {
    hash = 0xcbf29ce484222325ull;
    for (unsigned i = 0; i < NV; i++)
      for (unsigned j = 0; j < NV; j++) mix(ops[k].f(V[i], V[j]));
    printf("%-10s %016llx  %016llx\n", ops[k].name, (unsigned long long)hash, (unsigned long long)ops[k].f(V[9], V[10]));
  }
  hash = 0xcbf29ce484222325ull;
  for (unsigned i = 0; i < NV; i++) {
    SHIFTS_I(psrlw) SHIFTS_I(psraw) SHIFTS_I(psllw) SHIFTS_I(psrld) SHIFTS_I(psrad) SHIFTS_I(pslld) SHIFTS_I(psrlq) SHIFTS_I(psllq)
  }
  printf("shifts by imm8 %016llx\n", (unsigned long long)hash);
  words_and_masks();
  conversions();
  x87_view();
  across_signal();
  puts("mmx: ok");
  return 0;
}

// x86-64-v2 instructions through their intrinsics, built with
// -march=x86-64-v2 (scripts/build-programs.mjs): SSE4.2 string compares
// (_mm_cmpistri/_mm_cmpistrm/_mm_cmpestri/_mm_cmpestrm and their flag
// forms) over many imm8 modes, crc32 in every operand size, popcnt,
// pshufb and a sample of SSE3, SSSE3 and SSE4.1; then glibc's string
// functions, which pick their SSE4/SSSE3 variants from cpuid, checked
// against plain loops; then MMX and the SSSE3 mm-register forms (see the
// MMX section). Every result is printed, so the emulated output must equal
// the native one byte for byte.
#include <nmmintrin.h> // SSE4.2, includes SSE4.1, SSSE3, SSE3, SSE, MMX
#include <stdint.h>
#include <stdio.h>
#include <string.h>

// Operands pass through noipa functions so gcc cannot fold the intrinsics.
__attribute__((noipa)) static __m128i load(const void *p) { return _mm_loadu_si128((const __m128i *)p); }
__attribute__((noipa)) static int len(int n) { return n; }

static void show(const char *what, __m128i v) {
  uint8_t b[16];
  _mm_storeu_si128((__m128i *)b, v);
  printf("%-28s", what);
  for (int i = 15; i >= 0; i--) printf("%02x%s", b[i], i == 8 ? "_" : "");
  printf("\n");
}

static void showps(const char *what, __m128 v) {
  float f[4];
  _mm_storeu_ps(f, v);
  printf("%-28s %a %a %a %a\n", what, f[0], f[1], f[2], f[3]);
}

static void showpd(const char *what, __m128d v) {
  double f[2];
  _mm_storeu_pd(f, v);
  printf("%-28s %a %a\n", what, f[0], f[1]);
}

// ---- SSE4.2 string compares ---------------------------------------------------------------

// One string-compare mode: the index, the masks and all five flags for a pair of operands.
#define CMPI(MODE)                                                                                         \
  do {                                                                                                     \
    printf("%-24s i=%2d c%d z%d s%d o%d a%d  ", #MODE, _mm_cmpistri(a, b, MODE), _mm_cmpistrc(a, b, MODE), \
           _mm_cmpistrz(a, b, MODE), _mm_cmpistrs(a, b, MODE), _mm_cmpistro(a, b, MODE),                  \
           _mm_cmpistra(a, b, MODE));                                                                      \
    show("m", _mm_cmpistrm(a, b, MODE));                                                                   \
  } while (0)

#define CMPE(MODE)                                                                                               \
  do {                                                                                                           \
    printf("%-24s la=%3d lb=%3d i=%2d c%d z%d s%d o%d a%d  ", #MODE, la, lb, _mm_cmpestri(a, la, b, lb, MODE),  \
           _mm_cmpestrc(a, la, b, lb, MODE), _mm_cmpestrz(a, la, b, lb, MODE), _mm_cmpestrs(a, la, b, lb, MODE), \
           _mm_cmpestro(a, la, b, lb, MODE), _mm_cmpestra(a, la, b, lb, MODE));                                  \
    show("m", _mm_cmpestrm(a, la, b, lb, MODE));                                                                 \
  } while (0)

#define ALL_MODES(CMP)                                                                              \
  CMP(_SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ANY);                                                       \
  CMP(_SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ANY | _SIDD_NEGATIVE_POLARITY | _SIDD_MOST_SIGNIFICANT);    \
  CMP(_SIDD_UBYTE_OPS | _SIDD_CMP_RANGES);                                                          \
  CMP(_SIDD_SBYTE_OPS | _SIDD_CMP_RANGES | _SIDD_MASKED_NEGATIVE_POLARITY);                         \
  CMP(_SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_EACH | _SIDD_NEGATIVE_POLARITY);                            \
  CMP(_SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_EACH | _SIDD_MASKED_NEGATIVE_POLARITY | _SIDD_UNIT_MASK);   \
  CMP(_SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ORDERED);                                                   \
  CMP(_SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ORDERED | _SIDD_MOST_SIGNIFICANT | _SIDD_UNIT_MASK);        \
  CMP(_SIDD_UWORD_OPS | _SIDD_CMP_EQUAL_ANY | _SIDD_UNIT_MASK);                                     \
  CMP(_SIDD_SWORD_OPS | _SIDD_CMP_RANGES | _SIDD_MOST_SIGNIFICANT);                                 \
  CMP(_SIDD_UWORD_OPS | _SIDD_CMP_EQUAL_EACH | _SIDD_UNIT_MASK);                                    \
  CMP(_SIDD_SWORD_OPS | _SIDD_CMP_EQUAL_ORDERED | _SIDD_NEGATIVE_POLARITY)

static void string_compares(void) {
  static const char pairs[][2][17] = {
    {"aeiou", "the quick brown "},          // equal any: vowels in a string
    {"az09", "Hello, World 42!"},           // ranges: lower case and digits
    {"brown", "the quick brown "},          // equal ordered: a substring
    {"quick\0zz", "quick\0zzzzzzzzzz"},      // equal each up to the NUL
    {"\x80\xff\x01\x7f", "\x81\x80\xfe\x7f\x01\x00yy"}, // signed and unsigned edges
    {"", "abc"},                            // empty first operand
    {"abcdefghijklmnop", "abcdefghijklmnop"}, // no NUL in either
  };
  for (unsigned p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
    __m128i a = load(pairs[p][0]), b = load(pairs[p][1]);
    printf("pcmpistr pair %u\n", p);
    ALL_MODES(CMPI);
    static const int lens[][2] = {{5, 16}, {3, 9}, {-4, 20}, {17, -17}, {0, 0}, {16, 8}};
    for (unsigned l = 0; l < sizeof lens / sizeof lens[0]; l++) {
      int la = len(lens[l][0]), lb = len(lens[l][1]);
      printf("pcmpestr pair %u lengths %d %d\n", p, la, lb);
      ALL_MODES(CMPE);
    }
  }
}

// ---- crc32, popcnt, pshufb -----------------------------------------------------------------

static void crc_popcnt_pshufb(void) {
  static const char text[] = "The quick brown fox jumps over the lazy dog, 0123456789 times.";
  uint32_t c8 = 0xffffffff, c16 = 0xffffffff, c32 = 0xffffffff;
  uint64_t c64 = 0xffffffff;
  size_t n = strlen(text);
  for (size_t i = 0; i < n; i++) c8 = _mm_crc32_u8(c8, (uint8_t)text[len((int)i) ]);
  for (size_t i = 0; i + 2 <= n; i += 2) { uint16_t w; memcpy(&w, text + i, 2); c16 = _mm_crc32_u16(c16, w); }
  for (size_t i = 0; i + 4 <= n; i += 4) { uint32_t w; memcpy(&w, text + i, 4); c32 = _mm_crc32_u32(c32, w); }
  for (size_t i = 0; i + 8 <= n; i += 8) { uint64_t w; memcpy(&w, text + i, 8); c64 = _mm_crc32_u64(c64, w); }
  printf("crc32c u8 %08x u16 %08x u32 %08x u64 %016llx\n", ~c8, ~c16, ~c32, (unsigned long long)c64);
  // "123456789" has the CRC-32C check value e3069283.
  uint32_t check = 0xffffffff;
  for (const char *s = "123456789"; *s; s++) check = _mm_crc32_u8(check, (uint8_t)*s);
  printf("crc32c check %08x\n", ~check);

  static const uint64_t pop[] = {0, 1, 0x8000000000000000ull, 0xffffffffffffffffull, 0x5555555555555555ull, 0x0123456789abcdefull};
  for (unsigned i = 0; i < sizeof pop / sizeof pop[0]; i++) {
    uint64_t v = pop[len((int)i)];
    printf("popcnt %016llx: %lld %d\n", (unsigned long long)v, (long long)_mm_popcnt_u64(v), _mm_popcnt_u32((uint32_t)v));
  }

  __m128i bytes = load("0123456789abcdef");
  show("pshufb reverse", _mm_shuffle_epi8(bytes, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)));
  show("pshufb zeroing", _mm_shuffle_epi8(bytes, _mm_set_epi8(-1, 0, -128, 1, 0x70, 2, 0x8f, 3, 15, 14, 13, 12, 0x1f, 0x2e, -3, -4)));
  // Hex digits of a 64-bit value with pshufb as a table lookup.
  __m128i hex = load("0123456789abcdef");
  uint64_t v = 0xfedcba9876543210ull;
  __m128i nib = _mm_set_epi64x(0, (long long)v);
  __m128i lo = _mm_and_si128(nib, _mm_set1_epi8(15)), hi = _mm_and_si128(_mm_srli_epi16(nib, 4), _mm_set1_epi8(15));
  char out[17] = {0};
  _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(hex, _mm_unpacklo_epi8(hi, lo)));
  out[16] = 0;
  printf("pshufb hex %s\n", out);
}

// ---- SSE3, SSSE3, SSE4.1 -------------------------------------------------------------------

static void sse3_ssse3_sse41(void) {
  __m128 fa = _mm_castsi128_ps(load("\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40\x00\x00\x80\x40")); // 1 2 3 4
  __m128 fb = _mm_castsi128_ps(load("\x00\x00\x20\x41\x00\x00\x80\x7f\x00\x00\x80\xff\x01\x00\x00\x00")); // 10 inf -inf denormal
  showps("haddps", _mm_hadd_ps(fa, fb));
  showps("hsubps", _mm_hsub_ps(fa, fb));
  showps("addsubps", _mm_addsub_ps(fa, fb));
  showps("movshdup", _mm_movehdup_ps(fa));
  showps("movsldup", _mm_moveldup_ps(fa));
  __m128d da = _mm_castps_pd(fa), db = _mm_set_pd(-2.5, 1.0 / 3.0);
  showpd("haddpd", _mm_hadd_pd(db, db));
  showpd("addsubpd", _mm_addsub_pd(db, db));
  showpd("movddup", _mm_movedup_pd(db));
  (void)da;

  __m128i x = load("\x01\x80\xff\x7f\x00\x10\xf0\x55\xaa\x02\xfe\x81\x7e\x40\xc0\x33");
  __m128i y = load("\xff\x01\x00\x80\x7f\x02\x03\xfe\x81\x10\x20\x30\xf0\x01\x02\x03");
  show("palignr 5", _mm_alignr_epi8(x, y, 5));
  show("palignr 20", _mm_alignr_epi8(x, y, 20));
  show("pabsb", _mm_abs_epi8(x));
  show("pabsw", _mm_abs_epi16(x));
  show("pabsd", _mm_abs_epi32(x));
  show("psignb", _mm_sign_epi8(x, y));
  show("psignw", _mm_sign_epi16(x, y));
  show("psignd", _mm_sign_epi32(x, y));
  show("phaddw", _mm_hadd_epi16(x, y));
  show("phaddsw", _mm_hadds_epi16(x, y));
  show("phsubd", _mm_hsub_epi32(x, y));
  show("phsubsw", _mm_hsubs_epi16(x, y));
  show("pmaddubsw", _mm_maddubs_epi16(x, y));
  show("pmulhrsw", _mm_mulhrs_epi16(x, y));

  show("pblendvb", _mm_blendv_epi8(x, y, y));
  show("pblendw 0xa5", _mm_blend_epi16(x, y, 0xa5));
  show("pminsb", _mm_min_epi8(x, y));
  show("pmaxud", _mm_max_epu32(x, y));
  show("pminuw", _mm_min_epu16(x, y));
  show("pmaxsd", _mm_max_epi32(x, y));
  show("pmulld", _mm_mullo_epi32(x, y));
  show("pmuldq", _mm_mul_epi32(x, y));
  show("pcmpeqq", _mm_cmpeq_epi64(x, x));
  show("pcmpgtq", _mm_cmpgt_epi64(x, y));
  show("packusdw", _mm_packus_epi32(x, y));
  show("pmovsxbd", _mm_cvtepi8_epi32(x));
  show("pmovzxwq", _mm_cvtepu16_epi64(x));
  show("pmovsxdq", _mm_cvtepi32_epi64(y));
  show("phminposuw", _mm_minpos_epu16(y));
  show("mpsadbw 5", _mm_mpsadbw_epu8(x, y, 5));
  show("pinsrd 2", _mm_insert_epi32(x, len(-7), 2));
  show("pinsrb 9", _mm_insert_epi8(x, len(0x1ab), 9));
  printf("pextrb %d pextrw %d pextrd %d pextrq %lld extractps %d\n", _mm_extract_epi8(x, 3), _mm_extract_epi16(x, 5),
         _mm_extract_epi32(x, 2), (long long)_mm_extract_epi64(y, 1), _mm_extract_ps(fb, 1));
  printf("ptest z%d c%d nzc%d\n", _mm_testz_si128(x, y), _mm_testc_si128(x, x), _mm_testnzc_si128(x, y));

  __m128d r = _mm_set_pd(-2.5, 2.5);
  showpd("roundpd nearest", _mm_round_pd(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  showpd("roundpd floor", _mm_floor_pd(r));
  showpd("roundpd ceil", _mm_ceil_pd(r));
  showps("roundps trunc", _mm_round_ps(_mm_set_ps(-0.5f, 0.5f, 1.5f, -1e9f), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC));
  showps("dpps 0xf1", _mm_dp_ps(fa, fa, 0xf1));
  showps("dpps 0x3c", _mm_dp_ps(fa, _mm_set1_ps(0.1f), 0x3c));
  showpd("dppd 0x31", _mm_dp_pd(db, db, 0x31));
  showps("insertps 0x9a", _mm_insert_ps(fa, fb, 0x9a));
}

// ---- glibc's string functions (ifunc variants chosen from cpuid) ---------------------------

static size_t plain_strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
static int sign(int v) { return (v > 0) - (v < 0); }

static void glibc_strings(void) {
  static char buf[300], other[300];
  unsigned long sum = 0, bad = 0;
  for (int n = 0; n < 200; n += 7) {
    for (int off = 0; off < 33; off += 5) {
      memset(buf, 'x', sizeof buf);
      for (int i = 0; i < n; i++) buf[off + i] = (char)('a' + (i * 7 + off) % 26);
      buf[off + n] = 0;
      memcpy(other, buf, sizeof buf);
      const char *s = buf + off;
      bad += strlen(s) != plain_strlen(s);
      const char *c = strchr(s, 'q');
      sum += c ? (unsigned long)(c - s) : 1000;
      c = strrchr(s, 'e');
      sum += c ? (unsigned long)(c - s) : 2000;
      bad += strcmp(s, other + off) != 0 || memcmp(s, other + off, (size_t)n) != 0;
      if (n > 0) {
        other[off + n / 2] ^= 1;
        int want = sign((unsigned char)s[n / 2] - (unsigned char)other[off + n / 2]);
        bad += sign(strcmp(s, other + off)) != want || sign(memcmp(s, other + off, (size_t)n)) != want;
        bad += sign(strncmp(s, other + off, (size_t)n / 2)) != 0;
        other[off + n / 2] ^= 1;
      }
      c = strstr(s, "hov");
      sum += c ? (unsigned long)(c - s) : 3000;
      sum += strspn(s, "abcdefghij") + strcspn(s, "xyz") * 3;
      c = strpbrk(s, "zyw");
      sum += c ? (unsigned long)(c - s) : 4000;
    }
  }
  printf("glibc strings: checksum %lu, %lu wrong\n", sum, bad);
}

// ---- MMX -----------------------------------------------------------------------------------
// __m64 intrinsics (<mmintrin.h>, <xmmintrin.h>, <tmmintrin.h>) next to the same
// instructions on mm registers. gcc 12 in 64-bit mode implements every __m64 intrinsic
// with xmm registers (the "MMX with SSE" lowering: paddw xmm, pshufb xmm with the index
// bytes masked by 0xf7, palignr as punpcklqdq + psrldq, ...); what stays MMX of them is the
// glue between xmm, mm and general registers, and emms. So each operation also runs on mm
// registers through asm with "y" operands, once register-register and once with an m64
// source, and each line shows the mm result and whether the intrinsic agrees.
// objdump -d build/programs/simd_v2 shows on mm registers, each as mm, mm and mm, m64:
// pshufb, phaddw, phaddd, phaddsw, pmaddubsw, phsubw, phsubd, phsubsw, psignb, psignw,
// psignd, pmulhrsw, pabsb, pabsw, pabsd, palignr (SSSE3, NP 0F 38 / 0F 3A 0F); paddw,
// pmullw, punpcklbw (MMX), psadbw (SSE on mm); and pmovmskb r32, mm, movq r64, mm,
// movdq2q mm, xmm (gcc's glue) and emms (from _mm_empty).

static uint64_t u64of(__m64 v) { uint64_t u; memcpy(&u, &v, 8); return u; }
__attribute__((noipa)) static __m64 m64(uint64_t u) { __m64 v; memcpy(&v, &u, 8); return v; }

// INSN mm, mm and INSN mm, m64 (AT&T order: source first), [IMM] for palignr.
#define MM_RR(INSN, A, B) ({ __m64 a_ = (A), b_ = (B); __asm__(INSN " %1, %0" : "+y"(a_) : "y"(b_)); a_; })
#define MM_RM(INSN, A, B) ({ __m64 a_ = (A), b_ = (B); __asm__(INSN " %1, %0" : "+y"(a_) : "m"(b_)); a_; })
#define MM_RRI(INSN, IMM, A, B) ({ __m64 a_ = (A), b_ = (B); __asm__(INSN " $" #IMM ", %1, %0" : "+y"(a_) : "y"(b_)); a_; })
#define MM_RMI(INSN, IMM, A, B) ({ __m64 a_ = (A), b_ = (B); __asm__(INSN " $" #IMM ", %1, %0" : "+y"(a_) : "m"(b_)); a_; })

static void show_mm(const char *what, __m64 reg, __m64 mem, __m64 intrinsic) {
  uint64_t r = u64of(reg), m = u64of(mem), i = u64of(intrinsic);
  printf("%-22s %016llx%s%s\n", what, (unsigned long long)r, m == r ? "" : " m64 form differs",
         i == r ? "" : " intrinsic differs");
}

// Two-operand operations: A op B on mm registers, from memory, and through the intrinsic.
#define MM_OP(INSN, INTRIN, A, B) show_mm(INSN, MM_RR(INSN, A, B), MM_RM(INSN, A, B), INTRIN(A, B))
// pabs* read only the source.
#define MM_ABS(INSN, INTRIN, A, B) show_mm(INSN, MM_RR(INSN, A, B), MM_RM(INSN, A, B), INTRIN(B))
#define MM_ALIGNR(IMM, A, B) \
  show_mm("palignr " #IMM, MM_RRI("palignr", IMM, A, B), MM_RMI("palignr", IMM, A, B), _mm_alignr_pi8(A, B, IMM))

static void mmx(void) {
  static const uint64_t values[] = {
    0x8000ffff7fff0001ull, // word edges
    0x80ff7f0001fe8100ull, // byte edges
    0x7fffffff80000000ull, // dword edges
    0x0f87f0780c0b0405ull, // pshufb indices: bits 3-6 set (ignored on mm), bit 7 (zero)
    0x0123456789abcdefull,
    0xfffefdfc05040302ull,
  };
  const unsigned n = sizeof values / sizeof values[0];
  for (unsigned i = 0; i < n; i++) {
    for (unsigned j = 0; j < n; j += 1 + (i & 1)) {
      __m64 a = m64(values[i]), b = m64(values[j]);
      printf("mm %016llx %016llx\n", (unsigned long long)values[i], (unsigned long long)values[j]);
      MM_OP("pshufb", _mm_shuffle_pi8, a, b);
      MM_OP("phaddw", _mm_hadd_pi16, a, b);
      MM_OP("phaddd", _mm_hadd_pi32, a, b);
      MM_OP("phaddsw", _mm_hadds_pi16, a, b);
      MM_OP("pmaddubsw", _mm_maddubs_pi16, a, b);
      MM_OP("phsubw", _mm_hsub_pi16, a, b);
      MM_OP("phsubd", _mm_hsub_pi32, a, b);
      MM_OP("phsubsw", _mm_hsubs_pi16, a, b);
      MM_OP("psignb", _mm_sign_pi8, a, b);
      MM_OP("psignw", _mm_sign_pi16, a, b);
      MM_OP("psignd", _mm_sign_pi32, a, b);
      MM_OP("pmulhrsw", _mm_mulhrs_pi16, a, b);
      MM_ABS("pabsb", _mm_abs_pi8, a, b);
      MM_ABS("pabsw", _mm_abs_pi16, a, b);
      MM_ABS("pabsd", _mm_abs_pi32, a, b);
      MM_ALIGNR(0, a, b);
      MM_ALIGNR(3, a, b);
      MM_ALIGNR(8, a, b);
      MM_ALIGNR(13, a, b);
      MM_ALIGNR(16, a, b);
      MM_ALIGNR(200, a, b);
      MM_OP("paddw", _mm_add_pi16, a, b);
      MM_OP("pmullw", _mm_mullo_pi16, a, b);
      MM_OP("punpcklbw", _mm_unpacklo_pi8, a, b);
      MM_OP("psadbw", _mm_sad_pu8, a, b);
      int mask;
      __asm__("pmovmskb %1, %0" : "=r"(mask) : "y"(a));
      printf("%-22s %02x%s\n", "pmovmskb", mask, mask == _mm_movemask_pi8(a) ? "" : " intrinsic differs");
    }
  }
  // A small computation in intrinsics: a byte histogram difference, summed with psadbw.
  __m64 acc = _mm_setzero_si64();
  for (unsigned i = 0; i < n; i++) {
    __m64 v = m64(values[i]);
    __m64 w = _mm_shuffle_pi8(v, m64(0x0001020304050607ull)); // bytes reversed
    acc = _mm_add_pi16(acc, _mm_sad_pu8(_mm_abs_pi8(v), _mm_alignr_pi8(w, v, 3)));
    acc = _mm_add_pi16(acc, _mm_hadd_pi16(_mm_mullo_pi16(_mm_unpacklo_pi8(v, w), v), acc));
  }
  printf("mmx intrinsics accumulate %016llx\n", (unsigned long long)u64of(acc));
  _mm_empty();
  // After emms the x87 stack is usable again.
  volatile long double x = 1.0L / 3;
  printf("x87 after emms %.18Lg\n", x * 3);
}

int main(void) {
  string_compares();
  crc_popcnt_pshufb();
  sse3_ssse3_sse41();
  glibc_strings();
  mmx();
  printf("simd_v2: ok\n");
  return 0;
}

/* rseq-abi.h: the restartable-sequences ABI as the rseq programs use it,
 * written from shared/docs/rseq-abi.md (the section numbers below are that
 * page's). Not glibc's <sys/rseq.h> and not the kernel selftests' headers:
 * the programs must show what the ABI asks for, in one place.
 *
 *  - struct rseq_abi / struct rseq_abi_cs and the constants (section 1, 2, 9);
 *  - the thread's area: glibc's registration when it has one (section 6),
 *    or an area of our own with a chosen length (original 32 bytes, or an
 *    extended / V2 length from the auxiliary vector);
 *  - critical sections in inline asm with the x86-64 conventions of
 *    section 7: the descriptor in __rseq_cs, its address in
 *    __rseq_cs_ptr_array, every jump out to C code listed in
 *    __rseq_exit_point_array, the abort handler in __rseq_failure behind
 *    the signature (inside a ud1), and the commit store as the last
 *    instruction of [start_ip, post_commit_ip);
 *  - the operations: rseq_addv, rseq_offset_deref_addv, rseq_cmpeqv_storev,
 *    rseq_cmpnev_storeoffp_load, rseq_cmpeqv_trystorev_storev,
 *    rseq_cmpeqv_trymemcpy_storev, each also as rseq_mm_cid_* (indexed and
 *    checked by mm_cid instead of cpu_id). Each returns RSEQ_OK (0) when
 *    it committed, RSEQ_ABORTED (-1) when it aborted (preempted, migrated,
 *    signalled, or the index no longer matched), RSEQ_CMPFAIL (1) when the
 *    value comparison failed (nothing was stored).
 *
 * Each operation is a separate function (noipa: never inlined or cloned),
 * so a program has one descriptor per operation it uses and the function's
 * name finds it (rseqlab's --inject preempt@rseq_addv+OFF, or csJ+OFF).
 * Unused operations are not emitted. */
#ifndef RSEQ_ABI_H
#define RSEQ_ABI_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- Section 1: the data layout ------------------------------------- */

/* The per-thread area, 32-byte aligned. The kernel writes cpu_id_start,
 * cpu_id, node_id and mm_cid; user space writes rseq_cs (the kernel clears
 * it) and must leave flags at 0 (section 4 step 7). slice_ctrl (offset 28)
 * exists only for a V2 registration longer than 32 bytes (section 9). */
struct rseq_abi {
	uint32_t cpu_id_start;	/* always a valid CPU; 0 when unregistered */
	uint32_t cpu_id;	/* -1 unregistered, -2 registration failed */
	uint64_t rseq_cs;	/* address of the active struct rseq_abi_cs, or 0 */
	uint32_t flags;		/* RSEQ_CS_FLAG_* are deprecated: keep 0 */
	uint32_t node_id;	/* 6.3+ (feature size >= 24) */
	uint32_t mm_cid;	/* 6.3+ (feature size >= 28) */
	union {			/* V2 only: time slice extension (section 9) */
		uint32_t all;
		struct {
			uint8_t request;
			uint8_t granted;
			uint16_t reserved;
		};
	} slice_ctrl;
} __attribute__((aligned(32)));

/* struct rseq_cs: the descriptor of one critical section, 32-byte aligned.
 * The section is [start_ip, start_ip + post_commit_offset); abort_ip must be
 * outside it and preceded by the 4-byte signature (section 4). */
struct rseq_abi_cs {
	uint32_t version;	/* 0 */
	uint32_t flags;		/* 0 */
	uint64_t start_ip;
	uint64_t post_commit_offset;
	uint64_t abort_ip;
} __attribute__((aligned(32)));

_Static_assert(offsetof(struct rseq_abi, cpu_id) == 4, "cpu_id at 4");
_Static_assert(offsetof(struct rseq_abi, rseq_cs) == 8, "rseq_cs at 8");
_Static_assert(offsetof(struct rseq_abi, flags) == 16, "flags at 16");
_Static_assert(offsetof(struct rseq_abi, node_id) == 20, "node_id at 20");
_Static_assert(offsetof(struct rseq_abi, mm_cid) == 24, "mm_cid at 24");
_Static_assert(offsetof(struct rseq_abi, slice_ctrl) == 28, "slice_ctrl at 28");
_Static_assert(sizeof(struct rseq_abi) == 32, "the original size is 32");
_Static_assert(sizeof(struct rseq_abi_cs) == 32, "struct rseq_cs is 32 bytes");

/* ---- Constants -------------------------------------------------------- */

/* x86's signature: the 4 bytes before every abort_ip (sections 4, 6, 7). */
#define RSEQ_ABI_SIG 0x53053053
#define RSEQ_ABI_SIG_STR "0x53053053"

#define RSEQ_ABI_FLAG_UNREGISTER (1 << 0)	/* rseq() flags (section 2) */
#define RSEQ_ABI_FLAG_SLICE_EXT_DEFAULT_ON (1 << 1)	/* V2 registration (section 9) */

#define RSEQ_ABI_CPU_ID_UNINITIALIZED (-1)
#define RSEQ_ABI_CPU_ID_REGISTRATION_FAILED (-2)

/* struct rseq_abi_cs / area flags: deprecated NO_RESTART bits (rejected by
 * current kernels), and the read-only slice-extension information bits. */
#define RSEQ_ABI_CS_FLAG_NO_RESTART_ON_PREEMPT (1 << 0)
#define RSEQ_ABI_CS_FLAG_NO_RESTART_ON_SIGNAL (1 << 1)
#define RSEQ_ABI_CS_FLAG_NO_RESTART_ON_MIGRATE (1 << 2)
#define RSEQ_ABI_FLAG_SLICE_EXT_AVAILABLE (1 << 4)
#define RSEQ_ABI_FLAG_SLICE_EXT_ENABLED (1 << 5)

/* Feature sizes: the original fields end at 20 (flags), node_id at 24,
 * mm_cid at 28, slice_ctrl's request byte makes 29 (the kernels of April
 * 2026 say 33). */
#define RSEQ_ABI_ORIG_SIZE 32
#define RSEQ_ABI_FEATURE_ORIG 20
#define RSEQ_ABI_FEATURE_NODE_ID 24
#define RSEQ_ABI_FEATURE_MM_CID 28

#ifndef AT_RSEQ_FEATURE_SIZE
#define AT_RSEQ_FEATURE_SIZE 27
#endif
#ifndef AT_RSEQ_ALIGN
#define AT_RSEQ_ALIGN 28
#endif

#define RSEQ_ABI_NR_rseq 334
#define RSEQ_ABI_NR_rseq_slice_yield 471

/* Section 9: prctl(PR_RSEQ_SLICE_EXTENSION, GET|SET, ENABLE, 0, 0). */
#define RSEQ_ABI_PR_RSEQ_SLICE_EXTENSION 79
#define RSEQ_ABI_PR_RSEQ_SLICE_EXTENSION_GET 1
#define RSEQ_ABI_PR_RSEQ_SLICE_EXTENSION_SET 2
#define RSEQ_ABI_PR_RSEQ_SLICE_EXT_ENABLE 1
/* The kernel-internal ENOTSUPP leaks to user space as 524. */
#define RSEQ_ABI_ENOTSUPP 524

/* Return values of the operations. */
#define RSEQ_OK 0
#define RSEQ_ABORTED (-1)
#define RSEQ_CMPFAIL 1

/* ---- glibc's registration (section 6) --------------------------------- */

/* glibc 2.35+ exports these; weak, so that an older glibc links and the
 * program sees no registration (&__rseq_size == 0). */
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));
extern const unsigned int __rseq_flags __attribute__((weak));

#define RSEQ_ABI_READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define RSEQ_ABI_WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

static inline long rseq_abi_syscall(void *area, uint32_t len, int flags, uint32_t sig)
{
	return syscall(RSEQ_ABI_NR_rseq, area, len, flags, sig);
}

static inline char *rseq_abi_thread_pointer(void)
{
	char *tp;
	__asm__ ("mov %%fs:0, %0" : "=r"(tp));
	return tp;
}

/* __rseq_size of glibc, 0 without glibc support or registration. */
static inline unsigned int rseq_abi_glibc_size(void)
{
	return &__rseq_size ? __rseq_size : 0;
}

/* glibc's area of this thread (thread pointer + __rseq_offset), or NULL. */
static inline struct rseq_abi *rseq_abi_glibc_area(void)
{
	if (!rseq_abi_glibc_size())
		return NULL;
	return (struct rseq_abi *)(rseq_abi_thread_pointer() + __rseq_offset);
}

/* The length glibc registered: 32 for glibc 2.35-2.40 (which report
 * __rseq_size 32 or 20), the feature size when that is larger (later). */
static inline uint32_t rseq_abi_glibc_len(void)
{
	unsigned int s = rseq_abi_glibc_size();
	return s > RSEQ_ABI_ORIG_SIZE ? s : RSEQ_ABI_ORIG_SIZE;
}

/* Our own area, when this thread registered one (rseq_abi_register_own):
 * 64 bytes, 64-byte aligned, so it holds any length up to 64 and meets an
 * AT_RSEQ_ALIGN of 32 or 64. */
union rseq_abi_own {
	struct rseq_abi area;
	char bytes[64];
} __attribute__((aligned(64)));

static __thread union rseq_abi_own rseq_abi_own_storage;
static __thread struct rseq_abi *rseq_abi_own_area;
static __thread uint32_t rseq_abi_own_len;

/* The area the thread's critical sections use: its own if it registered
 * one, else glibc's. */
static inline struct rseq_abi *rseq_abi_area(void)
{
	struct rseq_abi *own = rseq_abi_own_area;
	return own ? own : rseq_abi_glibc_area();
}

/* The auxiliary vector's rseq entries (kernel 6.3+; 0 when absent). */
static inline unsigned long rseq_abi_auxv_feature_size(void)
{
	return getauxval(AT_RSEQ_FEATURE_SIZE);
}

static inline unsigned long rseq_abi_auxv_align(void)
{
	return getauxval(AT_RSEQ_ALIGN);
}

/* The feature size the kernel supports: the auxv entry, or the original 20
 * bytes of fields when the kernel predates it. */
static inline unsigned long rseq_abi_feature_size(void)
{
	unsigned long s = rseq_abi_auxv_feature_size();
	return s ? s : RSEQ_ABI_FEATURE_ORIG;
}

/* node_id and mm_cid are written only by kernels whose feature size covers
 * them; glibc 2.36's __rseq_size (20) does not say, so ask the auxv. */
static inline int rseq_abi_has_mm_cid(void)
{
	return rseq_abi_feature_size() >= RSEQ_ABI_FEATURE_MM_CID;
}

/* An extended registration length (section 2: any length other than 32
 * needs 32-byte alignment and at least the feature size; section 9: a V2
 * registration is longer than 32 and at least AT_RSEQ_FEATURE_SIZE): the
 * feature size, at least 33, rounded up to AT_RSEQ_ALIGN. 64 on the host
 * (28, 32) and on the 7.0 profile (33, 64). */
static inline uint32_t rseq_abi_extended_len(void)
{
	unsigned long size = rseq_abi_feature_size();
	unsigned long align = rseq_abi_auxv_align();
	if (size < RSEQ_ABI_ORIG_SIZE + 1)
		size = RSEQ_ABI_ORIG_SIZE + 1;
	if (align < 32)
		align = 32;
	return (uint32_t)((size + align - 1) / align * align);
}

/* Unregisters glibc's area of this thread, if glibc registered it, so
 * that the thread can register its own. glibc registers a new thread only
 * if the thread creating it has its glibc area registered (cpu_id >= 0),
 * so threads created after this call start without one. 0, or -1 with
 * errno. */
static inline int rseq_abi_unregister_glibc(void)
{
	struct rseq_abi *g = rseq_abi_glibc_area();
	if (!g || (int32_t)RSEQ_ABI_READ_ONCE(g->cpu_id) < 0)
		return 0;
	return (int)rseq_abi_syscall(g, rseq_abi_glibc_len(), RSEQ_ABI_FLAG_UNREGISTER, RSEQ_ABI_SIG);
}

/* Registers this thread's own area with length len (32, or an extended
 * length such as rseq_abi_extended_len()) and the given registration flags;
 * glibc's registration, if any, must be dropped first
 * (rseq_abi_unregister_glibc). 0, or -1 with errno. */
static inline int rseq_abi_register_own_flags(uint32_t len, int flags)
{
	if (len > sizeof(rseq_abi_own_storage) || rseq_abi_auxv_align() > 64) {
		errno = EINVAL;
		return -1;
	}
	struct rseq_abi *a = &rseq_abi_own_storage.area;
	RSEQ_ABI_WRITE_ONCE(a->cpu_id, (uint32_t)RSEQ_ABI_CPU_ID_UNINITIALIZED);
	if (rseq_abi_syscall(a, len, flags, RSEQ_ABI_SIG))
		return -1;
	rseq_abi_own_area = a;
	rseq_abi_own_len = len;
	return 0;
}

static inline int rseq_abi_register_own(uint32_t len)
{
	return rseq_abi_register_own_flags(len, 0);
}

/* Drops this thread's own registration (glibc's stays dropped). */
static inline int rseq_abi_unregister_own(void)
{
	struct rseq_abi *a = rseq_abi_own_area;
	if (!a) {
		errno = ENOENT;
		return -1;
	}
	if (rseq_abi_syscall(a, rseq_abi_own_len, RSEQ_ABI_FLAG_UNREGISTER, RSEQ_ABI_SIG))
		return -1;
	rseq_abi_own_area = NULL;
	rseq_abi_own_len = 0;
	return 0;
}

/* Makes sure the current thread has a registered area: glibc's when glibc
 * registered one (__rseq_size > 0), else a 32-byte area of our own (glibc
 * older than 2.35, or glibc.pthread.rseq=0). 0, or -1 with errno. */
static inline int rseq_abi_register_current_thread(void)
{
	if (rseq_abi_own_area)
		return 0;
	struct rseq_abi *g = rseq_abi_glibc_area();
	if (g && (int32_t)RSEQ_ABI_READ_ONCE(g->cpu_id) >= 0)
		return 0;
	return rseq_abi_register_own(RSEQ_ABI_ORIG_SIZE);
}

/* The CPU to use as an index before a critical section: cpu_id_start is
 * always a valid CPU number (section 1); the section then compares cpu_id
 * with it. */
static inline int rseq_abi_current_cpu(void)
{
	return (int)RSEQ_ABI_READ_ONCE(rseq_abi_area()->cpu_id_start);
}

/* The concurrency ID, for rseq_mm_cid_* (requires rseq_abi_has_mm_cid()). */
static inline int rseq_abi_current_mm_cid(void)
{
	return (int)RSEQ_ABI_READ_ONCE(rseq_abi_area()->mm_cid);
}

/* ---- Section 7: critical sections in inline asm ------------------------
 *
 * Labels, by convention in every sequence: 1 start_ip, 2 post-commit,
 * 3 the descriptor, 4 abort_ip. The pieces: */

/* The descriptor in __rseq_cs (32-byte aligned: version 0, flags 0,
 * start_ip, post_commit_offset, abort_ip) and its address in
 * __rseq_cs_ptr_array, where tools (rseqlab's loader) find it. */
#define RSEQ_ABI_ASM_DEFINE_TABLE(desc, start, post, abort)		\
	".pushsection __rseq_cs, \"aw\"\n\t"				\
	".balign 32\n"							\
	#desc ":\n\t"							\
	".long 0x0, 0x0\n\t"						\
	".quad " #start "f, (" #post "f - " #start "f), " #abort "f\n\t" \
	".popsection\n\t"						\
	".pushsection __rseq_cs_ptr_array, \"aw\"\n\t"			\
	".quad " #desc "b\n\t"						\
	".popsection\n\t"

/* A jump from inside the section to C code (a compare-failed label): a
 * (start_ip, exit_ip) pair in __rseq_exit_point_array. */
#define RSEQ_ABI_ASM_DEFINE_EXIT_POINT(start, exit)			\
	".pushsection __rseq_exit_point_array, \"aw\"\n\t"		\
	".quad " #start "f, " exit "\n\t"				\
	".popsection\n\t"

/* Arms the section: rseq_cs = &descriptor. The next instruction is start_ip. */
#define RSEQ_ABI_ASM_STORE_RSEQ_CS(desc, rseq_cs)			\
	"leaq " #desc "b(%%rip), %%rax\n\t"				\
	"movq %%rax, " rseq_cs "\n\t"

/* The first check inside: the index the caller read (cpu_id_start or
 * mm_cid) still equals the area's field, else abort. */
#define RSEQ_ABI_ASM_CMP_INDEX(index, field, abort)			\
	"cmpl " index ", " field "\n\t"					\
	"jnz " #abort "f\n\t"

/* The abort handler, out of line in __rseq_failure: the signature as the
 * displacement of a ud1 (0f b9 3d + 4 bytes), so disassembly stays aligned
 * and falling into it traps, then abort_ip, which jumps to C. */
#define RSEQ_ABI_ASM_ABORT_SIG(abort, label, sig)			\
	".pushsection __rseq_failure, \"ax\"\n\t"			\
	".byte 0x0f, 0xb9, 0x3d\n\t"					\
	".long " sig "\n"						\
	#abort ":\n\t"							\
	"jmp " label "\n\t"						\
	".popsection\n\t"

#define RSEQ_ABI_ASM_ABORT(abort, label) RSEQ_ABI_ASM_ABORT_SIG(abort, label, RSEQ_ABI_SIG_STR)

#define RSEQ_ABI_NOINLINE __attribute__((noipa, unused))

/* The field an operation compares with the index it was given. */
#define RSEQ_ABI_FIELD_cpu_id(rs) (&(rs)->cpu_id)
#define RSEQ_ABI_FIELD_mm_cid(rs) (&(rs)->mm_cid)

/* ---- The operations ---------------------------------------------------
 * Each body is written once (always_inline, taking a pointer to the field
 * to compare) and instantiated by a noipa function per index kind, so
 * every instance has its own descriptor. */

/* *v += count, if the thread is still on `index`. Commit: the addq. */
static inline __attribute__((always_inline)) int
rseq_abi_addv(const uint32_t *field, intptr_t *v, intptr_t count, int index)
{
	struct rseq_abi *rs = rseq_abi_area();
	__asm__ goto (
		RSEQ_ABI_ASM_DEFINE_TABLE(3, 1, 2, 4)
		RSEQ_ABI_ASM_STORE_RSEQ_CS(3, "%[rseq_cs]")
		"1:\n\t"
		RSEQ_ABI_ASM_CMP_INDEX("%[index]", "%[field]", 4)
		"addq %[count], %[v]\n"		/* commit */
		"2:\n\t"
		RSEQ_ABI_ASM_ABORT(4, "%l[abort]")
		: : [index] "r"(index), [field] "m"(*field), [rseq_cs] "m"(rs->rseq_cs),
		    [v] "m"(*v), [count] "er"(count)
		: "memory", "cc", "rax" : abort);
	return RSEQ_OK;
abort:
	return RSEQ_ABORTED;
}

/* *(intptr_t *)(*ptr + off) += inc: the pointer is loaded inside the
 * section, so once membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) has
 * returned after *ptr was changed, no section that loaded the old pointer
 * can still commit (rseq-abi.md section 5). Commit: the addq. */
static inline __attribute__((always_inline)) int
rseq_abi_offset_deref_addv(const uint32_t *field, intptr_t *ptr, long off, intptr_t inc, int index)
{
	struct rseq_abi *rs = rseq_abi_area();
	__asm__ goto (
		RSEQ_ABI_ASM_DEFINE_TABLE(3, 1, 2, 4)
		RSEQ_ABI_ASM_STORE_RSEQ_CS(3, "%[rseq_cs]")
		"1:\n\t"
		RSEQ_ABI_ASM_CMP_INDEX("%[index]", "%[field]", 4)
		"movq %[ptr], %%rax\n\t"
		"addq %[off], %%rax\n\t"
		"addq %[inc], (%%rax)\n"	/* commit */
		"2:\n\t"
		RSEQ_ABI_ASM_ABORT(4, "%l[abort]")
		: : [index] "r"(index), [field] "m"(*field), [rseq_cs] "m"(rs->rseq_cs),
		    [ptr] "m"(*ptr), [off] "er"(off), [inc] "er"(inc)
		: "memory", "cc", "rax" : abort);
	return RSEQ_OK;
abort:
	return RSEQ_ABORTED;
}

/* if (*v == expect) *v = newv. Commit: the store of newv. */
static inline __attribute__((always_inline)) int
rseq_abi_cmpeqv_storev(const uint32_t *field, intptr_t *v, intptr_t expect, intptr_t newv, int index)
{
	struct rseq_abi *rs = rseq_abi_area();
	__asm__ goto (
		RSEQ_ABI_ASM_DEFINE_TABLE(3, 1, 2, 4)
		RSEQ_ABI_ASM_DEFINE_EXIT_POINT(1, "%l[cmpfail]")
		RSEQ_ABI_ASM_STORE_RSEQ_CS(3, "%[rseq_cs]")
		"1:\n\t"
		RSEQ_ABI_ASM_CMP_INDEX("%[index]", "%[field]", 4)
		"cmpq %[v], %[expect]\n\t"
		"jnz %l[cmpfail]\n\t"
		"movq %[newv], %[v]\n"		/* commit */
		"2:\n\t"
		RSEQ_ABI_ASM_ABORT(4, "%l[abort]")
		: : [index] "r"(index), [field] "m"(*field), [rseq_cs] "m"(rs->rseq_cs),
		    [v] "m"(*v), [expect] "r"(expect), [newv] "r"(newv)
		: "memory", "cc", "rax" : abort, cmpfail);
	return RSEQ_OK;
abort:
	return RSEQ_ABORTED;
cmpfail:
	return RSEQ_CMPFAIL;
}

/* The pop of a list: if (*v != expectnot) { *load = *v; *v = *(*v + voffp); }.
 * With v = &head, expectnot = NULL and voffp = offsetof(node, next) it
 * unlinks the first node. The store to *load is not visible to other
 * threads (the caller's variable, ignored after an abort). Commit: the
 * store of the new head. */
static inline __attribute__((always_inline)) int
rseq_abi_cmpnev_storeoffp_load(const uint32_t *field, intptr_t *v, intptr_t expectnot, long voffp,
			       intptr_t *load, int index)
{
	struct rseq_abi *rs = rseq_abi_area();
	__asm__ goto (
		RSEQ_ABI_ASM_DEFINE_TABLE(3, 1, 2, 4)
		RSEQ_ABI_ASM_DEFINE_EXIT_POINT(1, "%l[cmpfail]")
		RSEQ_ABI_ASM_STORE_RSEQ_CS(3, "%[rseq_cs]")
		"1:\n\t"
		RSEQ_ABI_ASM_CMP_INDEX("%[index]", "%[field]", 4)
		"movq %[v], %%rax\n\t"
		"cmpq %%rax, %[expectnot]\n\t"
		"je %l[cmpfail]\n\t"
		"movq %%rax, %[load]\n\t"
		"addq %[voffp], %%rax\n\t"
		"movq (%%rax), %%rax\n\t"
		"movq %%rax, %[v]\n"		/* commit */
		"2:\n\t"
		RSEQ_ABI_ASM_ABORT(4, "%l[abort]")
		: : [index] "r"(index), [field] "m"(*field), [rseq_cs] "m"(rs->rseq_cs),
		    [v] "m"(*v), [expectnot] "r"(expectnot), [voffp] "er"(voffp), [load] "m"(*load)
		: "memory", "cc", "rax" : abort, cmpfail);
	return RSEQ_OK;
abort:
	return RSEQ_ABORTED;
cmpfail:
	return RSEQ_CMPFAIL;
}

/* if (*v == expect) { *v2 = newv2; *v = newv; }. The store to *v2 is a
 * trystore: v2 must be a place nobody reads until the commit publishes it
 * (a slot past the published end), so an abort after it is harmless.
 * Commit: the store of newv. */
static inline __attribute__((always_inline)) int
rseq_abi_cmpeqv_trystorev_storev(const uint32_t *field, intptr_t *v, intptr_t expect, intptr_t *v2,
				 intptr_t newv2, intptr_t newv, int index)
{
	struct rseq_abi *rs = rseq_abi_area();
	__asm__ goto (
		RSEQ_ABI_ASM_DEFINE_TABLE(3, 1, 2, 4)
		RSEQ_ABI_ASM_DEFINE_EXIT_POINT(1, "%l[cmpfail]")
		RSEQ_ABI_ASM_STORE_RSEQ_CS(3, "%[rseq_cs]")
		"1:\n\t"
		RSEQ_ABI_ASM_CMP_INDEX("%[index]", "%[field]", 4)
		"cmpq %[v], %[expect]\n\t"
		"jnz %l[cmpfail]\n\t"
		"movq %[newv2], %[v2]\n\t"	/* trystore */
		"movq %[newv], %[v]\n"		/* commit */
		"2:\n\t"
		RSEQ_ABI_ASM_ABORT(4, "%l[abort]")
		: : [index] "r"(index), [field] "m"(*field), [rseq_cs] "m"(rs->rseq_cs),
		    [v] "m"(*v), [expect] "r"(expect), [v2] "m"(*v2), [newv2] "r"(newv2),
		    [newv] "r"(newv)
		: "memory", "cc", "rax" : abort, cmpfail);
	return RSEQ_OK;
abort:
	return RSEQ_ABORTED;
cmpfail:
	return RSEQ_CMPFAIL;
}

/* if (*v == expect) { memcpy(dst, src, len); *v = newv; }. The copy is a
 * byte loop inside the section (a trystore of len bytes: dst must be
 * unpublished until the commit, or a private buffer); rdi, rsi and rcx are
 * loaded before the section is armed. Commit: the store of newv. */
static inline __attribute__((always_inline)) int
rseq_abi_cmpeqv_trymemcpy_storev(const uint32_t *field, intptr_t *v, intptr_t expect, void *dst,
				 const void *src, size_t len, intptr_t newv, int index)
{
	struct rseq_abi *rs = rseq_abi_area();
	__asm__ goto (
		RSEQ_ABI_ASM_DEFINE_TABLE(3, 1, 2, 4)
		RSEQ_ABI_ASM_DEFINE_EXIT_POINT(1, "%l[cmpfail]")
		"movq %[dst], %%rdi\n\t"
		"movq %[src], %%rsi\n\t"
		"movq %[len], %%rcx\n\t"
		RSEQ_ABI_ASM_STORE_RSEQ_CS(3, "%[rseq_cs]")
		"1:\n\t"
		RSEQ_ABI_ASM_CMP_INDEX("%[index]", "%[field]", 4)
		"cmpq %[v], %[expect]\n\t"
		"jnz %l[cmpfail]\n\t"
		"testq %%rcx, %%rcx\n\t"
		"jz 6f\n"
		"5:\n\t"
		"movb (%%rsi), %%al\n\t"	/* trymemcpy */
		"movb %%al, (%%rdi)\n\t"
		"incq %%rsi\n\t"
		"incq %%rdi\n\t"
		"decq %%rcx\n\t"
		"jnz 5b\n"
		"6:\n\t"
		"movq %[newv], %[v]\n"		/* commit */
		"2:\n\t"
		RSEQ_ABI_ASM_ABORT(4, "%l[abort]")
		: : [index] "r"(index), [field] "m"(*field), [rseq_cs] "m"(rs->rseq_cs),
		    [v] "m"(*v), [expect] "r"(expect), [dst] "r"(dst), [src] "r"(src),
		    [len] "r"(len), [newv] "r"(newv)
		: "memory", "cc", "rax", "rcx", "rsi", "rdi" : abort, cmpfail);
	return RSEQ_OK;
abort:
	return RSEQ_ABORTED;
cmpfail:
	return RSEQ_CMPFAIL;
}

/* The instances: indexed by cpu_id (read from cpu_id_start before the
 * call) or by mm_cid (read from mm_cid before the call; needs
 * rseq_abi_has_mm_cid()). */
#define RSEQ_ABI_DEFINE_OPS(prefix, fieldname)							\
RSEQ_ABI_NOINLINE static int prefix##addv(intptr_t *v, intptr_t count, int index)		\
{ return rseq_abi_addv(RSEQ_ABI_FIELD_##fieldname(rseq_abi_area()), v, count, index); }	\
RSEQ_ABI_NOINLINE static int prefix##offset_deref_addv(intptr_t *ptr, long off, intptr_t inc, int index) \
{ return rseq_abi_offset_deref_addv(RSEQ_ABI_FIELD_##fieldname(rseq_abi_area()), ptr, off, inc, index); } \
RSEQ_ABI_NOINLINE static int prefix##cmpeqv_storev(intptr_t *v, intptr_t expect, intptr_t newv, int index) \
{ return rseq_abi_cmpeqv_storev(RSEQ_ABI_FIELD_##fieldname(rseq_abi_area()), v, expect, newv, index); } \
RSEQ_ABI_NOINLINE static int prefix##cmpnev_storeoffp_load(intptr_t *v, intptr_t expectnot,	\
		long voffp, intptr_t *load, int index)						\
{ return rseq_abi_cmpnev_storeoffp_load(RSEQ_ABI_FIELD_##fieldname(rseq_abi_area()), v, expectnot, voffp, load, index); } \
RSEQ_ABI_NOINLINE static int prefix##cmpeqv_trystorev_storev(intptr_t *v, intptr_t expect,	\
		intptr_t *v2, intptr_t newv2, intptr_t newv, int index)				\
{ return rseq_abi_cmpeqv_trystorev_storev(RSEQ_ABI_FIELD_##fieldname(rseq_abi_area()), v, expect, v2, newv2, newv, index); } \
RSEQ_ABI_NOINLINE static int prefix##cmpeqv_trymemcpy_storev(intptr_t *v, intptr_t expect,	\
		void *dst, const void *src, size_t len, intptr_t newv, int index)		\
{ return rseq_abi_cmpeqv_trymemcpy_storev(RSEQ_ABI_FIELD_##fieldname(rseq_abi_area()), v, expect, dst, src, len, newv, index); }

RSEQ_ABI_DEFINE_OPS(rseq_, cpu_id)
RSEQ_ABI_DEFINE_OPS(rseq_mm_cid_, mm_cid)

#endif

/* thread_atomics: 4 threads hammer shared words with lock-prefixed
 * instructions and check that nothing is lost:
 *   - __atomic_fetch_add (lock xadd) and add/sub/or/and/xor;
 *   - compare-exchange loops (lock cmpxchg) that add and track a maximum;
 *   - an xchg-based spinlock guarding a plain counter;
 *   - a lock-free (Treiber) stack of preallocated nodes whose head is a
 *     counted pointer updated with a 16-byte compare-exchange
 *     (lock cmpxchg16b, from __sync_bool_compare_and_swap on an unsigned
 *     __int128 with -mcx16): every thread pops nodes, changes them, pushes
 *     them back; at the end every node is on the stack exactly once.
 * Prints only totals that do not depend on the interleaving. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS 5000
#define NODES 64

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("thread_atomics: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

static long xadd_total;
static long add_total;
static unsigned long or_bits, and_bits = ~0ul, xor_bits;
static long cas_total;
static long cas_max;
static int spin;                 /* 0 free, 1 held */
static long spin_guarded;        /* only under spin */
static int spin_inside;          /* checks mutual exclusion */

struct node {
	struct node *next;
	long value;
	long visits;
};
static struct node nodes[NODES];

/* The stack head: pointer in the low half, a modification count in the high
 * half so that a pop racing with pop+push of the same node (ABA) fails. */
static unsigned __int128 head __attribute__((aligned(16)));
static long pops_total;
static long value_added;

static inline unsigned __int128 make_head(struct node *p, uint64_t count)
{
	return (unsigned __int128)count << 64 | (uintptr_t)p;
}

static inline unsigned __int128 load_head(void)
{
	/* A torn read is fine: the compare-exchange below checks both halves. */
	volatile uint64_t *h = (volatile uint64_t *)&head;
	uint64_t lo = h[0];
	uint64_t hi = h[1];
	return (unsigned __int128)hi << 64 | lo;
}

static void push(struct node *n)
{
	for (;;) {
		unsigned __int128 old = load_head();
		n->next = (struct node *)(uintptr_t)(uint64_t)old;
		unsigned __int128 new = make_head(n, (uint64_t)(old >> 64) + 1);
		if (__sync_bool_compare_and_swap(&head, old, new))
			return;
	}
}

static struct node *pop(void)
{
	for (;;) {
		unsigned __int128 old = load_head();
		struct node *top = (struct node *)(uintptr_t)(uint64_t)old;
		if (!top)
			return NULL;
		/* top may be popped by another thread meanwhile: nodes are never
		 * freed, so reading next is safe and the count catches staleness. */
		struct node *next = __atomic_load_n(&top->next, __ATOMIC_RELAXED);
		unsigned __int128 new = make_head(next, (uint64_t)(old >> 64) + 1);
		if (__sync_bool_compare_and_swap(&head, old, new))
			return top;
	}
}

static void spin_lock(void)
{
	while (__atomic_exchange_n(&spin, 1, __ATOMIC_ACQUIRE)) {
		/* test-and-test-and-set; yield so one CPU makes progress */
		while (__atomic_load_n(&spin, __ATOMIC_RELAXED))
			sched_yield();
	}
}

static void spin_unlock(void)
{
	__atomic_store_n(&spin, 0, __ATOMIC_RELEASE);
}

static void *worker(void *arg)
{
	long id = (long)arg;
	struct node *held[4];
	for (long i = 1; i <= ROUNDS; i++) {
		__atomic_fetch_add(&xadd_total, i, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&add_total, 3, __ATOMIC_RELAXED);
		__atomic_sub_fetch(&add_total, 1, __ATOMIC_RELAXED);
		__atomic_fetch_or(&or_bits, 1ul << ((id * 16 + i) % 64), __ATOMIC_RELAXED);
		__atomic_fetch_and(&and_bits, ~(1ul << ((id * 16 + i) % 61)), __ATOMIC_RELAXED);
		__atomic_fetch_xor(&xor_bits, (unsigned long)(i + id * ROUNDS) * 0x9e3779b97f4a7c15ul, __ATOMIC_RELAXED);

		/* compare-exchange loops */
		long v = __atomic_load_n(&cas_total, __ATOMIC_RELAXED);
		while (!__atomic_compare_exchange_n(&cas_total, &v, v + id + 1, 1, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			;
		long cand = (i * 7919 + id * 104729) % 1000003;
		long m = __atomic_load_n(&cas_max, __ATOMIC_RELAXED);
		while (m < cand && !__atomic_compare_exchange_n(&cas_max, &m, cand, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			;

		/* spinlock */
		if (i % 4 == 0) {
			spin_lock();
			if (__atomic_fetch_add(&spin_inside, 1, __ATOMIC_RELAXED) != 0)
				fail("two threads inside the spinlock");
			long s = spin_guarded;
			__asm__ volatile("" ::: "memory");
			spin_guarded = s + 1;
			__atomic_fetch_sub(&spin_inside, 1, __ATOMIC_RELAXED);
			spin_unlock();
		}

		/* lock-free stack: take up to 4 nodes, change them, give them back */
		if (i % 2 == 0) {
			int k = 0;
			for (; k < 4; k++) {
				held[k] = pop();
				if (!held[k])
					break;
				held[k]->visits++; /* we own it until we push it */
				held[k]->value += id + 1;
			}
			__atomic_fetch_add(&pops_total, k, __ATOMIC_RELAXED);
			__atomic_fetch_add(&value_added, k * (id + 1), __ATOMIC_RELAXED);
			while (k > 0)
				push(held[--k]);
		}
	}
	return NULL;
}

int main(void)
{
	for (int i = 0; i < NODES; i++) {
		nodes[i].value = i;
		push(&nodes[i]);
	}
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i))
			fail("pthread_create");
	for (int i = 0; i < THREADS; i++)
		if (pthread_join(t[i], NULL))
			fail("pthread_join");

	long want_xadd = (long)THREADS * ROUNDS * (ROUNDS + 1) / 2;
	if (xadd_total != want_xadd)
		fail("fetch_add total %ld, want %ld", xadd_total, want_xadd);
	if (add_total != 2L * THREADS * ROUNDS)
		fail("add/sub total %ld", add_total);
	unsigned long want_or = 0, want_and = ~0ul, want_xor = 0;
	for (long id = 0; id < THREADS; id++)
		for (long i = 1; i <= ROUNDS; i++) {
			want_or |= 1ul << ((id * 16 + i) % 64);
			want_and &= ~(1ul << ((id * 16 + i) % 61));
			want_xor ^= (unsigned long)(i + id * ROUNDS) * 0x9e3779b97f4a7c15ul;
		}
	if (or_bits != want_or || and_bits != want_and || xor_bits != want_xor)
		fail("or/and/xor %lx %lx %lx, want %lx %lx %lx", or_bits, and_bits, xor_bits, want_or, want_and, want_xor);
	long want_cas = 0, want_max = 0;
	for (long id = 0; id < THREADS; id++)
		for (long i = 1; i <= ROUNDS; i++) {
			want_cas += id + 1;
			long c = (i * 7919 + id * 104729) % 1000003;
			if (c > want_max)
				want_max = c;
		}
	if (cas_total != want_cas || cas_max != want_max)
		fail("cas total %ld max %ld, want %ld %ld", cas_total, cas_max, want_cas, want_max);
	if (spin_guarded != (long)THREADS * (ROUNDS / 4))
		fail("spinlock counter %ld", spin_guarded);

	/* every node back on the stack exactly once */
	int seen[NODES] = {0};
	long count = 0, value_sum = 0, visits = 0;
	for (struct node *p = (struct node *)(uintptr_t)(uint64_t)head; p; p = p->next) {
		long idx = p - nodes;
		if (idx < 0 || idx >= NODES || seen[idx]++)
			fail("stack corrupted at node %ld", idx);
		count++;
		value_sum += p->value;
		visits += p->visits;
	}
	if (count != NODES)
		fail("stack holds %ld nodes, want %d", count, NODES);
	if (visits != pops_total)
		fail("node visits %ld != pops %ld", visits, pops_total);
	if ((uint64_t)(head >> 64) != (uint64_t)NODES + 2 * (uint64_t)pops_total)
		fail("head count %lu, want %lu", (unsigned long)(uint64_t)(head >> 64), (unsigned long)(NODES + 2 * pops_total));
	/* how many nodes each thread popped depends on the interleaving, so the
	 * values do too: check them against what the threads said they added */
	if (value_sum != NODES * (NODES - 1) / 2 + value_added)
		fail("node values sum %ld, want %ld", value_sum, NODES * (NODES - 1) / 2 + value_added);

	printf("fetch_add %ld\nadd/sub %ld\nor %016lx and %016lx xor %016lx\n", xadd_total, add_total, or_bits, and_bits, xor_bits);
	printf("cmpxchg sum %ld max %ld\nspinlock %ld\n", cas_total, cas_max, spin_guarded);
	printf("lock-free stack: %ld nodes intact\n", count);
	printf("thread_atomics: ok\n");
	return 0;
}

/* rseq_ring [threads] [items]: per-CPU ring buffers (FIFO), two kinds.
 *
 * Each CPU has a ring of 8-byte words and a ring of 32-byte records, each
 * with a head and a tail that only grow (slot = counter % RING). Each
 * thread (default 4) produces `items` words and `items` records (default
 * 300 each) into the rings of the CPU it is on; when a ring is full it
 * consumes one item from it first; at the end it consumes from the rings
 * of its CPU until they are empty; main consumes what is left.
 *
 * word push: rseq_cmpeqv_trystorev_storev(&tail, t, &slot[t], word, t + 1)
 *   (the slot past the published tail is unused until the commit).
 * record push: rseq_cmpeqv_trymemcpy_storev(&tail, t, &slot[t], &rec, 32, t + 1).
 * pop (both): rseq_cmpeqv_trymemcpy_storev(&head, h, &local, &slot[h], size, h + 1)
 *   (the copy goes to a private buffer; only the commit publishes).
 * Fullness and emptiness are checked before the section with values that
 * can only be stale in the safe direction (head and tail only grow, and
 * only sections on that CPU move them).
 *
 * Every item must be consumed exactly once, and every record intact (its
 * check field matches its other fields). */
#include "rseq-prog.h"

#define RING 16

struct record {
	uint64_t id, a, b, check;
};

struct word_ring {
	intptr_t head, tail;
	intptr_t slot[RING];
} __attribute__((aligned(64)));

struct record_ring {
	intptr_t head, tail;
	struct record slot[RING];
} __attribute__((aligned(64)));

static struct word_ring words[MAX_CPUS];
static struct record_ring records[MAX_CPUS];
static long items;
static int *word_seen, *record_seen;

static uint64_t record_check(const struct record *r)
{
	return (r->id * 0x9e3779b97f4a7c15ull) ^ r->a ^ (r->b << 1);
}

static void consume_word(intptr_t w)
{
	if (w < 1 || w > (intptr_t)(MAX_THREADS * items))
		fail("consumed word %ld, which nobody produced", (long)w);
	if (__atomic_fetch_add(&word_seen[w - 1], 1, __ATOMIC_RELAXED))
		fail("word %ld consumed twice", (long)w);
}

static void consume_record(const struct record *r)
{
	if (r->id < 1 || r->id > (uint64_t)(MAX_THREADS * items))
		fail("consumed record %lu, which nobody produced", (unsigned long)r->id);
	if (r->check != record_check(r))
		fail("record %lu is torn (a=%lu b=%lu check=%lx)", (unsigned long)r->id, (unsigned long)r->a,
		     (unsigned long)r->b, (unsigned long)r->check);
	if (__atomic_fetch_add(&record_seen[r->id - 1], 1, __ATOMIC_RELAXED))
		fail("record %lu consumed twice", (unsigned long)r->id);
}

/* Pops one word from the current CPU's ring: 1 and *out, or 0 when empty. */
static int pop_word(intptr_t *out)
{
	for (;;) {
		int cpu = check_index(rseq_abi_current_cpu(), "cpu_id_start");
		struct word_ring *q = &words[cpu];
		intptr_t h = RSEQ_ABI_READ_ONCE(q->head), t = RSEQ_ABI_READ_ONCE(q->tail);
		if (h == t)
			return 0;
		int r = rseq_cmpeqv_trymemcpy_storev(&q->head, h, out, &q->slot[h % RING], sizeof *out, h + 1, cpu);
		if (r == RSEQ_OK)
			return 1;
	}
}

static int pop_record(struct record *out)
{
	for (;;) {
		int cpu = check_index(rseq_abi_current_cpu(), "cpu_id_start");
		struct record_ring *q = &records[cpu];
		intptr_t h = RSEQ_ABI_READ_ONCE(q->head), t = RSEQ_ABI_READ_ONCE(q->tail);
		if (h == t)
			return 0;
		int r = rseq_cmpeqv_trymemcpy_storev(&q->head, h, out, &q->slot[h % RING], sizeof *out, h + 1, cpu);
		if (r == RSEQ_OK)
			return 1;
	}
}

static void push_word(intptr_t w)
{
	for (;;) {
		int cpu = check_index(rseq_abi_current_cpu(), "cpu_id_start");
		struct word_ring *q = &words[cpu];
		intptr_t h = RSEQ_ABI_READ_ONCE(q->head), t = RSEQ_ABI_READ_ONCE(q->tail);
		if (t - h >= RING) {
			intptr_t old;
			if (pop_word(&old))
				consume_word(old);
			continue;
		}
		if (rseq_cmpeqv_trystorev_storev(&q->tail, t, &q->slot[t % RING], w, t + 1, cpu) == RSEQ_OK)
			return;
	}
}

static void push_record(const struct record *rec)
{
	for (;;) {
		int cpu = check_index(rseq_abi_current_cpu(), "cpu_id_start");
		struct record_ring *q = &records[cpu];
		intptr_t h = RSEQ_ABI_READ_ONCE(q->head), t = RSEQ_ABI_READ_ONCE(q->tail);
		if (t - h >= RING) {
			struct record old;
			if (pop_record(&old))
				consume_record(&old);
			continue;
		}
		if (rseq_cmpeqv_trymemcpy_storev(&q->tail, t, &q->slot[t % RING], rec, sizeof *rec, t + 1, cpu) == RSEQ_OK)
			return;
	}
}

static void *worker(void *arg)
{
	register_thread();
	long id = (long)arg;
	for (long i = 0; i < items; i++) {
		uint64_t n = (uint64_t)(id * items + i + 1);
		push_word((intptr_t)n);
		struct record rec = { .id = n, .a = n * 7 + (uint64_t)id, .b = ~n };
		rec.check = record_check(&rec);
		push_record(&rec);
	}
	intptr_t w;
	while (pop_word(&w))
		consume_word(w);
	struct record rec;
	while (pop_record(&rec))
		consume_record(&rec);
	return arg;
}

int main(int argc, char **argv)
{
	prog_name = "rseq_ring";
	int threads = (int)arg_or(argc, argv, 1, 4, MAX_THREADS);
	items = arg_or(argc, argv, 2, 300, 1000000);
	word_seen = calloc(MAX_THREADS * items, sizeof *word_seen);
	record_seen = calloc(MAX_THREADS * items, sizeof *record_seen);
	if (!word_seen || !record_seen)
		fail("out of memory");
	run_threads(threads, worker);
	/* The threads are gone: drain every ring directly. */
	for (int c = 0; c < MAX_CPUS; c++) {
		for (intptr_t h = words[c].head; h != words[c].tail; h++)
			consume_word(words[c].slot[h % RING]);
		for (intptr_t h = records[c].head; h != records[c].tail; h++)
			consume_record(&records[c].slot[h % RING]);
	}
	for (long i = 0; i < threads * items; i++) {
		if (word_seen[i] != 1)
			fail("word %ld consumed %d times", i + 1, word_seen[i]);
		if (record_seen[i] != 1)
			fail("record %ld consumed %d times", i + 1, record_seen[i]);
	}
	printf("rseq_ring: %d threads x %ld words and %ld records, each consumed once and intact\n", threads, items, items);
	return 0;
}

/* rseq_mmcid_pool [threads] [allocations]: an object pool with one cache
 * per concurrency ID (mm_cid), the way allocators use it: mm_cid is unique
 * among the threads of the process running at one moment and smaller than
 * min(threads, CPUs) (rseq-abi.md section 3), so the caches are few and
 * dense however many CPUs the machine has.
 *
 * Each cache is a small stack (count + CACHE slots). With the mm_cid read
 * from the area before the section:
 *   take: rseq_mm_cid_cmpeqv_trymemcpy_storev(&count, n, &obj, &slot[n-1], 8, n-1)
 *   give: rseq_mm_cid_cmpeqv_trystorev_storev(&count, n, &slot[n], obj, n+1)
 * Both compare the area's mm_cid (offset 24) with the ID read before, so a
 * thread that was switched out and came back with another ID aborts. An
 * empty or full cache falls back to a global list under a mutex; there
 * are enough objects that the global list is never empty when needed.
 * Each thread takes and gives back an object `allocations` times (default
 * 2000) and marks the object in use with an atomic exchange: an object
 * handed to two threads at once fails. In the end every object must be in
 * exactly one cache or the global list, and every mm_cid seen below the
 * number of threads and of CPUs.
 *
 * Kernels before 6.3 do not write mm_cid (feature size < 28): the program
 * says so and exits 0. */
#include "rseq-prog.h"

#define CACHE 4

struct object {
	int in_use;
	long owner;
	struct object *next; /* on the global list */
};

struct cache {
	intptr_t count;
	intptr_t slot[CACHE];
} __attribute__((aligned(64)));

static struct cache caches[MAX_CPUS];
static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static struct object *global_list;
static long allocations;
static int max_cid_allowed;

static int current_cid(void)
{
	int cid = rseq_abi_current_mm_cid();
	if (cid < 0 || cid >= max_cid_allowed)
		fail("mm_cid %d is not below min(threads, CPUs) = %d", cid, max_cid_allowed);
	return cid;
}

static struct object *take(void)
{
	for (;;) {
		int cid = current_cid();
		struct cache *c = &caches[cid];
		intptr_t n = RSEQ_ABI_READ_ONCE(c->count), obj;
		if (n == 0)
			break;
		int r = rseq_mm_cid_cmpeqv_trymemcpy_storev(&c->count, n, &obj, &c->slot[n - 1], sizeof obj, n - 1, cid);
		if (r == RSEQ_OK)
			return (struct object *)obj;
	}
	pthread_mutex_lock(&global_lock);
	struct object *o = global_list;
	if (o)
		global_list = o->next;
	pthread_mutex_unlock(&global_lock);
	if (!o)
		fail("the global list is empty");
	return o;
}

static void give(struct object *o)
{
	for (;;) {
		int cid = current_cid();
		struct cache *c = &caches[cid];
		intptr_t n = RSEQ_ABI_READ_ONCE(c->count);
		if (n == CACHE)
			break;
		int r = rseq_mm_cid_cmpeqv_trystorev_storev(&c->count, n, &c->slot[n], (intptr_t)o, n + 1, cid);
		if (r == RSEQ_OK)
			return;
	}
	pthread_mutex_lock(&global_lock);
	o->next = global_list;
	global_list = o;
	pthread_mutex_unlock(&global_lock);
}

static void *worker(void *arg)
{
	register_thread();
	long me = (long)arg + 1;
	for (long i = 0; i < allocations; i++) {
		struct object *o = take();
		if (__atomic_exchange_n(&o->in_use, 1, __ATOMIC_ACQUIRE))
			fail("an object was handed to two threads at once");
		RSEQ_ABI_WRITE_ONCE(o->owner, me);
		if ((i & 15) == 0)
			sched_yield(); /* let the IDs move between threads */
		if (RSEQ_ABI_READ_ONCE(o->owner) != me)
			fail("thread %ld's object was taken over by thread %ld", me, o->owner);
		__atomic_store_n(&o->in_use, 0, __ATOMIC_RELEASE);
		give(o);
	}
	return arg;
}

int main(int argc, char **argv)
{
	prog_name = "rseq_mmcid_pool";
	int threads = (int)arg_or(argc, argv, 1, 4, MAX_THREADS);
	allocations = arg_or(argc, argv, 2, 2000, 100000000);
	register_thread();
	if (!rseq_abi_has_mm_cid()) {
		printf("rseq_mmcid_pool: mm_cid not available (rseq feature size %lu)\n", rseq_abi_feature_size());
		return 0;
	}
	cpu_set_t allowed;
	if (sched_getaffinity(0, sizeof allowed, &allowed))
		fail("sched_getaffinity: %s", strerror(errno));
	/* main, blocked in pthread_join, counts as a thread of the process */
	max_cid_allowed = threads + 1 < CPU_COUNT(&allowed) ? threads + 1 : CPU_COUNT(&allowed);
	if (max_cid_allowed > MAX_CPUS)
		max_cid_allowed = MAX_CPUS;
	/* Enough objects that the global list cannot run dry: every cache full
	 * and every thread holding one still leaves some. */
	long objects = (long)max_cid_allowed * CACHE + threads + 4;
	struct object *all = calloc(objects, sizeof *all);
	if (!all)
		fail("out of memory");
	for (long i = objects - 1; i >= 0; i--) {
		all[i].next = global_list;
		global_list = &all[i];
	}
	run_threads(threads, worker);
	int *seen = calloc(objects, sizeof *seen);
	long found = 0;
	for (struct object *o = global_list; o && found <= objects; o = o->next, found++)
		seen[o - all]++;
	for (int c = 0; c < MAX_CPUS; c++) {
		if (caches[c].count && c >= max_cid_allowed)
			fail("cache %d is in use, but mm_cid is below %d", c, max_cid_allowed);
		for (intptr_t k = 0; k < caches[c].count; k++, found++)
			seen[(struct object *)caches[c].slot[k] - all]++;
	}
	for (long i = 0; i < objects; i++)
		if (seen[i] != 1 || all[i].in_use)
			fail("object %ld is in the pool %d times (in use %d)", i, seen[i], all[i].in_use);
	printf("rseq_mmcid_pool: %d threads x %ld allocations, every object back in the pool once\n", threads, allocations);
	return 0;
}

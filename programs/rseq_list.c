/* rseq_list [threads] [nodes] [rounds]: per-CPU linked lists (stacks).
 * Each thread (default 4) owns `nodes` nodes (default 100) at first. In
 * every round (default 3) it pushes all the nodes it holds, one at a time,
 * onto the list of the CPU it is on, then pops as many nodes as it pushed
 * from the list of the CPU it is on then (other threads' nodes too) until
 * that list is empty; the popped nodes are what it holds next round.
 *
 * push: node->next = head (the node is still private), then
 *   rseq_cmpeqv_storev(&head, old head, node): commit only if the head is
 *   unchanged and the thread is still on that CPU.
 * pop: rseq_cmpnev_storeoffp_load(&head, NULL, offsetof(next), &node):
 *   in one section, load the head, stop if it is NULL, and commit
 *   head = head->next.
 * Every node counts its pushes and pops (only the thread that holds a node
 * touches it). After the threads end, main drains the lists; every node
 * must be found exactly once and have been popped once per push. */
#include "rseq-prog.h"

struct node {
	struct node *next;
	long pushes;
	long pops;
	int seen;
};

static struct percpu_word heads[MAX_CPUS];
static struct node *all_nodes;
static long nodes_per_thread, rounds;

static void push(struct node *n)
{
	n->pushes++;
	for (;;) {
		int cpu = check_index(rseq_abi_current_cpu(), "cpu_id_start");
		intptr_t head = RSEQ_ABI_READ_ONCE(heads[cpu].v);
		n->next = (struct node *)head;
		int r = rseq_cmpeqv_storev(&heads[cpu].v, head, (intptr_t)n, cpu);
		if (r == RSEQ_OK)
			return;
		/* RSEQ_CMPFAIL: another thread on this CPU changed the head; RSEQ_ABORTED: retry. */
	}
}

/* The first node of the current CPU's list, or NULL when that list is empty. */
static struct node *pop(void)
{
	for (;;) {
		int cpu = check_index(rseq_abi_current_cpu(), "cpu_id_start");
		intptr_t n;
		int r = rseq_cmpnev_storeoffp_load(&heads[cpu].v, 0, offsetof(struct node, next), &n, cpu);
		if (r == RSEQ_OK) {
			((struct node *)n)->pops++;
			return (struct node *)n;
		}
		if (r == RSEQ_CMPFAIL)
			return NULL;
	}
}

static void *worker(void *arg)
{
	register_thread();
	long id = (long)arg;
	/* A thread never pops more than it pushed, so it never holds more than it started with. */
	struct node **held = malloc(sizeof *held * nodes_per_thread);
	long nheld = nodes_per_thread;
	if (!held)
		fail("out of memory");
	for (long i = 0; i < nodes_per_thread; i++)
		held[i] = &all_nodes[id * nodes_per_thread + i];
	for (long r = 0; r < rounds; r++) {
		for (long i = 0; i < nheld; i++)
			push(held[i]);
		long want = nheld;
		nheld = 0;
		struct node *n;
		while (nheld < want && (n = pop()))
			held[nheld++] = n;
	}
	/* What it still holds goes back onto a list for main to find. */
	for (long i = 0; i < nheld; i++)
		push(held[i]);
	free(held);
	return arg;
}

int main(int argc, char **argv)
{
	prog_name = "rseq_list";
	int threads = (int)arg_or(argc, argv, 1, 4, MAX_THREADS);
	nodes_per_thread = arg_or(argc, argv, 2, 100, 100000);
	rounds = arg_or(argc, argv, 3, 3, 1000);
	long total = threads * nodes_per_thread;
	all_nodes = calloc(total, sizeof *all_nodes);
	if (!all_nodes)
		fail("out of memory");
	run_threads(threads, worker);
	long found = 0;
	for (int c = 0; c < MAX_CPUS; c++) {
		for (struct node *n = (struct node *)heads[c].v; n; n = n->next) {
			if (n < all_nodes || n >= all_nodes + total)
				fail("list of CPU %d holds %p, not a node", c, (void *)n);
			if (n->seen++)
				fail("node %ld is on the lists twice", (long)(n - all_nodes));
			if (++found > total)
				fail("the lists hold more than %ld nodes", total);
			n->pops++;
		}
	}
	if (found != total)
		fail("the lists hold %ld nodes, expected %ld", found, total);
	for (long i = 0; i < total; i++)
		if (all_nodes[i].pushes != all_nodes[i].pops)
			fail("node %ld was pushed %ld times and popped %ld times", i, all_nodes[i].pushes, all_nodes[i].pops);
	printf("rseq_list: %d threads x %ld nodes, %ld rounds: every node popped once per push\n", threads, nodes_per_thread, rounds);
	return 0;
}

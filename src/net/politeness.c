/* politeness.c: how many connections may be open at once: per partner address, per domain, per RLIMIT_NOFILE. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "fedscan/log.h"
#include "net/engine_int.h"

static struct addrcount **
addr_slot(struct fs_engine *e, const char *addr)
{
	uint32_t h = 2166136261u;
	const char *p;
	struct addrcount **a;

	for (p = addr; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (a = &e->addrs[h % FS_ADDR_BUCKETS]; *a != NULL; a = &(*a)->next)
		if (strcmp((*a)->addr, addr) == 0)
			break;
	return a;
}

/* The politeness counter of addr, shared by every connection to it: found once, when a connection is made. */
struct addrcount *
addr_ref(struct fs_engine *e, const char *addr)
{
	struct addrcount **a = addr_slot(e, addr), *n;

	if (*a == NULL) {
		if ((n = calloc(1, sizeof(*n))) == NULL)
			return NULL;
		FS_EV_SET(n->addr, addr);
		*a = n;
	}
	(*a)->refs++;
	return *a;
}

void
addr_unref(struct fs_engine *e, struct addrcount *ac)
{
	struct addrcount **a;

	if (ac == NULL || --ac->refs > 0)
		return;
	a = addr_slot(e, ac->addr);
	if (*a == ac) {
		*a = ac->next;
		free(ac);
	}
}

/* Politeness: whether c may open now (--per-address and --per-domain). */
bool
has_slot(const struct conn *c)
{
	const struct job *j = c->job;

	return j->nopen < j->e->o.per_domain && j->e->nopen < j->e->max_open &&
	    (c->ac == NULL || c->ac->n < j->e->o.per_address);
}

static void
wake_waiting(evutil_socket_t fd, short what, void *arg)
{
	struct fs_engine *e = arg;
	struct conn *c, *next;

	e->wake_pending = false;
	for (c = TAILQ_FIRST(&e->waiting); c != NULL; c = next) {
		next = TAILQ_NEXT(c, wlink);
		if (!has_slot(c))
			continue;
		TAILQ_REMOVE(&e->waiting, c, wlink);
		c->st = C_CONNECTING;
		conn_open(c);
		if (c->st == C_CLOSED) {
			/* Destroying may finish its domain and start others, adding to the queue: start over. */
			conn_destroy(c);
			next = TAILQ_FIRST(&e->waiting);
		}
	}
}

/* A slot is free at an address: start waiting connections soon, from the top of the loop (never nested). */
void
schedule_wake(struct fs_engine *e)
{
	struct timeval now = { 0, 0 };

	if (e->wake_pending || TAILQ_EMPTY(&e->waiting))
		return;
	if (event_base_once(e->base, -1, EV_TIMEOUT, wake_waiting, e, &now) == 0)
		e->wake_pending = true;
}

/*
 * Domains in flight must fit the file descriptors we may open: raise the soft RLIMIT_NOFILE to the hard one, cap
 * the probe connections open at once below it (the rest wait for a slot, as for --per-address), and lower
 * --concurrency so that a typical domain's connections fit.
 */
void
fit_concurrency(struct fs_engine *e)
{
	struct rlimit rl;
	rlim_t reserve = FS_FD_RESERVE + (e->o.listen_host != NULL ? FS_MAX_INBOUND + 1 : 0), fit;

	e->max_open = UINT_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
			return;
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		return;
	fit = rl.rlim_cur > reserve + FS_FDS_PER_DOMAIN ? rl.rlim_cur - reserve : FS_FDS_PER_DOMAIN;
	if (fit < UINT_MAX)
		e->max_open = (unsigned)fit;
	fit /= FS_FDS_PER_DOMAIN;
	if (e->o.concurrency > fit) {
		fs_warn("--concurrency %u lowered to %lu: only %lu file descriptors may be open (RLIMIT_NOFILE)",
		    e->o.concurrency, (unsigned long)fit, (unsigned long)rl.rlim_cur);
		e->o.concurrency = (unsigned)fit;
	}
}

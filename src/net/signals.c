/* signals.c: SIGINT, SIGTERM and fs_engine_stop(): finish the domains in flight as interrupted. */
#include <signal.h>

#include "fedscan/log.h"
#include "net/engine_int.h"

void
engine_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct fs_engine *e = arg;
	struct job *j, *jn;
	struct conn *c, *cn;
	struct timeval now = { 0, 0 };

	if (e->stopping)
		return;
	fs_warn("interrupted: finishing the domains in flight as interrupted");
	e->stopping = true;
	/* Time out every live connection now; their domains then report as interrupted. */
	for (j = TAILQ_FIRST(&e->jobs); j != NULL; j = jn) {
		jn = TAILQ_NEXT(j, link);
		for (c = TAILQ_FIRST(&j->conns); c != NULL; c = cn) {
			cn = TAILQ_NEXT(c, link);
			if (c->timer != NULL && c->st != C_CLOSED)
				evtimer_add(c->timer, &now);
		}
	}
}

void
fs_engine_stop(struct fs_engine *e)
{
	engine_on_signal(SIGTERM, 0, e);
}

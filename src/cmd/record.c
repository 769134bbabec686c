/* record.c: evidence -> assessment -> store -> output, the same for every command that audits (check, scan, pcap). */
#include <stdio.h>
#include <string.h>

#include "fedscan/err.h"
#include "fedscan/log.h"
#include "record.h"

static void
before_print(struct fs_recorder *r)
{
	if (r->before_print != NULL)
		r->before_print(r->ud);
}

int
fs_record_partner(struct fs_recorder *r, const struct fs_domain_ev *ev, long long now, enum fs_verdict *verdict)
{
	struct fs_assessment a;
	char err[512];
	json_t *p = NULL;
	int rc = -1;

	memset(&a, 0, sizeof(a));
	if (fs_assess(ev, now, &r->cli->local, r->cli->policy, &a) != 0 || (p = fs_assessment_to_json(&a)) == NULL) {
		before_print(r);
		fs_error("%s: out of memory building the result", ev->domain);
		r->failed = true;
		goto out;
	}
	if (ev->interrupted)
		r->interrupted = true;
	/* Written now, in its own transaction: a crash later loses only the domains still in flight. */
	if (r->store != NULL && fs_store_domain(r->store, r->scan_id, p, err, sizeof(err)) != 0) {
		before_print(r);
		fs_error("%s: not recorded: %s", ev->domain, err);
		r->failed = true;
	}
	r->counts[a.verdict]++;
	if (fs_verdict_exit_status(a.verdict) > r->worst)
		r->worst = fs_verdict_exit_status(a.verdict);
	if (r->js != NULL && r->js->open) {
		fs_json_stream_partner(r->js, p);
	} else if (r->text) {
		before_print(r);
		fs_report_text_partner(stdout, &a, r->color, r->cli->verbose);
	}
	fflush(stdout);
	if (r->assessed != NULL)
		r->assessed(r->ud, &a);
	if (r->collect != NULL)
		json_array_append(r->collect, p);
	if (verdict != NULL)
		*verdict = a.verdict;
	rc = 0;
out:
	fs_assessment_clear(&a);
	json_decref(p);
	return rc;
}

int
fs_recorder_status(const struct fs_recorder *r)
{
	return r->failed && r->worst < FS_EXIT_ERROR ? FS_EXIT_ERROR : r->worst;
}

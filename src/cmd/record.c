/* record.c: evidence -> assessment -> store -> output, the same for every command that audits (check, scan, pcap). */
#include <stdio.h>
#include <string.h>

#include "fedscan/err.h"
#include "fedscan/log.h"
#include "fedscan/policyfile.h"
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
	if (fs_assess(ev, now, r->cli->expiry_warn, &r->cli->local, r->cli->policy, &a) != 0 ||
	    (p = fs_assessment_to_json(&a)) == NULL) {
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

int
fs_recorder_begin(struct fs_recorder *r, const char *kind, const json_t *local, const char *capture)
{
	char err[512];

	if (r->cli->no_db)
		return 0;
	if (fs_cmd_open_store((struct fs_cli *)r->cli, false, &r->store) != 0)
		return -1;
	if (fs_store_scan_begin(r->store, kind, local, PACKAGE_VERSION, &r->scan_id, err, sizeof(err)) != 0 ||
	    (capture != NULL && fs_store_scan_set_capture(r->store, r->scan_id, capture, err, sizeof(err)) != 0)) {
		fs_error("%s", err);
		return -1;
	}
	return 0;
}

int
fs_recorder_end(struct fs_recorder *r, bool complete)
{
	char err[512];

	if (r->store == NULL || fs_store_scan_end(r->store, r->scan_id, complete, err, sizeof(err)) == 0)
		return 0;
	fs_error("%s", err);
	r->failed = true;
	return -1;
}

int
fs_cmd_queue(struct fs_engine *e, const struct fs_cli *cli, char *const *domains, size_t n)
{
	const struct fs_pf_partner *pp;
	size_t i;

	for (i = 0; i < n; i++) {
		/* A policy file's connect = for this partner acts like --connect for it alone (--connect wins). */
		pp = fs_policyfile_find(cli->policy, domains[i]);
		if (fs_engine_add(e, domains[i]) != 0 || (pp != NULL && pp->connect_host != NULL &&
		    fs_engine_add_endpoint(e, domains[i], pp->connect_host, pp->connect_port) != 0)) {
			fs_error("out of memory");
			return -1;
		}
	}
	return 0;
}

/* cmd_check.c: `fedscan check DOMAIN...`: audit now, print, and record each domain as soon as it is done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fedscan/capture.h"
#include "fedscan/err.h"
#include "fedscan/log.h"
#include "fedscan/policyfile.h"
#include "fedscan/report.h"
#include "fedscan/store.h"
#include "cli.h"

struct check_run {
	struct fs_cli *cli;
	struct fs_store *store;
	int64_t scan_id;
	json_t *local;
	json_t *partners;
	bool color;
	bool store_failed;
	bool interrupted;
	struct fs_json_stream js; /* --json: the head is out at the start, each partner follows as it is done */
};

/* The end of check's --json document: the capture, when there was one. */
static void
check_tail(struct check_run *run, json_t *capj)
{
	json_t *tail = json_object();

	if (tail != NULL && capj != NULL)
		json_object_set(tail, "capture", capj);
	fs_json_stream_end(&run->js, tail);
	json_decref(tail);
}

static void
domain_done(void *ud, const struct fs_domain_ev *ev)
{
	struct check_run *run = ud;
	char err[512];
	json_t *p;

	p = fs_report_partner(ev, (long long)time(NULL), &run->cli->local);
	if (p == NULL) {
		fs_error("%s: out of memory building the result", ev->domain);
		run->store_failed = true;
		return;
	}
	if (ev->interrupted)
		run->interrupted = true;
	/* What the policy file expects of this partner: "expected", and a mismatch is a reason (before recording). */
	if (fs_policyfile_annotate(p, run->cli->policy) != 0)
		fs_error("%s: out of memory comparing with the policy file", ev->domain);
	/* Written now, in its own transaction: a crash later loses only the domains still in flight. */
	if (run->store != NULL && fs_store_domain(run->store, run->scan_id, p, err, sizeof(err)) != 0) {
		fs_error("%s: not recorded: %s", ev->domain, err);
		run->store_failed = true;
	}
	if (run->js.open) {
		fs_json_stream_partner(&run->js, p);
	} else if (!run->cli->json && run->cli->verbose >= 0) {
		fs_report_text_partner(stdout, p, run->color, run->cli->verbose);
	}
	fflush(stdout);
	/* Printed and recorded: keep only what the exit status needs. */
	json_array_append_new(run->partners, fs_report_slim(p));
	json_decref(p);
}

int
fs_cmd_check(struct fs_cli *cli)
{
	struct check_run run;
	struct fs_engine *e = NULL;
	struct fs_capture *cap = NULL;
	json_t *capj = NULL;
	char err[512], dbbuf[1024];
	const char *db;
	int i, rc = FS_EXIT_ERROR;

	memset(&run, 0, sizeof(run));
	run.cli = cli;
	if (cli->nargs == 0) {
		fprintf(stderr, "fedscan: check: name at least one partner domain (try `make demo` for a local one)\n");
		return FS_EXIT_USAGE;
	}
	for (i = 0; i < cli->nargs; i++) {
		const char *d = cli->args[i];
		if (d[0] == '\0' || strlen(d) > 253 || strpbrk(d, " \t\r\n/@<>&'\"") != NULL) {
			fputs("fedscan: check: '", stderr);
			fs_fputs_safe(d, stderr);
			fputs("' is not a domain name\n", stderr);
			return FS_EXIT_USAGE;
		}
	}
	/* --capture opens first: no capture, no audit (exit 3 before anything is scanned). */
	if ((rc = fs_cmd_capture_open(cli, &cap)) != 0)
		return rc;
	rc = FS_EXIT_ERROR;
	run.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	run.local = fs_report_local(&cli->local);
	run.partners = json_array();
	if (!cli->no_db) {
		db = cli->db_path != NULL ? cli->db_path : fs_cli_default_db(dbbuf, sizeof(dbbuf));
		if (fs_store_open(db, &run.store, err, sizeof(err)) != 0 ||
		    fs_store_scan_begin(run.store, "check", run.local, PACKAGE_VERSION, &run.scan_id, err,
		    sizeof(err)) != 0 ||
		    (cap != NULL && fs_store_scan_set_capture(run.store, run.scan_id, cli->capture, err, sizeof(err)) != 0)) {
			fs_error("%s", err);
			goto out;
		}
	}
	if (fs_engine_new(&cli->eng, domain_done, &run, &e, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		goto out;
	}
	for (i = 0; i < cli->nargs; i++) {
		/* A policy file's connect = for this partner acts like --connect for it alone (--connect wins). */
		const struct fs_pf_partner *pp = fs_policyfile_find(cli->policy, cli->args[i]);

		if (fs_engine_add(e, cli->args[i]) != 0 || (pp != NULL && pp->connect_host != NULL &&
		    fs_engine_add_endpoint(e, cli->args[i], pp->connect_host, pp->connect_port) != 0)) {
			fs_error("out of memory");
			goto out;
		}
	}
	if (cap != NULL && fs_cmd_capture_start(cli, cap, e) != 0)
		goto out;
	if (cli->json)
		fs_json_stream_begin(&run.js, stdout, run.local);
	else if (cli->verbose >= 0)
		fs_report_text_local(stdout, run.local, run.color);
	if (fs_engine_run(e) != 0) {
		fs_error("the event loop failed");
		goto out;
	}
	capj = fs_cmd_capture_finish(cli, cap);
	if (run.store != NULL && fs_store_scan_end(run.store, run.scan_id, !run.interrupted, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		run.store_failed = true;
	}
	check_tail(&run, capj);
	rc = fs_report_exit_status(run.partners);
	if (run.store_failed && rc < FS_EXIT_ERROR)
		rc = FS_EXIT_ERROR;
out:
	check_tail(&run, capj);  /* a failure after the head still leaves one valid document */
	fs_engine_free(e);
	fs_capture_close(cap);
	json_decref(capj);
	fs_store_close(run.store);
	json_decref(run.local);
	json_decref(run.partners);
	return rc;
}

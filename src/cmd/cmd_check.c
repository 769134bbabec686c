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
#include "record.h"

struct check_run {
	struct fs_cli *cli;
	struct fs_store *store;
	int64_t scan_id;
	json_t *local;
	struct fs_recorder rec;   /* each partner: assessed, recorded, printed */
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

	fs_record_partner(&run->rec, ev, (long long)time(NULL), NULL);
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
	if (cli->list_probes)
		return fs_cmd_list_probes();
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
	run.rec.cli = cli;
	run.rec.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	run.rec.text = !cli->json && cli->verbose >= 0;
	run.rec.js = &run.js;
	run.local = fs_report_local(&cli->local);
	if (!cli->no_db) {
		db = cli->db_path != NULL ? cli->db_path : fs_cli_default_db(dbbuf, sizeof(dbbuf));
		if (fs_store_open(db, &run.store, err, sizeof(err)) != 0 ||
		    fs_store_scan_begin(run.store, "check", run.local, PACKAGE_VERSION, &run.scan_id, err,
		    sizeof(err)) != 0 ||
		    (cap != NULL && fs_store_scan_set_capture(run.store, run.scan_id, cli->capture, err, sizeof(err)) != 0)) {
			fs_error("%s", err);
			goto out;
		}
		run.rec.store = run.store;
		run.rec.scan_id = run.scan_id;
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
		fs_report_text_local(stdout, &cli->local, run.rec.color);
	if (fs_engine_run(e) != 0) {
		fs_error("the event loop failed");
		goto out;
	}
	capj = fs_cmd_capture_finish(cli, cap);
	if (run.store != NULL && fs_store_scan_end(run.store, run.scan_id, !run.rec.interrupted, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		run.rec.failed = true;
	}
	check_tail(&run, capj);
	rc = fs_recorder_status(&run.rec);
out:
	check_tail(&run, capj);  /* a failure after the head still leaves one valid document */
	fs_engine_free(e);
	fs_capture_close(cap);
	json_decref(capj);
	fs_store_close(run.store);
	json_decref(run.local);
	return rc;
}

/* cmd_check.c: `fedscan check DOMAIN...`: audit now, print, and record each domain as soon as it is done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fedscan/capture.h"
#include "fedscan/err.h"
#include "fedscan/idn.h"
#include "fedscan/log.h"
#include "fedscan/metrics.h"
#include "fedscan/nagios.h"
#include "fedscan/policyfile.h"
#include "fedscan/report.h"
#include "fedscan/store.h"
#include "cli.h"
#include "confine.h"
#include "record.h"

struct check_run {
	struct fs_cli *cli;
	json_t *local;
	struct fs_recorder rec;   /* each partner: assessed, recorded, printed */
	struct fs_json_stream js; /* --json: the head is out at the start, each partner follows as it is done */
	struct fs_nagios ng;      /* --nagios: the partners, until the status line can name the worst */
	bool plugin_done;         /* --nagios: the status line is out */
	struct fs_metrics metrics;/* --prometheus: the partners, written when the run ends */
	struct timespec start;
};

/* --nagios, --prometheus: every assessment is kept for the output written at the end. */
static void
keep_assessment(void *ud, const struct fs_assessment *a)
{
	struct check_run *run = ud;

	if (run->cli->nagios)
		fs_nagios_add(&run->ng, a, (long long)time(NULL));
	if (run->cli->prometheus != NULL)
		fs_metrics_add(&run->metrics, a);
}

/* --prometheus: replace the file with this run's metrics; 0, or -1 with err filled. */
static int
write_metrics(struct check_run *run, char *err, size_t errlen)
{
	struct fs_metrics_run mr;
	struct timespec t1;

	if (run->cli->prometheus == NULL)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	mr.duration = (double)(t1.tv_sec - run->start.tv_sec) + (t1.tv_nsec - run->start.tv_nsec) / 1e9;
	mr.end = (long long)time(NULL);
	mr.complete = !run->rec.interrupted;
	if (fs_metrics_commit(&run->metrics, &mr, err, errlen) != 0) {
		fs_error("--prometheus: %s", err);
		return -1;
	}
	fs_cmd_replace_done();
	return 0;
}

/* --nagios: the plugin's output, once; problem (may be NULL or empty) is why the run did not finish. The state. */
static int
plugin_output(struct check_run *run, const char *problem)
{
	run->plugin_done = true;
	return fs_nagios_print(stdout, &run->ng, problem != NULL && problem[0] != '\0' ? problem : NULL);
}

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
	char err[512] = "", ubuf[FS_EV_TEXT], abuf[FS_EV_TEXT];
	int i, rc = FS_EXIT_ERROR;

	memset(&run, 0, sizeof(run));
	run.cli = cli;
	run.metrics.fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &run.start);
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
		/* Either IDN form is accepted (RFC 5891); what is neither is refused here, not looked up. */
		if (fs_idn_forms(d, ubuf, sizeof(ubuf), abuf, sizeof(abuf), err, sizeof(err)) != 0) {
			fputs("fedscan: check: '", stderr);
			fs_fputs_safe(d, stderr);
			fprintf(stderr, "' is not a valid internationalized domain name: %s\n", err);
			return FS_EXIT_USAGE;
		}
	}
	err[0] = '\0';
	fs_nagios_init(&run.ng, cli->expiry_warn, cli->expiry_crit);
	/* --capture opens first: no capture, no audit (exit 3 before anything is scanned). */
	if ((rc = fs_cmd_capture_open(cli, &cap)) != 0) {
		snprintf(err, sizeof(err), "--capture: the capture could not be opened");
		goto out;
	}
	rc = FS_EXIT_ERROR;
	/* --prometheus: an unwritable directory fails now, before the audit. */
	if (cli->prometheus != NULL && fs_metrics_open(&run.metrics, cli->prometheus, cli->expiry_warn, cli->expiry_crit,
	    err, sizeof(err)) != 0) {
		fs_error("--prometheus: %s", err);
		goto out;
	}
	if (cli->prometheus != NULL && fs_cmd_replace_fork(cli, &run.metrics) != 0)
		goto out;
	run.rec.cli = cli;
	run.rec.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	run.rec.text = !cli->json && !cli->nagios && cli->verbose >= 0;
	run.rec.js = &run.js;
	if (cli->nagios) {
		/* A plugin's standard output is its result; warnings would only clutter what Icinga shows (-v: keep). */
		if (cli->verbose <= 0)
			fs_log_level = 0;
	}
	if (cli->nagios || cli->prometheus != NULL) {
		run.rec.assessed = keep_assessment;
		run.rec.ud = &run;
	}
	run.local = fs_report_local(&cli->local);
	if (fs_recorder_begin(&run.rec, "check", run.local, cap != NULL ? cli->capture : NULL) != 0)
		goto out;
	if (fs_engine_new(&cli->eng, domain_done, &run, &e, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		goto out;
	}
	if (fs_cmd_queue(e, cli, cli->args, (size_t)cli->nargs) != 0)
		goto out;
	if (cap != NULL && fs_cmd_capture_start(cli, cap, e) != 0)
		goto out;
	/* Start-up is over (listener bound, TLS credentials, database, capture): as --user from here on. */
	if (fs_cmd_confine(cli, &(struct fs_confine){ .store = true, .network = true,
	    .writes = { cap != NULL ? cli->capture : NULL, cap != NULL ? fs_capture_keys_path(cap) : NULL },
	    .replaces = cli->prometheus }) != 0)
		goto out;
	if (cli->json)
		fs_json_stream_begin(&run.js, stdout, run.local);
	else if (cli->verbose >= 0 && !cli->nagios)
		fs_report_text_local(stdout, &cli->local, run.rec.color);
	if (fs_engine_run(e) != 0) {
		snprintf(err, sizeof(err), "the event loop failed");
		fs_error("%s", err);
		goto out;
	}
	capj = fs_cmd_capture_finish(cli, cap);
	err[0] = '\0';
	fs_recorder_end(&run.rec, !run.rec.interrupted);
	if (write_metrics(&run, err, sizeof(err)) != 0)
		run.rec.failed = true;
	check_tail(&run, capj);
	rc = fs_recorder_status(&run.rec);
	if (cli->nagios)
		rc = plugin_output(&run, err[0] != '\0' ? err : run.rec.failed ?
		    "some results could not be recorded (see standard error)" : NULL);
out:
	check_tail(&run, capj);  /* a failure after the head still leaves one valid document */
	if (cli->nagios && !run.plugin_done)
		rc = plugin_output(&run, err[0] != '\0' ? err : "the audit could not be done (see standard error)");
	fs_nagios_free(&run.ng);
	fs_metrics_close(&run.metrics);
	fs_engine_free(e);
	fs_capture_close(cap);
	json_decref(capj);
	fs_store_close(run.rec.store);
	json_decref(run.local);
	return rc;
}

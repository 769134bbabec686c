/* cmd_scan.c: `fedscan scan [--partners FILE]`: audit every partner (cron), record each as it is done, summarise. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "fedscan/capture.h"
#include "fedscan/err.h"
#include "fedscan/export.h"
#include "fedscan/log.h"
#include "fedscan/metrics.h"
#include "fedscan/policyfile.h"
#include "fedscan/report.h"
#include "fedscan/store.h"
#include "cli.h"
#include "confine.h"
#include "record.h"
#include "targets.h"


/*
 * The progress line on a terminal. Redrawn at most every PROGRESS_MIN_GAP seconds, so a run that finishes
 * thousands of partners a second spends its time auditing, not writing to the terminal. A timer every
 * PROGRESS_TICK_US draws what the throttle held back (so the line is at most that late), and every
 * PROGRESS_REFRESH seconds moves the clock and the ETA on while nothing finishes (a slow partner, a timeout).
 */
#define PROGRESS_MIN_GAP 0.1
#define PROGRESS_REFRESH 1.0
#define PROGRESS_TICK_US 200000
/*
 * The rate (and so the ETA) is measured over the last RATE_WINDOW seconds, not the whole run: the pace changes
 * as the run goes (a burst of names that do not resolve, then a tail of partners that time out), and a
 * nightly scan of thousands of partners should not predict its last minutes from its first. One sample of the
 * partners done per second at most; a window of 30 s holds at most 31 of them.
 */
#define RATE_WINDOW 30.0
#define RATE_SAMPLES 32

struct rate_sample {
	double t;                 /* CLOCK_MONOTONIC, seconds */
	size_t done;
};

/* What the summary says of a partner that needs a look: its verdict and first reason. */
struct scan_item {
	char domain[FS_EV_TEXT];
	enum fs_verdict verdict;
	char first_reason[FS_EV_TEXT];
	unsigned nreasons;
};

struct scan_run {
	struct fs_cli *cli;
	json_t *local;
	struct fs_recorder rec;   /* each partner: assessed, recorded, streamed into --json */
	struct scan_item *items;  /* the partners that are not compatible, for the summary */
	size_t nitems, items_cap;
	size_t total, done;
	size_t cut_short;         /* finished as interrupted */
	size_t counts[6];         /* by fs_verdict_severity_rank() */
	bool tty;                 /* a progress line on stderr */
	bool progress_shown;
	bool progress_dirty;      /* a partner finished since the last redraw */
	double start;             /* when auditing began (CLOCK_MONOTONIC, seconds) */
	double last_draw;
	struct event *tick;       /* redraws while the engine runs (NULL: only as partners finish) */
	struct rate_sample samples[RATE_SAMPLES];  /* a ring, oldest at samples[first] */
	size_t first, nsamples;
	bool interrupted;
	struct fs_json_stream js; /* --json: written as partners finish, the "scan" object last */
	struct fs_metrics metrics;/* --prometheus: every partner, written when the run ends */
};

static const char *const rank_names[] = { "incompatible", "unreachable", "error", "degraded", "compatible", "other" };

/* "3 compatible, 1 degraded", in the order of rank_names. */
static void
counts_text(const struct scan_run *run, char *buf, size_t size)
{
	size_t k, len = 0;

	buf[0] = '\0';
	for (k = sizeof(rank_names) / sizeof(rank_names[0]); k-- > 0;) {
		if (run->counts[k] == 0)
			continue;
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%zu %s", len > 0 ? ", " : "",
		    run->counts[k], rank_names[k]);
		if (len >= size)
			break;
	}
}

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "42s", "1m05s", "2h03m": short, for the progress line. */
static void
duration_text(double secs, char *buf, size_t size)
{
	long s;

	if (!(secs < 100 * 3600.0)) {   /* also NaN: never cast a huge value to long */
		snprintf(buf, size, ">99h");
		return;
	}
	s = secs > 0 ? (long)(secs + 0.5) : 0;
	if (s < 60)
		snprintf(buf, size, "%lds", s);
	else if (s < 3600)
		snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, size, "%ldh%02ldm", s / 3600, s / 60 % 60);
}

/* "250/s", "2.5/s", "0.05/s": two significant digits are all an estimate has. */
static void
rate_text(double rate, char *buf, size_t size)
{
	if (rate >= 10)
		snprintf(buf, size, "%.0f/s", rate);
	else if (rate >= 1)
		snprintf(buf, size, "%.1f/s", rate);
	else
		snprintf(buf, size, "%.2g/s", rate);
}

/* Partners per second over the last RATE_WINDOW seconds (the whole run before that); 0 when none finished. */
static double
window_rate(struct scan_run *run, double now)
{
	const struct rate_sample *old;
	struct rate_sample *s;

	if (run->nsamples == 0 ||
	    now - run->samples[(run->first + run->nsamples - 1) % RATE_SAMPLES].t >= 1.0) {
		if (run->nsamples == RATE_SAMPLES)
			run->first = (run->first + 1) % RATE_SAMPLES;   /* full: the oldest goes */
		else
			run->nsamples++;
		s = &run->samples[(run->first + run->nsamples - 1) % RATE_SAMPLES];
		s->t = now;
		s->done = run->done;
	}
	while (run->nsamples > 1 && now - run->samples[run->first].t > RATE_WINDOW) {
		run->first = (run->first + 1) % RATE_SAMPLES;
		run->nsamples--;
	}
	old = &run->samples[run->first];
	if (now - old->t < 1e-3)
		return 0;
	return (double)(run->done - old->done) / (now - old->t);
}

/* Columns of the terminal on stderr; 80 when it does not say (a serial console, a pty nobody sized). */
static size_t
term_columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/*
 * Draw "fedscan: 12/30 partners audited in 4s (3.0/s), ETA 6s: 2 compatible, 10 unreachable" in one write.
 * It stays within the last-but-one column: a line that wraps cannot be redrawn with \r, and some terminals wrap
 * on writing the last column. The text is ASCII (no domain names), so bytes are columns. What does not fit is
 * cut from the verdict counts, at a ", " with "..." after it, and only if need be from the line itself.
 */
static void
progress_draw(struct scan_run *run, double now)
{
	char line[512], c[256], el[16], eta[16], rt[24];
	size_t len, avail, cut, n;
	double rate, left;

	rate = window_rate(run, now);
	duration_text(now - run->start, el, sizeof(el));
	if (run->done >= run->total)
		snprintf(eta, sizeof(eta), "0s");
	else if (rate > 0) {
		/* Never "ETA 0s" while a partner is still in flight (the last one after a burst of quick ones). */
		left = (double)(run->total - run->done) / rate;
		duration_text(left < 1 ? 1 : left, eta, sizeof(eta));
	} else {
		snprintf(eta, sizeof(eta), "?");
	}
	rate_text(rate, rt, sizeof(rt));
	counts_text(run, c, sizeof(c));
	avail = term_columns() - 1;
	if (avail > sizeof(line) - 8)
		avail = sizeof(line) - 8;
	memcpy(line, "\r\033[K", 4);
	n = (size_t)snprintf(line + 4, sizeof(line) - 4, "fedscan: %zu/%zu partners audited in %s (%s), ETA %s",
	    run->done, run->total, el, rt, eta);
	len = n < avail ? n : avail;
	if (c[0] != '\0' && len + 2 + strlen(c) > avail) {
		/* "2 compatible, ...": the counts up to an item boundary that leaves room for ", ...". */
		for (cut = strlen(c); cut > 0; cut--)
			if (strncmp(c + cut, ", ", 2) == 0 && len + 2 + cut + 5 <= avail)
				break;
		if (cut > 0)
			snprintf(c + cut, sizeof(c) - cut, ", ...");
		else if (len + 5 <= avail)
			snprintf(c, sizeof(c), "...");
		else
			c[0] = '\0';
	}
	if (c[0] != '\0')
		len += (size_t)snprintf(line + 4 + len, sizeof(line) - 4 - len, ": %s", c);
	fwrite(line, 1, 4 + len, stderr);
	fflush(stderr);
	run->progress_shown = true;
	run->progress_dirty = false;
	run->last_draw = now;
}

/* Redraw if something is to be shown and the throttle allows: after other output, a finished partner, the clock. */
static void
progress(struct scan_run *run)
{
	double now = mono_now();

	if (!run->progress_shown || (run->progress_dirty && now - run->last_draw >= PROGRESS_MIN_GAP) ||
	    now - run->last_draw >= PROGRESS_REFRESH)
		progress_draw(run, now);
}

static void
progress_clear(struct scan_run *run)
{
	if (run->progress_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		run->progress_shown = false;
	}
}

/* fs_log()'s hook: any message (an engine warning, SIGINT's) starts on a clean line; the tick redraws after. */
static void
progress_clear_hook(void *ud)
{
	progress_clear(ud);
}

static void
on_progress_tick(evutil_socket_t fd, short what, void *ud)
{
	progress(ud);
}

/* Keep what the summary needs of a partner that is not compatible (the array doubles as it grows). */
static void
keep_item(void *ud, const struct fs_assessment *a)
{
	struct scan_run *run = ud;
	struct scan_item *it;
	size_t cap;

	run->counts[fs_verdict_severity_rank(a->verdict)]++;
	if (run->cli->prometheus != NULL)
		fs_metrics_add(&run->metrics, a);
	if (a->verdict == FS_VERDICT_COMPATIBLE)
		return;
	if (run->nitems == run->items_cap) {
		cap = run->items_cap > 0 ? run->items_cap * 2 : 16;
		if ((it = realloc(run->items, cap * sizeof(*it))) == NULL) {
			run->rec.failed = true;
			return;
		}
		run->items = it;
		run->items_cap = cap;
	}
	it = &run->items[run->nitems++];
	FS_EV_SET(it->domain, a->domain);
	it->verdict = a->verdict;
	it->nreasons = a->nreasons;
	FS_EV_SET(it->first_reason, a->nreasons > 0 ? a->reasons[0].text : "");
}

static void
domain_done(void *ud, const struct fs_domain_ev *ev)
{
	struct scan_run *run = ud;
	enum fs_verdict v;

	if (ev->interrupted)
		run->cut_short++;
	if (fs_record_partner(&run->rec, ev, (long long)time(NULL), &v) != 0)
		return;
	run->done++;
	run->progress_dirty = true;
	if (run->cli->verbose > 0) {
		progress_clear(run);
		fprintf(stderr, "fedscan: [%zu/%zu] ", run->done, run->total);
		fs_fputs_safe(ev->domain, stderr);
		fprintf(stderr, ": %s\n", fs_verdict_name(v));
	}
	if (run->tty)
		progress(run);
}

/* The end of scan's --json document: the "scan" object (known only now) and the capture. */
static void
scan_tail(struct scan_run *run, json_t *capj)
{
	json_t *tail;

	if (!run->js.open)
		return;
	tail = json_pack("{s:{s:o, s:s, s:b, s:I, s:I}}",
	    "scan", "id", run->rec.scan_id > 0 ? json_integer(run->rec.scan_id) : json_null(), "kind", "scan",
	    "complete", !run->interrupted && !run->rec.interrupted && !run->rec.failed && run->done == run->total,
	    "partners", (json_int_t)run->total, "audited", (json_int_t)run->done);
	if (tail != NULL && capj != NULL)
		json_object_set(tail, "capture", capj);
	fs_json_stream_end(&run->js, tail);
	json_decref(tail);
}

/* --prometheus: replace the file with this run's metrics; a failure is an error (exit 3), as an unrecorded result. */
static void
write_metrics(struct scan_run *run, double secs)
{
	struct fs_metrics_run mr = { secs, (long long)time(NULL), !run->interrupted };
	char err[512];

	if (run->cli->prometheus != NULL && fs_metrics_commit(&run->metrics, &mr, err, sizeof(err)) != 0) {
		fs_error("--prometheus: %s", err);
		run->rec.failed = true;
	} else if (run->cli->prometheus != NULL) {
		fs_cmd_replace_done();
	}
}

/* The summary a cron e-mail carries: counts, then each partner that is not compatible with its first reason. */
static void
summary(struct scan_run *run, FILE *f, double secs)
{
	const struct scan_item *it;
	char c[256];
	size_t i, rank;

	counts_text(run, c, sizeof(c));
	if (run->rec.scan_id > 0)
		fprintf(f, "scan %lld: ", (long long)run->rec.scan_id);
	else
		fputs("scan (not recorded): ", f);
	fprintf(f, "%zu partner%s audited in %.0f s%s%s\n", run->done, run->done == 1 ? "" : "s", secs,
	    c[0] ? ": " : "", c);
	if (run->done < run->total || run->interrupted || run->rec.interrupted)
		fprintf(f, "INTERRUPTED: %zu of %zu partners not audited, %zu cut short; the scan stays marked "
		    "incomplete\n", run->total - run->done, run->total, run->cut_short);
	for (rank = 0; rank < 4; rank++) {
		for (i = 0; i < run->nitems; i++) {
			it = &run->items[i];
			if ((size_t)fs_verdict_severity_rank(it->verdict) != rank)
				continue;
			fprintf(f, "  %-13s ", rank_names[rank]);
			fs_fputs_safe(it->domain, f);
			if (it->nreasons > 0) {
				fputs(": ", f);
				fs_fputs_safe(it->first_reason, f);
			}
			if (it->nreasons > 1)
				fprintf(f, " (+%u more)", it->nreasons - 1);
			fputc('\n', f);
		}
	}
	if (run->rec.failed)
		fputs("Some results could not be recorded (see the errors above).\n", f);
	if (run->rec.scan_id > 0)
		fprintf(f, "Details: fedscan report %lld; changes: fedscan diff\n", (long long)run->rec.scan_id);
}

/*
 * The retention after a complete scan (fedscan(1), FILES: every scan for --retain-days, then one a week up to
 * --retain-weekly-days, then none), so a nightly cron job needs no prune of its own. A failure is an error
 * (exit status 3), the results stay recorded.
 */
static void
retain(const struct fs_cli *cli, struct fs_recorder *rec)
{
	char err[512];
	long removed = 0, kept = 0;

	if (rec->store == NULL)
		return;
	if (fs_store_retain(rec->store, (unsigned)cli->retain_days, (unsigned)cli->retain_weekly_days, &removed,
	    &kept, err, sizeof(err)) != 0) {
		fs_error("retention: %s (nothing was removed)", err);
		rec->failed = true;
		return;
	}
	if (cli->verbose > 0)
		fprintf(stderr, "fedscan: retention: %ld scan%s removed, %ld kept\n", removed, removed == 1 ? "" : "s",
		    kept);
}

int
fs_cmd_scan(struct fs_cli *cli)
{
	struct scan_run run;
	struct fs_targets t;
	struct fs_engine *e = NULL;
	struct fs_capture *cap = NULL;
	json_t *capj = NULL;
	struct timespec t0, t1;
	char err[512];
	double secs;
	int rc;

	memset(&run, 0, sizeof(run));
	memset(&t, 0, sizeof(t));
	run.cli = cli;
	run.metrics.fd = -1;
	if (cli->nargs > 0) {
		fputs("fedscan: scan: takes no domains; list them in a file for --partners (or use check DOMAIN...)\n",
		    stderr);
		return FS_EXIT_USAGE;
	}
	if (cli->partners_file != NULL)
		rc = fs_targets_read_file(cli->partners_file, &t);
	else
		rc = fs_targets_from_policy(cli->policy, &t);
	if (rc == 0 && t.n == 0) {
		fputs("fedscan: scan: no partners: give --partners FILE or a policy file with [partner] sections\n",
		    stderr);
		rc = FS_EXIT_USAGE;
	}
	if (rc != 0) {
		fs_targets_free(&t);
		return rc;
	}
	/* --capture opens first: no capture, no audit (exit 3 before anything is scanned). */
	if ((rc = fs_cmd_capture_open(cli, &cap)) != 0) {
		fs_targets_free(&t);
		return rc;
	}
	rc = FS_EXIT_ERROR;
	run.total = t.n;
	run.tty = cli->verbose >= 0 && isatty(STDERR_FILENO);
	run.local = fs_report_local(&cli->local);
	run.rec.cli = cli;
	run.rec.js = &run.js;
	run.rec.before_print = progress_clear_hook;
	run.rec.assessed = keep_item;
	run.rec.ud = &run;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* --prometheus: an unwritable directory fails now, not after a night's audit. */
	if (cli->prometheus != NULL && fs_metrics_open(&run.metrics, cli->prometheus, cli->expiry_warn,
	    cli->expiry_crit, err, sizeof(err)) != 0) {
		fs_error("--prometheus: %s", err);
		goto out;
	}
	if (cli->prometheus != NULL && fs_cmd_replace_fork(cli, &run.metrics) != 0)
		goto out;
	if (fs_recorder_begin(&run.rec, "scan", run.local, cap != NULL ? cli->capture : NULL) != 0)
		goto out;
	if (fs_engine_new(&cli->eng, domain_done, &run, &e, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		goto out;
	}
	if (fs_cmd_queue(e, cli, t.v, t.n) != 0)
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
	run.start = mono_now();
	if (run.tty) {
		struct timeval tv = { 0, PROGRESS_TICK_US };

		fs_log_set_before(progress_clear_hook, &run);
		/* Without the timer (out of memory) the line still moves as partners finish. */
		if ((run.tick = event_new(fs_engine_base(e), -1, EV_PERSIST, on_progress_tick, &run)) != NULL)
			event_add(run.tick, &tv);
		progress(&run);
	}
	if (fs_engine_run(e) != 0) {
		fs_error("the event loop failed");
		goto out;
	}
	secs = mono_now() - run.start;
	if (run.tty)
		progress_draw(&run, mono_now());   /* the final state, then a clean line for what follows */
	progress_clear(&run);
	if (cli->verbose > 0) {
		char rt[24];

		rate_text(secs > 0 ? run.done / secs : 0, rt, sizeof(rt));
		fprintf(stderr, "fedscan: %zu partner%s in %.1f s (%s)\n", run.done, run.done == 1 ? "" : "s", secs, rt);
	}
	capj = fs_cmd_capture_finish(cli, cap);
	if (run.done < run.total || run.rec.interrupted)
		run.interrupted = true;       /* stopped before every queued partner started, or cut short */
	write_metrics(&run, secs);
	/* Complete only when every partner was audited and recorded; otherwise the row says incomplete. */
	fs_recorder_end(&run.rec, !run.interrupted && !run.rec.failed);
	if (!run.interrupted && !run.rec.failed)
		retain(cli, &run.rec);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rc = fs_recorder_status(&run.rec);
	if (run.interrupted && rc < FS_EXIT_ERROR)
		rc = FS_EXIT_ERROR;
	if (cli->json) {
		scan_tail(&run, capj);
	} else if (cli->verbose >= 0 || rc != FS_EXIT_OK) {
		/* -q: silent on success, the summary when something needs a look (cron mails it). */
		summary(&run, stdout, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	fflush(stdout);
out:
	scan_tail(&run, capj);             /* a failure after the head still leaves one valid document */
	if (run.tick != NULL)
		event_free(run.tick);          /* before the engine frees its event base */
	progress_clear(&run);
	fs_log_set_before(NULL, NULL);
	fs_engine_free(e);
	fs_capture_close(cap);
	json_decref(capj);
	fs_store_close(run.rec.store);
	fs_metrics_close(&run.metrics);
	json_decref(run.local);
	free(run.items);
	fs_targets_free(&t);
	return rc;
}

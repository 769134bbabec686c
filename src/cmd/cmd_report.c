/* cmd_report.c: `fedscan report [SCAN] --format text|json|csv|html|markdown [-o FILE]`, and fs_cmd_scan_id(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "fedscan/err.h"
#include "fedscan/export.h"
#include "fedscan/log.h"
#include "fedscan/store.h"
#include "cli.h"
#include "confine.h"

int
fs_cmd_scan_id(const char *cmd, const char *arg, int64_t *id)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v <= 0) {
		fprintf(stderr, "fedscan: %s: '", cmd);
		fs_fputs_safe(arg, stderr);
		fputs("' is not a scan number (fedscan history lists them)\n", stderr);
		return FS_EXIT_USAGE;
	}
	*id = (int64_t)v;
	return 0;
}

/*
 * The scan to report: the one named, else the newest `scan` run (the nightly
 * one, even when someone ran `check` since), else the newest of any kind.
 * 0 with *found, or an exit status after a message.
 */
static int
pick_scan(struct fs_store *st, const char *arg, struct fs_scan_info *out)
{
	struct fs_scan_info *v = NULL;
	char err[512];
	int64_t id;
	size_t n = 0;
	bool found;
	int rc;

	if (arg != NULL) {
		if ((rc = fs_cmd_scan_id("report", arg, &id)) != 0)
			return rc;
		if (fs_store_get_scan(st, id, out, &found, err, sizeof(err)) != 0) {
			fs_error("%s", err);
			return FS_EXIT_ERROR;
		}
		if (!found) {
			fs_error("report: there is no scan %lld in the database (fedscan history lists them)", (long long)id);
			return FS_EXIT_ERROR;
		}
		return 0;
	}
	if (fs_store_list_scans(st, "scan", false, 1, &v, &n, err, sizeof(err)) != 0 ||
	    (n == 0 && fs_store_list_scans(st, NULL, false, 1, &v, &n, err, sizeof(err)) != 0)) {
		fs_error("%s", err);
		return FS_EXIT_ERROR;
	}
	if (n == 0) {
		fs_error("report: no scan recorded yet (run fedscan scan)");
		return FS_EXIT_ERROR;
	}
	*out = v[0];
	v[0].local = NULL;       /* moved to out */
	fs_store_scans_free(v, n);
	return 0;
}

/* Write the report to -o FILE's temporary (fs_cmd_output_fork renames it when this process exits 0). */
static int
write_file(struct fs_cmd_output *o, enum fs_format fmt, const struct fs_report_doc *doc, int verbose)
{
	FILE *f;
	int bad;

	if ((f = fdopen(o->fd, "w")) == NULL) {
		fs_error("report: out of memory");
		return FS_EXIT_ERROR;
	}
	o->fd = -1;
	bad = fs_export(f, fmt, doc, false, verbose) != 0;
	bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	if (bad) {
		fputs("fedscan: report: cannot write ", stderr);
		fs_fputs_safe(o->path, stderr);
		fprintf(stderr, ": %s\n", strerror(errno));
		return FS_EXIT_ERROR;
	}
	return 0;
}

/* Read the scan's records into doc; a record that cannot be read is said on stderr (the report carries it too). */
static int
load(struct fs_store *st, const struct fs_scan_info *scan, struct fs_report_doc *doc)
{
	json_t *partners = NULL;
	char err[512];
	size_t i;

	if (fs_store_scan_partners(st, scan->id, &partners, err, sizeof(err)) != 0 ||
	    fs_report_doc_load(scan, partners, doc, err, sizeof(err)) != 0) {
		json_decref(partners);
		fs_error("%s", err);
		return FS_EXIT_ERROR;
	}
	json_decref(partners);
	for (i = 0; i < doc->nunreadable; i++)
		fs_warn("report: %s", doc->unreadable[i]);
	return 0;
}

int
fs_cmd_report(struct fs_cli *cli)
{
	struct fs_store *st = NULL;
	struct fs_scan_info scan;
	struct fs_report_doc doc;
	struct fs_cmd_output o = { .label = "report", .umask = true, .path = cli->output, .fd = -1 };
	enum fs_format fmt = cli->json ? FS_FMT_JSON : FS_FMT_TEXT;
	int rc;

	memset(&scan, 0, sizeof(scan));
	memset(&doc, 0, sizeof(doc));
	if (cli->format != NULL && fs_format_parse(cli->format, &fmt) != 0) {
		fputs("fedscan: report: --format '", stderr);
		fs_fputs_safe(cli->format, stderr);
		fputs("' is not a format; use text, json, csv, html or markdown\n", stderr);
		return FS_EXIT_USAGE;
	}
	if (cli->json && fmt != FS_FMT_JSON) {
		fputs("fedscan: report: --json and --format disagree\n", stderr);
		return FS_EXIT_USAGE;
	}
	if (cli->nargs > 1) {
		fputs("fedscan: report: takes at most one SCAN (a number, as fedscan history lists them)\n", stderr);
		return FS_EXIT_USAGE;
	}
	if (cli->no_db) {
		fputs("fedscan: report: reads the database; --no-db leaves nothing to report\n", stderr);
		return FS_EXIT_USAGE;
	}
	if (cli->nargs == 1 && (rc = fs_cmd_scan_id("report", cli->args[0], &scan.id)) != 0)
		return rc;
	/* -o FILE: this process goes on as the child; the parent only renames the finished file into place. */
	if (cli->output != NULL && strcmp(cli->output, "-") != 0 && fs_cmd_output_fork(&o, 0666, &rc) == 0)
		return rc;
	if ((rc = fs_cmd_open_store(cli, true, &st)) != 0)
		return rc;
	/* What the database holds came from partners once: read it as --user, inside the sandbox. */
	if (fs_cmd_confine(cli, &(struct fs_confine){ .store = true }) != 0) {
		rc = FS_EXIT_ERROR;
		goto out;
	}
	if ((rc = pick_scan(st, cli->nargs == 1 ? cli->args[0] : NULL, &scan)) != 0 ||
	    (rc = load(st, &scan, &doc)) != 0)
		goto out;
	if (o.fd >= 0) {
		rc = write_file(&o, fmt, &doc, cli->verbose);
	} else {
		bool color = fmt == FS_FMT_TEXT && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;

		rc = fs_export(stdout, fmt, &doc, color, cli->verbose) != 0 || fflush(stdout) != 0 ? FS_EXIT_ERROR : 0;
		if (rc != 0)
			fs_error("report: cannot write to standard output: %s", strerror(errno));
	}
	if (rc == 0 && !scan.complete && cli->verbose >= 0)
		fs_warn("scan %lld is incomplete (interrupted, or still running): the report has what was recorded",
		    (long long)scan.id);
out:
	fs_report_doc_clear(&doc);
	json_decref(scan.local);
	fs_store_close(st);
	return rc;
}

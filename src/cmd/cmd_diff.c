/* cmd_diff.c: `fedscan diff [SCAN_A [SCAN_B]]`: load two scans, compare them (report/diff.c), print, exit 1 on a change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fedscan/diff.h"
#include "fedscan/err.h"
#include "fedscan/log.h"
#include "fedscan/report.h"
#include "fedscan/store.h"
#include "cli.h"

/* A scan's partners, read back into assessments. */
struct scan_partners {
	size_t n;
	struct fs_assessment *v;
};

static void
partners_clear(struct scan_partners *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		fs_assessment_clear(&p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* Read the partners recorded for scan id; 0, or FS_EXIT_ERROR after a message naming the scan and the record. */
static int
load_partners(struct fs_store *st, int64_t id, struct scan_partners *out)
{
	json_t *arr = NULL;
	const json_t *x;
	char err[512];
	size_t i, n;
	int rc = FS_EXIT_ERROR;

	if (fs_store_scan_partners(st, id, &arr, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		goto out;
	}
	n = json_array_size(arr);
	if (n > 0 && (out->v = calloc(n, sizeof(*out->v))) == NULL) {
		fs_error("out of memory");
		goto out;
	}
	json_array_foreach(arr, i, x) {
		if (fs_assessment_from_json(x, &out->v[i], err, sizeof(err)) != 0) {
			fs_error("diff: scan %lld, record %zu: %s", (long long)id, i + 1, err);
			goto out;
		}
		out->n = i + 1;
	}
	rc = 0;
out:
	json_decref(arr);
	return rc;
}

/* Load a scan by its id argument; 0, or an exit status after a message. */
static int
load_scan(struct fs_store *st, const char *arg, struct fs_scan_info *out)
{
	char err[512];
	int64_t id;
	bool found;
	int rc;

	if ((rc = fs_cmd_scan_id("diff", arg, &id)) != 0)
		return rc;
	if (fs_store_get_scan(st, id, out, &found, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		return FS_EXIT_ERROR;
	}
	if (!found) {
		fs_error("diff: there is no scan %lld in the database (fedscan history lists them)", (long long)id);
		return FS_EXIT_ERROR;
	}
	return 0;
}

/* The scans to compare: SCAN_A SCAN_B, or SCAN_A and the newest other complete scan, or the last two. */
static int
pick_scans(struct fs_store *st, struct fs_cli *cli, struct fs_scan_info *sa, struct fs_scan_info *sb)
{
	struct fs_scan_info *v = NULL;
	char err[512];
	size_t n = 0, i;
	int rc;

	if (cli->nargs == 2) {
		if ((rc = load_scan(st, cli->args[0], sa)) != 0 || (rc = load_scan(st, cli->args[1], sb)) != 0)
			return rc;
		return 0;
	}
	/* The newest complete `scan` runs (the nightly ones): a `check` of one partner is not a baseline. */
	if (fs_store_list_scans(st, "scan", true, 3, &v, &n, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		return FS_EXIT_ERROR;
	}
	rc = 0;
	if (cli->nargs == 1) {
		if ((rc = load_scan(st, cli->args[0], sa)) != 0)
			goto out;
		for (i = 0; i < n && v[i].id == sa->id; i++)
			;
		if (i < n) {
			*sb = v[i];
			v[i].local = NULL;
		}
	} else if (n >= 2) {
		*sb = v[0];
		*sa = v[1];
		v[0].local = v[1].local = NULL;
	}
out:
	fs_store_scans_free(v, n);
	return rc;
}

/* The comparison of the two scans' partners, with their start times and local policies. */
static int
compare(struct fs_store *st, const struct fs_scan_info *sa, const struct fs_scan_info *sb, long expiry_days,
    struct fs_diff *out)
{
	struct scan_partners pa = { 0, NULL }, pb = { 0, NULL };
	struct fs_setting la, lb;
	struct fs_diff_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.at_a = fs_store_time(sa->started_at);
	o.at_b = fs_store_time(sb->started_at);
	o.expiry_days = expiry_days;
	o.b_complete = sb->complete;
	if (sa->local != NULL && fs_report_local_read(sa->local, &la) == 0)
		o.local_a = &la;
	if (sb->local != NULL && fs_report_local_read(sb->local, &lb) == 0)
		o.local_b = &lb;
	if ((rc = load_partners(st, sa->id, &pa)) != 0 || (rc = load_partners(st, sb->id, &pb)) != 0)
		goto out;
	if (fs_diff(pa.v, pa.n, pb.v, pb.n, &o, out) != 0) {
		fs_error("out of memory");
		rc = FS_EXIT_ERROR;
	}
out:
	partners_clear(&pa);
	partners_clear(&pb);
	return rc;
}

int
fs_cmd_diff(struct fs_cli *cli)
{
	struct fs_store *st = NULL;
	struct fs_scan_info sa, sb;
	struct fs_diff d;
	size_t i;
	int64_t dummy;
	int rc;

	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	memset(&d, 0, sizeof(d));
	if (cli->nargs > 2) {
		fputs("fedscan: diff: takes at most two scans, SCAN_A and SCAN_B (numbers, as fedscan history lists them)\n",
		    stderr);
		return FS_EXIT_USAGE;
	}
	if (cli->no_db) {
		fputs("fedscan: diff: reads the database; --no-db leaves nothing to compare\n", stderr);
		return FS_EXIT_USAGE;
	}
	for (i = 0; i < (size_t)cli->nargs; i++)
		if ((rc = fs_cmd_scan_id("diff", cli->args[i], &dummy)) != 0)
			return rc;
	if ((rc = fs_cmd_open_store_read(cli, &st)) != 0)
		return rc;
	if ((rc = pick_scans(st, cli, &sa, &sb)) != 0)
		goto out;
	if (sb.id == 0) {
		/* Not an error: the first night has nothing to compare with. */
		if (cli->json)
			fs_diff_json(stdout, NULL, NULL, cli->expiry_days, NULL);
		else if (cli->verbose >= 0)
			fs_diff_text(stdout, NULL, NULL, NULL);
		rc = FS_EXIT_OK;
		goto out;
	}
	if ((rc = compare(st, &sa, &sb, cli->expiry_days, &d)) != 0)
		goto out;
	rc = FS_EXIT_ERROR;
	if (cli->json) {
		if (fs_diff_json(stdout, &sa, &sb, cli->expiry_days, &d) != 0) {
			fs_error("diff: cannot write the JSON document");
			goto out;
		}
	} else if (cli->verbose >= 0 || fs_diff_changed(&d)) {
		/* -q: silent when nothing changed; the changes otherwise (a cron e-mail). */
		fs_diff_text(stdout, &sa, &sb, &d);
	}
	if (fflush(stdout) != 0) {
		fs_error("diff: cannot write to standard output");
		goto out;
	}
	rc = fs_diff_changed(&d) ? FS_EXIT_DEGRADED : FS_EXIT_OK;
out:
	fs_diff_clear(&d);
	json_decref(sa.local);
	json_decref(sb.local);
	fs_store_close(st);
	return rc;
}

/* cmd_history.c: `fedscan history [DOMAIN]`: the recorded scans, or one partner's results over time. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "fedscan/err.h"
#include "fedscan/log.h"
#include "fedscan/report.h"
#include "fedscan/store.h"
#include "cli.h"

static const char *
str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static int
list_scans(struct fs_cli *cli, struct fs_store *st)
{
	struct fs_scan_info *v = NULL;
	char err[512];
	size_t n = 0, i;

	if (fs_store_list_scans(st, NULL, false, 0, &v, &n, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		return FS_EXIT_ERROR;
	}
	if (cli->json) {
		json_t *a = json_array();

		for (i = n; i-- > 0;)
			json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:o, s:b, s:s, s:I}", "id", (json_int_t)v[i].id,
			    "kind", v[i].kind, "started_at", v[i].started_at, "finished_at",
			    v[i].finished_at[0] ? json_string(v[i].finished_at) : json_null(), "complete", v[i].complete,
			    "fedscan_version", v[i].version, "partners", (json_int_t)v[i].ndomains));
		json_dumpf(a, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(a);
	} else {
		if (n == 0)
			puts("no scans recorded");
		else
			printf("%6s  %-7s  %-24s  %-10s  %s\n", "scan", "kind", "started", "state", "partners");
		for (i = n; i-- > 0;)
			printf("%6lld  %-7s  %-24s  %-10s  %ld\n", (long long)v[i].id, v[i].kind, v[i].started_at,
			    v[i].complete ? "complete" : v[i].finished_at[0] ? "interrupted" : "unfinished", v[i].ndomains);
	}
	fs_store_scans_free(v, n);
	return FS_EXIT_OK;
}

/* "compatible; TLS Required, SASL Optional, Dialback True; SASL over TLS", or why the record cannot be read. */
static void
state(const json_t *p, char *buf, size_t size)
{
	struct fs_assessment a;
	char err[512];

	if (fs_assessment_from_json(p, &a, err, sizeof(err)) != 0) {
		snprintf(buf, size, "a record that cannot be read: %s", err);
		return;
	}
	snprintf(buf, size, "%s; TLS %s, SASL %s, Dialback %s; %s", fs_verdict_name(a.verdict),
	    fs_level_name(a.eff.s.tls), fs_level_name(a.eff.s.sasl), fs_dialback_name(a.eff.s.dialback),
	    a.negotiated != 0 ? fs_method_name(a.negotiated) : "no common method");
	fs_assessment_clear(&a);
}

int
fs_cmd_history(struct fs_cli *cli)
{
	struct fs_store *st = NULL;
	json_t *h = NULL;
	const json_t *x, *last = NULL;
	char err[512], now[512], prev[512] = "";
	size_t i, n;
	int rc;

	if (cli->nargs > 1) {
		fputs("fedscan: history: takes at most one DOMAIN\n", stderr);
		return FS_EXIT_USAGE;
	}
	if (cli->no_db) {
		fputs("fedscan: history: reads the database; --no-db leaves nothing to show\n", stderr);
		return FS_EXIT_USAGE;
	}
	if ((rc = fs_cmd_open_store_read(cli, &st)) != 0)
		return rc;
	if (cli->nargs == 0) {
		rc = list_scans(cli, st);
		fs_store_close(st);
		return rc;
	}
	if (fs_store_domain_history(st, cli->args[0], &h, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		fs_store_close(st);
		return FS_EXIT_ERROR;
	}
	fs_store_close(st);
	n = json_array_size(h);
	if (cli->json) {
		json_dumpf(h, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else if (n == 0) {
		fputs("no results recorded for ", stdout);
		fs_fputs_safe(cli->args[0], stdout);
		fputc('\n', stdout);
	} else {
		/* One line per change of setting, method or verdict: a stable partner is one line. */
		fs_fputs_safe(cli->args[0], stdout);
		printf(": %zu result%s\n", n, n == 1 ? "" : "s");
		json_array_foreach(h, i, x) {
			state(json_object_get(x, "partner"), now, sizeof(now));
			if (strcmp(now, prev) != 0) {
				printf("  %s  scan %lld: ", str(x, "started_at"),
				    (long long)json_integer_value(json_object_get(x, "scan")));
				fs_fputs_safe(now, stdout);
				fputc('\n', stdout);
				snprintf(prev, sizeof(prev), "%s", now);
				last = x;
			} else if (i == n - 1 && last != x) {
				printf("  %s  scan %lld: unchanged\n", str(x, "started_at"),
				    (long long)json_integer_value(json_object_get(x, "scan")));
			}
		}
	}
	json_decref(h);
	return FS_EXIT_OK;
}

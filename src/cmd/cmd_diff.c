/* cmd_diff.c: `fedscan diff [SCAN_A [SCAN_B]]`: what changed per partner between two scans, the most serious first. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "fedscan/err.h"
#include "fedscan/export.h"
#include "fedscan/log.h"
#include "fedscan/store.h"
#include "cli.h"

#define ARROW "\xe2\x86\x92"   /* U+2192, as in "TLS Optional → Required" */

/* How serious a change is (ordering, and "level" in the JSON). */
enum {
	SEV_PARTNER = 10,        /* a partner added to or gone from the list */
	SEV_BETTER = 15,         /* verdict improved */
	SEV_MINOR = 20,          /* endpoint appeared or answers again, stronger method, newer TLS */
	SEV_CERT_NEW = 30,       /* certificate replaced */
	SEV_TLS_DOWN = 45,       /* older TLS version */
	SEV_SETTING = 50,        /* an effective setting changed */
	SEV_EXPIRING = 55,       /* certificate expires within --expiry-days */
	SEV_ENDPOINT = 60,       /* an endpoint vanished or stopped answering */
	SEV_WEAKER = 70,         /* a weaker negotiated method */
	SEV_EXPIRED = 75,        /* certificate expired */
	SEV_DEGRADED = 80,       /* verdict now degraded */
	SEV_NONE = 95,           /* no common method any more */
	SEV_BROKEN = 100,        /* verdict now incompatible, unreachable or error */
};

static const char *
level(int sev)
{
	return sev >= 90 ? "critical" : sev >= 50 ? "warning" : "notice";
}

static const char *
str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* Add {what, from, to, severity, level, text} to changes. */
static void
add(json_t *changes, int sev, const char *what, const char *from, const char *to, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
add(json_t *changes, int sev, const char *what, const char *from, const char *to, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_array_append_new(changes, json_pack("{s:s, s:o, s:o, s:i, s:s, s:o}", "what", what,
	    "from", from != NULL ? json_string(from) : json_null(), "to", to != NULL ? json_string(to) : json_null(),
	    "severity", sev, "level", level(sev), "text", json_string(text) ? json_string(text) : json_string("?")));
}

static int
method_rank(const char *m)
{
	static const char *const order[] = { "SASL over TLS", "TLS Dialback", "TCP Dialback" };
	int i;

	for (i = 0; i < 3; i++)
		if (strcmp(m, order[i]) == 0)
			return i;
	return 3;
}

/* What one partner result says about its TLS side, over all its endpoints. */
struct tls_side {
	char versions[128];      /* "TLSv1.2, TLSv1.3" (sorted, unique) */
	char certs[1024];        /* sha256 fingerprints, sorted, unique, ", " between */
	long long not_after;     /* the earliest expiry, UNIX time; 0: no certificate seen */
	char not_after_text[64];
	int ncerts;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, unique "a, b" of the strings in v (n of them) into buf. */
static void
join_sorted(const char **v, size_t n, char *buf, size_t size)
{
	size_t i, len = 0;

	qsort(v, n, sizeof(*v), cmp_str);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(v[i], v[i - 1]) == 0)
			continue;
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s", len > 0 ? ", " : "", v[i]);
		if (len >= size)
			break;
	}
}

static void
tls_side(const json_t *p, struct tls_side *t)
{
	const char *vers[64], *certs[64];
	const json_t *ep, *c, *tls, *cert;
	size_t nv = 0, nc = 0, i, k;
	long long e;

	memset(t, 0, sizeof(*t));
	json_array_foreach(json_object_get(p, "endpoints"), i, ep) {
		json_array_foreach(json_object_get(ep, "connections"), k, c) {
			tls = json_object_get(c, "tls");
			if (!json_is_true(json_object_get(tls, "ok")))
				continue;
			if (str(tls, "version")[0] != '\0' && nv < 64)
				vers[nv++] = str(tls, "version");
			cert = json_object_get(tls, "cert");
			if (!json_is_true(json_object_get(cert, "present")) || str(cert, "sha256")[0] == '\0')
				continue;
			if (nc < 64)
				certs[nc++] = str(cert, "sha256");
			e = json_integer_value(json_object_get(cert, "not_after_epoch"));
			if (e > 0 && (t->not_after == 0 || e < t->not_after)) {
				t->not_after = e;
				snprintf(t->not_after_text, sizeof(t->not_after_text), "%s", str(cert, "not_after"));
			}
		}
	}
	join_sorted(vers, nv, t->versions, sizeof(t->versions));
	join_sorted(certs, nc, t->certs, sizeof(t->certs));
	t->ncerts = (int)nc;
}

/* "AB:CD:EF:01:23:45…" : enough of a fingerprint to tell two apart in a mail. */
static void
short_fp(const char *list, char *buf, size_t size)
{
	size_t n = strcspn(list, ",");

	if (n > 17)
		snprintf(buf, size, "%.17s\xe2\x80\xa6", list);
	else
		snprintf(buf, size, "%.*s", (int)n, list);
	if (strchr(list, ',') != NULL && strlen(buf) + 8 < size)
		strcat(buf, " (+more)");
}

/* An endpoint's key: "host [address]:port". */
static void
ep_key(const json_t *ep, char *buf, size_t size)
{
	snprintf(buf, size, "%s [%s]:%lld", str(ep, "host"), str(ep, "address"),
	    (long long)json_integer_value(json_object_get(ep, "port")));
}

static const json_t *
find_ep(const json_t *p, const char *key)
{
	const json_t *ep;
	char k[600];
	size_t i;

	json_array_foreach(json_object_get(p, "endpoints"), i, ep) {
		ep_key(ep, k, sizeof(k));
		if (strcmp(k, key) == 0)
			return ep;
	}
	return NULL;
}

/* One list line "endpoint(s) WHAT: a, b" for the endpoints of `from` that `pred` selects. */
static void
endpoint_changes(json_t *changes, const json_t *a, const json_t *b)
{
	char gone[1024] = "", added[1024] = "", dead[1024] = "", alive[1024] = "", k[600];
	int ngone = 0, nadded = 0, ndead = 0, nalive = 0;
	const json_t *ep, *other;
	size_t i, len;

#define LIST(buf, n) do { len = strlen(buf); \
	snprintf(buf + len, sizeof(buf) - len, "%s%s", len > 0 ? ", " : "", k); (n)++; } while (0)
	json_array_foreach(json_object_get(a, "endpoints"), i, ep) {
		ep_key(ep, k, sizeof(k));
		if ((other = find_ep(b, k)) == NULL)
			LIST(gone, ngone);
		else if (json_is_true(json_object_get(ep, "reachable")) && json_is_false(json_object_get(other, "reachable")))
			LIST(dead, ndead);
		else if (json_is_false(json_object_get(ep, "reachable")) && json_is_true(json_object_get(other, "reachable")))
			LIST(alive, nalive);
	}
	json_array_foreach(json_object_get(b, "endpoints"), i, ep) {
		ep_key(ep, k, sizeof(k));
		if (find_ep(a, k) == NULL)
			LIST(added, nadded);
	}
#undef LIST
	if (ngone > 0)
		add(changes, SEV_ENDPOINT, "endpoint", gone, NULL, "endpoint%s vanished: %s", ngone > 1 ? "s" : "", gone);
	if (ndead > 0)
		add(changes, SEV_ENDPOINT, "reachable", dead, NULL, "endpoint%s no longer answer%s: %s",
		    ndead > 1 ? "s" : "", ndead > 1 ? "" : "s", dead);
	if (nadded > 0)
		add(changes, SEV_MINOR, "endpoint", NULL, added, "endpoint%s appeared: %s", nadded > 1 ? "s" : "", added);
	if (nalive > 0)
		add(changes, SEV_MINOR, "reachable", NULL, alive, "endpoint%s answer%s again: %s", nalive > 1 ? "s" : "",
		    nalive > 1 ? "" : "s", alive);
}

/* Whole days from `at` to `t`, rounded down. */
static long long
days_until(long long t, long long at)
{
	long long d = t - at;

	return d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
}

/* The changes of one partner present in both scans (a new array, maybe empty). */
static json_t *
partner_changes(const json_t *a, const json_t *b, long long at_a, long long at_b, long expiry_days)
{
	static const struct { const char *key, *label; } fields[] = {
		{ "tls", "TLS" }, { "sasl", "SASL" }, { "dialback", "Dialback" },
	};
	json_t *changes = json_array();
	const char *va = str(a, "verdict"), *vb = str(b, "verdict");
	const char *na = json_is_string(json_object_get(a, "negotiated")) ? str(a, "negotiated") : "none";
	const char *nb = json_is_string(json_object_get(b, "negotiated")) ? str(b, "negotiated") : "none";
	const json_t *ea = json_object_get(a, "effective"), *eb = json_object_get(b, "effective");
	struct tls_side ta, tb;
	char fa[64], fb[64];
	long long da, db;
	size_t i;

	if (strcmp(va, vb) != 0) {
		enum fs_verdict xa, xb;
		/* Worse: more serious (assess.h); a word that is no verdict counts as the least serious. */
		int worse = fs_verdict_parse(vb, &xb) == 0 &&
		    (fs_verdict_parse(va, &xa) != 0 || fs_verdict_severity_rank(xb) < fs_verdict_severity_rank(xa));
		add(changes, !worse ? SEV_BETTER : strcmp(vb, "degraded") == 0 ? SEV_DEGRADED : SEV_BROKEN, "verdict",
		    va, vb, "verdict %s " ARROW " %s", va, vb);
	}
	if (strcmp(na, nb) != 0)
		add(changes, strcmp(nb, "none") == 0 ? SEV_NONE : method_rank(nb) > method_rank(na) ? SEV_WEAKER :
		    SEV_MINOR, "negotiated", na, nb, "negotiated %s " ARROW " %s", na, nb);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(str(ea, fields[i].key), str(eb, fields[i].key)) != 0)
			add(changes, SEV_SETTING, fields[i].key, str(ea, fields[i].key), str(eb, fields[i].key),
			    "%s %s " ARROW " %s", fields[i].label, str(ea, fields[i].key), str(eb, fields[i].key));
	endpoint_changes(changes, a, b);

	tls_side(a, &ta);
	tls_side(b, &tb);
	if (ta.versions[0] != '\0' && tb.versions[0] != '\0' && strcmp(ta.versions, tb.versions) != 0)
		add(changes, strcmp(tb.versions, ta.versions) < 0 ? SEV_TLS_DOWN : SEV_MINOR, "tls_version",
		    ta.versions, tb.versions, "TLS version %s " ARROW " %s", ta.versions, tb.versions);
	if (ta.certs[0] != '\0' && tb.certs[0] != '\0' && strcmp(ta.certs, tb.certs) != 0) {
		short_fp(ta.certs, fa, sizeof(fa));
		short_fp(tb.certs, fb, sizeof(fb));
		add(changes, SEV_CERT_NEW, "certificate", ta.certs, tb.certs, "certificate replaced: %s " ARROW " %s%s%s",
		    fa, fb, tb.not_after_text[0] ? ", expires " : "", tb.not_after_text);
	}
	if (tb.not_after > 0 && at_b > 0) {
		db = days_until(tb.not_after, at_b);
		da = ta.not_after > 0 && at_a > 0 ? days_until(ta.not_after, at_a) : -1000000;
		/* New in the window (or a new certificate in it): said once, not every night until it expires. */
		bool fresh = strcmp(ta.certs, tb.certs) != 0;
		if (db < 0 && (da >= 0 || fresh))
			add(changes, SEV_EXPIRED, "cert_expiry", ta.not_after_text, tb.not_after_text,
			    "certificate expired on %s", tb.not_after_text);
		else if (db >= 0 && db < expiry_days && (da >= expiry_days || fresh))
			add(changes, SEV_EXPIRING, "cert_expiry", ta.not_after_text, tb.not_after_text,
			    "certificate expires in %lld day%s (%s)", db, db == 1 ? "" : "s", tb.not_after_text);
	}
	return changes;
}

static int
change_cmp(const void *x, const void *y)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	json_int_t sa = json_integer_value(json_object_get(a, "severity"));
	json_int_t sb = json_integer_value(json_object_get(b, "severity"));

	if (sa != sb)
		return sa > sb ? -1 : 1;
	return strcmp(str(a, "domain"), str(b, "domain"));
}

/* Sort a JSON array of objects with a "severity" by it, the most serious first (then by "domain"). */
static void
sort_by_severity(json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t **v;

	if (n < 2 || (v = calloc(n, sizeof(*v))) == NULL)
		return;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), change_cmp);
	json_array_clear(arr);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

static const json_t *
find_partner(const json_t *partners, const char *domain)
{
	const json_t *p, *found = NULL;
	size_t i;

	json_array_foreach(partners, i, p)
		if (strcasecmp(str(p, "domain"), domain) == 0)
			found = p;               /* the last one recorded, when a run listed a domain twice */
	return found;
}

static json_t *
partner_entry(const char *domain, const char *vfrom, const char *vto, json_t *changes)
{
	json_int_t sev = 0;
	const json_t *c;
	size_t i;

	sort_by_severity(changes);
	json_array_foreach(changes, i, c)
		if (json_integer_value(json_object_get(c, "severity")) > sev)
			sev = json_integer_value(json_object_get(c, "severity"));
	return json_pack("{s:s, s:{s:o, s:o}, s:I, s:s, s:o}", "domain", domain,
	    "verdict", "from", vfrom != NULL ? json_string(vfrom) : json_null(),
	    "to", vto != NULL ? json_string(vto) : json_null(),
	    "severity", sev, "level", level((int)sev), "changes", changes);
}

/* The whole comparison: {"partners": [changed partners, most serious first], "local": [...], "unchanged": n}. */
static json_t *
compare(const struct fs_scan_info *sa, const json_t *pa, const struct fs_scan_info *sb, const json_t *pb,
    long expiry_days)
{
	static const struct { const char *key, *label; } fields[] = {
		{ "tls", "TLS" }, { "sasl", "SASL" }, { "dialback", "Dialback" },
	};
	long long at_a = fs_store_time(sa->started_at), at_b = fs_store_time(sb->started_at);
	json_t *out = json_array(), *local = json_array(), *changes;
	const json_t *p, *q;
	long unchanged = 0;
	size_t i;

	json_array_foreach(pb, i, p) {
		const char *d = str(p, "domain");

		if (find_partner(pb, d) != p)
			continue;       /* an earlier duplicate */
		if ((q = find_partner(pa, d)) == NULL) {
			changes = json_array();
			add(changes, SEV_PARTNER, "partner", NULL, str(p, "verdict"), "new partner: %s", str(p, "verdict"));
			json_array_append_new(out, partner_entry(d, NULL, str(p, "verdict"), changes));
			continue;
		}
		changes = partner_changes(q, p, at_a, at_b, expiry_days);
		if (json_array_size(changes) == 0) {
			json_decref(changes);
			unchanged++;
			continue;
		}
		json_array_append_new(out, partner_entry(d, str(q, "verdict"), str(p, "verdict"), changes));
	}
	json_array_foreach(pa, i, q) {
		const char *d = str(q, "domain");

		if (find_partner(pa, d) != q || find_partner(pb, d) != NULL)
			continue;
		changes = json_array();
		add(changes, SEV_PARTNER, "partner", str(q, "verdict"), NULL, "%s",
		    sb->complete ? "no longer in the scan" : "not audited (the newer scan is incomplete)");
		json_array_append_new(out, partner_entry(d, str(q, "verdict"), NULL, changes));
	}
	sort_by_severity(out);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (sa->local != NULL && sb->local != NULL &&
		    strcmp(str(sa->local, fields[i].key), str(sb->local, fields[i].key)) != 0)
			add(local, SEV_SETTING, fields[i].key, str(sa->local, fields[i].key), str(sb->local, fields[i].key),
			    "local policy %s %s " ARROW " %s", fields[i].label, str(sa->local, fields[i].key),
			    str(sb->local, fields[i].key));
	return json_pack("{s:o, s:o, s:I}", "local_changes", local, "partners", out, "unchanged", (json_int_t)unchanged);
}

static json_t *
scan_meta(const struct fs_scan_info *s)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:b, s:I}", "id", (json_int_t)s->id, "kind", s->kind,
	    "started_at", s->started_at, "finished_at", s->finished_at[0] ? json_string(s->finished_at) : json_null(),
	    "complete", s->complete, "partners", (json_int_t)s->ndomains);
}

static void
print_text(FILE *f, const struct fs_scan_info *sa, const struct fs_scan_info *sb, const json_t *res)
{
	const json_t *partners = json_object_get(res, "partners"), *p, *c;
	size_t i, k, nchanged = json_array_size(partners) + 0;
	long long unchanged = json_integer_value(json_object_get(res, "unchanged"));
	bool changed = nchanged > 0 || json_array_size(json_object_get(res, "local_changes")) > 0;

	fprintf(f, "fedscan diff: scan %lld (%s%s) " ARROW " scan %lld (%s%s)", (long long)sa->id, sa->started_at,
	    sa->complete ? "" : ", incomplete", (long long)sb->id, sb->started_at, sb->complete ? "" : ", incomplete");
	if (!changed) {
		fprintf(f, ": no change (%lld partner%s)\n", unchanged, unchanged == 1 ? "" : "s");
		return;
	}
	fputc('\n', f);
	json_array_foreach(json_object_get(res, "local_changes"), i, c) {
		fs_fputs_safe(str(c, "text"), f);
		fputc('\n', f);
	}
	json_array_foreach(partners, i, p) {
		const json_t *v = json_object_get(p, "verdict");
		const char *from = str(v, "from"), *to = str(v, "to");

		fs_fputs_safe(str(p, "domain"), f);
		if (from[0] != '\0' && to[0] != '\0' && strcmp(from, to) != 0)
			fprintf(f, ": %s " ARROW " %s\n", from, to);
		else
			fprintf(f, " (%s)\n", to[0] != '\0' ? to : from);
		json_array_foreach(json_object_get(p, "changes"), k, c) {
			if (strcmp(str(c, "what"), "verdict") == 0)
				continue;       /* on the partner's line */
			fputs("  ", f);
			fs_fputs_safe(str(c, "text"), f);
			fputc('\n', f);
		}
	}
	fprintf(f, "%zu partner%s changed, %lld unchanged\n", nchanged, nchanged == 1 ? "" : "s", unchanged);
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

int
fs_cmd_diff(struct fs_cli *cli)
{
	struct fs_store *st = NULL;
	struct fs_scan_info sa, sb, *v = NULL;
	json_t *pa = NULL, *pb = NULL, *res = NULL;
	char err[512];
	size_t n = 0, i;
	int64_t dummy;
	int rc;
	bool changed;

	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
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
	if ((rc = fs_cmd_open_store(cli, true, &st)) != 0)
		return rc;
	rc = FS_EXIT_ERROR;
	if (cli->nargs == 2) {
		if ((rc = load_scan(st, cli->args[0], &sa)) != 0 || (rc = load_scan(st, cli->args[1], &sb)) != 0)
			goto out;
	} else {
		/* The newest complete `scan` runs (the nightly ones): a `check` of one partner is not a baseline. */
		if (fs_store_list_scans(st, "scan", true, 3, &v, &n, err, sizeof(err)) != 0) {
			fs_error("%s", err);
			goto out;
		}
		if (cli->nargs == 1) {
			if ((rc = load_scan(st, cli->args[0], &sa)) != 0)
				goto out;
			for (i = 0; i < n && v[i].id == sa.id; i++)
				;
			if (i < n) {
				sb = v[i];
				v[i].local = NULL;
			}
		} else if (n >= 2) {
			sb = v[0];
			sa = v[1];
			v[0].local = v[1].local = NULL;
		}
		if (sb.id == 0) {
			/* Not an error: the first night has nothing to compare with. */
			if (cli->json)
				printf("{\"a\": null, \"b\": null, \"changed\": false, \"local_changes\": [], \"partners\": [],"
				    " \"note\": \"fewer than two complete scans: nothing to compare yet\"}\n");
			else if (cli->verbose >= 0)
				printf("fedscan diff: fewer than two complete scans: nothing to compare yet\n");
			rc = FS_EXIT_OK;
			goto out;
		}
	}
	if (fs_store_scan_partners(st, sa.id, &pa, err, sizeof(err)) != 0 ||
	    fs_store_scan_partners(st, sb.id, &pb, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		rc = FS_EXIT_ERROR;
		goto out;
	}
	if ((res = compare(&sa, pa, &sb, pb, cli->expiry_days)) == NULL) {
		fs_error("out of memory");
		rc = FS_EXIT_ERROR;
		goto out;
	}
	changed = json_array_size(json_object_get(res, "partners")) > 0 ||
	    json_array_size(json_object_get(res, "local_changes")) > 0;
	if (cli->json) {
		json_t *doc = json_pack("{s:o, s:o, s:b, s:I, s:O, s:O, s:O}", "a", scan_meta(&sa), "b", scan_meta(&sb),
		    "changed", changed, "expiry_days", (json_int_t)cli->expiry_days,
		    "local_changes", json_object_get(res, "local_changes"), "partners", json_object_get(res, "partners"),
		    "unchanged", json_object_get(res, "unchanged"));
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(doc);
	} else if (cli->verbose >= 0 || changed) {
		/* -q: silent when nothing changed; the changes otherwise (a cron e-mail). */
		print_text(stdout, &sa, &sb, res);
	}
	if (fflush(stdout) != 0) {
		fs_error("diff: cannot write to standard output");
		rc = FS_EXIT_ERROR;
		goto out;
	}
	rc = changed ? FS_EXIT_DEGRADED : FS_EXIT_OK;
out:
	fs_store_scans_free(v, n);
	json_decref(sa.local);
	json_decref(sb.local);
	json_decref(pa);
	json_decref(pb);
	json_decref(res);
	fs_store_close(st);
	return rc;
}

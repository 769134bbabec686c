/* cmd_policy.c: `fedscan policy check` (the matrix as a calculator, and every [partner] of the policy file) and `fedscan policy import` (Lync's Export-Csv). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "fedscan/err.h"
#include "fedscan/log.h"
#include "fedscan/lync.h"
#include "fedscan/lync_import.h"
#include "fedscan/matrix.h"
#include "fedscan/policy.h"
#include "fedscan/policyfile.h"
#include "fedscan/utf8.h"
#include "fedscan/report.h"
#include "cli.h"
#include "confine.h"

static json_t *
reasons_json(const struct fs_compat *c)
{
	json_t *a = json_array();
	unsigned i;

	for (i = 0; i < c->nreasons; i++)
		json_array_append_new(a, json_string(c->reasons[i]));
	return a;
}

/* The partner's row (NULL with an Unknown), what the two sides negotiate, and a reason when its own row is invalid. */
static const struct fs_matrix_row *
compat(const struct fs_setting *local, const struct fs_setting *partner, struct fs_compat *c)
{
	const struct fs_matrix_row *pr = fs_policy_row(partner);

	fs_policy_compat(local, partner, c);
	if (pr != NULL && pr->verdict == FS_CONFIG_INVALID)
		snprintf(c->reasons[c->nreasons < FS_POLICY_REASONS ? c->nreasons++ : c->nreasons - 1], FS_EV_TEXT,
		    "the partner's configuration (row %d) is invalid: %s", pr->row, fs_policy_message(pr));
	return pr;
}

static int
raise_rc(int rc, enum fs_verdict v)
{
	if (v == FS_VERDICT_DEGRADED && rc < FS_EXIT_DEGRADED)
		return FS_EXIT_DEGRADED;
	if (v >= FS_VERDICT_INCOMPATIBLE && rc < FS_EXIT_INCOMPATIBLE)
		return FS_EXIT_INCOMPATIBLE;
	return rc;
}

static json_t *
opt_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* One [partner] entry of the policy file, checked against the local setting with no network. */
static json_t *
partner_entry(const struct fs_policyfile *pf, const struct fs_pf_partner *pp, const struct fs_setting *local,
    enum fs_verdict *verdict)
{
	const struct fs_setting *e = &pp->expect;
	const struct fs_matrix_row *pr = NULL;
	struct fs_lync_advice la;
	struct fs_compat c;
	json_t *o, *addl = json_array();
	char src[1100], conn[300];
	bool expects = e->tls || e->sasl || e->dialback;
	size_t k;

	memset(&c, 0, sizeof(c));
	if (expects)
		pr = compat(local, e, &c);
	else
		snprintf(c.reasons[c.nreasons++], FS_EV_TEXT, "nothing expected: an audit only checks it against the "
		    "local setting");
	*verdict = expects ? c.verdict : FS_VERDICT_COMPATIBLE;
	for (k = 0; k < pp->nadditional; k++)
		json_array_append_new(addl, json_string(pp->additional[k]));
	snprintf(src, sizeof(src), "%s:%d", pf->path, pp->line);
	if (pp->connect_host != NULL)
		snprintf(conn, sizeof(conn), strchr(pp->connect_host, ':') ? "[%s]:%d" : "%s:%d", pp->connect_host,
		    pp->connect_port);
	fs_lync_advise(pp->domain, e, pp->connect_host, pp->connect_port, &la);
	o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:o, s:s}}",
	    "domain", pp->domain, "source", src,
	    "tls", opt_str(e->tls ? fs_level_name(e->tls) : NULL),
	    "sasl", opt_str(e->sasl ? fs_level_name(e->sasl) : NULL),
	    "dialback", opt_str(e->dialback ? fs_dialback_name(e->dialback) : NULL),
	    "row", pr != NULL ? json_integer(pr->row) : json_null(),
	    "methods", fs_report_methods(pr != NULL ? pr->methods : c.methods),
	    "negotiated", expects && c.negotiated ? json_string(fs_method_name(c.negotiated)) : json_null(),
	    "verdict", expects ? json_string(fs_verdict_name(c.verdict)) : json_null(),
	    "reasons", reasons_json(&c),
	    "connect", opt_str(pp->connect_host != NULL ? conn : NULL),
	    "additional_domains", addl,
	    "description", opt_str(pp->description),
	    "lync", "powershell", la.known ? json_string(la.powershell) : json_null(), "note", la.note);
	return o;
}

static void
partner_text(const json_t *p)
{
	const json_t *x;
	size_t i;

	fputs("  ", stdout);
	fs_fputs_safe(json_string_value(json_object_get(p, "domain")), stdout);
	fputs(" (", stdout);
	fs_fputs_safe(json_string_value(json_object_get(p, "source")), stdout);
	fputs("): ", stdout);
	if (json_is_null(json_object_get(p, "verdict"))) {
		fputs("nothing expected\n", stdout);
	} else {
		printf("expects TLS %s, SASL %s, Dialback %s", json_is_string(json_object_get(p, "tls")) ?
		    json_string_value(json_object_get(p, "tls")) : "any", json_is_string(json_object_get(p, "sasl")) ?
		    json_string_value(json_object_get(p, "sasl")) : "any", json_is_string(json_object_get(p, "dialback")) ?
		    json_string_value(json_object_get(p, "dialback")) : "any");
		if (json_is_integer(json_object_get(p, "row")))
			printf(" (matrix row %lld)", (long long)json_integer_value(json_object_get(p, "row")));
		printf("\n    negotiated: %s; verdict: %s\n", json_is_string(json_object_get(p, "negotiated")) ?
		    json_string_value(json_object_get(p, "negotiated")) : "none",
		    json_string_value(json_object_get(p, "verdict")));
	}
	json_array_foreach(json_object_get(p, "reasons"), i, x) {
		fputs("    - ", stdout);
		fs_fputs_safe(json_string_value(x), stdout);
		fputc('\n', stdout);
	}
	if (json_is_string(json_object_get(p, "connect"))) {
		fputs("    connect: ", stdout);
		fs_fputs_safe(json_string_value(json_object_get(p, "connect")), stdout);
		fputc('\n', stdout);
	}
	x = json_object_get(json_object_get(p, "lync"), "powershell");
	if (json_is_string(x)) {
		fputs("    lync: ", stdout);
		fs_fputs_safe(json_string_value(x), stdout);
		fputc('\n', stdout);
	}
}

int
fs_cmd_policy_check(struct fs_cli *cli)
{
	const struct fs_matrix_row *lr = fs_policy_row(&cli->local), *pr;
	const struct fs_policyfile *pf = cli->policy;
	struct fs_compat c;
	json_t *local = fs_report_local(&cli->local), *partner = NULL, *entries = NULL;
	bool want_partner = cli->partner_given[0] || cli->partner_given[1] || cli->partner_given[2];
	int rc = lr != NULL && lr->verdict == FS_CONFIG_INVALID ? FS_EXIT_INCOMPATIBLE : FS_EXIT_OK;
	enum fs_verdict v;
	size_t i;

	if (cli->nargs > 0) {
		fputs("fedscan: policy check: takes no arguments (a partner's setting is --partner-tls, --partner-sasl "
		    "and --partner-dialback)\n", stderr);
		json_decref(local);
		return FS_EXIT_USAGE;
	}
	/* The policy file is read: nothing more needs root or the file system (there is no database here). */
	if (fs_cmd_confine(cli, &(struct fs_confine){ .store = false }) != 0) {
		json_decref(local);
		return FS_EXIT_ERROR;
	}
	if (want_partner && !(cli->partner_given[0] && cli->partner_given[1] && cli->partner_given[2])) {
		fprintf(stderr, "fedscan: policy check: give all of --partner-tls, --partner-sasl and --partner-dialback\n");
		json_decref(local);
		return FS_EXIT_USAGE;
	}
	if (want_partner) {
		pr = compat(&cli->local, &cli->partner, &c);
		partner = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:o}",
		    "tls", fs_level_name(cli->partner.tls), "sasl", fs_level_name(cli->partner.sasl),
		    "dialback", fs_dialback_name(cli->partner.dialback),
		    "row", pr != NULL ? json_integer(pr->row) : json_null(),
		    "methods", fs_report_methods(pr != NULL ? pr->methods : 0),
		    "negotiated", c.negotiated ? json_string(fs_method_name(c.negotiated)) : json_null(),
		    "verdict", fs_verdict_name(c.verdict), "reasons", reasons_json(&c));
		rc = raise_rc(rc, c.verdict);
	}
	/* Every [partner] of the policy file: its expected setting's row and what the two sides would negotiate. */
	if (pf != NULL) {
		entries = json_array();
		for (i = 0; i < pf->npartners; i++) {
			json_array_append_new(entries, partner_entry(pf, &pf->partners[i], &cli->local, &v));
			rc = raise_rc(rc, v);
		}
	}
	if (cli->json) {
		json_t *doc = json_pack("{s:O}", "local", local);
		if (partner != NULL)
			json_object_set(doc, "partner", partner);
		if (pf != NULL) {
			json_object_set_new(doc, "policy", json_string(pf->path));
			json_object_set(doc, "partners", entries);
		}
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		if (pf != NULL) {
			fputs("Policy file: ", stdout);
			fs_fputs_safe(pf->path, stdout);
			fputc('\n', stdout);
		}
		fs_report_text_local(stdout, &cli->local, false);
		if (partner != NULL) {
			printf("Partner: TLS %s, SASL %s, Dialback %s", json_string_value(json_object_get(partner, "tls")),
			    json_string_value(json_object_get(partner, "sasl")),
			    json_string_value(json_object_get(partner, "dialback")));
			if (json_is_integer(json_object_get(partner, "row")))
				printf(" (matrix row %lld)", (long long)json_integer_value(json_object_get(partner, "row")));
			printf("\n  negotiated: %s\n  verdict: %s\n",
			    c.negotiated ? fs_method_name(c.negotiated) : "none (no common method)",
			    fs_verdict_name(c.verdict));
			for (i = 0; i < c.nreasons; i++)
				printf("  - %s\n", c.reasons[i]);
		}
		if (pf != NULL) {
			printf("Partners (%zu):\n", pf->npartners);
			for (i = 0; i < json_array_size(entries); i++)
				partner_text(json_array_get(entries, i));
		}
	}
	if (lr != NULL && lr->verdict == FS_CONFIG_INVALID) {
		fprintf(stderr, "fedscan: policy check: the local setting (TLS %s, SASL %s, Dialback %s, matrix row %d) "
		    "is invalid: %s\n", fs_level_name(cli->local.tls), fs_level_name(cli->local.sasl),
		    fs_dialback_name(cli->local.dialback), lr->row, fs_policy_message(lr));
	}
	json_decref(local);
	json_decref(partner);
	json_decref(entries);
	return rc;
}

int
fs_cmd_policy_import(struct fs_cli *cli)
{
	static char err[16384];
	struct fs_policyfile *pf = NULL, *check = NULL;
	const char *in_name;
	char *buf = NULL, comment[2048];
	struct fs_cmd_output o = { .label = "policy import", .quote = true, .path = cli->output, .fd = -1 };
	size_t len = 0;
	FILE *in, *mem, *out;
	int rc = FS_EXIT_ERROR;

	if (cli->nargs != 1) {
		fputs("fedscan: policy import: give one FILE.csv, as written by Get-CsXmppAllowedPartner | Export-Csv "
		    "('-': standard input)\n", stderr);
		return FS_EXIT_USAGE;
	}
	in_name = cli->args[0];
	if (strcmp(in_name, "-") == 0) {
		in = stdin;
	} else if ((in = fopen(in_name, "r")) == NULL) {
		fprintf(stderr, "fedscan: policy import: cannot read '%s': %s\n", in_name, strerror(errno));
		return FS_EXIT_USAGE;
	}
	/* -o FILE: this process goes on as the child; the parent only renames the finished file into place. */
	if (cli->output != NULL && strcmp(cli->output, "-") != 0 && fs_cmd_output_fork(&o, 0644, &rc) == 0) {
		if (in != stdin)
			fclose(in);
		return rc;
	}
	/* The export is open: read it (a file others wrote) as --user, inside the sandbox. */
	if (fs_cmd_confine(cli, &(struct fs_confine){ .reads = &in_name, .nreads = 1 }) != 0) {
		if (in != stdin)
			fclose(in);
		return FS_EXIT_ERROR;
	}
	err[0] = '\0';
	if (fs_lync_import(strcmp(in_name, "-") == 0 ? "(stdin)" : in_name, in, &pf, err, sizeof(err)) != 0) {
		fs_error_lines(err);
		if (in != stdin)
			fclose(in);
		return FS_EXIT_USAGE;
	}
	if (in != stdin)
		fclose(in);
	if (err[0] != '\0')
		fs_error_lines(err);              /* warnings: what the import left out, and why */
	snprintf(comment, sizeof(comment),
	    "fedscan policy file (fedscan.conf(5)), imported by fedscan %s from %s\n"
	    "(Get-CsXmppAllowedPartner | Export-Csv): %zu partner%s.\n"
	    "Each [partner] records the setting Lync has for it; `fedscan check DOMAIN --policy THIS-FILE` reports a\n"
	    "partner whose observed setting differs. Add the local server's own setting as a [local] section.",
	    PACKAGE_VERSION, in_name, pf->npartners, pf->npartners == 1 ? "" : "s");
	/* Written in memory first and read back: what reaches the disk is a file fedscan accepts. */
	if ((mem = open_memstream(&buf, &len)) == NULL || fs_policyfile_write(mem, pf, comment) != 0) {
		fs_error("policy import: out of memory");
		if (mem != NULL)
			fclose(mem);
		goto out;
	}
	fclose(mem);
	if (fs_policyfile_parse(cli->output != NULL ? cli->output : "(output)", buf, &check, err, sizeof(err)) != 0) {
		fs_error("policy import: internal error: the policy file written does not read back:");
		fs_error_lines(err);
		goto out;
	}
	if (cli->output == NULL || strcmp(cli->output, "-") == 0) {
		fwrite(buf, 1, len, stdout);
		if (fflush(stdout) != 0) {
			fs_error("policy import: cannot write to standard output: %s", strerror(errno));
			goto out;
		}
	} else {
		/* To the temporary beside the target, renamed over it by the parent: a failure leaves the old file. */
		if ((out = fdopen(o.fd, "w")) == NULL) {
			fs_error("policy import: out of memory");
			goto out;
		}
		o.fd = -1;
		if (fwrite(buf, 1, len, out) != len || fclose(out) != 0) {
			fs_error("policy import: cannot write '%s': %s", cli->output, strerror(errno));
			goto out;
		}
		if (cli->verbose >= 0)
			fprintf(stderr, "fedscan: policy import: %zu partner%s written to %s\n", pf->npartners,
			    pf->npartners == 1 ? "" : "s", cli->output);
	}
	rc = FS_EXIT_OK;
out:
	free(buf);
	fs_policyfile_free(pf);
	fs_policyfile_free(check);
	return rc;
}

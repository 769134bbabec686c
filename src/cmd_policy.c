/* cmd_policy.c: `fedscan policy check`: the local setting's matrix row and, with --partner-*, what two sides negotiate. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "fedscan/err.h"
#include "fedscan/matrix.h"
#include "fedscan/policy.h"
#include "fedscan/report.h"
#include "cli.h"

int
fs_cmd_policy_check(struct fs_cli *cli)
{
	const struct fs_matrix_row *lr = fs_policy_row(&cli->local), *pr;
	struct fs_compat c;
	json_t *local = fs_report_local(&cli->local), *partner = NULL, *reasons;
	bool want_partner = cli->partner_given[0] || cli->partner_given[1] || cli->partner_given[2];
	int rc = lr != NULL && lr->verdict == FS_CONFIG_INVALID ? FS_EXIT_INCOMPATIBLE : FS_EXIT_OK;
	unsigned i;

	if (want_partner && !(cli->partner_given[0] && cli->partner_given[1] && cli->partner_given[2])) {
		fprintf(stderr, "fedscan: policy check: give all of --partner-tls, --partner-sasl and --partner-dialback\n");
		json_decref(local);
		return FS_EXIT_USAGE;
	}
	if (want_partner) {
		pr = fs_policy_row(&cli->partner);
		fs_policy_compat(&cli->local, &cli->partner, &c);
		if (pr != NULL && pr->verdict == FS_CONFIG_INVALID)
			snprintf(c.reasons[c.nreasons < FS_POLICY_REASONS ? c.nreasons++ : c.nreasons - 1], FS_EV_TEXT,
			    "the partner's configuration (row %d) is invalid: %s", pr->row, fs_policy_message(pr));
		reasons = json_array();
		for (i = 0; i < c.nreasons; i++)
			json_array_append_new(reasons, json_string(c.reasons[i]));
		partner = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:o}",
		    "tls", fs_level_name(cli->partner.tls), "sasl", fs_level_name(cli->partner.sasl),
		    "dialback", fs_dialback_name(cli->partner.dialback),
		    "row", pr != NULL ? json_integer(pr->row) : json_null(),
		    "methods", fs_report_methods(pr != NULL ? pr->methods : 0),
		    "negotiated", c.negotiated ? json_string(fs_method_name(c.negotiated)) : json_null(),
		    "verdict", fs_verdict_name(c.verdict), "reasons", reasons);
		if (c.verdict == FS_VERDICT_DEGRADED && rc < FS_EXIT_DEGRADED)
			rc = FS_EXIT_DEGRADED;
		if (c.verdict >= FS_VERDICT_INCOMPATIBLE)
			rc = FS_EXIT_INCOMPATIBLE;
	}
	if (cli->json) {
		json_t *doc = json_pack("{s:O}", "local", local);
		if (partner != NULL)
			json_object_set(doc, "partner", partner);
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		fs_report_text_local(stdout, local, false);
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
	}
	json_decref(local);
	json_decref(partner);
	return rc;
}

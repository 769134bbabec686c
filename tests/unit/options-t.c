/* options-t.c: the options table (fedscan/options.h): well formed, its defaults those the code applies, its ranges. */
#include <stdlib.h>
#include <string.h>

#include "fedscan/engine.h"
#include "fedscan/options.h"
#include "fedscan/settings.h"
#include "fedscan/store.h"
#include "cmd/cli.h"
#include "tap/basic.h"

static void
test_shape(void)
{
	size_t i;
	bool ids = true, named = true, ranges = true;

	for (i = 0; i < FS_O__COUNT; i++) {
		const struct fs_option *o = &fs_options[i];
		bool ranged = o->type == FS_OT_SECONDS || o->type == FS_OT_COUNT;

		ids &= o->id == (enum fs_opt_id)i;
		named &= o->name != NULL || o->key != NULL;
		ranges &= !ranged || o->min < o->max;
	}
	ok(ids, "fs_options[id].id == id for every option");
	ok(named, "every option has a command-line name or a policy-file key");
	ok(ranges, "every number option has a range, min < max");
}

/* The defaults --help and the man pages state are the ones the code applies (engine.h, cli.h, settings). */
static void
test_defaults(void)
{
	is_int(FS_DEFAULT_TIMEOUT_MS, (long)(atof(fs_options[FS_O_TIMEOUT].def) * 1000), "--timeout default");
	is_int(FS_DEFAULT_CONCURRENCY, atoi(fs_options[FS_O_CONCURRENCY].def), "--concurrency default");
	is_int(FS_DEFAULT_PER_ADDRESS, atoi(fs_options[FS_O_PER_ADDRESS].def), "--per-address default");
	is_int(FS_DEFAULT_PER_DOMAIN, atoi(fs_options[FS_O_PER_DOMAIN].def), "--per-domain default");
	is_int(FS_DEFAULT_EXPIRY_DAYS, atoi(fs_options[FS_O_EXPIRY_DAYS].def), "--expiry-days default");
	is_int(FS_STORE_RETAIN_ALL_DAYS, atoi(fs_options[FS_O_RETAIN_DAYS].def), "--retain-days default");
	is_int(FS_STORE_RETAIN_WEEKLY_DAYS, atoi(fs_options[FS_O_RETAIN_WEEKLY_DAYS].def),
	    "--retain-weekly-days default");
	is_string(fs_level_name(FS_LEVEL_REQUIRED), fs_options[FS_O_TLS].def, "--tls default");
	is_string(fs_level_name(FS_LEVEL_REQUIRED), fs_options[FS_O_SASL].def, "--sasl default");
	is_string(fs_dialback_name(FS_DIALBACK_TRUE), fs_options[FS_O_DIALBACK].def, "--dialback default");
}

static void
test_numbers(void)
{
	const struct fs_option *t = &fs_options[FS_O_TIMEOUT], *c = &fs_options[FS_O_CONCURRENCY];
	double d = 0;

	ok(fs_option_number(t, "0.1", false, &d) == 0 && d == 0.1, "timeout 0.1: the lower bound");
	ok(fs_option_number(t, "3600", false, &d) == 0 && d == 3600, "timeout 3600: the upper bound");
	ok(fs_option_number(t, "0.09", false, &d) != 0, "timeout 0.09: below the range");
	ok(fs_option_number(t, "3600.5", false, &d) != 0, "timeout 3600.5: above the range");
	ok(fs_option_number(t, "10s", false, &d) != 0, "timeout 10s: not a number");
	ok(fs_option_number(t, "", false, &d) != 0, "timeout '': not a number");
	ok(fs_option_number(c, "2.5", true, &d) != 0, "concurrency 2.5 as a whole number: refused");
	ok(fs_option_number(c, "10000", true, &d) == 0 && d == 10000, "concurrency 10000: the upper bound");
	ok(fs_option_number(c, "10001", true, &d) != 0, "concurrency 10001: above the range");
}

static void
test_keys(void)
{
	char buf[128];

	ok(fs_option_key("TLS", FS_SEC_PARTNER) == &fs_options[FS_O_TLS], "key tls in [partner], case-insensitive");
	ok(fs_option_key("database", FS_SEC_LOCAL) == &fs_options[FS_O_DB], "key database is --db");
	ok(fs_option_key("connect", FS_SEC_LOCAL) == NULL, "key connect is not a [local] key");
	ok(fs_option_key("listen", FS_SEC_PARTNER) == NULL, "key listen is not a [partner] key");
	ok(fs_option_key("description", FS_SEC_PARTNER) != NULL, "key description (policy file only)");
	is_string("check and scan", fs_commands_text(FS_CMD_CHECK | FS_CMD_SCAN, buf, sizeof(buf)), "commands text, two");
	is_string("check, policy import and pcap", fs_commands_text(FS_CMD_CHECK | FS_CMD_POLICY_IMPORT | FS_CMD_PCAP,
	    buf, sizeof(buf)), "commands text, three");
}

int
main(void)
{
	test_shape();
	test_defaults();
	test_numbers();
	test_keys();
	return done_testing();
}

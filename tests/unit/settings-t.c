/* settings-t.c: the contract spellings and the parsers of src/settings.c. */
#include "fedscan/settings.h"
#include "tap/basic.h"

static void
test_names(void)
{
	/* fedscan(1), JSON OUTPUT and VERDICTS (the contract): byte for byte. */
	is_string("Required", fs_level_name(FS_LEVEL_REQUIRED), "level Required");
	is_string("Optional", fs_level_name(FS_LEVEL_OPTIONAL), "level Optional");
	is_string("NotSupported", fs_level_name(FS_LEVEL_NOTSUPPORTED), "level NotSupported");
	is_string("Unknown", fs_level_name(FS_LEVEL_UNKNOWN), "level Unknown");
	is_string("True", fs_dialback_name(FS_DIALBACK_TRUE), "dialback True");
	is_string("False", fs_dialback_name(FS_DIALBACK_FALSE), "dialback False");
	is_string("Unknown", fs_dialback_name(FS_DIALBACK_UNKNOWN), "dialback Unknown");
	is_string("SASL over TLS", fs_method_name(FS_METHOD_SASL_TLS), "method SASL over TLS");
	is_string("TLS Dialback", fs_method_name(FS_METHOD_TLS_DIALBACK), "method TLS Dialback");
	is_string("TCP Dialback", fs_method_name(FS_METHOD_TCP_DIALBACK), "method TCP Dialback");
	ok(fs_method_name(0) == NULL, "method name of 0 is NULL");
	ok(fs_method_name(FS_METHOD_SASL_TLS | FS_METHOD_TCP_DIALBACK) == NULL,
	    "method name of a set of two is NULL");
	is_string("compatible", fs_verdict_name(FS_VERDICT_COMPATIBLE), "verdict compatible");
	is_string("degraded", fs_verdict_name(FS_VERDICT_DEGRADED), "verdict degraded");
	is_string("incompatible", fs_verdict_name(FS_VERDICT_INCOMPATIBLE), "verdict incompatible");
	is_string("unreachable", fs_verdict_name(FS_VERDICT_UNREACHABLE), "verdict unreachable");
	is_string("error", fs_verdict_name(FS_VERDICT_ERROR), "verdict error");
	is_string("ok", fs_config_verdict_name(FS_CONFIG_OK), "config verdict ok");
	is_string("note", fs_config_verdict_name(FS_CONFIG_NOTE), "config verdict note");
	is_string("warning", fs_config_verdict_name(FS_CONFIG_WARNING), "config verdict warning");
	is_string("invalid", fs_config_verdict_name(FS_CONFIG_INVALID), "config verdict invalid");
	/* The verdict enum is ordered best to worst (the domain takes the worst over endpoints). */
	ok(FS_VERDICT_COMPATIBLE < FS_VERDICT_DEGRADED && FS_VERDICT_DEGRADED < FS_VERDICT_INCOMPATIBLE &&
	    FS_VERDICT_INCOMPATIBLE < FS_VERDICT_UNREACHABLE && FS_VERDICT_UNREACHABLE < FS_VERDICT_ERROR,
	    "verdicts are ordered best to worst");
}

static void
test_level_parse(void)
{
	static const struct {
		const char *word;
		enum fs_level want;
	} good[] = {
		{ "required", FS_LEVEL_REQUIRED }, { "Required", FS_LEVEL_REQUIRED },
		{ "REQUIRED", FS_LEVEL_REQUIRED }, { "rEqUiReD", FS_LEVEL_REQUIRED },
		{ "optional", FS_LEVEL_OPTIONAL }, { "Optional", FS_LEVEL_OPTIONAL },
		{ "OPTIONAL", FS_LEVEL_OPTIONAL },
		{ "notsupported", FS_LEVEL_NOTSUPPORTED }, { "NotSupported", FS_LEVEL_NOTSUPPORTED },
		{ "NOTSUPPORTED", FS_LEVEL_NOTSUPPORTED },
		{ "not-supported", FS_LEVEL_NOTSUPPORTED }, { "Not-Supported", FS_LEVEL_NOTSUPPORTED },
		{ "not_supported", FS_LEVEL_NOTSUPPORTED }, { "NOT_SUPPORTED", FS_LEVEL_NOTSUPPORTED },
	};
	static const char *const bad[] = {
		"", "require", "requiredx", " required", "required ", "opt", "optional;",
		"not supported", "not--supported", "not-_supported", "unsupported", "none",
		"Unknown", "unknown", "true", "1", "yes", "req", "N/A",
	};
	enum fs_level l;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		l = FS_LEVEL_UNKNOWN;
		ok(fs_level_parse(good[i].word, &l) == 0 && l == good[i].want,
		    "level \"%s\" parses as %s", good[i].word, fs_level_name(good[i].want));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		l = FS_LEVEL_OPTIONAL;
		ok(fs_level_parse(bad[i], &l) == -1 && l == FS_LEVEL_OPTIONAL,
		    "level \"%s\" is refused and the output left alone", bad[i]);
	}
	ok(fs_level_parse(NULL, &l) == -1, "level NULL is refused");
	/* Round trip: every printed spelling parses back to itself. */
	for (l = FS_LEVEL_REQUIRED; l <= FS_LEVEL_NOTSUPPORTED; l++) {
		enum fs_level back = FS_LEVEL_UNKNOWN;

		ok(fs_level_parse(fs_level_name(l), &back) == 0 && back == l,
		    "level %s round-trips", fs_level_name(l));
	}
}

static void
test_dialback_parse(void)
{
	static const struct {
		const char *word;
		enum fs_dialback want;
	} good[] = {
		{ "true", FS_DIALBACK_TRUE }, { "True", FS_DIALBACK_TRUE }, { "TRUE", FS_DIALBACK_TRUE },
		{ "yes", FS_DIALBACK_TRUE }, { "Yes", FS_DIALBACK_TRUE }, { "YES", FS_DIALBACK_TRUE },
		{ "on", FS_DIALBACK_TRUE }, { "On", FS_DIALBACK_TRUE }, { "ON", FS_DIALBACK_TRUE },
		{ "1", FS_DIALBACK_TRUE },
		{ "false", FS_DIALBACK_FALSE }, { "False", FS_DIALBACK_FALSE }, { "FALSE", FS_DIALBACK_FALSE },
		{ "no", FS_DIALBACK_FALSE }, { "No", FS_DIALBACK_FALSE }, { "NO", FS_DIALBACK_FALSE },
		{ "off", FS_DIALBACK_FALSE }, { "Off", FS_DIALBACK_FALSE }, { "OFF", FS_DIALBACK_FALSE },
		{ "0", FS_DIALBACK_FALSE },
	};
	static const char *const bad[] = {
		"", "t", "f", "y", "n", "2", "01", "-1", "truee", " true", "false ", "enabled",
		"disabled", "Unknown", "required", "$true", "$false",
	};
	enum fs_dialback d;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		d = FS_DIALBACK_UNKNOWN;
		ok(fs_dialback_parse(good[i].word, &d) == 0 && d == good[i].want,
		    "dialback \"%s\" parses as %s", good[i].word, fs_dialback_name(good[i].want));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = FS_DIALBACK_TRUE;
		ok(fs_dialback_parse(bad[i], &d) == -1 && d == FS_DIALBACK_TRUE,
		    "dialback \"%s\" is refused and the output left alone", bad[i]);
	}
	ok(fs_dialback_parse(NULL, &d) == -1, "dialback NULL is refused");
	d = FS_DIALBACK_UNKNOWN;
	ok(fs_dialback_parse(fs_dialback_name(FS_DIALBACK_TRUE), &d) == 0 && d == FS_DIALBACK_TRUE,
	    "dialback True round-trips");
	d = FS_DIALBACK_UNKNOWN;
	ok(fs_dialback_parse(fs_dialback_name(FS_DIALBACK_FALSE), &d) == 0 && d == FS_DIALBACK_FALSE,
	    "dialback False round-trips");
}

static void
test_method_best(void)
{
	is_int(0, fs_method_best(0), "best of the empty set is 0");
	is_int(FS_METHOD_SASL_TLS, fs_method_best(FS_METHOD_ALL), "best of all is SASL over TLS");
	is_int(FS_METHOD_TLS_DIALBACK, fs_method_best(FS_METHOD_TLS_DIALBACK | FS_METHOD_TCP_DIALBACK),
	    "TLS Dialback beats TCP Dialback");
	is_int(FS_METHOD_SASL_TLS, fs_method_best(FS_METHOD_SASL_TLS | FS_METHOD_TCP_DIALBACK),
	    "SASL over TLS beats TCP Dialback");
	is_int(FS_METHOD_TCP_DIALBACK, fs_method_best(FS_METHOD_TCP_DIALBACK), "TCP Dialback alone");
	is_int(0, fs_method_best(1u << 8), "bits outside the methods are ignored");
}

int
main(void)
{
	test_names();
	test_level_parse();
	test_dialback_parse();
	test_method_best();
	return done_testing();
}

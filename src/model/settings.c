/* settings.c: the contract vocabulary (fedscan(1), JSON OUTPUT and VERDICTS) and its parsing. */
#include <stddef.h>
#include <strings.h>

#include "fedscan/settings.h"

/*
 * The spellings below are part of the contract: scripts and the acceptance
 * checks compare them byte for byte, so they are written out once, here.
 */

const char *
fs_level_name(enum fs_level l)
{
	switch (l) {
	case FS_LEVEL_REQUIRED:
		return "Required";
	case FS_LEVEL_OPTIONAL:
		return "Optional";
	case FS_LEVEL_NOTSUPPORTED:
		return "NotSupported";
	case FS_LEVEL_UNKNOWN:
		break;
	}
	return "Unknown";
}

const char *
fs_dialback_name(enum fs_dialback d)
{
	switch (d) {
	case FS_DIALBACK_TRUE:
		return "True";
	case FS_DIALBACK_FALSE:
		return "False";
	case FS_DIALBACK_UNKNOWN:
		break;
	}
	return "Unknown";
}

const char *
fs_method_name(enum fs_method m)
{
	switch (m) {
	case FS_METHOD_SASL_TLS:
		return "SASL over TLS";
	case FS_METHOD_TLS_DIALBACK:
		return "TLS Dialback";
	case FS_METHOD_TCP_DIALBACK:
		return "TCP Dialback";
	}
	return NULL;
}

const char *
fs_verdict_name(enum fs_verdict v)
{
	switch (v) {
	case FS_VERDICT_COMPATIBLE:
		return "compatible";
	case FS_VERDICT_DEGRADED:
		return "degraded";
	case FS_VERDICT_INCOMPATIBLE:
		return "incompatible";
	case FS_VERDICT_UNREACHABLE:
		return "unreachable";
	case FS_VERDICT_ERROR:
		break;
	}
	/* An out-of-range value is our own bug; "error" is the honest word for it. */
	return "error";
}

const char *
fs_config_verdict_name(enum fs_config_verdict v)
{
	switch (v) {
	case FS_CONFIG_OK:
		return "ok";
	case FS_CONFIG_NOTE:
		return "note";
	case FS_CONFIG_WARNING:
		return "warning";
	case FS_CONFIG_INVALID:
		break;
	}
	return "invalid";
}

int
fs_level_parse(const char *s, enum fs_level *out)
{
	/*
	 * Administrators copy these from Lync cmdlets ("NotSupported"), from
	 * INI files and from shell habits ("not-supported", "not_supported");
	 * all mean the same. Unknown is never accepted: it is an inference
	 * result, not something a policy can ask for.
	 */
	static const struct {
		const char *word;
		enum fs_level level;
	} words[] = {
		{ "required", FS_LEVEL_REQUIRED },
		{ "optional", FS_LEVEL_OPTIONAL },
		{ "notsupported", FS_LEVEL_NOTSUPPORTED },
		{ "not-supported", FS_LEVEL_NOTSUPPORTED },
		{ "not_supported", FS_LEVEL_NOTSUPPORTED },
	};
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcasecmp(s, words[i].word) == 0) {
			if (out != NULL)
				*out = words[i].level;
			return 0;
		}
	}
	return -1;
}

int
fs_dialback_parse(const char *s, enum fs_dialback *out)
{
	static const struct {
		const char *word;
		enum fs_dialback value;
	} words[] = {
		{ "true", FS_DIALBACK_TRUE },
		{ "yes", FS_DIALBACK_TRUE },
		{ "on", FS_DIALBACK_TRUE },
		{ "1", FS_DIALBACK_TRUE },
		{ "false", FS_DIALBACK_FALSE },
		{ "no", FS_DIALBACK_FALSE },
		{ "off", FS_DIALBACK_FALSE },
		{ "0", FS_DIALBACK_FALSE },
	};
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcasecmp(s, words[i].word) == 0) {
			if (out != NULL)
				*out = words[i].value;
			return 0;
		}
	}
	return -1;
}

enum fs_method
fs_method_best(unsigned methods)
{
	/* The enum's bits are in preference order, lowest first. */
	static const enum fs_method order[] = {
		FS_METHOD_SASL_TLS,
		FS_METHOD_TLS_DIALBACK,
		FS_METHOD_TCP_DIALBACK,
	};
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (methods & (unsigned)order[i])
			return order[i];
	return 0;
}

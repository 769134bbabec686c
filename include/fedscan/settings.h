/* settings.h: the contract vocabulary (TLS/SASL/Dialback settings, methods, verdicts) and its spelling. */
#ifndef FEDSCAN_SETTINGS_H
#define FEDSCAN_SETTINGS_H

#include <stdbool.h>

/* A TLS or SASL setting; FS_SET_UNKNOWN only for inferred partner settings. */
enum fs_level {
	FS_LEVEL_UNKNOWN = 0,
	FS_LEVEL_REQUIRED,
	FS_LEVEL_OPTIONAL,
	FS_LEVEL_NOTSUPPORTED,
};

/* The Dialback setting. */
enum fs_dialback {
	FS_DIALBACK_UNKNOWN = 0,
	FS_DIALBACK_TRUE,
	FS_DIALBACK_FALSE,
};

/* Authentication methods, as bits, in preference order (lowest bit first). */
enum fs_method {
	FS_METHOD_SASL_TLS = 1 << 0,
	FS_METHOD_TLS_DIALBACK = 1 << 1,
	FS_METHOD_TCP_DIALBACK = 1 << 2,
};
#define FS_METHOD_ALL (FS_METHOD_SASL_TLS | FS_METHOD_TLS_DIALBACK | FS_METHOD_TCP_DIALBACK)

/* A partner verdict, ordered from best to worst. */
enum fs_verdict {
	FS_VERDICT_COMPATIBLE = 0,
	FS_VERDICT_DEGRADED,
	FS_VERDICT_INCOMPATIBLE,
	FS_VERDICT_UNREACHABLE,
	FS_VERDICT_ERROR,
};

/* What the matrix says about a local configuration. */
enum fs_config_verdict {
	FS_CONFIG_OK = 0,
	FS_CONFIG_NOTE,
	FS_CONFIG_WARNING,
	FS_CONFIG_INVALID,
};

/* A full setting triple (local policy or a partner's effective setting). */
struct fs_setting {
	enum fs_level tls;
	enum fs_level sasl;
	enum fs_dialback dialback;
};

/* Contract spelling of a level: "Required", "Optional", "NotSupported" or "Unknown". */
const char *fs_level_name(enum fs_level l);
/* Contract spelling of a dialback setting: "True", "False" or "Unknown". */
const char *fs_dialback_name(enum fs_dialback d);
/* Contract spelling of one method bit ("SASL over TLS" ...); NULL for anything else. */
const char *fs_method_name(enum fs_method m);
/* Contract spelling of a verdict ("compatible" ...). */
const char *fs_verdict_name(enum fs_verdict v);
/* Contract spelling of a configuration verdict ("ok", "note", "warning", "invalid"). */
const char *fs_config_verdict_name(enum fs_config_verdict v);

/* Parse a level case-insensitively ("required", "not-supported", "NotSupported" ...); 0 on success, -1 if unknown. */
int fs_level_parse(const char *s, enum fs_level *out);
/* Parse a dialback value case-insensitively (true/false/yes/no/1/0/on/off); 0 on success, -1 if unknown. */
int fs_dialback_parse(const char *s, enum fs_dialback *out);

/* The first method, in preference order, present in a method set; 0 when the set is empty. */
enum fs_method fs_method_best(unsigned methods);

#endif

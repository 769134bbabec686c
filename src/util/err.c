/* err.c: texts for fedscan's error codes. */
#include <stddef.h>

#include "fedscan/err.h"

static const char *const texts[FS_ERR_LAST] = {
	[FS_OK] = "success",
	[FS_ERR_NOMEM] = "out of memory",
	[FS_ERR_USAGE] = "bad usage",
	[FS_ERR_IO] = "input/output error",
	[FS_ERR_DNS] = "DNS error",
	[FS_ERR_TLS] = "TLS error",
	[FS_ERR_DB] = "database error",
	[FS_ERR_INTERNAL] = "internal error",
};

const char *
fs_strerror(enum fs_err e)
{
	if ((unsigned)e >= FS_ERR_LAST || texts[e] == NULL)
		return "unknown error";
	return texts[e];
}

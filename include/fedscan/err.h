/* err.h: fedscan's error codes (append-only) and the exit status contract. */
#ifndef FEDSCAN_ERR_H
#define FEDSCAN_ERR_H

/* Error codes returned by library functions; append new ones before FS_ERR_LAST, never renumber. */
enum fs_err {
	FS_OK = 0,
	FS_ERR_NOMEM,
	FS_ERR_USAGE,
	FS_ERR_IO,
	FS_ERR_DNS,
	FS_ERR_TLS,
	FS_ERR_DB,
	FS_ERR_INTERNAL,
	FS_ERR_LAST
};

/* Exit statuses (DESIGN.md contract). */
enum fs_exit {
	FS_EXIT_OK = 0,            /* all compatible */
	FS_EXIT_DEGRADED = 1,      /* some degraded (diff: something changed) */
	FS_EXIT_INCOMPATIBLE = 2,  /* some incompatible or unreachable */
	FS_EXIT_ERROR = 3,         /* the scan could not be done */
	FS_EXIT_USAGE = 64,        /* bad usage (sysexits EX_USAGE) */
};

/* A short text for an error code. */
const char *fs_strerror(enum fs_err e);

#endif

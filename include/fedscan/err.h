/* err.h: the exit status contract.
 *
 * Library functions return 0 on success and -1 on failure, with a one-line message in an err buffer the caller
 * passes (what failed and where: a file and line, a domain, an option); nothing in the library prints. An error
 * code enum was tried and dropped: every caller needs the words anyway, and the exit status is decided per
 * command from what failed (usage 64, else 3), not from a code. */
#ifndef FEDSCAN_ERR_H
#define FEDSCAN_ERR_H

/* Exit statuses (fedscan(1), EXIT STATUS). */
enum fs_exit {
	FS_EXIT_OK = 0,            /* all compatible */
	FS_EXIT_DEGRADED = 1,      /* some degraded (diff: something changed) */
	FS_EXIT_INCOMPATIBLE = 2,  /* some incompatible or unreachable */
	FS_EXIT_ERROR = 3,         /* the scan could not be done */
	FS_EXIT_USAGE = 64,        /* bad usage (sysexits EX_USAGE) */
};

#endif

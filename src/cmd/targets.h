/* targets.h: the partners a scan audits: from a partners file (one domain a line) or the policy file's sections. */
#ifndef FEDSCAN_CMD_TARGETS_H
#define FEDSCAN_CMD_TARGETS_H

#include <stddef.h>

#include "fedscan/policyfile.h"

/* Domains, each once, in the order first named. */
struct fs_targets {
	char **v;
	size_t n, cap;
};

/* Read a partners file ("-": stdin): one domain a line, '#' comments; a bad line is a usage error (64) naming it. */
int fs_targets_read_file(const char *path, struct fs_targets *t);
/* Every [partner DOMAIN] of the policy file and its additional-domains, once; 0, or an exit status. */
int fs_targets_from_policy(const struct fs_policyfile *pf, struct fs_targets *t);
/* Free the list (the struct itself is the caller's). */
void fs_targets_free(struct fs_targets *t);

#endif

/* policyfile_int.h: helpers the policy file's model, reader and writer share (src/config only). */
#ifndef FEDSCAN_CONFIG_POLICYFILE_INT_H
#define FEDSCAN_CONFIG_POLICYFILE_INT_H

#include <stddef.h>

/* How much of a bad value a message shows. */
#define ECHO_MAX 80

/* A value as shown in a message: escaped and cut (fs_policyfile_escape) into buf. */
const char *fs_pf_echo(const char *v, char *buf, size_t size);
/* A lower-case copy of s (malloc'd), or NULL when out of memory. */
char *fs_pf_lower_dup(const char *s);
/* Make room for n + 1 elements of size bytes in *a (capacity *cap, doubled as needed); NULL when out of memory. */
void *fs_pf_grow(void *a, size_t *cap, size_t n, size_t size);

#endif

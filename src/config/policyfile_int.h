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

/*
 * An index of a policy's partners by domain (case-insensitive): open addressing, each slot a partner index + 1
 * (0: empty), at least twice as many slots as partners. A hash rather than a scan of every earlier section, so
 * that reading 10,000 partners costs 10,000 lookups, not 50 million compares.
 */
struct fs_pf_index {
	size_t *slot;
	size_t cap;                    /* a power of two, or 0 */
};

struct fs_policyfile;
/* The slot of domain: the one holding its partner, or the empty one where it goes (call fs_pf_index_reserve first). */
size_t *fs_pf_index_slot(const struct fs_pf_index *x, const struct fs_policyfile *pf, const char *domain);
/* Room for one more partner than pf has: doubled (and refilled) when half full. 0, or -1 out of memory. */
int fs_pf_index_reserve(struct fs_pf_index *x, const struct fs_policyfile *pf);
/* Free the index. */
void fs_pf_index_free(struct fs_pf_index *x);

#endif

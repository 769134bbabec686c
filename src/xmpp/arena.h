/* arena.h: the memory of one XML element (and its interned names), freed in one go; bounded by the input. */
#ifndef FEDSCAN_XMPP_ARENA_H
#define FEDSCAN_XMPP_ARENA_H

#include <stddef.h>

#define FS_ARENA_BLOCK 8192        /* the block kept between elements */
#define FS_ARENA_BUCKETS 64

struct arena_block;

/* An interned string: names and namespace URIs repeat, and must not cost memory per use. */
struct fs_arena_str {
	struct fs_arena_str *next;
	size_t len;
	const char *s;
};

struct fs_arena {
	struct arena_block *head;      /* the current block first */
	struct arena_block *keep;      /* the block kept by fs_arena_reset */
	size_t bytes;                  /* allocated, for fs_xmlstream_memory */
	struct fs_arena_str *itab[FS_ARENA_BUCKETS];
};

/* Allocate the kept block; 0, or -1 when out of memory. */
int fs_arena_init(struct fs_arena *a);
/* n bytes, aligned for any type; NULL when out of memory. */
void *fs_arena_alloc(struct fs_arena *a, size_t n);
/* A NUL-terminated copy of s[0..n); NULL when out of memory. */
char *fs_arena_strndup(struct fs_arena *a, const char *s, size_t n);
/* The one copy of s[0..n) in this arena (same bytes, same pointer) until the next reset; NULL when out of memory. */
const char *fs_arena_intern(struct fs_arena *a, const char *s, size_t n);
/* Free everything but the kept block. */
void fs_arena_reset(struct fs_arena *a);
/* Free everything. */
void fs_arena_free(struct fs_arena *a);

#endif

/* arena.c: the memory of one XML element and its children, freed in one go after the element's callback. */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmpp/arena.h"

struct arena_block {
	struct arena_block *next;
	size_t size;	/* bytes of data */
	size_t used;
};

static const size_t arena_hdr = (sizeof(struct arena_block) + alignof(max_align_t) - 1) &
    ~(alignof(max_align_t) - 1);

static struct arena_block *
block_new(size_t size)
{
	struct arena_block *b;

	if (size > SIZE_MAX - arena_hdr)
		return NULL;
	b = malloc(arena_hdr + size);
	if (b == NULL)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void *
fs_arena_alloc(struct fs_arena *a, size_t n)
{
	const size_t al = alignof(max_align_t);
	struct arena_block *b = a->head;
	void *ret;

	if (n > SIZE_MAX - al)
		return NULL;
	n = (n + al - 1) & ~(al - 1);
	if (b->size - b->used >= n) {
		ret = (char *)b + arena_hdr + b->used;
		b->used += n;
		return ret;
	}
	/* A big request gets a block of its own behind the current one, so the current one stays in use. */
	if (n > FS_ARENA_BLOCK / 4) {
		if ((b = block_new(n)) == NULL)
			return NULL;
		b->used = n;
		b->next = a->head->next;
		a->head->next = b;
	} else {
		if ((b = block_new(FS_ARENA_BLOCK)) == NULL)
			return NULL;
		b->used = n;
		b->next = a->head;
		a->head = b;
	}
	a->bytes += b->size;
	return (char *)b + arena_hdr;
}

/* Free all but the kept block, wherever it sits in the list. */
void
fs_arena_reset(struct fs_arena *a)
{
	struct arena_block *b, *next;

	if (a->keep == NULL)
		return;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		if (b == a->keep)
			continue;
		a->bytes -= b->size;
		free(b);
	}
	a->head = a->keep;
	a->head->used = 0;
	a->head->next = NULL;
	memset(a->itab, 0, sizeof(a->itab));
}

char *
fs_arena_strndup(struct fs_arena *a, const char *s, size_t n)
{
	char *d;

	if (n == SIZE_MAX || (d = fs_arena_alloc(a, n + 1)) == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/*
 * Intern a string for the current element. Without this, one long namespace
 * URI declared once and used by thousands of tiny child elements would be
 * copied thousands of times: memory would no longer be bounded by the input.
 */
const char *
fs_arena_intern(struct fs_arena *a, const char *s, size_t n)
{
	struct fs_arena_str *e;
	uint32_t h = 2166136261u;	/* FNV-1a */
	size_t i;

	if (n == 0)
		return "";
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	for (e = a->itab[h % FS_ARENA_BUCKETS]; e != NULL; e = e->next)
		if (e->len == n && memcmp(e->s, s, n) == 0)
			return e->s;
	if ((e = fs_arena_alloc(a, sizeof(*e))) == NULL)
		return NULL;
	if ((e->s = fs_arena_strndup(a, s, n)) == NULL)
		return NULL;
	e->len = n;
	e->next = a->itab[h % FS_ARENA_BUCKETS];
	a->itab[h % FS_ARENA_BUCKETS] = e;
	return e->s;
}

int
fs_arena_init(struct fs_arena *a)
{
	memset(a, 0, sizeof(*a));
	if ((a->keep = block_new(FS_ARENA_BLOCK)) == NULL)
		return -1;
	a->head = a->keep;
	a->bytes = FS_ARENA_BLOCK;
	return 0;
}

void
fs_arena_free(struct fs_arena *a)
{
	fs_arena_reset(a);
	free(a->keep);
	memset(a, 0, sizeof(*a));
}

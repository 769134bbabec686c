/* matrix.c: lookups in the negotiation matrix (the table itself is generated into matrix_data.c). */
#include <stddef.h>

#include "fedscan/matrix.h"

const struct fs_matrix_row *
fs_policy_row(const struct fs_setting *s)
{
	size_t i;

	/*
	 * A search rather than index arithmetic: the generator guarantees each
	 * combination exactly once, but not the order of the combinations, and
	 * 18 comparisons cost nothing. An Unknown (or out-of-range) field never
	 * matches, since the generator only accepts known words.
	 */
	if (s == NULL)
		return NULL;
	for (i = 0; i < FS_MATRIX_ROWS; i++) {
		const struct fs_setting *r = &fs_matrix[i].setting;

		if (r->tls == s->tls && r->sasl == s->sasl &&
		    r->dialback == s->dialback)
			return &fs_matrix[i];
	}
	return NULL;
}

enum fs_method
fs_matrix_negotiate(const struct fs_matrix_row *a, const struct fs_matrix_row *b)
{
	if (a == NULL || b == NULL)
		return 0;
	return fs_method_best(a->methods & b->methods);
}

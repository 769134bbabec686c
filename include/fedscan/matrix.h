/* matrix.h: the Lync/Skype for Business negotiation matrix (18 rows, compiled from data/negotiation-matrix.tsv). */
#ifndef FEDSCAN_MATRIX_H
#define FEDSCAN_MATRIX_H

#include "fedscan/settings.h"

struct fs_matrix_row {
	int row;                        /* 1..18, as in the source document */
	struct fs_setting setting;      /* never contains an Unknown */
	unsigned methods;               /* enum fs_method bits */
	enum fs_config_verdict verdict;
	const char *meaning;            /* what the source says; "" when nothing */
};

/* The matrix, in row order; FS_MATRIX_ROWS entries. */
extern const struct fs_matrix_row fs_matrix[];
#define FS_MATRIX_ROWS 18

/* The row for a complete setting; NULL if any field is Unknown. */
const struct fs_matrix_row *fs_policy_row(const struct fs_setting *s);
/* The method two configurations negotiate (first common one in preference order); 0 if none or a row is NULL. */
enum fs_method fs_matrix_negotiate(const struct fs_matrix_row *a, const struct fs_matrix_row *b);

#endif

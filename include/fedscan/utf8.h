/* utf8.h: UTF-8 well-formedness (RFC 3629): one sequence, a whole string, a cut that never splits a character. */
#ifndef FEDSCAN_UTF8_H
#define FEDSCAN_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The length of the well-formed UTF-8 sequence at s (n bytes available), its code point in *cp (may be NULL); 0 when
 * it is not one (overlong, surrogate, past U+10FFFF). */
size_t fs_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);
/* Whether s[0..n) is well-formed UTF-8; if not, *bad (may be NULL) is the offset of the first bad byte. */
bool fs_utf8_valid(const char *s, size_t n, size_t *bad);
/* The length of s cut to at most max bytes without splitting a character. */
size_t fs_utf8_cut(const char *s, size_t max);

#endif

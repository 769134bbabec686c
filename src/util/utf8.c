/* utf8.c: UTF-8 well-formedness (RFC 3629) for text from files and peers: check, measure, cut on a boundary. */
#include <stdint.h>
#include <string.h>

#include "fedscan/utf8.h"

size_t
fs_utf8_seq(const unsigned char *s, size_t n, uint32_t *cpout)
{
	size_t len, i;
	uint32_t cp;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		if (cpout != NULL)
			*cpout = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cpout != NULL)
		*cpout = cp;
	return len;
}

bool
fs_utf8_valid(const char *s, size_t n, size_t *bad)
{
	size_t i = 0, k;

	while (i < n) {
		if ((k = fs_utf8_seq((const unsigned char *)s + i, n - i, NULL)) == 0) {
			if (bad != NULL)
				*bad = i;
			return false;
		}
		i += k;
	}
	return true;
}

size_t
fs_utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	/* Back up over continuation bytes so the cut falls before a character's first byte. */
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* dbkey.h: XEP-0185 dialback keys, so that our authoritative listener can tell its own keys from forgeries. */
#ifndef FEDSCAN_DBKEY_H
#define FEDSCAN_DBKEY_H

#include <stdbool.h>
#include <stddef.h>

#define FS_DBKEY_SECRET 32
#define FS_DBKEY_HEX 65

/* key = hex(HMAC-SHA256(SHA256(secret), receiving ' ' originating ' ' stream_id)) (XEP-0185 §3). 0, or -1. */
int fs_dialback_key(const unsigned char secret[FS_DBKEY_SECRET], const char *receiving, const char *originating,
    const char *stream_id, char out[FS_DBKEY_HEX]);
/* Whether key is the one we would have issued for these names, compared in constant time. */
bool fs_dialback_key_ok(const unsigned char secret[FS_DBKEY_SECRET], const char *receiving, const char *originating,
    const char *stream_id, const char *key);

#endif

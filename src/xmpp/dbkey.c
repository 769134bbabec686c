/* dbkey.c: XEP-0185 dialback keys: derived from a per-run secret, so only this run's keys verify. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "xmpp/dbkey.h"

int
fs_dialback_key(const unsigned char secret[FS_DBKEY_SECRET], const char *receiving, const char *originating,
    const char *stream_id, char out[FS_DBKEY_HEX])
{
	unsigned char k[SHA256_DIGEST_LENGTH], mac[EVP_MAX_MD_SIZE];
	char msg[1024];
	unsigned maclen = 0, i;
	int n;

	out[0] = '\0';
	n = snprintf(msg, sizeof(msg), "%s %s %s", receiving, originating, stream_id);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	SHA256(secret, FS_DBKEY_SECRET, k);
	if (HMAC(EVP_sha256(), k, sizeof(k), (const unsigned char *)msg, (size_t)n, mac, &maclen) == NULL ||
	    maclen != 32)
		return -1;
	for (i = 0; i < maclen; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

bool
fs_dialback_key_ok(const unsigned char secret[FS_DBKEY_SECRET], const char *receiving, const char *originating,
    const char *stream_id, const char *key)
{
	char want[FS_DBKEY_HEX];

	if (fs_dialback_key(secret, receiving, originating, stream_id, want) != 0 || strlen(key) != 64)
		return false;
	return CRYPTO_memcmp(want, key, 64) == 0;
}

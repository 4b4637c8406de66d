/* Hex digests for Digest authentication (RFC 7616): MD5 and SHA-256. Here
 * because only x509/ and tls/ include OpenSSL. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "x509/hash.h"

int crypto_hex(const char *alg, const void *data, size_t len, char *out, size_t outlen)
{
	const EVP_MD *md = !strcmp(alg, "MD5") ? EVP_md5()
			 : !strcmp(alg, "SHA-256") ? EVP_sha256() : NULL;
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n = 0, i;

	if (!md || !EVP_Digest(data, len, d, &n, md, NULL) || outlen < 2 * n + 1)
		return -1;
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	return 0;
}

#ifndef PB_X509_HASH_H
#define PB_X509_HASH_H
#include <stddef.h>
/* Lower-case hex digest of data with alg "MD5" or "SHA-256"; -1 otherwise. */
int crypto_hex(const char *alg, const void *data, size_t len, char *out, size_t outlen);
#endif

/* Internal to lib/x509: the chain and trust store representations. */
#ifndef PB_X509_INT_H
#define PB_X509_INT_H

#include <openssl/x509.h>

#include "phoneboot/cert.h"

#define X509_KEY_LEN 32             /* SHA-256 of the DER: the cache's key */

struct x509_cache;

struct entry {
	X509 *x;                    /* NULL when malformed */
	unsigned char *der;         /* OPENSSL_malloc'd encoding */
	size_t der_len;
	int keyed;                  /* key holds the SHA-256 of der (with a cache) */
	unsigned char key[X509_KEY_LEN];
	int sig_bad;                /* signature does not verify with the issuer's key */
	struct pb_cert_info info;
};

struct pb_chain {
	struct entry *e;
	size_t n;
	int complete, trusted;
};

struct pb_trust {
	X509 **x;
	size_t n;
};

/* Fill info from x (not role/from_trust). */
void x509_info(X509 *x, struct pb_cert_info *info);
/* How a buffer of certificates is framed: "PEM" (a BEGIN line anywhere),
 * "DER" (it starts as a SEQUENCE), "base64" (base64 and white space only:
 * DER without the armor, as some web pages send it), or NULL. */
const char *x509_form(const void *data, size_t len);
/* Decode a PEM, DER or bare base64 buffer into X509s (certificates or
 * PKCS#7 bundles); malformed PEM certificate blocks are returned as NULL
 * entries with a message in bad[i]. */
enum pb_err x509_decode(const void *data, size_t len, const char *name,
			X509 ***xs, char (**bad)[128], size_t *n,
			char *err, size_t errlen);
/* Build a chain from certificates xs (ownership taken), leaf_first when
 * the first one is the leaf (a TLS peer), extending with trust roots;
 * descriptions and signature checks through cache (NULL: none). */
enum pb_err x509_build(X509 **xs, char (*bad)[128], size_t n, int leaf_first,
		       const struct pb_trust *trust, struct x509_cache *cache,
		       struct pb_chain **out);

/* ---- the cache's certificate-level calls (cache.c) ---- */

/* key = SHA-256 of der: 0, or -1 (no cache, or the digest failed). */
int x509_cache_key(struct x509_cache *c, const unsigned char *der, size_t len,
		   unsigned char key[X509_KEY_LEN]);
/* d2i_X509 of der (a new reference, or NULL), decoded once per bytes. */
X509 *x509_cache_d2i(struct x509_cache *c, const unsigned char *der, size_t len);
/* 1 and *out = x509_info() of the certificate of key when known, else 0. */
int x509_cache_info(struct x509_cache *c, const unsigned char *key,
		    struct pb_cert_info *out);
void x509_cache_put_info(struct x509_cache *c, const unsigned char *key,
			 const struct pb_cert_info *in);
/* Whether the certificate of key sub verifies with the public key of the
 * one of key iss: 1, 0, or -1 when not known yet. */
int x509_cache_sig(struct x509_cache *c, const unsigned char *sub,
		   const unsigned char *iss);
void x509_cache_put_sig(struct x509_cache *c, const unsigned char *sub,
			const unsigned char *iss, int ok);

#endif

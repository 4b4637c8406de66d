/* Internal to lib/x509: the chain and trust store representations. */
#ifndef PB_X509_INT_H
#define PB_X509_INT_H

#include <openssl/x509.h>

#include "phoneboot/cert.h"

struct entry {
	X509 *x;                    /* NULL when malformed */
	unsigned char *der;         /* OPENSSL_malloc'd encoding */
	size_t der_len;
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
/* Decode a PEM/DER buffer into X509s; malformed PEM certificate blocks are
 * returned as NULL entries with a message in bad[i]. */
enum pb_err x509_decode(const void *data, size_t len, const char *name,
			X509 ***xs, char (**bad)[128], size_t *n,
			char *err, size_t errlen);
/* Build a chain from certificates xs (ownership taken), leaf_first when
 * the first one is the leaf (a TLS peer), extending with trust roots. */
enum pb_err x509_build(X509 **xs, char (*bad)[128], size_t n, int leaf_first,
		       const struct pb_trust *trust, struct pb_chain **out);

#endif

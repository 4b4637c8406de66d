/* Internal: the device's TLS on an SSL_CTX someone else made (libcurl's,
 * through CURLOPT_SSL_CTX_FUNCTION): the profile's versions and suites,
 * and the chain judged during the handshake by the profile's limits and
 * the device's trust store, exactly as step `connect` judges the pool
 * (pb_judge), so that a chain the device refuses ends the handshake
 * before the request is sent. Kept in tls/ because it includes OpenSSL. */
#ifndef PB_TLS_HOOK_H
#define PB_TLS_HOOK_H

#include <time.h>

#include "phoneboot/cert.h"

struct x509_cache;

struct tls_hook {
	const struct pb_profile *profile;
	const struct pb_trust *trust;   /* the device's trust store */
	const char *name;               /* the host name checked against the leaf */
	time_t now;                     /* the device's clock */
	struct x509_cache *certs;       /* the engine's (x509/cache.h), or NULL */
	/* filled during the handshake; the owner frees them (NULL is fine) */
	struct pb_chain *chain;         /* the first chain judged */
	struct pb_verdict *verdict;
	int judged;
};

/* Configure ssl_ctx (an SSL_CTX *) for the device; h is borrowed and
 * must outlive every handshake made with the context. 0, or -1 when
 * OpenSSL refused the settings. */
int tls_hook_ctx(void *ssl_ctx, struct tls_hook *h);
/* Free what the handshake left in h. */
void tls_hook_clear(struct tls_hook *h);

#endif

/* Internal: what phoneboot reads from certificates, remembered by the
 * SHA-256 of their DER, for the boots of one engine.
 *
 * A fleet's phones download the same root and meet the same server
 * chains; decoding a certificate (OpenSSL 3 builds a provider decoder for
 * each public key), describing it and checking its signatures are pure
 * functions of its bytes, and were most of a fleet's CPU. The cache holds
 * only such results: every phone still does its own DNS, directory, TLS
 * handshakes and authentication, and a certificate with other bytes is
 * another key. Bounded (a few dozen certificates, oldest replaced); one
 * engine, one loop, no lock. */
#ifndef PB_X509_CACHE_H
#define PB_X509_CACHE_H

#include <stddef.h>

#include "phoneboot/cert.h"

struct x509_cache;

/* NULL when out of memory (callers then go without one). */
struct x509_cache *x509_cache_new(void);
void x509_cache_free(struct x509_cache *c);           /* NULL is fine */
/* Hits and misses so far (lookups of decoded certificates, descriptions
 * and signatures together), for tests and benchmarks. */
void x509_cache_stats(const struct x509_cache *c, unsigned long *hits,
		      unsigned long *misses);

/* pb_chain_from_der_list() and pb_trust_add_der() through cache c (NULL:
 * without one); results identical. */
enum pb_err x509_chain_from_der_list(struct x509_cache *c,
				     const unsigned char *const *der,
				     const size_t *lens, size_t n,
				     const struct pb_trust *trust,
				     struct pb_chain **out);
enum pb_err x509_trust_add_der(struct x509_cache *c, struct pb_trust *t,
			       const unsigned char *der, size_t len);

#endif

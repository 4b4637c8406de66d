/* Internal: download the CA certificates a domain publishes in its
 * directory (cACertificate under CN=Certification Authorities,CN=Public Key
 * Services,CN=Services,CN=Configuration,<domain DN>).
 *
 * libldap's calls run on a libuv worker thread (uv_queue_work), bounded by
 * LDAP_OPT_NETWORK_TIMEOUT and LDAP_OPT_TIMEOUT, so the loop never waits on
 * the directory (docs/engine.md says why not libldap's async API). */
#ifndef PB_LDAP_DIR_H
#define PB_LDAP_DIR_H

#include <stddef.h>

#include <uv.h>

#include "phoneboot/codes.h"

#define DIR_MAX_CERTS 8

struct dir_result {
	enum pb_cause cause;
	char detail[256];
	char bind[256];              /* "anonymous" or the DN bound as */
	char base[256];              /* where the certificates were looked for */
	unsigned char *der[DIR_MAX_CERTS];   /* malloc'd */
	size_t der_len[DIR_MAX_CERTS];
	char entry[DIR_MAX_CERTS][256];      /* DN each came from */
	size_t n;
	double ms;
};

typedef void dir_cb(struct dir_result *r, void *arg);   /* r is the callee's until return */

/* host:port of the DC; user@domain and password (may be NULL: anonymous). */
enum pb_err dir_fetch_roots(uv_loop_t *loop, const char *host, unsigned port,
			    const char *domain, const char *user,
			    const char *password, unsigned timeout_ms,
			    dir_cb *cb, void *arg);
/* "corp.example" -> "DC=corp,DC=example" */
void dir_domain_dn(const char *domain, char *buf, size_t len);

#endif

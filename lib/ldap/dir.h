/* Internal: download the CA certificates a domain publishes in its
 * directory (cACertificate under CN=Certification Authorities,CN=Public Key
 * Services,CN=Services,CN=Configuration,<domain DN>: the container in the
 * config NC, MS-ADTS 6.1.1.2, where AD CS publishes enterprise roots).
 *
 * Runs on the caller's libuv loop with libldap's asynchronous API: a
 * non-blocking connect (LDAP_OPT_CONNECT_ASYNC), the descriptor watched with
 * uv_poll, answers collected with ldap_result() and a zero timeout, and a
 * uv_timer bounding each phase (connect, every bind, every search). No
 * thread; thousands can run on one loop. The TLS of StartTLS and LDAPS is
 * phoneboot's own (tls/fd.h) under libldap, handshaking on the loop too. docs/engine.md, "Directory bind",
 * says what is tried in which order. */
#ifndef PB_LDAP_DIR_H
#define PB_LDAP_DIR_H

#include <stddef.h>

#include <krb5/krb5.h>
#include <uv.h>

#include "phoneboot/cert.h"
#include "phoneboot/codes.h"

#define DIR_MAX_CERTS 8
#define DIR_MAX_ENROLL 4

struct dir_opts {
	unsigned ldaps_port;         /* 0: 636 (RFC 4516 2: ldaps is not in
				      * it; 636 is IANA's and AD's) */
	int plain_bind;              /* a simple bind in clear on the plain port
				      * when no TLS could be had (--ldap-plain-bind:
				      * old directories); the result warns */
	int sasl_ntlm;               /* first a SASL GSS-SPNEGO bind with NTLM on
				      * the plain port, signed and sealed (a domain
				      * member that speaks NTLM); when the directory
				      * refuses it, the ways above */
	const char *dc_name;         /* the DC's host name, for the SASL target
				      * ldap@NAME; NULL: the address */
	/* Kerberos, as a domain member binds (ldap/gssapi.h): the boot's
	 * ccache holding a ticket for krb_service ("ldap/dc01.corp.example@
	 * CORP.EXAMPLE"), krb_client for the report. Tried first: SASL
	 * GSSAPI on the plain port, signed (the integrity layer); refused,
	 * GSS-SPNEGO (sasl_ntlm), then the ways above. NULL: none. */
	krb5_ccache krb_cc;
	const char *krb_service, *krb_client;
	void *tls_ctx;               /* tls_fd_ctx_new()'s, shared by the
				      * sessions; NULL: one of each's own */
	struct ntlm_crypto *ntlm_crypto; /* NTLM's algorithms for the GSS-SPNEGO
				      * bind, shared by an engine's boots;
				      * NULL: the bind's own */
	int enrollment;              /* after the certificates, the enterprise CAs'
				      * hosts: dNSHostName of the pKIEnrollmentService
				      * objects under CN=Enrollment Services (where
				      * AD CS registers a CA, MS-CSRA 3.1.1.4.1), whose
				      * web enrollment pages serve the CA chain */
};

struct dir_result {
	enum pb_cause cause;         /* PB_CAUSE_NONE: certificates downloaded */
	enum pb_err err;             /* PB_OK, or phoneboot's own failure (out of
				      * memory): then cause says nothing about
				      * the network */
	char detail[512];
	char bind[512];              /* which way it went: "StartTLS, simple bind
				      * as alice@corp.example", "GSS-SPNEGO (NTLM)
				      * bind as ..., signed and sealed", "SASL GSSAPI
				      * (Kerberos) bind as ..., signed ...",
				      * "anonymous (...)" */
	char tls[64];                /* "StartTLS, TLSv1.3", "LDAPS, TLSv1.2"; ""
				      * when the session was in clear */
	int have_dc_cert;            /* dc_cert: the server's certificate in TLS,
				      * as seen (not verified: see dir.c) */
	struct pb_cert_info dc_cert;
	char warning[256];           /* the password crossed in clear, or "" */
	char base[256];              /* where the certificates were looked for */
	unsigned char *der[DIR_MAX_CERTS];   /* malloc'd; the callback may take
					      * one (set der[i] to NULL), the
					      * rest are freed after it */
	size_t der_len[DIR_MAX_CERTS];
	char entry[DIR_MAX_CERTS][256];      /* DN each came from */
	size_t n;
	/* o->enrollment: the enterprise CAs (the cn, and the host) */
	char enroll_ca[DIR_MAX_ENROLL][128];
	char enroll_host[DIR_MAX_ENROLL][256];
	size_t n_enroll;
	char enroll_note[320];       /* why none were read ("" when the search
				      * answered) */
	double ms;
};

/* r is the callee's until return; see der above. With o->enrollment, a
 * directory without cACertificate still fills the enterprise CAs (cause
 * PB_CAUSE_LDAP_NO_CA_CERTIFICATES, n 0, n_enroll > 0). */
typedef void dir_cb(struct dir_result *r, void *arg);

struct dir_req;

/* Download the roots from host:port. host is an IPv4 or IPv6 address, not a
 * name (libldap would resolve a name with a blocking getaddrinfo):
 * PB_ERR_USAGE otherwise. user is the name before the '@' (the UPN bound as
 * is user@domain); with a NULL or empty password the read is anonymous.
 * password is borrowed until the callback or dir_cancel(), and never
 * copied into the result; it is sent only inside TLS (StartTLS on port,
 * else LDAPS), or in clear when o->plain_bind says so. o may be NULL (the
 * defaults above). timeout_ms (0: 5000) bounds each phase.
 *
 * cb runs exactly once, from the loop, never inside this call - unless
 * dir_cancel() comes first. On PB_OK *out (if out is not NULL) is the
 * request, valid until the callback returns or dir_cancel(); on failure
 * *out is untouched and cb never runs. */
enum pb_err dir_fetch_roots(uv_loop_t *loop, const char *host, unsigned port,
			    const char *domain, const char *user,
			    const char *password, const struct dir_opts *o,
			    unsigned timeout_ms, dir_cb *cb, void *arg,
			    struct dir_req **out);

/* Stop a request before its callback: cb will not run. The connection is
 * closed and the request freed once its handles have closed (the loop must
 * run on). Not to be called after the callback has returned; inside the
 * callback it does nothing. */
void dir_cancel(struct dir_req *r);

/* "corp.example" -> "DC=corp,DC=example" */
void dir_domain_dn(const char *domain, char *buf, size_t len);

#endif

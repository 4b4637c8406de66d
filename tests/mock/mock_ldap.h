/* A small LDAP server for the unit tests, in process on 127.0.0.1 and on
 * the test's own libuv loop (as libre and c-ares test their clients). It
 * speaks just enough of RFC 4511: BindRequest (simple), SearchRequest,
 * UnbindRequest, the StartTLS ExtendedRequest (4.14); BER written and read
 * by hand, every length checked. TLS (StartTLS, and LDAPS on a second
 * port) is OpenSSL through memory BIOs, with a self-signed certificate for
 * CN=dc01.corp.example made at start.
 *
 * The directory: dc=corp,dc=example with one user, alice
 * (cn=alice,cn=Users,dc=corp,dc=example, uid alice, mail and UPN
 * alice@corp.example, password "secret"), and under the CA container
 * (CN=Certification Authorities,...) one entry carrying n_certs values. */
#ifndef PB_MOCK_LDAP_H
#define PB_MOCK_LDAP_H

#include <stddef.h>

#include <uv.h>

#define MOCK_LDAP_USER_DN "cn=alice,cn=Users,dc=corp,dc=example"
#define MOCK_LDAP_CERT_SUBJECT "CN=dc01.corp.example"
#define MOCK_LDAP_CA_BASE "CN=Certification Authorities,CN=Public Key Services," \
			  "CN=Services,CN=Configuration,DC=corp,DC=example"
#define MOCK_LDAP_ENROLL_BASE "CN=Enrollment Services,CN=Public Key Services," \
			      "CN=Services,CN=Configuration,DC=corp,DC=example"

struct mock_ldap_opts {
	int silent;              /* accept and read, never answer */
	int hangup_on_search;    /* close the connection on a search */
	int upn_ok;              /* a bind as the UPN works (Active Directory);
				  * otherwise it is invalidDNSyntax (OpenLDAP) */
	int anon_bind_refused;   /* an explicit anonymous bind: unwillingToPerform */
	int anon_read_refused;   /* a search while anonymous: insufficientAccessRights */
	size_t n_certs;          /* values on the CA entry; 0: no CA entry */
	size_t cert_len;         /* bytes each (0: 100); value i is bytes of i+1 */
	const char *attr;        /* its attribute name (NULL: "cACertificate;binary") */
	int starttls_refused;    /* StartTLS: protocolError, "unsupported extended
				  * operation" (a directory without TLS) */
	int starttls_broken;     /* StartTLS: success, then the connection closes
				  * instead of a handshake */
	int ldaps;               /* also listen for LDAPS: mock_ldap_ldaps_port() */
	const char *enroll_host; /* an enterprise CA (pKIEnrollmentService,
				  * cn=corp-ROOT-CA) under CN=Enrollment
				  * Services with this dNSHostName; NULL: none
				  * (noSuchObject) */
	const char *enroll_host2; /* a second CA's host, or NULL */
	const char *domain_dn;   /* the directory's naming context (NULL:
				  * "DC=corp,DC=example"): the CA container and
				  * the Enrollment Services are under it */
	int enroll_silent;       /* the search under Enrollment Services is never
				  * answered */
	int strong_auth;         /* a simple bind with a password outside TLS:
				  * strongerAuthRequired (Active Directory, Samba's
				  * "ldap server require strong auth") */
};

/* What the server saw. */
struct mock_ldap_seen {
	unsigned connections, binds, searches, unbinds;
	unsigned starttls;       /* StartTLS requests */
	unsigned handshakes;     /* TLS handshakes completed (StartTLS and LDAPS) */
	unsigned ldaps_connections;
	unsigned tls_binds;      /* binds received inside TLS */
	unsigned clear_pw_binds; /* binds with a password received in clear */
	char last_bind[256];
	/* the last search under the domain (the user's DN): an OR of equality
	 * matches, each attribute and value as received */
	int filter_is_or_of_eq;
	size_t n_eq;
	char eq_attr[8][64];
	char eq_value[8][256];
	/* the last search under CN=Enrollment Services: one level, and the
	 * filter (objectClass=pKIEnrollmentService) */
	int enroll_search_ok;
};

struct mock_ldap;

/* Listen on 127.0.0.1, a free port. 0 or a negative libuv error. */
int mock_ldap_start(uv_loop_t *loop, const struct mock_ldap_opts *o,
		    struct mock_ldap **out, unsigned *port);
const struct mock_ldap_seen *mock_ldap_seen(const struct mock_ldap *m);
/* The LDAPS port (opts.ldaps), else 0. */
unsigned mock_ldap_ldaps_port(const struct mock_ldap *m);
/* Close the listener and every connection; freed once they have closed. */
void mock_ldap_stop(struct mock_ldap *m);

#endif

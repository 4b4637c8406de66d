/* CA certificates from the directory, on a worker thread. See dir.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "ldap/dir.h"

struct job {
	uv_work_t req;
	char url[300], domain[256], user[256];
	const char *password;    /* borrowed until the callback */
	unsigned timeout_ms;
	dir_cb *cb;
	void *arg;
	struct dir_result r;
	uint64_t t0;
};

void dir_domain_dn(const char *domain, char *buf, size_t len)
{
	const char *p = domain;
	size_t off = 0;

	buf[0] = '\0';
	while (*p && off < len) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		off += (size_t)snprintf(buf + off, len - off, "%sDC=%.*s", off ? "," : "",
					(int)n, p);
		p += n + (dot ? 1 : 0);
	}
}

static enum pb_cause cause_of(int rc)
{
	switch (rc) {
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR: return PB_CAUSE_LDAP_UNREACHABLE;
	case LDAP_TIMEOUT: return PB_CAUSE_LDAP_TIMEOUT;
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INVALID_DN_SYNTAX:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_UNWILLING_TO_PERFORM:
	case LDAP_STRONG_AUTH_REQUIRED: return PB_CAUSE_LDAP_BIND_FAILED;
	default: return PB_CAUSE_LDAP_UNREACHABLE;
	}
}

static int simple_bind(LDAP *ld, const char *dn, const char *pw)
{
	struct berval cred;

	cred.bv_val = (char *)(pw ? pw : "");
	cred.bv_len = pw ? strlen(pw) : 0;
	return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
}

/* The UPN as bind name first (Active Directory takes it); a directory that
 * needs a DN (OpenLDAP) refuses it, so look the user's DN up anonymously
 * and bind with that. */
static int bind_user(struct job *j, LDAP *ld, const char *base)
{
	char upn[512], filter[700], *dn = NULL;
	LDAPMessage *res = NULL, *e;
	struct timeval tv = { (time_t)(j->timeout_ms / 1000), (suseconds_t)(j->timeout_ms % 1000) * 1000 };
	char *attrs[] = { (char *)"1.1", NULL };
	int rc;

	snprintf(upn, sizeof(upn), "%s@%s", j->user, j->domain);
	rc = simple_bind(ld, upn, j->password);
	if (rc == LDAP_SUCCESS) {
		snprintf(j->r.bind, sizeof(j->r.bind), "%s", upn);
		return rc;
	}
	if (rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT)
		return rc;
	rc = simple_bind(ld, NULL, NULL);   /* back to anonymous for the search */
	if (rc != LDAP_SUCCESS)
		return rc;
	snprintf(filter, sizeof(filter),
		 "(|(userPrincipalName=%s)(mail=%s)(sAMAccountName=%s)(uid=%s))",
		 upn, upn, j->user, j->user);
	rc = ldap_search_ext_s(ld, base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL,
			       NULL, &tv, 2, &res);
	if (rc == LDAP_SUCCESS && (e = ldap_first_entry(ld, res)))
		dn = ldap_get_dn(ld, e);
	ldap_msgfree(res);
	if (!dn)
		return LDAP_INVALID_CREDENTIALS;    /* no such user */
	rc = simple_bind(ld, dn, j->password);
	if (rc == LDAP_SUCCESS)
		snprintf(j->r.bind, sizeof(j->r.bind), "%s", dn);
	ldap_memfree(dn);
	return rc;
}

/* Attribute name "cACertificate", any case, options (";binary") ignored. */
static int is_ca_attr(const char *a)
{
	size_t n = strcspn(a, ";");

	return n == 13 && !strncasecmp(a, "cACertificate", 13);
}

static void work(uv_work_t *req)
{
	struct job *j = req->data;
	LDAP *ld = NULL;
	LDAPMessage *res = NULL, *e;
	char domain_dn[256];
	struct timeval net = { (time_t)(j->timeout_ms / 1000), (suseconds_t)(j->timeout_ms % 1000) * 1000 };
	int v3 = LDAP_VERSION3, rc;
	char *attrs[] = { (char *)"cACertificate", (char *)"cACertificate;binary", NULL };

	dir_domain_dn(j->domain, domain_dn, sizeof(domain_dn));
	snprintf(j->r.base, sizeof(j->r.base),
		 "CN=Certification Authorities,CN=Public Key Services,CN=Services,"
		 "CN=Configuration,%s", domain_dn);
	rc = ldap_initialize(&ld, j->url);
	if (rc != LDAP_SUCCESS)
		goto fail;
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &net);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &net);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	if (j->password && *j->password) {
		rc = bind_user(j, ld, domain_dn);
		/* a refused bind: read anonymously, as a directory that allows
		 * it serves the CA container to anyone; a bind failure is the
		 * cause only when the anonymous read fails too */
		if (cause_of(rc) == PB_CAUSE_LDAP_BIND_FAILED) {
			int first = rc;

			rc = simple_bind(ld, NULL, NULL);
			snprintf(j->r.bind, sizeof(j->r.bind), "anonymous (the bind as %s@%s "
				 "was refused: %s)", j->user, j->domain, ldap_err2string(first));
			if (rc != LDAP_SUCCESS)
				rc = first;
		}
	} else {
		rc = simple_bind(ld, NULL, NULL);
		snprintf(j->r.bind, sizeof(j->r.bind), "anonymous");
	}
	if (rc != LDAP_SUCCESS)
		goto fail;
	rc = ldap_search_ext_s(ld, j->r.base, LDAP_SCOPE_SUBTREE,
			       "(objectClass=certificationAuthority)", attrs, 0, NULL,
			       NULL, &net, 50, &res);
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT && rc != LDAP_SIZELIMIT_EXCEEDED)
		goto fail;
	for (e = res ? ldap_first_entry(ld, res) : NULL; e && j->r.n < DIR_MAX_CERTS;
	     e = ldap_next_entry(ld, e)) {
		BerElement *ber = NULL;
		char *a, *dn = ldap_get_dn(ld, e);

		for (a = ldap_first_attribute(ld, e, &ber); a; a = ldap_next_attribute(ld, e, ber)) {
			struct berval **vals;
			int i;

			if (is_ca_attr(a) && (vals = ldap_get_values_len(ld, e, a))) {
				for (i = 0; vals[i] && j->r.n < DIR_MAX_CERTS; i++) {
					unsigned char *d = malloc(vals[i]->bv_len ? vals[i]->bv_len : 1);
					if (!d)
						break;
					memcpy(d, vals[i]->bv_val, vals[i]->bv_len);
					j->r.der[j->r.n] = d;
					j->r.der_len[j->r.n] = vals[i]->bv_len;
					snprintf(j->r.entry[j->r.n], sizeof(j->r.entry[0]), "%s",
						 dn ? dn : "");
					j->r.n++;
				}
				ldap_value_free_len(vals);
			}
			ldap_memfree(a);
		}
		ber_free(ber, 0);
		ldap_memfree(dn);
	}
	ldap_msgfree(res);
	if (j->r.n == 0) {
		j->r.cause = PB_CAUSE_LDAP_NO_CA_CERTIFICATES;
		snprintf(j->r.detail, sizeof(j->r.detail), "no cACertificate under %s",
			 j->r.base);
	}
	ldap_unbind_ext_s(ld, NULL, NULL);
	return;
fail:
	j->r.cause = cause_of(rc);
	snprintf(j->r.detail, sizeof(j->r.detail), "%s: %s", j->url, ldap_err2string(rc));
	if (ld)
		ldap_unbind_ext_s(ld, NULL, NULL);
}

static void done(uv_work_t *req, int status)
{
	struct job *j = req->data;
	size_t i;

	(void)status;
	j->r.ms = (double)(uv_hrtime() - j->t0) / 1e6;
	j->cb(&j->r, j->arg);
	for (i = 0; i < j->r.n; i++)
		free(j->r.der[i]);
	free(j);
}

enum pb_err dir_fetch_roots(uv_loop_t *loop, const char *host, unsigned port,
			    const char *domain, const char *user,
			    const char *password, unsigned timeout_ms,
			    dir_cb *cb, void *arg)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return PB_ERR_NOMEM;
	snprintf(j->url, sizeof(j->url), "ldap://%s:%u", host, port);
	snprintf(j->domain, sizeof(j->domain), "%s", domain);
	snprintf(j->user, sizeof(j->user), "%s", user ? user : "");
	j->password = password;   /* borrowed: the caller keeps it until the callback */
	j->timeout_ms = timeout_ms ? timeout_ms : 5000;
	j->cb = cb;
	j->arg = arg;
	j->t0 = uv_hrtime();
	j->req.data = j;
	if (uv_queue_work(loop, &j->req, work, done) < 0) {
		free(j);
		return PB_ERR_INTERNAL;
	}
	return PB_OK;
}

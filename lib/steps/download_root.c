/* Step `download-root`: the CA certificates the domain publishes in its
 * directory (cACertificate under CN=Certification Authorities,CN=Public
 * Key Services,CN=Services,CN=Configuration,<domain DN>, where
 * `certutil -dspublish` puts them), from the DC locate-dc found.
 *
 * OCPE (the CX700) also downloads the CA chain from the enterprise CA's
 * web enrollment pages, over HTTP with Kerberos in SPNEGO (Polycom's CX700
 * deployment guide, its sign-in sequence, steps 17-19: "attempts HTTP
 * request to download RootCA cert chain using Kerberos (SPNEGO)", "DC
 * streams Base64 certificate chain ... (URL: /certsrv/certnew.p7b, Using
 * SPNEGO Authentication)"). The CA's host is the directory's: the
 * dNSHostName of its pKIEnrollmentService object (how the phone finds it
 * is not published; this is where AD CS registers it). Either way may
 * fail alone: the step has roots when one of them brought some. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/jx.h"
#include "dns/dns.h"
#include "engine/engine.h"
#include "http/certsrv.h"
#include "http/http.h"
#include "http/negotiate.h"
#include "krb/krb.h"
#include "ldap/dir.h"

struct ctx {
	struct dir_req *req;
	struct krb_login *login;     /* the device's tickets: ldap/<DC> for a
				      * Kerberos device, HTTP/<CA host> for the web
				      * enrollment */
	/* the web enrollment (OCPE) */
	struct dev_query *q;
	struct http_negotiate *neg;
	struct http_req *h;
	enum pb_cause ldap_cause;    /* the directory's outcome, kept meanwhile */
	char ldap_detail[512];
	char ca_host[256], ca_addr[64], url[400], peer[400];
};

/* The web route as a whole (DNS, the KDC, the GET: each bounded by
 * --timeout) ends within this many timeouts: the device does not wait on
 * the CA's pages for ever when the directory gave it a root. */
#define WEB_DEADLINE_TIMEOUTS 3

/* OCPE takes the chain from the CA's web enrollment too. */
static int web_route(const struct step_run *r)
{
	return r->o->profile->flow == PB_FLOW_OCPE;
}

static void start_web(struct step_run *r);

static void on_roots(struct dir_result *res, void *arg)
{
	struct step_run *r = arg;
	struct ctx *c = r->ctx;
	struct device *d = r->dev;
	json_t *entries;
	size_t i;

	c->req = NULL;
	if (res->err) {
		step_internal(r, res->err, res->detail[0] ? res->detail : "the directory download failed");
		return;
	}
	entries = json_array();
	step_fact(r, "bind", json_string(res->bind[0] ? res->bind : "(none)"));
	if (res->tls[0])
		step_fact(r, "tls", json_string(res->tls));
	/* not verified (the root that would verify it is what is being
	 * downloaded): shown for a person to compare */
	if (res->have_dc_cert)
		step_fact(r, "dc-certificate", json_pack("{s:s,s:s,s:s}",
			  "subject", res->dc_cert.subject, "issuer", res->dc_cert.issuer,
			  "sha256", res->dc_cert.sha256));
	if (res->warning[0])
		step_fact(r, "warning", json_string(res->warning));
	step_fact(r, "base", json_string(res->base));
	for (i = 0; i < res->n && d->n_roots < DEV_MAX_ROOTS; i++) {
		entries = jx_push(entries, json_pack("{s:s,s:i}", "entry",
			res->entry[i], "bytes", (int)res->der_len[i]));
		d->root_der[d->n_roots] = res->der[i];     /* taken over */
		d->root_len[d->n_roots++] = res->der_len[i];
		res->der[i] = NULL;
	}
	step_fact(r, "certificates", entries);
	{
		char peer[96];

		snprintf(peer, sizeof(peer), "ldap %s:%u", d->dc_addr, d->dc_port);
		step_exchange(r, peer, 0, res->cause != PB_CAUSE_NONE, "%s; %zu certificate(s)%s%s",
			      res->bind[0] ? res->bind : "no bind", d->n_roots,
			      res->cause ? ": " : "", res->cause ? pb_cause_str(res->cause) : "");
	}
	if (web_route(r) && res->n_enroll) {
		json_t *cas = json_array();

		for (i = 0; i < res->n_enroll; i++)
			cas = jx_push(cas, json_pack("{s:s,s:s}", "ca", res->enroll_ca[i],
						     "host", res->enroll_host[i]));
		step_fact(r, "enterprise_cas", cas);
		c->ldap_cause = res->cause;
		snprintf(c->ldap_detail, sizeof(c->ldap_detail), "%s", res->detail);
		snprintf(c->ca_host, sizeof(c->ca_host), "%s", res->enroll_host[0]);
		start_web(r);
		return;
	}
	if (web_route(r) && res->enroll_note[0])
		step_fact(r, "enterprise_cas", json_string(res->enroll_note));
	if (res->cause) {
		step_done(r, res->cause, res->detail, NULL);
		return;
	}
	d->have |= HAVE_ROOTS;
	step_done(r, PB_CAUSE_NONE, NULL, NULL);
}

/* The directory query, with the Kerberos credentials when there are. */
static void fetch(struct step_run *r)
{
	struct ctx *c = r->ctx;
	struct device *d = r->dev;
	struct dir_opts dopts;
	/* a domain member that speaks NTLM binds with it (SASL GSS-SPNEGO,
	 * signed and sealed), as Windows does; others inside TLS */
	int sasl = (r->o->auth ? r->o->auth : r->o->profile->auth) & PB_AUTH_NTLM;

	memset(&dopts, 0, sizeof(dopts));
	dopts.plain_bind = r->o->ldap_plain_bind;
	dopts.sasl_ntlm = sasl != 0;
	dopts.dc_name = d->dc_name[0] ? d->dc_name : NULL;
	dopts.tls_ctx = engine_dir_tls_ctx(r->eng);
	dopts.enrollment = web_route(r);
	/* NULL when out of memory: the bind then makes its own */
	dopts.ntlm_crypto = sasl ? engine_ntlm_crypto(r->eng) : NULL;
	if (c->login) {
		dopts.krb_cc = krb_login_ccache(c->login);
		dopts.krb_service = krb_login_service(c->login);
		dopts.krb_client = krb_login_client(c->login);
	}
	if (dir_fetch_roots(r->loop, d->dc_addr, d->dc_port, r->o->domain, r->o->user,
			    r->o->password, &dopts, r->timeout_ms, on_roots, r,
			    &c->req) != PB_OK)
		step_internal(r, PB_ERR_NOMEM, "could not start the directory query");
}

static void on_ticket(struct krb_login *l, enum pb_cause cause, const char *detail, void *arg)
{
	struct step_run *r = arg;
	struct ctx *c = r->ctx;

	(void)l;
	if (cause != PB_CAUSE_NONE) {
		/* no ticket: the other ways, as a device without Kerberos */
		step_factf(r, "kerberos", "%s: %s", pb_cause_str(cause), detail ? detail : "");
		krb_login_free(c->login);
		c->login = NULL;
	}
	fetch(r);
}

/* A device that speaks Kerberos binds as a domain member: a ticket for
 * ldap/<DC FQDN> first (docs/kerberos.md, "The directory"). */
static int speaks_kerberos(const struct step_run *r)
{
	unsigned speaks = r->o->auth ? r->o->auth : r->o->profile->auth;

	return (speaks & PB_AUTH_KERBEROS) && r->o->password && *r->o->password &&
	       r->dev->dc_name[0];
}

static void start(struct step_run *r)
{
	struct ctx *c = r->ctx;
	struct device *d = r->dev;
	int sasl = (r->o->auth ? r->o->auth : r->o->profile->auth) & PB_AUTH_NTLM;

	step_factf(r, "server", "ldap://%s:%u", d->dc_addr, d->dc_port);
	step_peer(r, "ldap://%s:%u", d->dc_addr, d->dc_port);
	{
		char peer[96];

		snprintf(peer, sizeof(peer), "ldap %s:%u", d->dc_addr, d->dc_port);
		step_exchange(r, peer, 1, 0, "%s, bind, search cACertificate%s",
			      speaks_kerberos(r) ? "SASL GSSAPI (Kerberos)"
			      : sasl ? "GSS-SPNEGO (NTLM)" : "StartTLS",
			      web_route(r) ? ", the enterprise CAs" : "");
	}
	if (speaks_kerberos(r)) {
		char service[300], why[300];

		snprintf(service, sizeof(service), "ldap/%s", d->dc_name);
		if (krb_login_start(r, r->o->user, r->o->domain, r->o->password, service,
				    on_ticket, r, &c->login, why, sizeof(why)) == 0)
			return;
		step_factf(r, "kerberos", "not started: %s", why);
	}
	fetch(r);
}

/* ---- the CA's web enrollment (OCPE) ---- */

/* The roots are what either way brought. */
static void finish_roots(struct step_run *r, const char *web_failure)
{
	struct ctx *c = r->ctx;
	char detail[1024];

	if (r->dev->n_roots) {
		r->dev->have |= HAVE_ROOTS;
		step_done(r, PB_CAUSE_NONE, NULL, NULL);
		return;
	}
	snprintf(detail, sizeof(detail), "%s; the CA's web enrollment (%s): %s",
		 c->ldap_detail[0] ? c->ldap_detail : "no certificate in the directory",
		 c->url[0] ? c->url : c->ca_host, web_failure ? web_failure : "no certificate");
	step_done(r, c->ldap_cause ? c->ldap_cause : PB_CAUSE_LDAP_NO_CA_CERTIFICATES, detail, NULL);
}

__attribute__((format(printf, 2, 3)))
static void web_failed(struct step_run *r, const char *fmt, ...)
{
	char why[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	step_fact(r, "web_enrollment_failed", json_string(why));
	finish_roots(r, why);
}

/* The chain's certificates join the directory's (the same one once). */
static size_t add_roots(struct step_run *r, struct certsrv_chain *ch, json_t **entries)
{
	struct device *d = r->dev;
	size_t i, k, added = 0;

	for (i = 0; i < ch->n; i++) {
		for (k = 0; k < d->n_roots; k++)
			if (d->root_len[k] == ch->der_len[i] &&
			    !memcmp(d->root_der[k], ch->der[i], ch->der_len[i]))
				break;
		*entries = jx_push(*entries, json_pack("{s:i,s:b}", "bytes", (int)ch->der_len[i],
						       "new", k == d->n_roots));
		if (k < d->n_roots || d->n_roots == DEV_MAX_ROOTS)
			continue;
		d->root_der[d->n_roots] = ch->der[i];       /* taken over */
		d->root_len[d->n_roots++] = ch->der_len[i];
		ch->der[i] = NULL;
		added++;
	}
	return added;
}

static void on_chain(const struct http_result *hr, void *arg)
{
	struct step_run *r = arg;
	struct ctx *c = r->ctx;
	struct certsrv_chain ch;
	json_t *entries;
	char why[400];
	int proof;
	size_t added;

	step_exchange(r, c->peer, 0, hr->outcome != HTTP_ANSWERED || hr->status != 200, "%s",
		      hr->detail);
	if (hr->outcome == HTTP_REFUSED) {
		web_failed(r, "nothing listens on %s:80 (%s)", c->ca_host, hr->detail);
		goto out;
	}
	if (hr->outcome == HTTP_TIMEOUT) {
		web_failed(r, "no answer from %s:80 within the timeout (%s)", c->ca_host, hr->detail);
		goto out;
	}
	if (hr->outcome != HTTP_ANSWERED) {
		web_failed(r, "%s", hr->detail);
		goto out;
	}
	if (hr->status == 401 && strncasecmp(hr->authenticate, "Negotiate", 9)) {
		web_failed(r, "HTTP 401: the server does not offer Negotiate (WWW-Authenticate: %.120s)",
			   hr->authenticate[0] ? hr->authenticate : "none");
		goto out;
	}
	if (hr->status == 401) {
		web_failed(r, "HTTP 401: the server refused the Kerberos ticket for %s",
			   krb_login_service(c->login));
		goto out;
	}
	if (hr->status == 404) {
		web_failed(r, "HTTP 404: no web enrollment pages at /certsrv/ (AD CS's Certification "
			   "Authority Web Enrollment not installed on %s?)", c->ca_host);
		goto out;
	}
	if (hr->status == 403) {
		web_failed(r, "HTTP 403: the pages refuse the request (they may require HTTPS, or "
			   "deny this user)");
		goto out;
	}
	if (hr->status != 200) {
		web_failed(r, "HTTP %ld", hr->status);
		goto out;
	}
	if ((proof = http_negotiate_finish(c->neg, hr->authenticate, why, sizeof(why))) < 0) {
		web_failed(r, "%s", why);
		goto out;
	}
	/* either way the chain itself crossed in clear HTTP, as the phone
	 * fetches it: the proof names the server, it does not seal the body */
	step_fact(r, "web_enrollment_proof", json_string(proof
		  ? "the server's AP-REP verified (it holds the key of the service's ticket; the "
		    "chain itself came over plain HTTP)"
		  : "none sent (mutual authentication not proved; the chain came over plain HTTP)"));
	if (certsrv_chain_parse(hr->body, hr->body_len, &ch, why, sizeof(why)) < 0) {
		web_failed(r, "%s", why);
		goto out;
	}
	entries = json_array();
	added = add_roots(r, &ch, &entries);
	step_fact(r, "web_enrollment", json_pack("{s:s,s:s,s:o,s:i}", "url", c->url,
		  "form", ch.form, "certificates", entries ? entries : json_null(), "added", (int)added));
	certsrv_chain_free(&ch);
	finish_roots(r, NULL);
out:
	http_stop(c->h);
	c->h = NULL;
}

static void send_get(struct step_run *r)
{
	struct ctx *c = r->ctx;
	struct http_request rq;
	char why[400], *authz;
	enum pb_err err;

	if (!(authz = http_negotiate_start(krb_login_ccache(c->login), krb_login_service(c->login),
					   &c->neg, why, sizeof(why)))) {
		web_failed(r, "%s", why);
		return;
	}
	memset(&rq, 0, sizeof(rq));
	rq.host = c->ca_host;
	rq.addr = c->ca_addr;
	rq.port = 80;
	rq.path = CERTSRV_CHAIN_PATH;
	rq.method = "GET";
	rq.authorization = authz;
	rq.timeout_ms = r->timeout_ms;
	snprintf(c->peer, sizeof(c->peer), "http %s:80", c->ca_host);
	step_exchange(r, c->peer, 1, 0, "GET %s (Negotiate: Kerberos, %s)", CERTSRV_CHAIN_PATH,
		      krb_login_service(c->login));
	step_peer(r, "%s:80", c->ca_addr);
	err = http_start(r->loop, &rq, on_chain, r, &c->h, why, sizeof(why));
	http_negotiate_wipe(authz);                     /* libcurl holds its copy */
	if (err != PB_OK)
		step_internal(r, err, why);
}

static void on_http_ticket(struct krb_login *l, enum pb_cause cause, const char *detail,
			   void *arg)
{
	struct step_run *r = arg;

	(void)l;
	if (cause != PB_CAUSE_NONE) {
		web_failed(r, "no Kerberos ticket for HTTP/%s: %s: %s",
			   ((struct ctx *)r->ctx)->ca_host, pb_cause_str(cause), detail ? detail : "");
		return;
	}
	send_get(r);
}

static void on_ca_a(struct step_run *r, const struct dns_result *res)
{
	struct ctx *c = r->ctx;
	enum pb_cause cause = PB_CAUSE_NONE;
	char service[300], why[300];
	int rc;

	c->q = NULL;
	if (res->cause) {
		web_failed(r, "A %s: %s", c->ca_host, pb_cause_str(res->cause));
		return;
	}
	snprintf(c->ca_addr, sizeof(c->ca_addr), "%s", res->addr[0]);
	snprintf(service, sizeof(service), "HTTP/%s", c->ca_host);
	if (krb_login_has_tgt(c->login)) {
		rc = krb_login_ticket(c->login, r, service, on_http_ticket, r, &cause, why,
				      sizeof(why));
		if (rc == 1 && cause == PB_CAUSE_NONE)
			send_get(r);
		else if (rc == 1)
			web_failed(r, "no Kerberos ticket for %s: %s: %s", service,
				   pb_cause_str(cause), why);
		else if (rc == -1)
			web_failed(r, "no Kerberos ticket for %s: %s", service, why);
		return;             /* 0: under way; -2: the step has ended */
	}
	krb_login_free(c->login);
	c->login = NULL;
	if (!r->o->password || !*r->o->password) {
		web_failed(r, "no password: no Kerberos ticket for %s", service);
		return;
	}
	if (krb_login_start(r, r->o->user, r->o->domain, r->o->password, service, on_http_ticket,
			    r, &c->login, why, sizeof(why)) < 0)
		web_failed(r, "Kerberos not started: %s", why);
}

static void web_deadline(struct step_run *r)
{
	web_failed(r, "no chain within %u ms (%d times --timeout)",
		   WEB_DEADLINE_TIMEOUTS * r->timeout_ms, WEB_DEADLINE_TIMEOUTS);
}

static void start_web(struct step_run *r)
{
	struct ctx *c = r->ctx;

	step_timer(r, (uint64_t)WEB_DEADLINE_TIMEOUTS * r->timeout_ms, web_deadline);
	snprintf(c->url, sizeof(c->url), "http://%s%s", c->ca_host, CERTSRV_CHAIN_PATH);
	if (dev_dns(r, &c->q, c->ca_host, "A", on_ca_a) < 0)
		step_internal(r, PB_ERR_NOMEM, "out of memory for a DNS query");
}

static void cancel(struct step_run *r)
{
	struct ctx *c = r->ctx;

	dir_cancel(c->req);
	c->req = NULL;
	dev_dns_cancel(&c->q);
	c->q = NULL;
	http_stop(c->h);
	c->h = NULL;
	http_negotiate_free(c->neg);
	c->neg = NULL;
	/* after the query (its credentials are the ccache's): the TGT is
	 * the device's now, for the sign-in's service ticket */
	if (krb_login_has_tgt(c->login) && !r->dev->krb) {
		krb_login_cancel(c->login);
		r->dev->krb = c->login;
	} else {
		krb_login_free(c->login);
	}
	c->login = NULL;
}

const struct step_ops step_download_root = {
	.id = PB_STEP_DOWNLOAD_ROOT,
	.ctx_size = sizeof(struct ctx),
	.start = start,
	.cancel = cancel,
};

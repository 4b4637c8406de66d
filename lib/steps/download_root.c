/* Step `download-root`: the CA certificates the domain publishes in its
 * directory (cACertificate under CN=Certification Authorities,CN=Public
 * Key Services,CN=Services,CN=Configuration,<domain DN>, where
 * `certutil -dspublish` puts them), from the DC locate-dc found. */
#include <stdio.h>
#include <string.h>

#include "core/jx.h"
#include "engine/engine.h"
#include "krb/krb.h"
#include "ldap/dir.h"

struct ctx {
	struct dir_req *req;
	struct krb_login *login;     /* a Kerberos device's ticket for ldap/<DC> */
};

static void on_roots(struct dir_result *res, void *arg)
{
	struct step_run *r = arg;
	struct device *d = r->dev;
	json_t *entries;
	size_t i;

	((struct ctx *)r->ctx)->req = NULL;
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
		step_exchange(r, peer, 1, 0, "%s, bind, search cACertificate",
			      speaks_kerberos(r) ? "SASL GSSAPI (Kerberos)"
			      : sasl ? "GSS-SPNEGO (NTLM)" : "StartTLS");
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

static void cancel(struct step_run *r)
{
	struct ctx *c = r->ctx;

	dir_cancel(c->req);
	c->req = NULL;
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

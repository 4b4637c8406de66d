/* Step `download-root`: the CA certificates the domain publishes in its
 * directory (cACertificate under CN=Certification Authorities,CN=Public
 * Key Services,CN=Services,CN=Configuration,<domain DN>, where
 * `certutil -dspublish` puts them), from the DC locate-dc found. */
#include <stdio.h>

#include "core/jx.h"
#include "engine/engine.h"
#include "ldap/dir.h"

struct ctx {
	struct dir_req *req;
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

static void start(struct step_run *r)
{
	struct ctx *c = r->ctx;
	struct device *d = r->dev;
	struct dir_opts dopts = { 0, 0, NULL };

	step_factf(r, "server", "ldap://%s:%u", d->dc_addr, d->dc_port);
	step_peer(r, "ldap://%s:%u", d->dc_addr, d->dc_port);
	{
		char peer[96];

		snprintf(peer, sizeof(peer), "ldap %s:%u", d->dc_addr, d->dc_port);
		step_exchange(r, peer, 1, 0, "StartTLS, bind, search cACertificate");
	}
	dopts.plain_bind = r->o->ldap_plain_bind;
	dopts.tls_ctx = engine_dir_tls_ctx(r->eng);
	if (dir_fetch_roots(r->loop, d->dc_addr, d->dc_port, r->o->domain, r->o->user,
			    r->o->password, &dopts, r->timeout_ms, on_roots, r,
			    &c->req) != PB_OK)
		step_internal(r, PB_ERR_NOMEM, "could not start the directory query");
}

static void cancel(struct step_run *r)
{
	struct ctx *c = r->ctx;

	dir_cancel(c->req);
	c->req = NULL;
}

const struct step_ops step_download_root = {
	.id = PB_STEP_DOWNLOAD_ROOT,
	.ctx_size = sizeof(struct ctx),
	.start = start,
	.cancel = cancel,
};

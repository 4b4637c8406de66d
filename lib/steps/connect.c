/* Step `connect`: TCP, then TLS with only the device's versions, suites
 * and signature algorithms (one SSL_CTX per profile, from the engine),
 * then the device's judgement of the chain: its trust store and its
 * certificate limits. When a server fails, the device tries the next one
 * locate-pool found (RFC 3263 4.3; DESIGN.md's lookup order); every
 * server tried is listed, and the first failure is the step's cause. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/jx.h"
#include "dns/dns.h"
#include "engine/engine.h"
#include "tls/tls.h"

struct ctx {
	struct dev_query *q;
	struct tls_conn *tls;
	json_t *tried;
	enum pb_cause cause;        /* the first server's failure wins */
	char detail[256];
	json_t *also;
	char peer[300];
};

static void attempt(struct step_run *r);

/* The ladder's name of the server being tried. */
static const char *c_peer(struct step_run *r)
{
	struct ctx *c = r->ctx;
	const struct target *t = &r->dev->targets[r->dev->ti];

	snprintf(c->peer, sizeof(c->peer), "sip %s:%u", t->name, t->port);
	return c->peer;
}

static void tried(struct step_run *r, enum pb_cause cause)
{
	struct ctx *c = r->ctx;
	const struct target *t = &r->dev->targets[r->dev->ti];

	/* NULL once out of memory: finish() records it */
	c->tried = jx_push(c->tried, json_pack("{s:o,s:s}", "server",
		json_sprintf("%s:%u (%s)", t->name, t->port, t->addr[0] ? t->addr : "?"),
		"result", cause ? pb_cause_str(cause) : "ok"));
}

static void finish(struct step_run *r, enum pb_cause cause)
{
	struct ctx *c = r->ctx;

	step_fact(r, "servers_tried", c->tried);
	c->tried = NULL;
	if (cause == PB_CAUSE_NONE) {
		json_decref(c->also);
		c->also = NULL;
		step_done(r, PB_CAUSE_NONE, NULL, NULL);
		return;
	}
	step_done(r, c->cause, c->detail, c->also);
	c->also = NULL;
}

/* This server failed: remember the first failure, try the next server. */
static void server_failed(struct step_run *r, enum pb_cause cause, const char *detail,
			  json_t *also)
{
	struct ctx *c = r->ctx;
	struct device *d = r->dev;

	tried(r, cause);
	{
		char peer[300];

		snprintf(peer, sizeof(peer), "sip %s:%u", d->targets[d->ti].name,
			 d->targets[d->ti].port);
		step_exchange(r, peer, 0, 1, "%s", pb_cause_str(cause));
	}
	tls_close(c->tls);
	c->tls = NULL;
	if (!c->cause) {
		c->cause = cause;
		snprintf(c->detail, sizeof(c->detail), "%s", detail ? detail : "");
		c->also = also;
	} else {
		json_decref(also);
	}
	if (++d->ti < d->n_targets) {
		attempt(r);
		return;
	}
	finish(r, cause);
}

static void judge(struct step_run *r)
{
	struct ctx *c = r->ctx;
	struct device *d = r->dev;
	const struct target *t = &d->targets[d->ti];
	struct pb_judge_opts jo = { dev_clock(r), t->name, 1 };
	struct pb_verdict *v = NULL;
	struct pb_chain *chain = NULL;
	json_t *cj, *why, *also;
	size_t i, best = 0;
	enum pb_err rc;

	if (!engine_x509_cache(r->eng)) {
		step_internal(r, PB_ERR_NOMEM, "out of memory for the certificate cache");
		return;
	}
	if ((rc = tls_peer_chain(c->tls, d->trust, engine_x509_cache(r->eng), &chain)) != PB_OK) {
		step_internal(r, rc, "could not read the server's chain");
		return;
	}
	if (!chain) {
		server_failed(r, PB_CAUSE_TLS_HANDSHAKE_FAILED, "the server sent no certificate", NULL);
		return;
	}
	cj = json_array();
	for (i = 0; cj && i < pb_chain_len(chain); i++)
		cj = jx_push(cj, dev_cert_json(pb_chain_cert(chain, i)));
	step_fact(r, "chain", cj);
	step_fact(r, "trusted_root", json_boolean(pb_chain_trusted(chain)));
	rc = pb_judge(chain, r->o->profile, &jo, &v);
	if (rc != PB_OK) {
		pb_chain_free(chain);
		step_internal(r, rc, "could not judge the server's chain");
		return;
	}
	/* the diagnosis reads the first chain judged */
	if (!d->peer_chain)
		d->peer_chain = chain;
	else
		pb_chain_free(chain);
	why = json_array();
	for (i = 0; i < v->n; i++) {
		why = jx_push(why, json_pack("{s:s,s:s}", "cause",
			pb_cause_str(v->findings[i].cause), "text", v->findings[i].text));
		if (dev_cert_rank(v->findings[i].cause) < dev_cert_rank(v->findings[best].cause))
			best = i;
	}
	step_fact(r, "findings", why);
	if (v->usable) {
		pb_verdict_free(v);
		tried(r, PB_CAUSE_NONE);
		d->tls = c->tls;
		c->tls = NULL;
		device_park_tls(d);
		d->have |= HAVE_TLS;
		finish(r, PB_CAUSE_NONE);
		return;
	}
	also = json_array();
	for (i = 0; also && i < v->n; i++)
		also = dev_also_add(also, v->findings[i].cause, v->findings[best].cause);
	if (!also) {
		pb_verdict_free(v);
		step_internal(r, PB_ERR_NOMEM, "out of memory judging the server's chain");
		return;
	}
	{
		enum pb_cause cause = v->findings[best].cause;
		char text[256];

		snprintf(text, sizeof(text), "%s", v->findings[best].text);
		pb_verdict_free(v);
		server_failed(r, cause, text, also);
	}
}

static void on_tls(struct tls_conn *conn, enum tls_event ev, void *arg)
{
	struct step_run *r = arg;

	switch (ev) {
	case TLS_EV_READY:
		step_fact(r, "tls_version", json_string(tls_version(conn)));
		step_fact(r, "cipher", json_string(tls_cipher(conn)));
		step_factf(r, "handshake_ms", "%.1f", tls_handshake_ms(conn));
		if (*tls_unavailable(conn))
			step_fact(r, "suites_not_offered", json_string(tls_unavailable(conn)));
		tls_local_addr(conn, r->dev->local, sizeof(r->dev->local));
		step_exchange(r, c_peer(r), 0, 0, "ServerHello %s %s, Certificate", tls_version(conn),
			      tls_cipher(conn));
		judge(r);
		return;
	case TLS_EV_FAILED:
		if (tls_error(conn) != PB_OK) {
			step_internal(r, tls_error(conn), tls_detail(conn));
			return;
		}
		if (tls_alert(conn) >= 0)
			step_fact(r, "alert", json_integer(tls_alert(conn)));
		if (*tls_unavailable(conn))
			step_fact(r, "suites_not_offered", json_string(tls_unavailable(conn)));
		server_failed(r, tls_cause(conn), tls_detail(conn), NULL);
		return;
	case TLS_EV_DATA:
	case TLS_EV_CLOSED:
		return;             /* nothing is sent before the handshake ends */
	}
}

static void open_tls(struct step_run *r)
{
	struct ctx *c = r->ctx;
	struct device *d = r->dev;
	const struct target *t = &d->targets[d->ti];
	const char *sni = r->o->profile->sni ? t->name : NULL;
	struct sockaddr_in sa;
	struct tls_ctx *x;
	char err[256];

	step_factf(r, "server", "%s:%u (%s)", t->name, t->port, t->addr);
	step_peer(r, "%s:%u", t->addr, t->port);
	snprintf(d->target, sizeof(d->target), "%s:%u", t->name, t->port);
	step_fact(r, "sni", sni ? json_string(sni) : json_null());
	if (uv_ip4_addr(t->addr, (int)t->port, &sa) != 0) {
		server_failed(r, PB_CAUSE_TCP_UNREACHABLE, "not an IPv4 address", NULL);
		return;
	}
	if (!(x = engine_tls_ctx(r->eng, r->o->profile, r->o->keylog_file, err, sizeof(err)))) {
		step_internal(r, PB_ERR_NOMEM, err);
		return;
	}
	step_exchange(r, c_peer(r), 1, 0, "TCP SYN, ClientHello");
	if (tls_connect(r->loop, x, (struct sockaddr *)&sa, sizeof(sa), sni, r->timeout_ms,
			on_tls, r, &c->tls) != PB_OK)
		step_internal(r, PB_ERR_NOMEM, "could not open a socket");
}

static void on_a(struct step_run *r, const struct dns_result *res)
{
	struct ctx *c = r->ctx;
	struct target *t = &r->dev->targets[r->dev->ti];

	c->q = NULL;
	if (res->cause) {
		server_failed(r, res->cause, res->detail, NULL);
		return;
	}
	snprintf(t->addr, sizeof(t->addr), "%s", res->addr[0]);
	open_tls(r);
}

/* The next server: its address first, when locate-pool did not resolve
 * it. */
static void attempt(struct step_run *r)
{
	struct ctx *c = r->ctx;
	const struct target *t = &r->dev->targets[r->dev->ti];
	struct in_addr ia;

	if (t->addr[0] || inet_pton(AF_INET, t->name, &ia) == 1) {
		if (!t->addr[0])
			snprintf(r->dev->targets[r->dev->ti].addr, sizeof(t->addr), "%s", t->name);
		open_tls(r);
		return;
	}
	if (dev_dns(r, &c->q, t->name, "A", on_a) < 0)
		step_internal(r, PB_ERR_NOMEM, "out of memory for a DNS query");
}

static void start(struct step_run *r)
{
	struct ctx *c = r->ctx;

	if (!(c->tried = json_array())) {
		step_internal(r, PB_ERR_NOMEM, "out of memory");
		return;
	}
	attempt(r);
}

static void cancel(struct step_run *r)
{
	struct ctx *c = r->ctx;

	dev_dns_cancel(&c->q);
	c->q = NULL;
	tls_close(c->tls);
	c->tls = NULL;
	json_decref(c->tried);
	json_decref(c->also);
	c->tried = c->also = NULL;
}

const struct step_ops step_connect = {
	.id = PB_STEP_CONNECT,
	.ctx_size = sizeof(struct ctx),
	.start = start,
	.cancel = cancel,
};

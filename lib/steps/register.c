/* Step `register` ("Signed in"): what the registrar's final answer binds
 * (RFC 3261 10.3): the expiry and the contact of a 200, or a redirection
 * to the home pool (301/302, as a Director answers; at most 3), which
 * sends the device back to connect with the new server. With --sign-out,
 * the device then signs out (REGISTER Expires: 0, RFC 3261 10.2.2) in the
 * security association authenticate left it ([MS-SIPAE] 3.1: a later
 * request, signed without a new handshake), and checks the registrar's
 * proof on the answer; Digest answers the registrar's fresh challenge. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "core/jx.h"
#include "core/rd.h"
#include "engine/engine.h"
#include "sip/sip.h"
#include "tls/tls.h"

#define MAX_REDIRECTS 3

struct ctx {
	void *fresh;                /* a mechanism state for a fresh challenge (Digest) */
	int answered;               /* the sign-out answered a challenge */
	char uri[300], from[600];
};

static bool is_port_char(int c)
{
	return c >= '0' && c <= '9';
}

/* Contact URI sip:[user@]host[:port][;params] -> host, port (5061 for
 * TLS when absent, RFC 3263 4.2). 0 or -1. */
static int contact_target(const char *uri, char *host, size_t hl, unsigned *port)
{
	struct rd r = rd_init(uri, strlen(uri));
	struct span scheme, hostport, h, p;
	unsigned long v;

	scheme = rd_take_until(&r, ":");
	if (!rd_take_char(&r, ':') || (!span_ieq(scheme, "sip") && !span_ieq(scheme, "sips")))
		return -1;
	hostport = rd_take_until(&r, ";>?");
	{
		struct rd u = rd_init(hostport.p, hostport.len);
		struct span user = rd_take_until(&u, "@");

		if (rd_take_char(&u, '@'))
			hostport = rd_take_until(&u, "");
		(void)user;
	}
	{
		struct rd hp = rd_init(hostport.p, hostport.len);

		h = rd_take_until(&hp, ":");
		*port = 5061;
		if (rd_take_char(&hp, ':')) {
			p = rd_take_while(&hp, is_port_char);
			if (!rd_eof(&hp) || !span_to_uint(p, 65535, &v) || v == 0)
				return -1;
			*port = (unsigned)v;
		}
	}
	if (h.len == 0 || h.len >= hl)
		return -1;
	memcpy(host, h.p, h.len);
	host[h.len] = '\0';
	return 0;
}

static void redirect(struct step_run *r)
{
	struct device *d = r->dev;
	struct target *t;
	char host[256];
	unsigned port;

	step_factf(r, "redirect", "%s -> %s", d->final.status + 8, d->final.contact);
	if (++d->redirects > MAX_REDIRECTS) {
		step_done(r, PB_CAUSE_SIP_REDIRECT_LOOP, "more than 3 redirections", NULL);
		return;
	}
	if (contact_target(d->final.contact, host, sizeof(host), &port) < 0) {
		step_done(r, PB_CAUSE_SIP_BAD_RESPONSE, "a redirection without a usable Contact", NULL);
		return;
	}
	t = &d->targets[d->ti];
	if (!strcasecmp(host, t->name) && port == t->port) {
		step_done(r, PB_CAUSE_SIP_REDIRECT_LOOP, "redirected to the server itself", NULL);
		return;
	}
	step_trace(r, "redirected to %s:%u", host, port);
	/* the new server is the only one to try; connect resolves it */
	device_drop_tls(d);
	pb_chain_free(d->peer_chain);
	d->peer_chain = NULL;
	memset(&d->targets[0], 0, sizeof(d->targets[0]));
	snprintf(d->targets[0].name, sizeof(d->targets[0].name), "%s", host);
	d->targets[0].port = (unsigned short)port;
	d->n_targets = 1;
	d->ti = 0;
	d->target[0] = '\0';
	d->have |= HAVE_POOL;
	step_done_goto(r, PB_STEP_CONNECT, "redirected");
}

/* ---- sign-out ---- */

static void fill_in(struct step_run *r, struct auth_in *in)
{
	struct ctx *c = r->ctx;

	snprintf(c->uri, sizeof(c->uri), "sip:%s", r->o->domain);
	snprintf(c->from, sizeof(c->from), "sip:%s@%s", r->o->user, r->o->domain);
	memset(in, 0, sizeof(*in));
	in->user = r->o->user;
	in->domain = r->o->domain;
	in->password = r->o->password;
	in->method = "REGISTER";
	in->uri = c->uri;
	in->call_id = r->dev->call_id;
	in->cseq = r->dev->cseq + 1;
	in->from_uri = c->from;
	in->from_tag = r->dev->tag;
	in->to_uri = c->from;
	in->to_tag = "";
	in->expires = "0";
	in->sipae_version = r->o->profile->sipae_version;
	in->ntlm_flags = r->o->profile->ntlm_flags;
	in->client_cert = r->o->client_cert;
	in->profile = r->o->profile;
}

static void signed_in(struct step_run *r)
{
	r->dev->have |= HAVE_REGISTERED;
	step_done(r, PB_CAUSE_NONE, NULL, NULL);
}

static void on_timeout(struct step_run *r)
{
	step_done(r, PB_CAUSE_SIP_TIMEOUT, "no answer to the sign-out within the timeout", NULL);
}

static void send_out(struct step_run *r, const char *header, const char *value)
{
	if (dev_send_register(r, "0", header, value) == 0)
		step_timer(r, (uint64_t)r->timeout_ms * 2, on_timeout);
}

/* A challenge to the sign-out: Digest answers it afresh; an association
 * scheme challenged again has had its signature refused. */
static void challenged(struct step_run *r, const struct sip_response *m)
{
	struct ctx *c = r->ctx;
	const struct auth_mech *mech = r->dev->sa_mech;
	const struct sip_challenge *ch = NULL;
	struct auth_in in;
	struct auth_err e;
	char buf[4096];
	int credentials = 0;
	size_t i;

	if (mech->sign || c->answered) {
		snprintf(buf, sizeof(buf), "the registrar challenged the signed sign-out: it "
			 "did not accept the %s security association%s%s", mech->scheme,
			 m->warning[0] ? "; the registrar says: " : "", m->warning);
		step_done(r, PB_CAUSE_SIP_AUTH_FAILED, buf, NULL);
		return;
	}
	for (i = 0; i < m->n_ch && !ch; i++)
		if (!strcasecmp(m->ch[i].scheme, mech->scheme))
			ch = &m->ch[i];
	if (!ch) {
		step_done(r, PB_CAUSE_SIP_AUTH_FAILED, "the sign-out was challenged with "
			  "another scheme", NULL);
		return;
	}
	if (mech->state_size && !(c->fresh = calloc(1, mech->state_size))) {
		step_internal(r, PB_ERR_NOMEM, "out of memory for the mechanism");
		return;
	}
	memset(&e, 0, sizeof(e));
	fill_in(r, &in);
	switch (mech->answer(c->fresh, &in, ch, buf, sizeof(buf), &credentials, &e)) {
	case AUTH_ANSWER:
		c->answered = 1;
		send_out(r, ch->proxy ? "Proxy-Authorization" : "Authorization", buf);
		break;
	case AUTH_INTERNAL:
		step_internal(r, PB_ERR_NOMEM, e.detail);
		break;
	default:
		step_done(r, e.cause ? e.cause : PB_CAUSE_SIP_AUTH_FAILED, e.detail, NULL);
	}
	explicit_bzero(buf, sizeof(buf));
}

static int take_response(struct step_run *r, const struct sip_response *m)
{
	const struct auth_mech *mech = r->dev->sa_mech;
	struct auth_in in;
	struct auth_err e;
	unsigned cseq = r->dev->cseq;

	if (m->code < 200)
		return 1;
	step_timer(r, 0, NULL);
	{
		char peer[320];

		snprintf(peer, sizeof(peer), "sip %s", r->dev->target);
		step_exchange(r, peer, 0, m->code >= 400 && m->code != 401 && m->code != 407,
			      "%d %s", m->code, m->reason);
	}
	if (m->code == 401 || m->code == 407) {
		challenged(r, m);
		return r->dev->cseq == cseq;
	}
	if (m->code < 200 || m->code >= 300) {
		step_factf(r, "sign_out", "%d %s", m->code, m->reason);
		step_done(r, PB_CAUSE_SIP_BAD_RESPONSE, "the registrar refused the sign-out", NULL);
		return 0;
	}
	if (mech->sign && mech->verify) {
		memset(&e, 0, sizeof(e));
		fill_in(r, &in);
		in.cseq = r->dev->cseq;
		if (mech->verify(r->dev->sa, &in, m, &e) != 0) {
			step_done(r, e.cause ? e.cause : PB_CAUSE_SIP_SIGNATURE_INVALID, e.detail, NULL);
			return 0;
		}
	}
	step_factf(r, "sign_out", "%d %s%s", m->code, m->reason,
		   mech->sign ? (mech->verify ? ", signed in the security association; the "
				 "registrar's proof verified" : ", signed in the security association")
		   : ((struct ctx *)r->ctx)->answered ? ", answering the registrar's fresh challenge"
		   : ", without a challenge");
	signed_in(r);
	return 0;
}

static void on_tls(struct tls_conn *conn, enum tls_event ev, void *arg)
{
	dev_sip_event(arg, conn, ev, take_response);
}

static void sign_out(struct step_run *r)
{
	struct device *d = r->dev;
	struct auth_in in;
	struct auth_err e;
	char buf[4096];

	if (!d->tls || !d->sa_mech) {
		step_fact(r, "sign_out", json_string(d->tls ? "not possible: the registrar "
			  "asked for no authentication" : "not possible: no connection"));
		signed_in(r);
		return;
	}
	tls_set_cb(d->tls, on_tls, r);
	if (!d->sa_mech->sign) {
		send_out(r, NULL, NULL);
		return;
	}
	memset(&e, 0, sizeof(e));
	fill_in(r, &in);
	if (d->sa_mech->sign(d->sa, &in, buf, sizeof(buf), &e) != AUTH_ANSWER) {
		step_internal(r, PB_ERR_INTERNAL, e.detail);
		return;
	}
	send_out(r, "Authorization", buf);
	explicit_bzero(buf, sizeof(buf));
}

static void start(struct step_run *r)
{
	struct device *d = r->dev;

	step_peer(r, "%s", d->target);
	step_fact(r, "status", json_string(d->final.status));
	if (d->final.code == 301 || d->final.code == 302) {
		redirect(r);
		return;
	}
	step_fact(r, "expires", d->final.expires >= 0 ? json_integer(d->final.expires) : json_null());
	step_fact(r, "contact", json_string(d->final.contact));
	if (r->o->sign_out) {
		sign_out(r);
		return;
	}
	signed_in(r);
}

static void cancel(struct step_run *r)
{
	struct ctx *c = r->ctx;

	if (r->dev->tls)
		device_park_tls(r->dev);
	if (c->fresh) {
		if (r->dev->sa_mech && r->dev->sa_mech->clear)
			r->dev->sa_mech->clear(c->fresh);
		free(c->fresh);
		c->fresh = NULL;
	}
}

const struct step_ops step_register = {
	.id = PB_STEP_REGISTER,
	.ctx_size = sizeof(struct ctx),
	.start = start,
	.cancel = cancel,
};

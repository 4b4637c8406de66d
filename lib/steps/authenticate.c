/* Step `authenticate` ("Signing in"): REGISTER (RFC 3261 10), the
 * registrar's challenges and the device's answers, round after round,
 * until the registrar accepts or refuses the credentials. The scheme is
 * the first of the device's, in its order of preference, that the
 * registrar offers; the mechanism (lib/auth/) computes the answers and
 * checks the registrar's own proof. A refusal here is the credentials'
 * fault: a fresh 401/407 after them, or a 403. What the final answer
 * binds (expiry, contact, a redirection) is the register step's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "core/jx.h"
#include "core/rnd.h"
#include "engine/engine.h"
#include "sip/sip.h"
#include "tls/tls.h"

struct ctx {
	const struct auth_mech *mech;
	void *mst;                  /* the mechanism's state */
	int credentials;            /* an answer proved the password */
	int rounds;
};

/* Bound the rounds: a registrar that challenges forever is refusing. */
#define MAX_ROUNDS 4

static void on_timeout(struct step_run *r)
{
	step_done(r, PB_CAUSE_SIP_TIMEOUT, "no SIP response within the timeout", NULL);
}

static void request_uri(const struct step_run *r, char *buf, size_t len)
{
	snprintf(buf, len, "sip:%s", r->o->domain);
}

static void fill_in(const struct step_run *r, struct auth_in *in, char *uri, size_t ulen,
		    char *from, size_t flen)
{
	request_uri(r, uri, ulen);
	snprintf(from, flen, "sip:%s@%s", r->o->user, r->o->domain);
	memset(in, 0, sizeof(*in));
	in->user = r->o->user;
	in->domain = r->o->domain;
	in->password = r->o->password;
	in->method = "REGISTER";
	in->uri = uri;
	in->call_id = r->dev->call_id;
	in->cseq = r->dev->cseq + 1;
	in->from_uri = from;
	in->from_tag = r->dev->tag;
	in->to_uri = from;
	in->to_tag = "";
	in->expires = "3600";
}

static void send_register(struct step_run *r, const char *header, const char *value)
{
	struct device *d = r->dev;
	char msg[6144], branch[33];
	int n;

	rnd_hex(branch, 16);
	d->cseq++;
	n = snprintf(msg, sizeof(msg),
		     "REGISTER sip:%s SIP/2.0\r\n"
		     "Via: SIP/2.0/TLS %s;branch=z9hG4bK%s;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:%s@%s>;tag=%s\r\n"
		     "To: <sip:%s@%s>\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: %u REGISTER\r\n"
		     "Contact: <sip:%s@%s;transport=tls>\r\n"
		     "Expires: 3600\r\n"
		     "User-Agent: phoneboot/0.1.0 (%s)\r\n"
		     "%s%s%s%s"
		     "Content-Length: 0\r\n\r\n",
		     r->o->domain, d->local, branch, r->o->user, r->o->domain, d->tag,
		     r->o->user, r->o->domain, d->call_id, d->cseq, r->o->user, d->local,
		     r->o->profile->id, header ? header : "", header ? ": " : "",
		     header ? value : "", header ? "\r\n" : "");
	if (n <= 0 || (size_t)n >= sizeof(msg)) {
		explicit_bzero(msg, sizeof(msg));
		step_internal(r, PB_ERR_INTERNAL, "the REGISTER does not fit its buffer");
		return;
	}
	{
		char peer[320];

		snprintf(peer, sizeof(peer), "sip %s", d->target);
		step_exchange(r, peer, 1, 0, "REGISTER (CSeq %u)%s%s", d->cseq,
			      header ? ", " : "", header ? header : "");
	}
	if (tls_send(d->tls, msg, (size_t)n) != PB_OK) {
		explicit_bzero(msg, sizeof(msg));
		step_internal(r, PB_ERR_NOMEM, "out of memory sending the REGISTER");
		return;
	}
	explicit_bzero(msg, sizeof(msg));
	step_timer(r, (uint64_t)r->timeout_ms * 2, on_timeout);
}

/* The challenge for the device's preferred scheme among those offered. */
static const struct sip_challenge *choose(struct step_run *r, const struct sip_response *m,
					  unsigned speaks, unsigned *bit)
{
	size_t i, k;

	for (k = 0; auth_preference[k]; k++) {
		if (!(speaks & auth_preference[k]))
			continue;
		for (i = 0; i < m->n_ch; i++)
			if (auth_scheme_bit(m->ch[i].scheme) == auth_preference[k]) {
				*bit = auth_preference[k];
				return &m->ch[i];
			}
	}
	(void)r;
	return NULL;
}

static void answer(struct step_run *r, const struct sip_response *m)
{
	struct ctx *c = r->ctx;
	unsigned speaks = r->o->auth ? r->o->auth : r->o->profile->auth, bit = 0;
	const struct sip_challenge *ch = NULL;
	struct auth_in in;
	struct auth_err e;
	json_t *offered = json_array();
	char buf[4096], speaks_s[96], offered_s[160] = "", uri[300], from[600], desc[300];
	size_t i, off = 0;
	enum auth_status st;

	for (i = 0; i < m->n_ch; i++) {
		offered = jx_push(offered, json_string(m->ch[i].scheme));
		if (off < sizeof(offered_s))
			off += (size_t)snprintf(offered_s + off, sizeof(offered_s) - off, "%s%s",
						i ? ", " : "", m->ch[i].scheme);
	}
	pb_auth_describe(speaks, speaks_s, sizeof(speaks_s));
	step_fact(r, "offered", offered);
	step_fact(r, "device_speaks", json_string(speaks_s));
	step_fact(r, "overridden", json_boolean(r->o->auth != 0));
	if (c->mech) {
		for (i = 0; i < m->n_ch && !ch; i++)
			if (!strcasecmp(m->ch[i].scheme, c->mech->scheme))
				ch = &m->ch[i];
		if (!ch) {
			step_done(r, PB_CAUSE_SIP_AUTH_FAILED, "the registrar answered with a "
				  "challenge of another scheme: the credentials were refused", NULL);
			return;
		}
	} else {
		if (!(ch = choose(r, m, speaks, &bit))) {
			snprintf(buf, sizeof(buf), "the registrar offers %s; the device speaks %s%s",
				 m->n_ch ? offered_s : "no scheme", speaks_s,
				 r->o->auth ? "" : " (--auth SCHEME overrides the profile)");
			step_done(r, PB_CAUSE_SIP_AUTH_SCHEME_UNSUPPORTED, buf, NULL);
			return;
		}
		step_fact(r, "scheme", json_string(ch->scheme));
		if (!(c->mech = auth_mech_of(bit))) {
			snprintf(buf, sizeof(buf), "the device would answer with %s, which "
				 "phoneboot does not speak yet", ch->scheme);
			step_done(r, PB_CAUSE_SIP_AUTH_SCHEME_UNSUPPORTED, buf, NULL);
			return;
		}
		if (c->mech->state_size && !(c->mst = calloc(1, c->mech->state_size))) {
			step_internal(r, PB_ERR_NOMEM, "out of memory for the mechanism");
			return;
		}
	}
	c->mech->describe(ch, desc, sizeof(desc));
	step_fact(r, "challenge", json_string(desc));
	if (++c->rounds > MAX_ROUNDS) {
		step_done(r, PB_CAUSE_SIP_AUTH_FAILED, "the registrar kept challenging: "
			  "the credentials were refused", NULL);
		return;
	}
	memset(&e, 0, sizeof(e));
	fill_in(r, &in, uri, sizeof(uri), from, sizeof(from));
	/* NTLM's algorithms, the engine's (made on the first NTLM answer) */
	if (c->mech == &auth_ntlm && !(in.ntlm_crypto = engine_ntlm_crypto(r->eng))) {
		step_internal(r, PB_ERR_NOMEM, "NTLM: its algorithms could not be had (out of "
			      "memory, or OpenSSL's legacy provider missing)");
		return;
	}
	st = c->mech->answer(c->mst, &in, ch, buf, sizeof(buf), &c->credentials, &e);
	if (st == AUTH_REFUSED) {
		/* a 401 after the answer: what the registrar said is the
		 * reason (OCS: NT_STATUS_ACCOUNT_DISABLED, _WRONG_PASSWORD) */
		snprintf(buf, sizeof(buf), "the registrar challenged the answer again: the "
			 "credentials were refused%s%s", m->warning[0] ? "; the registrar says: " : "",
			 m->warning);
		step_done(r, PB_CAUSE_SIP_AUTH_FAILED, buf, NULL);
	} else if (st == AUTH_INTERNAL) {
		step_internal(r, PB_ERR_NOMEM, e.detail);
	} else if (st == AUTH_FAIL) {
		step_done(r, e.cause ? e.cause : PB_CAUSE_SIP_AUTH_FAILED, e.detail, NULL);
	} else {
		snprintf(r->dev->scheme, sizeof(r->dev->scheme), "%s", c->mech->scheme);
		send_register(r, ch->proxy ? "Proxy-Authorization" : "Authorization", buf);
	}
	explicit_bzero(buf, sizeof(buf));
}

/* The registrar accepted: what it said is the register step's. */
static void accepted(struct step_run *r, const struct sip_response *m, const char *status)
{
	struct ctx *c = r->ctx;
	struct device *d = r->dev;
	struct auth_in in;
	struct auth_err e;
	char uri[300], from[600];

	if (!c->mech) {
		step_fact(r, "scheme", json_string("none (no challenge)"));
	} else if (c->credentials && c->mech->verify) {
		memset(&e, 0, sizeof(e));
		fill_in(r, &in, uri, sizeof(uri), from, sizeof(from));
		in.cseq = d->cseq;
		if (c->mech->verify(c->mst, &in, m, &e) != 0) {
			step_done(r, e.cause ? e.cause : PB_CAUSE_SIP_SIGNATURE_INVALID, e.detail, NULL);
			return;
		}
		step_fact(r, "registrar_proof", json_string("verified"));
	}
	d->final.code = m->code;
	snprintf(d->final.status, sizeof(d->final.status), "%s", status);
	snprintf(d->final.contact, sizeof(d->final.contact), "%s", m->contact);
	d->final.expires = m->contact_expires >= 0 ? m->contact_expires : m->expires;
	d->have |= HAVE_AUTH;
	device_park_tls(d);
	step_done(r, PB_CAUSE_NONE, NULL, NULL);
}

static void on_response(struct step_run *r, const struct sip_response *m)
{
	struct ctx *c = r->ctx;
	char status[160], buf[700];

	snprintf(status, sizeof(status), "SIP/2.0 %d %s", m->code, m->reason);
	{
		char peer[320];

		snprintf(peer, sizeof(peer), "sip %s", r->dev->target);
		/* a challenge is no failure; any other 4xx-6xx is */
		step_exchange(r, peer, 0, m->code >= 400 && m->code != 401 && m->code != 407,
			      "%d %s", m->code, m->reason);
	}
	if (m->code < 200)
		return;                 /* provisional: wait for the final answer */
	step_timer(r, 0, NULL);     /* answered */
	step_fact(r, c->rounds ? "status" : "first_status", json_string(status));
	if (m->server[0])
		step_fact(r, "server_header", json_string(m->server));
	switch (m->code) {
	case 401:
	case 407:
		if (m->warning[0] && c->credentials)
			step_fact(r, "registrar_says", json_string(m->warning));
		answer(r, m);
		return;
	case 403:
		/* what the registrar said tells a wrong password from a
		 * disabled account (Warning, ms-diagnostics) */
		if (m->warning[0])
			step_fact(r, "registrar_says", json_string(m->warning));
		if (c->credentials) {
			snprintf(buf, sizeof(buf), "403 %s after the %s answer: the credentials "
				 "were refused%s%s", m->reason, c->mech->scheme,
				 m->warning[0] ? "; the registrar says: " : "", m->warning);
			step_done(r, PB_CAUSE_SIP_AUTH_FAILED, buf, NULL);
		} else {
			snprintf(buf, sizeof(buf), "403 %s without a challenge%s%s", m->reason,
				 m->warning[0] ? "; the registrar says: " : "", m->warning);
			step_done(r, PB_CAUSE_SIP_FORBIDDEN, buf, NULL);
		}
		return;
	case 404:
		step_done(r, PB_CAUSE_SIP_NOT_FOUND, "404: the registrar does not know this user", NULL);
		return;
	default:
		if ((m->code >= 200 && m->code < 300) || m->code == 301 || m->code == 302) {
			accepted(r, m, status);
			return;
		}
		step_done(r, PB_CAUSE_SIP_BAD_RESPONSE, status, NULL);
	}
}

static void on_tls(struct tls_conn *conn, enum tls_event ev, void *arg)
{
	struct step_run *r = arg;
	const char *buf;
	size_t len;

	switch (ev) {
	case TLS_EV_READY:
		return;
	case TLS_EV_FAILED:
		if (tls_error(conn) != PB_OK)
			step_internal(r, tls_error(conn), tls_detail(conn));
		else
			step_done(r, PB_CAUSE_SIP_BAD_RESPONSE, tls_detail(conn), NULL);
		return;
	case TLS_EV_CLOSED:
		step_done(r, PB_CAUSE_SIP_BAD_RESPONSE, "the server closed the connection", NULL);
		return;
	case TLS_EV_DATA:
		while ((buf = tls_inbuf(conn, &len)) && len) {
			struct sip_response *m = malloc(sizeof(*m));
			char err[128];
			int rc;

			if (!m) {
				step_internal(r, PB_ERR_NOMEM, "out of memory reading a response");
				return;
			}
			rc = sip_parse_response(buf, len, m, err, sizeof(err));
			if (rc <= 0) {
				free(m);
				if (rc < 0)
					step_done(r, PB_CAUSE_SIP_BAD_RESPONSE, err, NULL);
				return;
			}
			tls_consume(conn, m->len);
			if (m->cseq == r->dev->cseq && !strcmp(m->call_id, r->dev->call_id)) {
				struct tls_conn *before = r->dev->tls;
				unsigned cseq = r->dev->cseq;

				on_response(r, m);
				free(m);
				/* over, or a new request is out: leave the rest */
				if (r->dev->tls != before || r->dev->cseq != cseq ||
				    (r->dev->have & HAVE_AUTH))
					return;
				continue;
			}
			free(m);            /* not ours (a stray retransmission) */
		}
		return;
	}
}

static void start(struct step_run *r)
{
	struct device *d = r->dev;

	if (!d->call_id[0]) {
		rnd_hex(d->call_id, 16);
		rnd_hex(d->tag, 8);
	}
	step_peer(r, "%s", d->target);
	tls_set_cb(d->tls, on_tls, r);
	send_register(r, NULL, NULL);
}

static void cancel(struct step_run *r)
{
	struct ctx *c = r->ctx;

	device_park_tls(r->dev);
	if (c->mst) {
		if (c->mech->clear)
			c->mech->clear(c->mst);
		free(c->mst);
		c->mst = NULL;
	}
}

const struct step_ops step_authenticate = {
	.id = PB_STEP_AUTHENTICATE,
	.ctx_size = sizeof(struct ctx),
	.start = start,
	.cancel = cancel,
};

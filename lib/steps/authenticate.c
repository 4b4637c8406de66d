/* Step `authenticate` ("Signing in"): REGISTER (RFC 3261 10), the
 * registrar's challenges and the device's answers, round after round,
 * until the registrar accepts or refuses the credentials. The scheme is
 * the first of the device's, in its order of preference, that the
 * registrar offers; the mechanism (lib/auth/) computes the answers and
 * checks the registrar's own proof. Kerberos first asks the KDC (lib/krb/):
 * the step waits for its answer (AUTH_PENDING, on_resume); when it fails
 * and the device speaks NTLM after Kerberos, NTLM answers the same 401
 * (fall_back). A refusal here is the credentials'
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
	int proxy;                  /* the challenge answered came in a 407 */
	int fell_back;              /* Kerberos failed, NTLM answers */
	/* while Kerberos waits for the KDC: NTLM's challenge in the 401 it
	 * answers, for the fallback (kept compactly, not the whole 401) */
	struct sip_kept *fallback;
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

static void on_resume(struct step_run *r);

static void fill_in(struct step_run *r, struct auth_in *in, char *uri, size_t ulen,
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
	in->sipae_version = r->o->profile->sipae_version;
	in->ntlm_flags = r->o->profile->ntlm_flags;
	in->client_cert = r->o->client_cert;
	in->profile = r->o->profile;
	in->run = r;
	in->resume = on_resume;
}

static void send_register(struct step_run *r, const char *header, const char *value)
{
	if (dev_send_register(r, "3600", header, value) == 0)
		step_timer(r, (uint64_t)r->timeout_ms * 2, on_timeout);
}

/* TLS-DSK and the certificate scheme sign in with a client certificate
 * that the Certificate Provisioning service issues after a first sign-in
 * with the user's password ([MS-OCAUTHWS] 1.3.2, [MS-SIPAE] 4.4): a
 * device booting with a password has none yet, so it passes them over;
 * given that certificate (--client-cert), it answers TLS-DSK. */
#define NEEDS_CLIENT_CERT (PB_AUTH_TLS_DSK | PB_AUTH_CERTIFICATE)

static unsigned lacks_cert(const struct step_run *r)
{
	return r->o->client_cert ? PB_AUTH_CERTIFICATE : NEEDS_CLIENT_CERT;
}

/* The challenge for the device's preferred scheme among those offered:
 * the profile's own order ([device] auth), or, under --auth, the schemes
 * named there, strongest first. */
static const struct sip_challenge *choose(const struct step_run *r,
					  const struct sip_response *m, unsigned *bit)
{
	const unsigned *order = r->o->auth ? auth_preference : r->o->profile->auth_order;
	unsigned speaks = r->o->auth ? r->o->auth : r->o->profile->auth;
	size_t i, k;

	for (k = 0; order[k]; k++) {
		if (!(speaks & order[k]) || (order[k] & lacks_cert(r)))
			continue;
		for (i = 0; i < m->n_ch; i++)
			if (auth_scheme_bit(m->ch[i].scheme) == order[k]) {
				*bit = order[k];
				return &m->ch[i];
			}
	}
	return NULL;
}

/* Whether the registrar offers a scheme the device speaks only once it
 * holds a client certificate. */
static int offered_needing_cert(const struct step_run *r, const struct sip_response *m)
{
	unsigned speaks = r->o->auth ? r->o->auth : r->o->profile->auth;
	size_t i;

	for (i = 0; i < m->n_ch; i++)
		if (auth_scheme_bit(m->ch[i].scheme) & speaks & lacks_cert(r))
			return 1;
	return 0;
}

/* The schemes the device answers with, in the order it tries them. */
static void describe_speaks(const struct step_run *r, char *buf, size_t len)
{
	const unsigned *order = r->o->auth ? auth_preference : r->o->profile->auth_order;
	unsigned speaks = r->o->auth ? r->o->auth : r->o->profile->auth;
	size_t k, off = 0;

	snprintf(buf, len, "none");
	for (k = 0; order[k] && off < len; k++)
		if (speaks & order[k])
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
						pb_auth_str((enum pb_auth)order[k]));
}

static void act(struct step_run *r, enum auth_status st, char *buf, struct auth_err *e,
		const char *warning, const struct sip_challenge *fb);
static const struct sip_challenge *fallback_of(const struct step_run *r,
					       const struct sip_response *m);

/* The mechanism's answer to challenge ch. warning: what the registrar
 * said with it; fb: the challenge NTLM answers should Kerberos fail. */
static void respond(struct step_run *r, const struct sip_challenge *ch, const char *warning,
		    const struct sip_challenge *fb)
{
	struct ctx *c = r->ctx;
	struct auth_in in;
	struct auth_err e;
	char buf[49152 + 1024], uri[300], from[600], desc[300];
	enum auth_status st;

	c->mech->describe(ch, desc, sizeof(desc));
	step_fact(r, "challenge", json_string(desc));
	if (++c->rounds > MAX_ROUNDS) {
		step_done(r, PB_CAUSE_SIP_AUTH_FAILED, "the registrar kept challenging: "
			  "the credentials were refused", NULL);
		return;
	}
	c->proxy = ch->proxy;
	memset(&e, 0, sizeof(e));
	fill_in(r, &in, uri, sizeof(uri), from, sizeof(from));
	/* NTLM's algorithms, the engine's (made on the first NTLM answer) */
	if (c->mech == &auth_ntlm && !(in.ntlm_crypto = engine_ntlm_crypto(r->eng))) {
		step_internal(r, PB_ERR_NOMEM, "NTLM: its algorithms could not be had (out of "
			      "memory, or OpenSSL's legacy provider missing)");
		return;
	}
	st = c->mech->answer(c->mst, &in, ch, buf, sizeof(buf), &c->credentials, &e);
	if (st == AUTH_PENDING) {
		if (fb && !(c->fallback = sip_challenge_keep(fb))) {
			step_internal(r, PB_ERR_NOMEM, "out of memory keeping the challenge");
			return;
		}
		step_trace(r, "%s: waiting for the answer (%s)", c->mech->scheme,
			   c->mech->bit == PB_AUTH_KERBEROS ? "the KDC" : "the network");
		return;
	}
	act(r, st, buf, &e, warning, fb);
	explicit_bzero(buf, sizeof(buf));
}

static void answer(struct step_run *r, const struct sip_response *m)
{
	struct ctx *c = r->ctx;
	unsigned bit = 0;
	const struct sip_challenge *ch = NULL;
	json_t *offered = json_array();
	char buf[700], speaks_s[96], offered_s[160] = "";
	size_t i, off = 0;

	for (i = 0; i < m->n_ch; i++) {
		offered = jx_push(offered, json_string(m->ch[i].scheme));
		if (off < sizeof(offered_s))
			off += (size_t)snprintf(offered_s + off, sizeof(offered_s) - off, "%s%s",
						i ? ", " : "", m->ch[i].scheme);
	}
	describe_speaks(r, speaks_s, sizeof(speaks_s));
	step_fact(r, "offered", offered);
	step_fact(r, "device_speaks", json_string(speaks_s));
	step_fact(r, "overridden", json_boolean(r->o->auth != 0));
	if (c->mech) {
		for (i = 0; i < m->n_ch && !ch; i++)
			if (!strcasecmp(m->ch[i].scheme, c->mech->scheme))
				ch = &m->ch[i];
		if (!ch && m->n_ch_bad) {
			snprintf(buf, sizeof(buf), "the registrar's %s challenge could not be read "
				 "(malformed, or a parameter over %zu bytes)", c->mech->scheme,
				 sizeof(m->ch[0].store));
			step_done(r, PB_CAUSE_SIP_BAD_RESPONSE, buf, NULL);
			return;
		}
		if (!ch) {
			step_done(r, PB_CAUSE_SIP_AUTH_FAILED, "the registrar answered with a "
				  "challenge of another scheme: the credentials were refused", NULL);
			return;
		}
	} else {
		if (!(ch = choose(r, m, &bit))) {
			snprintf(buf, sizeof(buf), "the registrar offers %s; the device speaks %s%s%s",
				 m->n_ch ? offered_s : "no scheme", speaks_s,
				 offered_needing_cert(r, m) ? " (TLS-DSK and certificate sign-in need "
				 "the client certificate a first sign-in with a password provisions)" : "",
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
	respond(r, ch, m->warning, fallback_of(r, m));
}

/* Whether the device answers with NTLM when Kerberos fails: the profile
 * (or --auth) lists NTLM after Kerberos and the registrar offers it. */
static const struct sip_challenge *fallback_of(const struct step_run *r,
					       const struct sip_response *m)
{
	const unsigned *order = r->o->auth ? auth_preference : r->o->profile->auth_order;
	unsigned speaks = r->o->auth ? r->o->auth : r->o->profile->auth;
	size_t i, k;
	int krb_seen = 0;

	if (!m || !(speaks & PB_AUTH_NTLM))
		return NULL;
	for (k = 0; order[k]; k++) {
		if (order[k] == PB_AUTH_KERBEROS)
			krb_seen = 1;
		if (order[k] == PB_AUTH_NTLM && krb_seen)
			for (i = 0; i < m->n_ch; i++)
				if (auth_scheme_bit(m->ch[i].scheme) == PB_AUTH_NTLM)
					return &m->ch[i];
	}
	return NULL;
}

/* Kerberos failed before any answer went out: the device answers the
 * same 401's NTLM challenge ch, on the same connection. */
static int fall_back(struct step_run *r, const struct sip_challenge *ch, const struct auth_err *e)
{
	struct ctx *c = r->ctx;

	if (c->fell_back || c->credentials || !c->mech || c->mech->bit != PB_AUTH_KERBEROS || !ch)
		return 0;
	step_factf(r, "fallback", "Kerberos: %s -> NTLM", pb_cause_str(e->cause));
	step_fact(r, "kerberos_failure", json_string(e->detail));
	if (c->mech->clear)
		c->mech->clear(c->mst);
	free(c->mst);
	c->mst = NULL;
	c->fell_back = 1;
	c->mech = &auth_ntlm;
	if (!(c->mst = calloc(1, c->mech->state_size))) {
		step_internal(r, PB_ERR_NOMEM, "out of memory for the mechanism");
		return 1;
	}
	step_fact(r, "scheme", json_string(ch->scheme));
	c->rounds--;                /* the NTLM round replaces the Kerberos one */
	respond(r, ch, "", NULL);
	return 1;
}

/* What the mechanism's answer (or failure) means for the step. */
static void act(struct step_run *r, enum auth_status st, char *buf, struct auth_err *e,
		const char *warning, const struct sip_challenge *fb)
{
	struct ctx *c = r->ctx;
	char why[700];

	if (st == AUTH_REFUSED) {
		/* a 401 after the answer: what the registrar said is the
		 * reason (OCS: NT_STATUS_ACCOUNT_DISABLED, _WRONG_PASSWORD) */
		snprintf(why, sizeof(why), "the registrar challenged the answer again: the "
			 "credentials were refused%s%s", warning[0] ? "; the registrar says: " : "",
			 warning);
		step_done(r, PB_CAUSE_SIP_AUTH_FAILED, why, NULL);
	} else if (st == AUTH_INTERNAL) {
		step_internal(r, PB_ERR_INTERNAL, e->detail);
	} else if (st == AUTH_FAIL) {
		if (fall_back(r, fb, e))
			return;
		step_done(r, e->cause ? e->cause : PB_CAUSE_SIP_AUTH_FAILED, e->detail, NULL);
	} else {
		snprintf(r->dev->scheme, sizeof(r->dev->scheme), "%s", c->mech->scheme);
		send_register(r, c->proxy ? "Proxy-Authorization" : "Authorization", buf);
	}
}

/* The mechanism's network work is done: its answer. */
static void on_resume(struct step_run *r)
{
	struct ctx *c = r->ctx;
	struct sip_kept *kept = c->fallback;
	struct sip_challenge *fb = NULL;
	struct auth_in in;
	struct auth_err e;
	char buf[49152 + 1024], uri[300], from[600];
	enum auth_status st;

	c->fallback = NULL;
	if (kept && (fb = malloc(sizeof(*fb))))
		sip_challenge_unkeep(kept, fb);
	free(kept);
	if (kept && !fb) {
		step_internal(r, PB_ERR_NOMEM, "out of memory for the kept challenge");
		return;
	}
	memset(&e, 0, sizeof(e));
	fill_in(r, &in, uri, sizeof(uri), from, sizeof(from));
	st = c->mech->resume ? c->mech->resume(c->mst, &in, buf, sizeof(buf), &c->credentials, &e)
			     : AUTH_INTERNAL;
	if (st == AUTH_PENDING) {
		st = AUTH_INTERNAL;
		snprintf(e.detail, sizeof(e.detail), "the mechanism is pending again");
	}
	act(r, st, buf, &e, "", fb);
	explicit_bzero(buf, sizeof(buf));
	free(fb);
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
	/* the device keeps the association for its later requests */
	if (c->mech && c->credentials) {
		d->sa_mech = c->mech;
		d->sa = c->mst;
		c->mst = NULL;
	}
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

/* One response to the last REGISTER: 1 to read on, 0 when the step is
 * over or sent a new request. */
static int take_response(struct step_run *r, const struct sip_response *m)
{
	struct tls_conn *before = r->dev->tls;
	unsigned cseq = r->dev->cseq;

	on_response(r, m);
	return r->dev->tls == before && r->dev->cseq == cseq && !(r->dev->have & HAVE_AUTH);
}

static void on_tls(struct tls_conn *conn, enum tls_event ev, void *arg)
{
	dev_sip_event(arg, conn, ev, take_response);
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
	free(c->fallback);
	c->fallback = NULL;
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

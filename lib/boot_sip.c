/* connect, authenticate and register: TLS as the device, its judgement of
 * the chain, SIP REGISTER with Digest (RFC 3261 10, RFC 7616). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "boot_int.h"

/* ---- connect: TCP, TLS as the device, then the device's judgement ---- */

static int cause_rank(enum pb_cause c)
{
	/* the order the device checks: trust, then its limits, then the name */
	switch (c) {
	case PB_CAUSE_CERT_UNTRUSTED_ROOT:
	case PB_CAUSE_CERT_CHAIN_INCOMPLETE: return 0;
	case PB_CAUSE_CERT_NAME_MISMATCH:
	case PB_CAUSE_CERT_WILDCARD_UNSUPPORTED: return 2;
	default: return 1;
	}
}

static void judge_peer(struct boot *b)
{
	struct pb_judge_opts jo = { b->o->now, b->pool_name, 1 };
	struct pb_verdict *v = NULL;
	json_t *chain = json_array(), *why = json_array(), *also = json_array();
	size_t i, best = 0;

	b->peer_chain = tls_peer_chain(b->tls, b->trust);
	if (!b->peer_chain) {
		step_fail(b, PB_CAUSE_TLS_HANDSHAKE_FAILED, "the server sent no certificate", NULL);
		return;
	}
	for (i = 0; i < pb_chain_len(b->peer_chain); i++)
		json_array_append_new(chain, cert_json(pb_chain_cert(b->peer_chain, i)));
	step_fact(b, "chain", chain);
	step_fact(b, "trusted_root", json_boolean(pb_chain_trusted(b->peer_chain)));
	if (pb_judge(b->peer_chain, b->o->profile, &jo, &v) != PB_OK) {
		step_fail(b, PB_CAUSE_CERT_MALFORMED, "out of memory", NULL);
		return;
	}
	for (i = 0; i < v->n; i++) {
		json_array_append_new(why, json_pack("{s:s,s:s}", "cause",
			pb_cause_str(v->findings[i].cause), "text", v->findings[i].text));
		if (cause_rank(v->findings[i].cause) < cause_rank(v->findings[best].cause))
			best = i;
	}
	step_fact(b, "findings", why);
	if (v->usable) {
		pb_verdict_free(v);
		json_decref(also);
		step_end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
		s_authenticate(b);
		return;
	}
	for (i = 0; i < v->n; i++)
		also_add(also, v->findings[i].cause, v->findings[best].cause);
	{
		enum pb_cause c = v->findings[best].cause;
		char text[256];

		snprintf(text, sizeof(text), "%s", v->findings[best].text);
		pb_verdict_free(v);
		step_fail(b, c, text, also);
	}
}

static void on_sip_event(struct tls_conn *c, enum tls_event ev, void *arg);

void s_connect(struct boot *b)
{
	const struct pb_profile *p = b->o->profile;
	struct tls_params tp;
	struct sockaddr_in sa;

	step_begin(b, PB_STEP_CONNECT);
	step_factf(b, "server", "%s:%u (%s)", b->pool_name, b->pool_port, b->pool_addr);
	memset(&tp, 0, sizeof(tp));
	tp.versions = p->tls_versions;
	tp.ciphers = (const char *const *)p->ciphers;
	tp.n_ciphers = p->n_ciphers;
	tp.sigalgs = p->n_sigalgs ? (const char *const *)p->sigalgs : NULL;
	tp.n_sigalgs = p->n_sigalgs;
	tp.sni = p->sni ? b->pool_name : NULL;
	tp.timeout_ms = b->timeout_ms;
	step_fact(b, "sni", tp.sni ? json_string(tp.sni) : json_null());
	if (uv_ip4_addr(b->pool_addr, (int)b->pool_port, &sa) != 0) {
		step_fail(b, PB_CAUSE_TCP_UNREACHABLE, "not an IPv4 address", NULL);
		return;
	}
	if (tls_connect(b->loop, (struct sockaddr *)&sa, sizeof(sa), &tp, on_sip_event, b,
			&b->tls) != PB_OK) {
		step_fail(b, PB_CAUSE_TCP_UNREACHABLE, "could not open a socket", NULL);
		return;
	}
}

/* ---- authenticate and register: SIP REGISTER (RFC 3261 10) ---- */

static void on_sip_timeout(uv_timer_t *t)
{
	struct boot *b = t->data;

	step_fail(b, PB_CAUSE_SIP_TIMEOUT, "no SIP response within the timeout", NULL);
}

static void send_register(struct boot *b, const char *authorization)
{
	char msg[4096], branch[33];
	int n;

	rnd_hex(branch, 16);
	b->cseq++;
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
		     "%s%s%s"
		     "Content-Length: 0\r\n\r\n",
		     b->o->domain, b->local, branch, b->o->user, b->o->domain, b->tag,
		     b->o->user, b->o->domain, b->call_id, b->cseq, b->o->user, b->local,
		     b->o->profile->id,
		     authorization ? "Authorization: " : "",
		     authorization ? authorization : "", authorization ? "\r\n" : "");
	if (n > 0 && (size_t)n < sizeof(msg))
		tls_send(b->tls, msg, (size_t)n);
	explicit_bzero(msg, sizeof(msg));
	uv_timer_start(&b->timer, on_sip_timeout, b->timeout_ms * 2, 0);
}

static unsigned scheme_bit(const char *s)
{
	if (!strcasecmp(s, "Digest")) return PB_AUTH_DIGEST;
	if (!strcasecmp(s, "NTLM")) return PB_AUTH_NTLM;
	if (!strcasecmp(s, "Kerberos") || !strcasecmp(s, "Negotiate")) return PB_AUTH_KERBEROS;
	if (!strcasecmp(s, "TLS-DSK")) return PB_AUTH_TLS_DSK;
	return 0;
}

static void answer_challenge(struct boot *b, const struct sip_response *m)
{
	unsigned speaks = b->o->auth ? b->o->auth : b->o->profile->auth;
	const struct sip_challenge *ch = NULL;
	json_t *offered = json_array();
	char buf[1024], cnonce[33], speaks_s[96], uri[300];
	size_t i;

	for (i = 0; i < m->n_ch; i++) {
		json_array_append_new(offered, json_string(m->ch[i].scheme));
		if (!ch && (scheme_bit(m->ch[i].scheme) & speaks))
			ch = &m->ch[i];
	}
	pb_auth_describe(speaks, speaks_s, sizeof(speaks_s));
	step_fact(b, "offered", offered);
	step_fact(b, "device_speaks", json_string(speaks_s));
	step_fact(b, "overridden", json_boolean(b->o->auth != 0));
	if (!ch) {
		snprintf(buf, sizeof(buf), "the registrar offers no scheme the device "
			 "speaks (%s)%s", speaks_s,
			 b->o->auth ? "" : "; --auth SCHEME overrides the profile");
		step_fail(b, PB_CAUSE_SIP_AUTH_SCHEME_UNSUPPORTED, buf, NULL);
		return;
	}
	step_fact(b, "scheme", json_string(ch->scheme));
	if (scheme_bit(ch->scheme) != PB_AUTH_DIGEST) {
		snprintf(buf, sizeof(buf), "the device would answer with %s, which "
			 "phoneboot does not speak yet", ch->scheme);
		step_fail(b, PB_CAUSE_SIP_AUTH_SCHEME_UNSUPPORTED, buf, NULL);
		return;
	}
	step_factf(b, "challenge", "realm=\"%s\" algorithm=%s qop=%s%s", ch->realm,
	      ch->algorithm, ch->qop_auth ? "auth" : "(none)", ch->stale ? " stale" : "");
	if (!b->o->password) {
		step_fail(b, PB_CAUSE_SIP_AUTH_FAILED, "no password was given", NULL);
		return;
	}
	rnd_hex(cnonce, 16);
	snprintf(uri, sizeof(uri), "sip:%s", b->o->domain);   /* the Request-URI */
	if (sip_digest_answer(ch, b->o->user, b->o->password, "REGISTER", uri, ++b->nc,
			      cnonce, buf, sizeof(buf)) != 0) {
		snprintf(buf, sizeof(buf), "Digest algorithm %s is not supported", ch->algorithm);
		step_fail(b, PB_CAUSE_SIP_AUTH_SCHEME_UNSUPPORTED, buf, NULL);
		return;
	}
	snprintf(b->scheme, sizeof(b->scheme), "%s", ch->scheme);
	b->challenged = 1;
	send_register(b, buf);
	explicit_bzero(buf, sizeof(buf));
	if (b->step == PB_STEP_AUTHENTICATE) {
		step_end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
		step_begin(b, PB_STEP_REGISTER);
	}
}

/* Contact URI sip:[user@]host[:port][;params] -> host, port */
static int contact_target(const char *uri, char *host, size_t hl, unsigned *port)
{
	const char *p = uri, *end;
	size_t n;

	if (!strncasecmp(p, "sips:", 5))
		p += 5;
	else if (!strncasecmp(p, "sip:", 4))
		p += 4;
	else
		return -1;
	if (strchr(p, '@') && strchr(p, '@') < p + strcspn(p, ";>"))
		p = strchr(p, '@') + 1;
	n = strcspn(p, ":;>");
	if (n == 0 || n >= hl)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	*port = 5061;
	if (p[n] == ':') {
		char *e;
		unsigned long v = strtoul(p + n + 1, &e, 10);
		end = e;
		if (v == 0 || v > 65535 || (end && *end && !strchr(";>", *end)))
			return -1;
		*port = (unsigned)v;
	}
	return 0;
}

static void on_redirect_a(const struct dns_result *r, void *arg)
{
	struct boot *b = arg;

	if (r->cause) {
		step_fail(b, r->cause, r->detail, NULL);
		return;
	}
	snprintf(b->pool_addr, sizeof(b->pool_addr), "%s", r->addr[0]);
	snprintf(b->target, sizeof(b->target), "%s:%u", b->pool_name, b->pool_port);
	step_end(b, "ok", PB_CAUSE_NONE, "redirected", NULL);
	s_connect(b);
}

static void redirect(struct boot *b, const struct sip_response *m)
{
	char host[256];
	unsigned port;
	struct in_addr ia;

	step_factf(b, "redirect", "%d %s -> %s", m->code, m->reason, m->contact);
	if (++b->redirects > MAX_REDIRECTS) {
		step_fail(b, PB_CAUSE_SIP_REDIRECT_LOOP, "more than 3 redirections", NULL);
		return;
	}
	if (contact_target(m->contact, host, sizeof(host), &port) < 0) {
		step_fail(b, PB_CAUSE_SIP_BAD_RESPONSE, "a redirection without a usable Contact", NULL);
		return;
	}
	if (!strcasecmp(host, b->pool_name) && port == b->pool_port) {
		step_fail(b, PB_CAUSE_SIP_REDIRECT_LOOP, "redirected to the server itself", NULL);
		return;
	}
	tls_close(b->tls);
	b->tls = NULL;
	pb_chain_free(b->peer_chain);
	b->peer_chain = NULL;
	snprintf(b->pool_name, sizeof(b->pool_name), "%s", host);
	b->pool_port = port;
	b->challenged = 0;
	b->nc = 0;
	if (inet_pton(AF_INET, host, &ia) == 1) {
		struct dns_result r;

		memset(&r, 0, sizeof(r));
		snprintf(r.addr[0], sizeof(r.addr[0]), "%s", host);
		r.n_addr = 1;
		on_redirect_a(&r, b);
		return;
	}
	dns_query(b->dns, host, "A", on_redirect_a, b);
}

static void on_response(struct boot *b, const struct sip_response *m)
{
	char status[160];

	snprintf(status, sizeof(status), "SIP/2.0 %d %s", m->code, m->reason);
	if (m->code < 200)
		return;                 /* provisional: wait for the final answer */
	uv_timer_stop(&b->timer);
	json_object_set_new(b->facts, b->challenged ? "status" : "first_status",
			    json_string(status));
	if (m->server[0])
		step_fact(b, "server_header", json_string(m->server));
	switch (m->code) {
	case 200: {
		long exp = m->contact_expires >= 0 ? m->contact_expires : m->expires;

		if (b->step == PB_STEP_AUTHENTICATE) {
			/* no challenge: authenticated by the transport */
			step_fact(b, "scheme", json_string("none (no challenge)"));
			step_end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
			step_begin(b, PB_STEP_REGISTER);
			step_fact(b, "status", json_string(status));
		}
		step_fact(b, "expires", exp >= 0 ? json_integer(exp) : json_null());
		step_fact(b, "contact", json_string(m->contact));
		step_end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
		cycle_end(b, 1);
		return;
	}
	case 401:
	case 407:
		if (b->challenged) {
			size_t i;
			int stale = 0;

			for (i = 0; i < m->n_ch; i++)
				stale |= m->ch[i].stale;
			if (stale && !b->stale_retry++) {
				answer_challenge(b, m);
				return;
			}
			step_fail(b, PB_CAUSE_SIP_AUTH_FAILED, "the registrar challenged the "
			     "answer again: the credentials were refused", NULL);
			return;
		}
		answer_challenge(b, m);
		return;
	case 403:
		step_fail(b, b->challenged ? PB_CAUSE_SIP_AUTH_FAILED : PB_CAUSE_SIP_FORBIDDEN,
		     b->challenged ? "403 Forbidden after the Digest answer: the "
		     "credentials were refused" : "403 Forbidden without a challenge", NULL);
		return;
	case 404:
		step_fail(b, PB_CAUSE_SIP_NOT_FOUND, "404: the registrar does not know this user", NULL);
		return;
	case 301:
	case 302:
		redirect(b, m);
		return;
	default:
		step_fail(b, PB_CAUSE_SIP_BAD_RESPONSE, status, NULL);
	}
}

static void on_sip_event(struct tls_conn *c, enum tls_event ev, void *arg)
{
	struct boot *b = arg;
	const char *buf;
	size_t len;

	switch (ev) {
	case TLS_EV_READY:
		step_fact(b, "tls_version", json_string(tls_version(c)));
		step_fact(b, "cipher", json_string(tls_cipher(c)));
		step_factf(b, "handshake_ms", "%.1f", tls_handshake_ms(c));
		if (*tls_unavailable(c))
			step_fact(b, "suites_not_offered", json_string(tls_unavailable(c)));
		tls_local_addr(c, b->local, sizeof(b->local));
		judge_peer(b);
		return;
	case TLS_EV_FAILED:
		if (b->step == PB_STEP_CONNECT) {
			if (tls_alert(c) >= 0)
				step_fact(b, "alert", json_integer(tls_alert(c)));
			if (*tls_unavailable(c))
				step_fact(b, "suites_not_offered", json_string(tls_unavailable(c)));
			step_fail(b, tls_cause(c), tls_detail(c), NULL);
		} else {
			uv_timer_stop(&b->timer);
			step_fail(b, PB_CAUSE_SIP_BAD_RESPONSE, tls_detail(c), NULL);
		}
		return;
	case TLS_EV_CLOSED:
		uv_timer_stop(&b->timer);
		step_fail(b, PB_CAUSE_SIP_BAD_RESPONSE, "the server closed the connection", NULL);
		return;
	case TLS_EV_DATA:
		while ((buf = tls_inbuf(c, &len)) && len) {
			struct sip_response m;
			char err[128];
			int r = sip_parse_response(buf, len, &m, err, sizeof(err));

			if (r == 0)
				return;
			if (r < 0) {
				uv_timer_stop(&b->timer);
				step_fail(b, PB_CAUSE_SIP_BAD_RESPONSE, err, NULL);
				return;
			}
			tls_consume(c, m.len);
			if (m.cseq != b->cseq || strcmp(m.call_id, b->call_id))
				continue;      /* not ours (a stray retransmission) */
			on_response(b, &m);
			if (b->tls != c)
				return;        /* the cycle ended or moved on */
		}
		return;
	}
}

void s_authenticate(struct boot *b)
{
	step_begin(b, PB_STEP_AUTHENTICATE);
	b->challenged = 0;
	b->stale_retry = 0;
	send_register(b, NULL);
}


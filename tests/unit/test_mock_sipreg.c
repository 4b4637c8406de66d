/* The mock registrar (tests/mock/sipreg.c), driven by the project's own TLS
 * client (lib/tls) and response parser (lib/sip) on one libuv loop, each
 * run bounded by a timer. The Digest answers come from lib/auth's
 * digest_response;
 * the mock checks them with its own verifier, whose MD5 is held to the
 * RFC 7616 and RFC 2617 published responses here. The certificate is the
 * fixture leaf-sha256 (tests/fixtures/mkfixtures.sh, in $PB_FIXTURES). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "phoneboot/profile.h"
#include "auth/auth.h"
#include "sip/sip.h"
#include "tls/tls.h"
#include "../mock/sipreg.h"

#define MAX_RESP 8

struct run {
	uv_loop_t loop;
	uv_timer_t guard;
	struct sipreg *mock;
	struct tls_ctx *ctx;
	struct tls_conn *tls;
	/* what the client does */
	const char *user, *password;
	unsigned versions;          /* enum pb_tls_version bits; 0: all */
	int answer;                 /* answer a Digest challenge */
	const char *raw;            /* bytes to send instead of a REGISTER */
	size_t raw_len;
	size_t want;                /* stop after this many responses; 0: a final one */
	unsigned cseq, nc;
	/* what it saw */
	int failed, closed, bad;
	enum pb_cause cause;
	int codes[MAX_RESP];
	size_t n;
	unsigned stale;             /* 401s with a Digest challenge stale=true */
	struct sip_response first, last;
	char text[8192];            /* the last response, as received */
};

static char cert[512], key[512], root[512];

static void conf_init(struct sipreg_conf *c, enum sipreg_mode mode)
{
	const char *dir = getenv("PB_FIXTURES") ? getenv("PB_FIXTURES") : "build/fixtures";

	snprintf(cert, sizeof(cert), "%s/leaf-sha256.pem", dir);
	snprintf(key, sizeof(key), "%s/work/leaf-sha256.key", dir);
	snprintf(root, sizeof(root), "%s/root-sha256-rsa4096.pem", dir);
	memset(c, 0, sizeof(*c));
	c->cert_pem = cert;
	c->key_pem = key;
	c->chain_pem = root;
	c->mode = mode;
	c->user = "alice";
	c->password = "secret";
}

/* A challenge parameter, "" when absent. */
static const char *param(const struct sip_challenge *ch, const char *name)
{
	const char *v = sip_param(ch, name);

	return v ? v : "";
}

static void send_register(struct run *r, const char *authorization)
{
	char msg[4096];
	int n;

	r->cseq++;
	n = snprintf(msg, sizeof(msg),
		     "REGISTER sip:corp.example SIP/2.0\r\n"
		     "Via: SIP/2.0/TLS 127.0.0.1:5555;branch=z9hG4bKtest%u;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:%s@corp.example>;tag=fromtag\r\n"
		     "To: <sip:%s@corp.example>\r\n"
		     "Call-ID: call-1@test\r\n"
		     "CSeq: %u REGISTER\r\n"
		     "Contact: <sip:%s@127.0.0.1:5555;transport=tls>\r\n"
		     "Expires: 3600\r\n"
		     "%s%s%s"
		     "Content-Length: 0\r\n\r\n",
		     r->cseq, r->user, r->user, r->cseq, r->user,
		     authorization ? "Authorization: " : "",
		     authorization ? authorization : "", authorization ? "\r\n" : "");
	assert_true(n > 0 && (size_t)n < sizeof(msg));
	assert_int_equal(tls_send(r->tls, msg, (size_t)n), PB_OK);
}

/* Answer the Digest challenge of m, as the boot does; 0, or -1 if none. */
static int answer(struct run *r, const struct sip_response *m)
{
	char auth[1024];
	size_t i;

	for (i = 0; i < m->n_ch; i++) {
		if (strcmp(m->ch[i].scheme, "Digest"))
			continue;
		assert_int_equal(digest_response(&m->ch[i], r->user, r->password, "REGISTER",
						   "sip:corp.example", ++r->nc, "0a4f113b",
						   auth, sizeof(auth)), 0);
		send_register(r, auth);
		return 0;
	}
	return -1;
}

static void on_response(struct run *r, const struct sip_response *m, const char *text)
{
	snprintf(r->text, sizeof(r->text), "%.*s", (int)m->len, text);
	if (!r->n)
		r->first = *m;
	r->last = *m;
	if (r->n < MAX_RESP)
		r->codes[r->n++] = m->code;
	if (m->code == 401 && m->n_ch && !strcasecmp(param(&m->ch[0], "stale"), "true"))
		r->stale++;
	if (r->want && r->n >= r->want) {
		uv_stop(&r->loop);
		return;
	}
	if (m->code == 401 && r->answer && r->n < 4 && answer(r, m) == 0)
		return;
	if (!r->want && m->code >= 200)
		uv_stop(&r->loop);
}

static void on_event(struct tls_conn *c, enum tls_event ev, void *arg)
{
	struct run *r = arg;
	size_t round;

	switch (ev) {
	case TLS_EV_READY:
		if (r->raw)
			assert_int_equal(tls_send(c, r->raw, r->raw_len), PB_OK);
		else
			send_register(r, NULL);
		break;
	case TLS_EV_DATA:
		for (round = 0; round < MAX_RESP; round++) {
			struct sip_response m;
			char err[128];
			size_t len;
			const char *buf = tls_inbuf(c, &len);
			int k = sip_parse_response(buf, len, &m, err, sizeof(err));

			if (k == 0)
				break;
			if (k < 0) {
				r->bad = 1;
				tls_consume(c, len);
				uv_stop(&r->loop);
				break;
			}
			on_response(r, &m, buf);
			tls_consume(c, m.len);
		}
		break;
	case TLS_EV_FAILED:
		r->failed = 1;
		r->cause = tls_cause(c);
		uv_stop(&r->loop);
		break;
	case TLS_EV_CLOSED:
		r->closed = 1;
		uv_stop(&r->loop);
		break;
	}
}

static void on_guard(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static void run_begin(struct run *r, const struct sipreg_conf *c)
{
	memset(r, 0, sizeof(*r));
	r->user = "alice";
	r->password = "secret";
	r->answer = 1;
	assert_int_equal(uv_loop_init(&r->loop), 0);
	assert_int_equal(uv_timer_init(&r->loop, &r->guard), 0);
	assert_int_equal(sipreg_start(&r->loop, c, &r->mock), 0);
	assert_true(sipreg_port(r->mock) > 0);
}

/* A new client connection (the previous one, if any, closed); what it saw
 * is reset. */
static void run_connect(struct run *r)
{
	struct tls_params tp;
	struct sockaddr_in sa;
	char err[256];

	tls_close(r->tls);
	r->tls = NULL;
	tls_ctx_free(r->ctx);           /* no connection uses it any more */
	r->ctx = NULL;
	r->failed = r->closed = r->bad = 0;
	r->n = 0;
	r->cause = PB_CAUSE_NONE;
	memset(&tp, 0, sizeof(tp));
	tp.versions = r->versions;
	assert_int_equal(tls_ctx_new(&tp, NULL, &r->ctx, err, sizeof(err)), PB_OK);
	assert_int_equal(uv_ip4_addr("127.0.0.1", sipreg_port(r->mock), &sa), 0);
	assert_int_equal(tls_connect(&r->loop, r->ctx, (struct sockaddr *)&sa, sizeof(sa),
				     NULL, 2000, on_event, r, &r->tls), PB_OK);
}

/* Run until the client is done, or ms at most. */
static void run_for(struct run *r, unsigned ms)
{
	uv_timer_start(&r->guard, on_guard, ms, 0);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	uv_timer_stop(&r->guard);
}

static void run_end(struct run *r)
{
	int round;

	tls_close(r->tls);
	sipreg_stop(r->mock);
	uv_close((uv_handle_t *)&r->guard, NULL);
	for (round = 0; round < 100 && uv_loop_alive(&r->loop); round++)
		uv_run(&r->loop, UV_RUN_NOWAIT);
	tls_ctx_free(r->ctx);
	assert_int_equal(uv_loop_close(&r->loop), 0);   /* every handle closed */
}

/* One REGISTER exchange against a mock in mode; the run is left open. */
static void exchange(struct run *r, const struct sipreg_conf *c)
{
	run_begin(r, c);
	run_connect(r);
	run_for(r, 3000);
}

static void assert_codes(const struct run *r, size_t n, const int *codes)
{
	size_t i;

	assert_int_equal(r->n, n);
	for (i = 0; i < n; i++)
		assert_int_equal(r->codes[i], codes[i]);
}

/* RFC 7616 3.9.1 (MD5, qop=auth) and RFC 2617 3.5: the published answers */
static void digest_vectors(void **st)
{
	char out[33];

	(void)st;
	assert_int_equal(sipreg_digest_md5("Mufasa", "http-auth@example.org", "Circle of Life",
		"GET", "/dir/index.html", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
		"00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth", out), 0);
	assert_string_equal(out, "8ca523f5e9506fed4657c9700eebdbec");
	assert_int_equal(sipreg_digest_md5("Mufasa", "testrealm@host.com", "Circle Of Life",
		"GET", "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093",
		"00000001", "0a4f113b", "auth", out), 0);
	assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
}

static void digest_accepts(void **st)
{
	static const int want[] = { 401, 200 };
	struct sipreg_conf c;
	struct run r;

	(void)st;
	conf_init(&c, SIPREG_DIGEST);
	exchange(&r, &c);
	assert_codes(&r, 2, want);
	assert_int_equal(r.stale, 0);
	/* the challenge, as configured */
	assert_int_equal(r.first.n_ch, 1);
	assert_string_equal(r.first.ch[0].scheme, "Digest");
	assert_string_equal(param(&r.first.ch[0], "realm"), "corp.example");
	assert_string_equal(param(&r.first.ch[0], "algorithm"), "MD5");
	assert_string_equal(param(&r.first.ch[0], "qop"), "auth");
	assert_string_equal(param(&r.first.ch[0], "stale"), "");
	assert_int_equal(strlen(param(&r.first.ch[0], "nonce")), 32);
	/* the binding (RFC 3261 10.3) */
	assert_string_equal(r.last.contact, "sip:alice@127.0.0.1:5555;transport=tls");
	assert_int_equal(r.last.contact_expires, 3600);
	assert_int_equal(r.last.expires, 3600);
	/* RFC 3261 8.2.6.2: copied from the request, To with a tag */
	assert_non_null(strstr(r.text, "\r\nVia: SIP/2.0/TLS 127.0.0.1:5555;branch=z9hG4bKtest2;rport\r\n"));
	assert_non_null(strstr(r.text, "\r\nFrom: <sip:alice@corp.example>;tag=fromtag\r\n"));
	assert_non_null(strstr(r.text, "\r\nTo: <sip:alice@corp.example>;tag="));
	assert_string_equal(r.last.call_id, "call-1@test");
	assert_int_equal(r.last.cseq, 2);
	assert_string_equal(r.last.cseq_method, "REGISTER");
	/* what the mock recorded */
	assert_int_equal(sipreg_requests(r.mock), 2);
	assert_int_equal(sipreg_connections(r.mock), 1);
	assert_int_equal(strncmp(sipreg_last_authorization(r.mock), "Digest ", 7), 0);
	assert_non_null(strstr(sipreg_last_authorization(r.mock), "username=\"alice\""));
	assert_string_equal(sipreg_last_from(r.mock), "<sip:alice@corp.example>;tag=fromtag");
	run_end(&r);
}

static void digest_refuses(void **st)
{
	static const int wrong_pw[] = { 401, 403 }, unknown[] = { 401, 404 };
	struct sipreg_conf c;
	struct run r;

	(void)st;
	conf_init(&c, SIPREG_DIGEST);
	run_begin(&r, &c);
	r.password = "Secret";
	run_connect(&r);
	run_for(&r, 3000);
	assert_codes(&r, 2, wrong_pw);
	assert_int_equal(sipreg_requests(r.mock), 2);
	run_end(&r);

	run_begin(&r, &c);
	r.user = "bob";
	run_connect(&r);
	run_for(&r, 3000);
	assert_codes(&r, 2, unknown);
	assert_non_null(strstr(sipreg_last_authorization(r.mock), "username=\"bob\""));
	run_end(&r);
}

static void stale_nonce(void **st)
{
	static const int want[] = { 401, 401, 200 };
	struct sipreg_conf c;
	struct run r;

	(void)st;
	conf_init(&c, SIPREG_STALE);
	exchange(&r, &c);
	assert_codes(&r, 3, want);
	assert_string_equal(param(&r.first.ch[0], "stale"), "");
	assert_int_equal(r.stale, 1);   /* the second 401 */
	assert_int_equal(sipreg_requests(r.mock), 3);
	assert_non_null(strstr(sipreg_last_authorization(r.mock), "nc=00000002"));
	run_end(&r);
}

static void modes(void **st)
{
	static const struct {
		enum sipreg_mode mode;
		int code;               /* 0: no response */
	} t[] = {
		{ SIPREG_OK, 200 }, { SIPREG_FORBIDDEN, 403 }, { SIPREG_REDIRECT, 302 },
	};
	struct sipreg_conf c;
	struct run r;
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		conf_init(&c, t[i].mode);
		c.redirect_contact = "sip:pool2.corp.example:5061;transport=tls";
		exchange(&r, &c);
		assert_codes(&r, 1, &t[i].code);
		assert_int_equal(sipreg_requests(r.mock), 1);
		assert_string_equal(sipreg_last_authorization(r.mock), "");
		if (t[i].mode == SIPREG_REDIRECT)
			assert_string_equal(r.last.contact, "sip:pool2.corp.example:5061;transport=tls");
		run_end(&r);
	}
}

static void silent_close_garbage(void **st)
{
	struct sipreg_conf c;
	struct run r;

	(void)st;
	conf_init(&c, SIPREG_SILENT);
	run_begin(&r, &c);
	run_connect(&r);
	run_for(&r, 300);
	assert_int_equal(r.n, 0);
	assert_false(r.failed || r.closed || r.bad);
	assert_int_equal(sipreg_requests(r.mock), 1);
	run_end(&r);

	conf_init(&c, SIPREG_CLOSE);
	exchange(&r, &c);
	assert_int_equal(r.n, 0);
	assert_true(r.closed);
	assert_int_equal(sipreg_requests(r.mock), 1);
	run_end(&r);

	conf_init(&c, SIPREG_GARBAGE);
	exchange(&r, &c);
	assert_int_equal(r.n, 0);
	assert_true(r.bad);
	run_end(&r);
}

static void offer_schemes(void **st)
{
	static const int want = 401;
	struct sipreg_conf c;
	struct run r;

	(void)st;
	conf_init(&c, SIPREG_OFFER_SCHEMES);
	exchange(&r, &c);
	assert_codes(&r, 1, &want);
	assert_int_equal(r.first.n_ch, 2);
	assert_string_equal(r.first.ch[0].scheme, "NTLM");
	assert_string_equal(param(&r.first.ch[0], "realm"), "SIP Communications Service");
	assert_string_equal(r.first.ch[1].scheme, "Kerberos");
	run_end(&r);

	/* configured: Digest beside NTLM, the client answers Digest */
	c.schemes = "NTLM realm=\"SIP Communications Service\", targetname=\"pool.corp.example\", version=4\n"
		    "Digest realm=\"corp.example\", nonce=\"fixed\", qop=\"auth\"";
	run_begin(&r, &c);
	r.want = 2;
	run_connect(&r);
	run_for(&r, 3000);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.first.n_ch, 2);
	assert_string_equal(param(&r.first.ch[1], "nonce"), "fixed");
	assert_int_equal(strncmp(sipreg_last_authorization(r.mock), "Digest ", 7), 0);
	assert_non_null(strstr(sipreg_last_authorization(r.mock), "nonce=\"fixed\""));
	run_end(&r);
}

/* The versions the mock allows provoke tls-protocol-version. */
static void tls_versions(void **st)
{
	static const int ok = 200;
	struct sipreg_conf c;
	struct run r;

	(void)st;
	conf_init(&c, SIPREG_OK);
	c.max_version = SIPREG_TLS12;
	run_begin(&r, &c);
	r.versions = PB_TLS_13;
	run_connect(&r);
	run_for(&r, 3000);
	assert_true(r.failed);
	assert_int_equal(r.cause, PB_CAUSE_TLS_PROTOCOL_VERSION);
	assert_int_equal(sipreg_handshake_failures(r.mock), 1);
	assert_int_equal(sipreg_requests(r.mock), 0);
	/* the version range the mock has is the one spoken */
	r.versions = 0;
	run_connect(&r);
	run_for(&r, 3000);
	assert_codes(&r, 1, &ok);
	assert_string_equal(tls_version(r.tls), "TLSv1.2");
	run_end(&r);

	c.min_version = c.max_version = SIPREG_TLS13;
	run_begin(&r, &c);
	r.versions = PB_TLS_12;
	run_connect(&r);
	run_for(&r, 3000);
	assert_true(r.failed);
	assert_int_equal(r.cause, PB_CAUSE_TLS_PROTOCOL_VERSION);
	run_end(&r);
}

/* Two requests in one write, compact and lower-case header names, a body,
 * a folded header; other methods get 405. */
static void framing(void **st)
{
	static const char two[] =
		"REGISTER sip:corp.example SIP/2.0\r\n"
		"v: SIP/2.0/TLS 127.0.0.1:5555;branch=z9hG4bKa\r\n"
		"v: SIP/2.0/TLS 10.0.0.1:5061;branch=z9hG4bKb\r\n"
		"f: <sip:alice@corp.example>\r\n"
		"   ;tag=folded\r\n"
		"t: <sip:alice@corp.example>;tag=already\r\n"
		"i: two@test\r\n"
		"cseq: 7 REGISTER\r\n"
		"m: <sip:alice@127.0.0.1:5555;transport=tls>;expires=60\r\n"
		"l: 5\r\n\r\nhello"
		"OPTIONS sip:corp.example SIP/2.0\r\n"
		"VIA: SIP/2.0/TLS 127.0.0.1:5555;branch=z9hG4bKc\r\n"
		"FROM: <sip:alice@corp.example>;tag=x\r\nTO: <sip:alice@corp.example>\r\n"
		"CALL-ID: three@test\r\nCSEQ: 8 OPTIONS\r\nCONTENT-LENGTH: 0\r\n\r\n";
	static const int want[] = { 200, 405 };
	struct sipreg_conf c;
	struct run r;

	(void)st;
	conf_init(&c, SIPREG_OK);
	run_begin(&r, &c);
	r.raw = two;
	r.raw_len = sizeof(two) - 1;
	r.want = 2;
	run_connect(&r);
	run_for(&r, 3000);
	assert_codes(&r, 2, want);
	assert_string_equal(r.first.call_id, "two@test");
	assert_int_equal(r.first.cseq, 7);
	assert_string_equal(r.first.contact, "sip:alice@127.0.0.1:5555;transport=tls");
	assert_string_equal(r.last.call_id, "three@test");
	assert_non_null(strstr(r.text, "\r\nAllow: REGISTER\r\n"));
	assert_int_equal(sipreg_requests(r.mock), 2);
	assert_non_null(strstr(sipreg_last_from(r.mock), "<sip:alice@corp.example>"));
	run_end(&r);
}

/* Input that is not a request: 400 where a response can be built, the
 * connection closed when framing is lost; the mock goes on serving. */
static void bad_requests(void **st)
{
	static char big[SIPREG_MAX_MSG + 100];
	static const struct {
		const char *text;
		int keeps_open;         /* 400 and the connection stays */
	} t[] = {
		{ "\x01\x02 not SIP at all", 0 },
		{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0 },
		{ "REGISTER sip:corp.example SIP/2.0\r\nVia: SIP/2.0/TLS h\r\n\r\n", 0 },
		{ "REGISTER sip:corp.example SIP/2.0\r\nno colon here\r\n\r\n", 0 },
		{ "REGISTER sip:corp.example SIP/2.0\r\nContent-Length: 99999\r\n\r\n", 0 },
		{ "REGISTER sip:corp.example SIP/2.0\r\nContent-Length: 1\r\nl: 1\r\n\r\nx", 0 },
		{ big, 0 },
		/* well framed but without CSeq: a 400, and the connection stays */
		{ "REGISTER sip:corp.example SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bKq\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nContent-Length: 0\r\n\r\n", 1 },
		/* CSeq method not the request's */
		{ "REGISTER sip:corp.example SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bKq\r\n"
		  "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
		  "Content-Length: 0\r\n\r\n", 1 },
	};
	static const int ok = 200;
	struct sipreg_conf c;
	struct run r;
	size_t i;

	(void)st;
	memset(big, 'a', sizeof(big) - 1);
	{
		static const char head[] = "REGISTER sip:corp.example SIP/2.0\r\nX-Pad: ";

		memcpy(big, head, sizeof(head) - 1);
	}
	conf_init(&c, SIPREG_OK);
	run_begin(&r, &c);
	/* a request cut in a header line: the mock waits for the rest */
	r.raw = "REGISTER sip:corp.example SIP/2.0\r\nX-Pad: ";
	r.raw_len = strlen(r.raw);
	run_connect(&r);
	run_for(&r, 200);
	assert_int_equal(r.n, 0);
	assert_false(r.closed || r.failed || r.bad);
	assert_int_equal(sipreg_requests(r.mock), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r.raw = t[i].text;
		r.raw_len = strlen(t[i].text);
		r.want = 1;
		run_connect(&r);
		run_for(&r, 3000);
		if (t[i].keeps_open) {
			assert_int_equal(r.n, 1);
			assert_int_equal(r.codes[0], 400);
			assert_false(r.closed || r.failed);
		} else {
			/* a 400 with what could be copied, then the close */
			assert_int_equal(r.n, 1);
			assert_int_equal(r.codes[0], 400);
			if (!r.closed && !r.failed)
				run_for(&r, 3000);
			assert_true(r.closed || r.failed);
		}
	}
	assert_int_equal(sipreg_requests(r.mock), sizeof(t) / sizeof(t[0]));
	r.raw = NULL;
	r.want = 0;
	run_connect(&r);
	run_for(&r, 3000);
	assert_codes(&r, 1, &ok);
	run_end(&r);
}

/* Connections past SIPREG_MAX_CONNS are closed at once; stopping the mock
 * with connections open closes them and frees everything. */
static void limits_and_stop(void **st)
{
	static const int ok = 200;
	struct sipreg_conf c;
	struct sockaddr_in sa;
	struct run r;
	int fds[SIPREG_MAX_CONNS];
	size_t i;

	(void)st;
	conf_init(&c, SIPREG_OK);
	run_begin(&r, &c);
	assert_int_equal(uv_ip4_addr("127.0.0.1", sipreg_port(r.mock), &sa), 0);
	for (i = 0; i < SIPREG_MAX_CONNS; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fds[i] >= 0);
		assert_int_equal(connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	run_for(&r, 200);
	assert_int_equal(sipreg_connections(r.mock), SIPREG_MAX_CONNS);
	run_connect(&r);                /* one too many */
	run_for(&r, 3000);
	assert_true(r.failed);
	assert_int_equal(r.n, 0);
	for (i = 0; i < SIPREG_MAX_CONNS; i++)
		close(fds[i]);
	run_for(&r, 200);               /* the mock sees them go */
	run_connect(&r);
	run_for(&r, 3000);
	assert_codes(&r, 1, &ok);
	run_end(&r);

	conf_init(&c, SIPREG_SILENT);
	run_begin(&r, &c);
	run_connect(&r);
	run_for(&r, 200);
	assert_int_equal(sipreg_requests(r.mock), 1);
	sipreg_stop(r.mock);            /* with the client's connection open */
	r.mock = NULL;
	run_for(&r, 3000);
	assert_true(r.closed || r.failed);
	run_end(&r);
}

static void bad_conf(void **st)
{
	struct sipreg_conf c;
	struct sipreg *s = NULL;
	uv_loop_t loop;

	(void)st;
	assert_int_equal(uv_loop_init(&loop), 0);
	conf_init(&c, SIPREG_DIGEST);
	c.password = NULL;
	assert_int_equal(sipreg_start(&loop, &c, &s), -1);
	conf_init(&c, SIPREG_OK);
	c.key_pem = "/nonexistent/key.pem";
	assert_int_equal(sipreg_start(&loop, &c, &s), -1);
	conf_init(&c, SIPREG_OK);
	c.key_pem = root;               /* not the certificate's key */
	assert_int_equal(sipreg_start(&loop, &c, &s), -1);
	assert_null(s);
	sipreg_stop(NULL);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(digest_vectors),
		cmocka_unit_test(digest_accepts),
		cmocka_unit_test(digest_refuses),
		cmocka_unit_test(stale_nonce),
		cmocka_unit_test(modes),
		cmocka_unit_test(silent_close_garbage),
		cmocka_unit_test(offer_schemes),
		cmocka_unit_test(tls_versions),
		cmocka_unit_test(framing),
		cmocka_unit_test(bad_requests),
		cmocka_unit_test(limits_and_stop),
		cmocka_unit_test(bad_conf),
	};

	/* lib/tls writes through OpenSSL's socket BIO: a peer the mock has
	 * closed would otherwise kill the test with SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("mock_sipreg", tests, NULL, NULL);
}

/* TLS client on a libuv loop. See tls.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls/sockbio.h"
#include "tls/tls.h"
#include "x509/x509_int.h"

enum state { S_CONNECT, S_HANDSHAKE, S_OPEN, S_DONE };

static const char *const state_names[] = { "connect", "handshake", "open", "done" };
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == S_DONE + 1,
	       "state_names is incomplete");

/* What every connection of one device profile shares: the SSL_CTX with
 * the profile's versions, suites and signature algorithms, and the key
 * log. */
struct tls_ctx {
	SSL_CTX *ctx;
	FILE *keylog;                /* NSS key log format, or NULL */
	char unavailable[512];       /* the profile's suites this OpenSSL lacks */
	int n_suites, n_suites13;    /* suites it can offer, <= 1.2 and 1.3 */
	int restricted;              /* the profile names its suites */
	unsigned versions;
};

struct tls_conn {
	uv_loop_t *loop;
	uv_poll_t poll;
	uv_timer_t timer;
	int fd, handles_open, closing;
	enum state state;
	SSL *ssl;
	tls_event_cb *cb;
	void *arg;
	unsigned timeout_ms;
	uint64_t t0;
	double hs_ms;

	enum pb_cause cause;
	enum pb_err err;            /* phoneboot's own failure, not a cause */
	char detail[256];
	char version[16], cipher[80];
	char unavailable[512];
	int alert;

	char *out;                  /* pending plaintext to write */
	size_t out_len;
	char *in;                   /* plaintext received */
	size_t in_len, in_cap;
};

static void set_fail(struct tls_conn *c, enum pb_cause cause, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_fail(struct tls_conn *c, enum pb_cause cause, const char *fmt, ...)
{
	va_list ap;

	if (c->cause != PB_CAUSE_NONE)
		return;         /* the first failure wins */
	c->cause = cause;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static void emit(struct tls_conn *c, enum tls_event ev)
{
	if (!c->closing)
		c->cb(c, ev, c->arg);
}

static void finish_fail(struct tls_conn *c)
{
	c->state = S_DONE;
	uv_poll_stop(&c->poll);
	uv_timer_stop(&c->timer);
	emit(c, TLS_EV_FAILED);
}

static int version_of(unsigned bit)
{
	switch (bit) {
	case PB_TLS_SSL3: return SSL3_VERSION;
	case PB_TLS_10: return TLS1_VERSION;
	case PB_TLS_11: return TLS1_1_VERSION;
	case PB_TLS_12: return TLS1_2_VERSION;
	case PB_TLS_13: return TLS1_3_VERSION;
	default: return 0;
	}
}

static void append(char *buf, size_t len, const char *s)
{
	size_t o = strlen(buf);

	snprintf(buf + o, len - o, "%s%s", o ? ":" : "", s);
}

/* Map IANA suite names to OpenSSL's cipher list (TLS <= 1.2) and
 * ciphersuites (TLS 1.3); remember the ones this OpenSSL does not have. */
static int set_ciphers(SSL_CTX *ctx, const struct tls_params *p, char *unavailable,
		       size_t ulen, int *n_suites, int *n_suites13)
{
	STACK_OF(SSL_CIPHER) *all;
	char list[2048] = "", suites[512] = "";
	size_t i;
	int k;

	*n_suites = *n_suites13 = 1;
	if (!p->ciphers)
		return SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
	/* everything this OpenSSL has, to look the IANA names up in */
	if (!SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0"))
		return 0;
	all = SSL_CTX_get_ciphers(ctx);
	for (i = 0; i < p->n_ciphers; i++) {
		int found = 0;

		for (k = 0; k < sk_SSL_CIPHER_num(all); k++) {
			const SSL_CIPHER *sc = sk_SSL_CIPHER_value(all, k);
			const char *std = SSL_CIPHER_standard_name(sc);

			if (!std || strcmp(std, p->ciphers[i]))
				continue;
			found = 1;
			if (!strncmp(SSL_CIPHER_get_name(sc), "TLS_", 4))  /* 1.3 suite */
				append(suites, sizeof(suites), SSL_CIPHER_get_name(sc));
			else
				append(list, sizeof(list), SSL_CIPHER_get_name(sc));
		}
		if (!found)
			append(unavailable, ulen, p->ciphers[i]);
	}
	append(list, sizeof(list), "@SECLEVEL=0");
	if (!SSL_CTX_set_ciphersuites(ctx, suites))
		return 0;
	*n_suites = strcmp(list, "@SECLEVEL=0") ? 1 : 0;
	*n_suites13 = suites[0] ? 1 : 0;
	/* a TLS 1.3-only device has no TLS <= 1.2 suite: its version range
	 * keeps the old suites out, and OpenSSL refuses an empty list */
	if (!*n_suites)
		return 1;
	return SSL_CTX_set_cipher_list(ctx, list);
}

void tls_params_of(const struct pb_profile *p, struct tls_params *tp)
{
	memset(tp, 0, sizeof(*tp));
	tp->versions = p->tls_versions;
	tp->ciphers = p->n_ciphers ? (const char *const *)p->ciphers : NULL;
	tp->n_ciphers = p->n_ciphers;
	tp->sigalgs = p->n_sigalgs ? (const char *const *)p->sigalgs : NULL;
	tp->n_sigalgs = p->n_sigalgs;
}

int tls_apply_params(void *ssl_ctx, const struct tls_params *p, char *unavailable,
		     size_t ulen, int *n_suites, int *n_suites13)
{
	SSL_CTX *ctx = ssl_ctx;
	unsigned v = p->versions ? p->versions : PB_TLS_10 | PB_TLS_11 | PB_TLS_12 | PB_TLS_13;
	unsigned b, lo = 0, hi = 0;
	char sig[1024] = "";
	size_t i;
	int rc = 0;

	SSL_CTX_set_security_level(ctx, 0);
	for (b = PB_TLS_SSL3; b <= PB_TLS_13; b <<= 1)
		if (v & b) {
			if (!lo)
				lo = b;
			hi = b;
		}
	if (!SSL_CTX_set_min_proto_version(ctx, version_of(lo)) ||
	    !SSL_CTX_set_max_proto_version(ctx, version_of(hi)))
		rc = -1;
	if (!set_ciphers(ctx, p, unavailable, ulen, n_suites, n_suites13)) {
		append(unavailable, ulen, "(cipher list refused)");
		rc = -1;
	}
	for (i = 0; p->sigalgs && i < p->n_sigalgs; i++)
		append(sig, sizeof(sig), p->sigalgs[i]);
	if (sig[0] && !SSL_CTX_set1_sigalgs_list(ctx, sig)) {
		append(unavailable, ulen, "(sigalgs refused)");
		rc = -1;
	}
	ERR_clear_error();
	return rc;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	struct tls_conn *c = SSL_get_app_data(ssl);

	if ((where & SSL_CB_READ_ALERT) && c)
		c->alert = ret & 0xff;
}

/* The key log line OpenSSL hands over, appended for Wireshark (NSS key
 * log format, as SSLKEYLOGFILE in curl and browsers). */
static void keylog_cb(const SSL *ssl, const char *line)
{
	const struct tls_ctx *x = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));

	if (x && x->keylog) {
		fprintf(x->keylog, "%s\n", line);
		fflush(x->keylog);
	}
}

enum pb_err tls_ctx_new(const struct tls_params *p, const char *keylog_file,
			struct tls_ctx **out, char *err, size_t errlen)
{
	unsigned v = p->versions ? p->versions : PB_TLS_10 | PB_TLS_11 | PB_TLS_12 | PB_TLS_13;
	struct tls_ctx *c = calloc(1, sizeof(*c));

	if (!c || !(c->ctx = SSL_CTX_new(TLS_client_method()))) {
		free(c);
		ERR_clear_error();
		snprintf(err, errlen, "out of memory for a TLS context");
		return PB_ERR_NOMEM;
	}
	c->versions = v;
	c->restricted = p->ciphers != NULL;
	if (keylog_file && *keylog_file) {
		int fd = open(keylog_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0 || !(c->keylog = fdopen(fd, "a"))) {
			snprintf(err, errlen, "key log %s: %s", keylog_file, strerror(errno));
			if (fd >= 0)
				close(fd);
			SSL_CTX_free(c->ctx);
			free(c);
			return PB_ERR_IO;
		}
		SSL_CTX_set_keylog_callback(c->ctx, keylog_cb);
	}
	SSL_CTX_set_app_data(c->ctx, c);
	/* certificates are judged by the profile, not by OpenSSL's policy */
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	/* a phone's connection mostly waits (for the handshake's turn at a
	 * busy server, for a response): its 17 KiB read and write buffers are
	 * held only while a record is in them, which with thousands of phones
	 * in flight halves the memory per phone */
	SSL_CTX_set_mode(c->ctx, SSL_MODE_RELEASE_BUFFERS);
	/* what OpenSSL refuses is named in unavailable; the connect says so */
	(void)tls_apply_params(c->ctx, p, c->unavailable, sizeof(c->unavailable),
			       &c->n_suites, &c->n_suites13);
	*out = c;
	return PB_OK;
}

void tls_ctx_free(struct tls_ctx *c)
{
	if (!c)
		return;
	SSL_CTX_free(c->ctx);       /* reference counted: live connections keep it */
	if (c->keylog)
		fclose(c->keylog);
	free(c);
}

const char *tls_ctx_unavailable(const struct tls_ctx *c)
{
	return c->unavailable;
}

static enum pb_err setup_ssl(struct tls_conn *c, struct tls_ctx *x, const char *sni)
{
	BIO *b;

	if (!(c->ssl = SSL_new(x->ctx))) {
		ERR_clear_error();
		return PB_ERR_NOMEM;
	}
	snprintf(c->unavailable, sizeof(c->unavailable), "%s", x->unavailable);
	SSL_set_app_data(c->ssl, c);
	SSL_set_info_callback(c->ssl, info_cb);
	if (sni && !SSL_set_tlsext_host_name(c->ssl, sni)) {
		ERR_clear_error();
		return PB_ERR_NOMEM;
	}
	/* writes with MSG_NOSIGNAL: no SIGPIPE, no signal mask to juggle */
	if (!(b = tls_sockbio_new(c->fd))) {
		ERR_clear_error();
		return PB_ERR_NOMEM;
	}
	SSL_set_bio(c->ssl, b, b);
	SSL_set_connect_state(c->ssl);
	return PB_OK;
}

static void on_poll(uv_poll_t *h, int status, int events);

static void on_fail_now(uv_timer_t *t)
{
	finish_fail(t->data);
}

static void want(struct tls_conn *c, int events)
{
	uv_poll_start(&c->poll, events, on_poll);
}

static void on_timeout(uv_timer_t *t)
{
	struct tls_conn *c = t->data;

	if (c->state == S_CONNECT)
		set_fail(c, PB_CAUSE_TCP_TIMEOUT, "no TCP answer within %u ms "
			 "(SYN unanswered: filtered or host down)", c->timeout_ms);
	else if (c->state == S_HANDSHAKE)
		set_fail(c, PB_CAUSE_TLS_HANDSHAKE_FAILED, "the TLS handshake did "
			 "not complete within %u ms", c->timeout_ms);
	else
		return;
	finish_fail(c);
}

/* Turn a failed SSL_connect into a cause, from the alert and the reason. */
static void handshake_failed(struct tls_conn *c)
{
	unsigned long e = ERR_peek_last_error();
	int reason = ERR_GET_REASON(e);
	char why[160];

	ERR_error_string_n(e, why, sizeof(why));
	ERR_clear_error();
	if (c->alert == SSL_AD_PROTOCOL_VERSION ||
	    reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
	    reason == SSL_R_UNSUPPORTED_PROTOCOL) {
		set_fail(c, PB_CAUSE_TLS_PROTOCOL_VERSION, "the server refused every "
			 "TLS version the device offers (alert protocol_version)");
	} else if (c->alert == SSL_AD_HANDSHAKE_FAILURE ||
		   reason == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE ||
		   reason == SSL_R_NO_SHARED_CIPHER) {
		set_fail(c, PB_CAUSE_TLS_NO_SHARED_CIPHER, "the server found no cipher "
			 "suite (or signature algorithm) in common with the device "
			 "(alert handshake_failure)");
	} else if (reason == SSL_R_WRONG_SIGNATURE_TYPE ||
		   reason == SSL_R_LEGACY_SIGALG_DISALLOWED_OR_UNSUPPORTED) {
		set_fail(c, PB_CAUSE_TLS_SIGALG_UNSUPPORTED, "the server signed with "
			 "an algorithm the device does not offer (%s)", why);
	} else if (reason == SSL_R_WRONG_VERSION_NUMBER ||
		   reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
		   reason == SSL_R_RECORD_LENGTH_MISMATCH) {
		set_fail(c, PB_CAUSE_TLS_HANDSHAKE_FAILED, "the peer does not speak "
			 "TLS on this port (%s)", why);
	} else if (e == 0) {
		set_fail(c, PB_CAUSE_TLS_HANDSHAKE_FAILED, "the server closed the "
			 "connection during the handshake");
	} else if (c->alert >= 0) {
		set_fail(c, PB_CAUSE_TLS_HANDSHAKE_FAILED, "the server sent alert %s",
			 SSL_alert_desc_string_long(c->alert));
	} else {
		set_fail(c, PB_CAUSE_TLS_HANDSHAKE_FAILED, "%s", why);
	}
	finish_fail(c);
}

/* OpenSSL's error queue is the thread's: whatever another library left
 * in it (libcurl, after a refused handshake of the device-update step)
 * makes SSL_get_error() answer SSL_ERROR_SSL for a mere WANT_READ. So the
 * queue is emptied before every call whose result SSL_get_error() reads
 * (its manual page asks as much). */
static void do_handshake(struct tls_conn *c)
{
	int r, err;

	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);

	if (r == 1) {
		const SSL_CIPHER *sc = SSL_get_current_cipher(c->ssl);

		c->state = S_OPEN;
		c->hs_ms = (double)(uv_hrtime() - c->t0) / 1e6;
		uv_timer_stop(&c->timer);
		snprintf(c->version, sizeof(c->version), "%s", SSL_get_version(c->ssl));
		snprintf(c->cipher, sizeof(c->cipher), "%s",
			 sc && SSL_CIPHER_standard_name(sc) ? SSL_CIPHER_standard_name(sc) : "");
		want(c, UV_READABLE | (c->out_len ? UV_WRITABLE : 0));
		emit(c, TLS_EV_READY);
		return;
	}
	err = SSL_get_error(c->ssl, r);
	if (err == SSL_ERROR_WANT_READ)
		want(c, UV_READABLE);
	else if (err == SSL_ERROR_WANT_WRITE)
		want(c, UV_WRITABLE);
	else
		handshake_failed(c);
}

static void do_read(struct tls_conn *c)
{
	for (;;) {
		int r, err;

		if (c->in_cap - c->in_len < 4096) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
			char *n;

			if (cap > (1u << 20)) {
				set_fail(c, PB_CAUSE_SIP_BAD_RESPONSE,
					 "the server sent more than 1 MiB unread");
				finish_fail(c);
				return;
			}
			if (!(n = realloc(c->in, cap))) {
				if (c->cause == PB_CAUSE_NONE)
					c->err = PB_ERR_NOMEM;
				set_fail(c, PB_CAUSE_SIP_BAD_RESPONSE,
					 "out of memory reading from the server");
				finish_fail(c);
				return;
			}
			c->in = n;
			c->in_cap = cap;
		}
		ERR_clear_error();
		r = SSL_read(c->ssl, c->in + c->in_len, (int)(c->in_cap - c->in_len));
		if (r > 0) {
			c->in_len += (size_t)r;
			continue;
		}
		err = SSL_get_error(c->ssl, r);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
			break;
		ERR_clear_error();
		if (c->in_len)
			emit(c, TLS_EV_DATA);
		if (c->state == S_OPEN) {
			c->state = S_DONE;
			uv_poll_stop(&c->poll);
			emit(c, TLS_EV_CLOSED);
		}
		return;
	}
	if (c->in_len)
		emit(c, TLS_EV_DATA);
}

static void do_write(struct tls_conn *c)
{
	while (c->out_len) {
		int r, err;

		ERR_clear_error();
		r = SSL_write(c->ssl, c->out, (int)c->out_len);

		if (r > 0) {
			memmove(c->out, c->out + r, c->out_len - (size_t)r);
			c->out_len -= (size_t)r;
			continue;
		}
		err = SSL_get_error(c->ssl, r);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
			break;
		ERR_clear_error();
		set_fail(c, PB_CAUSE_TLS_HANDSHAKE_FAILED, "the TLS connection broke "
			 "while sending");
		finish_fail(c);
		return;
	}
	if (c->state == S_OPEN)
		want(c, UV_READABLE | (c->out_len ? UV_WRITABLE : 0));
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct tls_conn *c = h->data;

	if (c->state == S_CONNECT) {
		int soerr = 0;
		socklen_t l = sizeof(soerr);

		/* the socket's own error first: libuv may report a refused
		 * loopback connect as a poll error with a different code */
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &l) < 0)
			soerr = errno;
		if (!soerr && status < 0)
			soerr = -status;
		if (soerr == ECONNREFUSED) {
			set_fail(c, PB_CAUSE_TCP_REFUSED, "connection refused (nothing "
				 "listens on that port)");
		} else if (soerr == ENETUNREACH || soerr == EHOSTUNREACH) {
			set_fail(c, PB_CAUSE_TCP_UNREACHABLE, "no route to the server (%s)",
				 strerror(soerr));
		} else if (soerr) {
			set_fail(c, PB_CAUSE_TCP_UNREACHABLE, "TCP connect failed: %s",
				 strerror(soerr));
		}
		if (soerr) {
			finish_fail(c);
			return;
		}
		c->state = S_HANDSHAKE;
		uv_timer_start(&c->timer, on_timeout, c->timeout_ms, 0);
		do_handshake(c);
		return;
	}
	if (c->state == S_HANDSHAKE) {
		do_handshake(c);
		return;
	}
	if (c->state != S_OPEN)
		return;
	if (events & UV_WRITABLE)
		do_write(c);
	if (c->state == S_OPEN && (events & UV_READABLE))
		do_read(c);
}

enum pb_err tls_connect(uv_loop_t *loop, struct tls_ctx *x, const struct sockaddr *sa,
			socklen_t salen, const char *sni, unsigned timeout_ms,
			tls_event_cb *cb, void *arg, struct tls_conn **out)
{
	struct tls_conn *c = calloc(1, sizeof(*c));
	enum pb_err rc = PB_ERR_NOMEM;
	int r;

	if (!c)
		return PB_ERR_NOMEM;
	c->loop = loop;
	c->cb = cb;
	c->arg = arg;
	c->alert = -1;
	c->timeout_ms = timeout_ms ? timeout_ms : 5000;
	c->t0 = uv_hrtime();
	c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = PB_ERR_NETWORK;
		goto fail;
	}
	/* a request goes out whole, at once: without TCP_NODELAY, Nagle's
	 * algorithm holds the REGISTER behind the handshake's last unacked
	 * segment until the server's delayed ACK (about 40 ms a request) */
	{
		int one = 1;

		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if ((rc = setup_ssl(c, x, sni)) != PB_OK)
		goto fail;
	{
		unsigned v = x->versions;
		int old = (v & (PB_TLS_SSL3 | PB_TLS_10 | PB_TLS_11 | PB_TLS_12)) && x->n_suites;
		int tls13 = (v & PB_TLS_13) && x->n_suites13;

		/* none of the device's suites exists here (3DES, RC4 are not in
		 * Debian 12's OpenSSL): say so rather than offer other ones */
		if (x->restricted && !old && !tls13)
			set_fail(c, PB_CAUSE_TLS_NO_SHARED_CIPHER, "phoneboot cannot offer "
				 "any of the device's cipher suites (%s are not in this "
				 "OpenSSL); a server that still has them might accept it",
				 c->unavailable);
	}
	uv_poll_init_socket(loop, &c->poll, c->fd);
	uv_timer_init(loop, &c->timer);
	c->poll.data = c->timer.data = c;
	c->handles_open = 2;
	c->state = S_CONNECT;
	uv_timer_start(&c->timer, on_timeout, c->timeout_ms, 0);
	r = c->cause ? -1 : connect(c->fd, sa, salen);
	if (c->cause) {
		uv_timer_start(&c->timer, on_fail_now, 0, 0);
	} else if (r == 0 || errno == EINPROGRESS) {
		want(c, UV_WRITABLE);
	} else {
		/* report through the loop, like every other outcome */
		int e = errno;
		set_fail(c, e == ECONNREFUSED ? PB_CAUSE_TCP_REFUSED : PB_CAUSE_TCP_UNREACHABLE,
			 "TCP connect failed: %s", strerror(e));
		uv_timer_start(&c->timer, on_fail_now, 0, 0);
	}
	*out = c;
	return PB_OK;
fail:
	if (c->fd >= 0)
		close(c->fd);
	SSL_free(c->ssl);
	free(c);
	return rc;
}

void tls_set_cb(struct tls_conn *c, tls_event_cb *cb, void *arg)
{
	c->cb = cb;
	c->arg = arg;
}

enum pb_err tls_send(struct tls_conn *c, const void *buf, size_t len)
{
	char *n = realloc(c->out, c->out_len + len);

	if (!n)
		return PB_ERR_NOMEM;
	memcpy(n + c->out_len, buf, len);
	c->out = n;
	c->out_len += len;
	if (c->state == S_OPEN)
		do_write(c);
	return PB_OK;
}

const char *tls_inbuf(const struct tls_conn *c, size_t *len)
{
	*len = c->in_len;
	return c->in;
}

void tls_consume(struct tls_conn *c, size_t n)
{
	if (n > c->in_len)
		n = c->in_len;
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

static void on_closed(uv_handle_t *h)
{
	struct tls_conn *c = h->data;

	if (--c->handles_open > 0)
		return;
	SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	free(c->in);
	free(c);
}

void tls_close(struct tls_conn *c)
{
	if (!c || c->closing)
		return;
	c->closing = 1;
	if (c->state == S_OPEN)
		SSL_shutdown(c->ssl);   /* best effort close_notify, non-blocking */
	ERR_clear_error();
	uv_close((uv_handle_t *)&c->poll, on_closed);
	uv_close((uv_handle_t *)&c->timer, on_closed);
}

enum pb_cause tls_cause(const struct tls_conn *c) { return c->cause; }
const char *tls_detail(const struct tls_conn *c) { return c->detail; }
const char *tls_version(const struct tls_conn *c) { return c->version; }
const char *tls_cipher(const struct tls_conn *c) { return c->cipher; }
int tls_alert(const struct tls_conn *c) { return c->alert; }
const char *tls_unavailable(const struct tls_conn *c) { return c->unavailable; }
double tls_handshake_ms(const struct tls_conn *c) { return c->hs_ms; }

void tls_local_addr(const struct tls_conn *c, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[64] = "0.0.0.0";
	int port = 0;

	if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == 0) {
		uv_ip_name((struct sockaddr *)&ss, ip, sizeof(ip));
		port = ntohs(ss.ss_family == AF_INET6
			     ? ((struct sockaddr_in6 *)&ss)->sin6_port
			     : ((struct sockaddr_in *)&ss)->sin_port);
	}
	snprintf(buf, len, ss.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, port);
}

enum pb_err tls_peer_chain(const struct tls_conn *c, const struct pb_trust *trust,
			   struct x509_cache *cache, struct pb_chain **out)
{
	STACK_OF(X509) *sk = c->ssl ? SSL_get_peer_cert_chain(c->ssl) : NULL;
	int n = sk ? sk_X509_num(sk) : 0, k;
	X509 **xs;
	char (*bad)[128];

	*out = NULL;
	(void)state_names;
	if (n <= 0)
		return PB_OK;           /* no certificate sent */
	if (n > 32)
		n = 32;
	xs = calloc((size_t)n, sizeof(*xs));
	bad = calloc((size_t)n, sizeof(*bad));
	if (!xs || !bad) {
		free(xs);
		free(bad);
		return PB_ERR_NOMEM;
	}
	/* the certificates the handshake already decoded, shared: decoding
	 * them again from DER cost a third of a fleet's CPU (OpenSSL 3
	 * decodes each public key through its provider decoders) */
	for (k = 0; k < n; k++)
		if (X509_up_ref(sk_X509_value(sk, k)))
			xs[k] = sk_X509_value(sk, k);
	/* x509_build takes xs and bad, whatever it returns */
	return x509_build(xs, bad, (size_t)n, 1, trust, cache, out);
}

enum pb_err tls_error(const struct tls_conn *c)
{
	return c->err;
}

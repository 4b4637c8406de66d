/* The mock SIP-over-TLS registrar: sockets, TLS, the modes and the
 * responses. Requests are read by sipreg_msg.c. See sipreg.h.
 *
 * Sockets are non-blocking and watched with uv_poll; OpenSSL works on
 * memory BIOs and the bytes go through recv/send(MSG_NOSIGNAL), so a peer
 * that has gone away never raises SIGPIPE in the test process. Every loop
 * here is bounded by a count; the test's own timer bounds the time. */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "sipreg.h"
#include "sipreg_msg.h"
#include "sipreg_krb.h"

#define MAX_OUT 65536       /* TLS bytes queued for a slow reader */
#define MAX_CHAIN 16
#define MAX_ROUNDS 16       /* accepts, reads, messages per poll event */
#define EXPIRES 3600

/* ---- the server ---- */

enum cstate { C_HANDSHAKE, C_OPEN, C_DRAIN, C_CLOSING };

struct conn {
	struct sipreg *s;
	struct conn *next;
	uv_poll_t poll;
	int fd;
	enum cstate st;
	SSL *ssl;
	BIO *rbio, *wbio;           /* owned by ssl */
	char in[SIPREG_MAX_MSG];
	size_t in_len;
	char out[MAX_OUT];
	size_t out_len;
};

struct sipreg {
	uv_loop_t *loop;
	uv_poll_t lpoll;
	int lfd, stopping, lclosed;
	SSL_CTX *ctx;
	unsigned short port;
	enum sipreg_mode mode;
	char *user, *password, *realm, *redirect, *schemes, *keytab;
	void *krb_sa;               /* KERBEROS: the association (one) */
	char nonce[33], to_tag[17];
	int stale_sent;
	unsigned requests, accepted, hs_failed, n_conns;
	struct conn *conns;
	char last_auth[2048], last_from[512];
};

static void rnd_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[32];
	size_t i;

	if (n > sizeof(b))
		n = sizeof(b);
	if (RAND_bytes(b, (int)n) != 1)
		memset(b, 0x5a, n);
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static void maybe_free(struct sipreg *s)
{
	if (!s->stopping || !s->lclosed || s->n_conns)
		return;
	SSL_CTX_free(s->ctx);
	free(s->user);
	free(s->password);
	free(s->realm);
	free(s->redirect);
	free(s->schemes);
	free(s->keytab);
	sipreg_krb_free(&s->krb_sa);
	free(s);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	struct sipreg *s = c->s;

	close(c->fd);
	SSL_free(c->ssl);
	free(c);
	s->n_conns--;
	maybe_free(s);
}

static void conn_close(struct conn *c)
{
	struct conn **pp;

	if (c->st == C_CLOSING)
		return;
	c->st = C_CLOSING;
	for (pp = &c->s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ERR_clear_error();
	uv_close((uv_handle_t *)&c->poll, on_conn_closed);
}

/* Move what OpenSSL wrote into the out queue and send what the socket
 * takes. -1 when the connection is broken (and closed). */
static int flush(struct conn *c)
{
	size_t round;

	for (round = 0; round < 64 && BIO_ctrl_pending(c->wbio); round++) {
		int n;

		if (c->out_len == MAX_OUT)
			break;
		n = BIO_read(c->wbio, c->out + c->out_len, (int)(MAX_OUT - c->out_len));
		if (n <= 0)
			break;
		c->out_len += (size_t)n;
	}
	for (round = 0; round < 64 && c->out_len; round++) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		if (n <= 0) {
			conn_close(c);
			return -1;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	if (BIO_ctrl_pending(c->wbio) && c->out_len == MAX_OUT) {
		conn_close(c);              /* the peer does not read: give up */
		return -1;
	}
	return 0;
}

static void send_plain(struct conn *c, const char *buf, size_t len)
{
	if (c->st != C_OPEN || !len)
		return;
	if (SSL_write(c->ssl, buf, (int)len) != (int)len)
		c->st = C_DRAIN;            /* memory BIO: only a broken session */
	ERR_clear_error();
}

/* ---- responses (RFC 3261 8.2.6) ---- */

struct resp {
	char buf[8192];
	size_t len;
	int overflow;
};

static void add(struct resp *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct resp *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, sizeof(o->buf) - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(o->buf) - o->len)
		o->overflow = 1;
	else
		o->len += (size_t)n;
}

/* "Name: value\r\n", a folded value unfolded (RFC 3261 7.3.1: the line
 * break and the white space after it are one SP). */
static void add_header(struct resp *o, const char *name, struct sv v, const char *tail)
{
	char buf[2048];
	size_t i, n = 0;

	for (i = 0; i < v.len && n + 1 < sizeof(buf); i++) {
		if (v.p[i] == '\r' || v.p[i] == '\n') {
			while (i + 1 < v.len && strchr("\r\n \t", v.p[i + 1]))
				i++;
			buf[n++] = ' ';
			continue;
		}
		buf[n++] = v.p[i];
	}
	if (i < v.len)
		o->overflow = 1;
	add(o, "%s: %.*s%s\r\n", name, (int)n, buf, tail);
}

/* Status line and the headers copied from the request: every Via in
 * order, From, To with a tag added, Call-ID, CSeq (RFC 3261 8.2.6.2). */
static void begin(struct resp *o, const struct sipreg *s, const struct sipreg_req *r,
		  int code, const char *reason)
{
	size_t i;

	add(o, "SIP/2.0 %d %s\r\n", code, reason);
	for (i = 0; i < r->n_via; i++)
		add_header(o, "Via", r->via[i], "");
	if (r->from.len)
		add_header(o, "From", r->from, "");
	if (r->to.len) {
		char tag[32];

		snprintf(tag, sizeof(tag), ";tag=%s", s->to_tag);
		add_header(o, "To", r->to, sv_ifind(r->to, ";tag=") < 0 ? tag : "");
	}
	if (r->call_id.len)
		add_header(o, "Call-ID", r->call_id, "");
	if (r->cseq.len)
		add_header(o, "CSeq", r->cseq, "");
}

static void finish(struct conn *c, struct resp *o)
{
	add(o, "Server: phoneboot-mock-sipreg\r\nContent-Length: 0\r\n\r\n");
	if (!o->overflow)
		send_plain(c, o->buf, o->len);
}

static void reply(struct conn *c, const struct sipreg_req *r, int code, const char *reason)
{
	struct resp o = { .len = 0 };

	begin(&o, c->s, r, code, reason);
	if (code == 405)
		add(&o, "Allow: REGISTER\r\n");
	finish(c, &o);
}

static void reply_200(struct conn *c, const struct sipreg_req *r, const char *ainfo)
{
	struct resp o = { .len = 0 };
	struct sv uri = r->contact;
	long lt = sv_ifind(r->contact, "<"), gt = sv_ifind(r->contact, ">");

	begin(&o, c->s, r, 200, "OK");
	if (lt >= 0 && gt > lt) {
		uri.p = r->contact.p + lt + 1;
		uri.len = (size_t)(gt - lt - 1);
	} else if (sv_ifind(uri, ";") >= 0) {
		uri.len = (size_t)sv_ifind(uri, ";");
	}
	/* RFC 3261 10.3 step 8: the current bindings, each with its expiry */
	if (uri.len && !sv_eq(uri, "*"))
		add(&o, "Contact: <%.*s>;expires=%d\r\n", (int)uri.len, uri.p, EXPIRES);
	add(&o, "Expires: %d\r\n", EXPIRES);
	if (ainfo)
		add(&o, "Authentication-Info: %s\r\n", ainfo);
	finish(c, &o);
}

static void reply_challenge(struct conn *c, const struct sipreg_req *r, int stale)
{
	struct resp o = { .len = 0 };
	struct sipreg *s = c->s;

	begin(&o, s, r, 401, "Unauthorized");
	add(&o, "WWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\", qop=\"auth\", "
	    "algorithm=MD5%s\r\n", s->realm, s->nonce, stale ? ", stale=true" : "");
	finish(c, &o);
}

static void reply_schemes(struct conn *c, const struct sipreg_req *r)
{
	struct resp o = { .len = 0 };
	const char *p = c->s->schemes;
	size_t round;

	begin(&o, c->s, r, 401, "Unauthorized");
	for (round = 0; round < 16 && *p; round++) {
		size_t n = strcspn(p, "\n");

		if (n)
			add(&o, "WWW-Authenticate: %.*s\r\n", (int)n, p);
		p += n;
		if (*p == '\n')
			p++;
	}
	finish(c, &o);
}

/* DIGEST and STALE: RFC 3261 22.4 with RFC 7616's qop=auth. */
static void digest(struct conn *c, const struct sipreg_req *r)
{
	struct sipreg *s = c->s;
	struct sipreg_dauth a;
	char want[33], uri[256];

	if (!r->auth.len) {
		reply_challenge(c, r, 0);
		return;
	}
	if (sipreg_parse_digest(r->auth, &a) < 0) {
		/* another scheme than the one offered, or malformed */
		reply(c, r, sv_ifind(r->auth, "Digest") == 0 ? 400 : 403,
		      sv_ifind(r->auth, "Digest") == 0 ? "Bad Request" : "Forbidden");
		return;
	}
	if (!a.username[0] || !a.realm[0] || !a.nonce[0] || !a.uri[0] || !a.response[0]) {
		reply(c, r, 400, "Bad Request");
		return;
	}
	if (strcmp(a.username, s->user)) {
		reply(c, r, 404, "Not Found");
		return;
	}
	sv_copy(uri, sizeof(uri), r->uri);
	/* RFC 7616 3.4: qop=auth was offered, so the answer must use it, with
	 * cnonce and nc; RFC 7616 3.4.6: the uri is the Request-URI */
	if ((a.algorithm[0] && strcasecmp(a.algorithm, "MD5")) || strcmp(a.qop, "auth") ||
	    !a.cnonce[0] || strlen(a.nc) != 8 || strcmp(a.uri, uri)) {
		reply(c, r, 400, "Bad Request");
		return;
	}
	if (strcmp(a.realm, s->realm) ||
	    sipreg_digest_md5(a.username, a.realm, s->password, "REGISTER", a.uri, a.nonce,
			      a.nc, a.cnonce, a.qop, want) < 0 ||
	    strcasecmp(want, a.response)) {
		reply(c, r, 403, "Forbidden");
		return;
	}
	/* RFC 7616 3.3: a right answer to a nonce no longer current is stale */
	if (strcmp(a.nonce, s->nonce)) {
		reply_challenge(c, r, 1);
		return;
	}
	if (s->mode == SIPREG_STALE && !s->stale_sent) {
		s->stale_sent = 1;
		rnd_hex(s->nonce, 16);
		reply_challenge(c, r, 1);
		return;
	}
	reply_200(c, r, NULL);
}

/* KERBEROS: the offer, then the AP-REQ and the request's signature. */
static void kerberos(struct conn *c, const struct sipreg_req *r)
{
	struct sipreg *s = c->s;
	char ainfo[1024], user[256], why[600];

	if (!r->auth.len || sv_ifind(r->auth, "Kerberos ") != 0) {
		reply_schemes(c, r);
		return;
	}
	if (sipreg_krb_verify(s->keytab, &s->krb_sa, r->method.p, r->len, r, s->to_tag, EXPIRES, ainfo,
			      sizeof(ainfo), user, sizeof(user), why, sizeof(why)) == 0) {
		reply_200(c, r, ainfo);
		return;
	}
	{
		struct resp o = { .len = 0 };

		begin(&o, s, r, 401, "Unauthorized");
		add(&o, "Warning: 399 mock \"%s\"\r\n", why);
		finish(c, &o);
	}
}

static void handle(struct conn *c, const struct sipreg_req *r)
{
	struct sipreg *s = c->s;
	static const char garbage[] = "HELLO \x01\x02 this is not SIP at all\r\n\r\n";

	sv_copy(s->last_auth, sizeof(s->last_auth), r->auth);
	sv_copy(s->last_from, sizeof(s->last_from), r->from);
	if (!sipreg_request_complete(r)) {
		reply(c, r, 400, "Bad Request");
		return;
	}
	if (!sv_eq(r->method, "REGISTER")) {
		reply(c, r, 405, "Method Not Allowed");
		return;
	}
	switch (s->mode) {
	case SIPREG_DIGEST:
	case SIPREG_STALE:
		digest(c, r);
		break;
	case SIPREG_OK:
		reply_200(c, r, NULL);
		break;
	case SIPREG_FORBIDDEN:
		reply(c, r, 403, "Forbidden");
		break;
	case SIPREG_REDIRECT: {
		struct resp o = { .len = 0 };

		begin(&o, s, r, 302, "Moved Temporarily");
		add(&o, "Contact: <%s>\r\n", s->redirect);
		finish(c, &o);
		break;
	}
	case SIPREG_SILENT:
		break;
	case SIPREG_CLOSE:
		SSL_shutdown(c->ssl);
		c->st = C_DRAIN;
		break;
	case SIPREG_GARBAGE:
		send_plain(c, garbage, sizeof(garbage) - 1);
		break;
	case SIPREG_OFFER_SCHEMES:
		reply_schemes(c, r);
		break;
	case SIPREG_KERBEROS:
		kerberos(c, r);
		break;
	}
}

static void take_requests(struct conn *c)
{
	size_t round;

	for (round = 0; round < MAX_ROUNDS && c->st == C_OPEN && c->in_len; round++) {
		struct sipreg_req r;
		int k = sipreg_parse_request(c->in, c->in_len, &r);

		if (k == 0)
			return;
		c->s->requests++;
		if (k < 0) {
			/* framing is lost: answer what can be answered, then close */
			reply(c, &r, 400, "Bad Request");
			c->in_len = 0;
			SSL_shutdown(c->ssl);
			c->st = C_DRAIN;
			return;
		}
		handle(c, &r);
		memmove(c->in, c->in + r.len, c->in_len - r.len);
		c->in_len -= r.len;
	}
}

static void progress(struct conn *c)
{
	size_t round;
	int n, err;

	if (c->st == C_HANDSHAKE) {
		ERR_clear_error();  /* SSL_get_error() reads the thread's queue */
		n = SSL_do_handshake(c->ssl);
		if (n == 1) {
			c->st = C_OPEN;
		} else {
			err = SSL_get_error(c->ssl, n);
			if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
				c->s->hs_failed++;
				c->st = C_DRAIN;    /* send the alert, then close */
			}
			ERR_clear_error();
			return;
		}
	}
	for (round = 0; round < MAX_ROUNDS && c->st == C_OPEN; round++) {
		if (c->in_len == sizeof(c->in)) {
			take_requests(c);
			if (c->in_len == sizeof(c->in))
				break;      /* parse_request said -1 at the limit */
			continue;
		}
		ERR_clear_error();
		n = SSL_read(c->ssl, c->in + c->in_len, (int)(sizeof(c->in) - c->in_len));
		if (n > 0) {
			c->in_len += (size_t)n;
			take_requests(c);
			continue;
		}
		err = SSL_get_error(c->ssl, n);
		ERR_clear_error();
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
			c->st = C_DRAIN;    /* close_notify or a broken record */
		break;
	}
}

static void on_conn_poll(uv_poll_t *h, int status, int events)
{
	struct conn *c = h->data;
	char buf[16384];
	size_t round;
	int eof = 0;

	if (status < 0) {
		conn_close(c);
		return;
	}
	if ((events & UV_WRITABLE) && flush(c) < 0)
		return;
	if (events & UV_READABLE) {
		for (round = 0; round < MAX_ROUNDS; round++) {
			ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				break;
			if (n <= 0) {
				eof = 1;
				break;
			}
			if (c->st == C_HANDSHAKE || c->st == C_OPEN)
				BIO_write(c->rbio, buf, (int)n);
		}
		progress(c);
	}
	if (flush(c) < 0)
		return;
	if (eof || (c->st == C_DRAIN && !c->out_len)) {
		conn_close(c);
		return;
	}
	uv_poll_start(&c->poll, (c->st == C_DRAIN ? 0 : UV_READABLE) |
		      (c->out_len ? UV_WRITABLE : 0), on_conn_poll);
}

static void conn_new(struct sipreg *s, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c || !(c->ssl = SSL_new(s->ctx)) || !(c->rbio = BIO_new(BIO_s_mem())) ||
	    !(c->wbio = BIO_new(BIO_s_mem())) ||
	    uv_poll_init_socket(s->loop, &c->poll, fd) != 0) {
		if (c) {
			BIO_free(c->rbio);
			BIO_free(c->wbio);
			SSL_free(c->ssl);
		}
		free(c);
		close(fd);
		ERR_clear_error();
		return;
	}
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_accept_state(c->ssl);
	c->s = s;
	c->fd = fd;
	c->st = C_HANDSHAKE;
	c->poll.data = c;
	c->next = s->conns;
	s->conns = c;
	s->n_conns++;
	uv_poll_start(&c->poll, UV_READABLE, on_conn_poll);
}

static void on_accept(uv_poll_t *h, int status, int events)
{
	struct sipreg *s = h->data;
	size_t round;

	(void)events;
	if (status < 0)
		return;
	for (round = 0; round < MAX_ROUNDS; round++) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			break;
		s->accepted++;
		if (s->n_conns >= SIPREG_MAX_CONNS)
			close(fd);
		else
			conn_new(s, fd);
	}
}

static char *dup_or(const char *v, const char *dflt)
{
	return strdup(v ? v : dflt);
}

static SSL_CTX *make_ctx(const struct sipreg_conf *c)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	BIO *b = NULL;
	X509 *x;
	size_t n;
	int ok;

	if (!ctx)
		return NULL;
	/* old versions and suites too: tests provoke what devices meet */
	SSL_CTX_set_security_level(ctx, 0);
	ok = SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0") &&
		(!c->min_version || SSL_CTX_set_min_proto_version(ctx, c->min_version)) &&
		(!c->max_version || SSL_CTX_set_max_proto_version(ctx, c->max_version)) &&
		SSL_CTX_use_certificate_chain_file(ctx, c->cert_pem) == 1 &&
		SSL_CTX_use_PrivateKey_file(ctx, c->key_pem, SSL_FILETYPE_PEM) == 1 &&
		SSL_CTX_check_private_key(ctx) == 1;
	SSL_CTX_set_num_tickets(ctx, 0);
	if (ok && c->chain_pem) {
		ok = (b = BIO_new_file(c->chain_pem, "r")) != NULL;
		for (n = 0; ok && n < MAX_CHAIN && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)); n++) {
			ok = SSL_CTX_add0_chain_cert(ctx, x) == 1;
			if (!ok)
				X509_free(x);
		}
		ok = ok && n > 0;
		BIO_free(b);
	}
	ERR_clear_error();
	if (!ok) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int sipreg_start(uv_loop_t *loop, const struct sipreg_conf *c, struct sipreg **out)
{
	struct sipreg *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int one = 1;

	if (!s)
		return -1;
	s->lfd = -1;
	if ((c->mode == SIPREG_DIGEST || c->mode == SIPREG_STALE) &&
	    (!c->user || !c->password))
		goto fail;
	if (!c->cert_pem || !c->key_pem || !(s->ctx = make_ctx(c)))
		goto fail;
	s->loop = loop;
	s->mode = c->mode;
	s->user = dup_or(c->user, "");
	s->password = dup_or(c->password, "");
	s->realm = dup_or(c->realm, "corp.example");
	s->redirect = dup_or(c->redirect_contact, "sip:pool2.corp.example:5061;transport=tls");
	s->keytab = dup_or(c->keytab, "");
	s->schemes = dup_or(c->schemes,
		"NTLM realm=\"SIP Communications Service\", targetname=\"pool.corp.example\", version=4\n"
		"Kerberos realm=\"SIP Communications Service\", targetname=\"sip/pool.corp.example\", version=4");
	if (!s->user || !s->password || !s->realm || !s->redirect || !s->schemes || !s->keytab)
		goto fail;
	rnd_hex(s->nonce, 16);
	rnd_hex(s->to_tag, 8);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s->lfd, SIPREG_MAX_CONNS) < 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&sa, &sl) < 0 ||
	    uv_poll_init_socket(loop, &s->lpoll, s->lfd) != 0)
		goto fail;
	s->port = ntohs(sa.sin_port);
	s->lpoll.data = s;
	uv_poll_start(&s->lpoll, UV_READABLE, on_accept);
	*out = s;
	return 0;
fail:
	if (s->lfd >= 0)
		close(s->lfd);
	SSL_CTX_free(s->ctx);
	free(s->user);
	free(s->password);
	free(s->realm);
	free(s->redirect);
	free(s->schemes);
	free(s->keytab);
	free(s);
	return -1;
}

static void on_listener_closed(uv_handle_t *h)
{
	struct sipreg *s = h->data;

	close(s->lfd);
	s->lclosed = 1;
	maybe_free(s);
}

void sipreg_stop(struct sipreg *s)
{
	size_t round;

	if (!s || s->stopping)
		return;
	s->stopping = 1;
	for (round = 0; round <= SIPREG_MAX_CONNS && s->conns; round++)
		conn_close(s->conns);
	uv_close((uv_handle_t *)&s->lpoll, on_listener_closed);
}

unsigned short sipreg_port(const struct sipreg *s) { return s->port; }
unsigned sipreg_requests(const struct sipreg *s) { return s->requests; }
unsigned sipreg_connections(const struct sipreg *s) { return s->accepted; }
unsigned sipreg_handshake_failures(const struct sipreg *s) { return s->hs_failed; }
const char *sipreg_last_authorization(const struct sipreg *s) { return s->last_auth; }
const char *sipreg_last_from(const struct sipreg *s) { return s->last_from; }

static char fx_cert[512], fx_key[512], fx_root[512];

static void fixture_paths(void)
{
	const char *dir = getenv("PB_FIXTURES") ? getenv("PB_FIXTURES") : "build/fixtures";

	snprintf(fx_cert, sizeof(fx_cert), "%s/leaf-sha256.pem", dir);
	snprintf(fx_key, sizeof(fx_key), "%s/work/leaf-sha256.key", dir);
	snprintf(fx_root, sizeof(fx_root), "%s/root-sha256-rsa4096.pem", dir);
}

void sipreg_fixture_conf(struct sipreg_conf *c, enum sipreg_mode mode)
{
	fixture_paths();
	memset(c, 0, sizeof(*c));
	c->cert_pem = fx_cert;
	c->key_pem = fx_key;
	c->chain_pem = fx_root;
	c->mode = mode;
	c->user = "alice";
	c->password = "secret";
	c->realm = "test.example";
}

const char *sipreg_fixture_root(void)
{
	fixture_paths();
	return fx_root;
}

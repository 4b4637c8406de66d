/* The mock LDAP server. See mock_ldap.h. Tags and shapes: RFC 4511 4.1-4.5
 * and appendix B; BER: X.690, definite lengths only (RFC 4511 5.1). */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "mock_ldap.h"

#define MAX_MSG 65536

struct mock_ldap {
	uv_loop_t *loop;
	uv_tcp_t server;
	uv_tcp_t server_tls;      /* LDAPS, when opts.ldaps */
	int has_tls_server;
	unsigned ldaps_port;
	SSL_CTX *ctx;
	struct mock_ldap_opts o;
	struct mock_ldap_seen seen;
	struct conn *conns;
	int handles;
	int stopping;
};

struct conn {
	uv_tcp_t h;
	struct mock_ldap *m;
	struct conn *next;
	int bound;                /* as alice */
	int closing;
	SSL *ssl;                 /* TLS on: bytes go through rbio/wbio */
	BIO *rbio, *wbio;         /* owned by ssl */
	size_t n;
	uint8_t in[MAX_MSG + 16]; /* LDAP bytes (decrypted, under TLS) */
	uint8_t raw[16384];       /* TLS records as read */
};

/* ---- reading BER ---- */

struct rd {
	const uint8_t *p;
	size_t n;
};

/* One TLV: a one-byte tag (all LDAP's are), a definite length. */
static int tlv(struct rd *r, uint8_t *tag, struct rd *val)
{
	size_t len = 0, i, k;

	if (r->n < 2)
		return -1;
	*tag = r->p[0];
	if (r->p[1] < 0x80) {
		len = r->p[1];
		i = 2;
	} else {
		k = r->p[1] & 0x7f;
		if (k == 0 || k > 3 || r->n < 2 + k)
			return -1;
		for (i = 0; i < k; i++)
			len = len << 8 | r->p[2 + i];
		i = 2 + k;
	}
	if (r->n - i < len)
		return -1;
	val->p = r->p + i;
	val->n = len;
	r->p += i + len;
	r->n -= i + len;
	return 0;
}

static long integer(struct rd v)
{
	long x = v.n && (v.p[0] & 0x80) ? -1 : 0;
	size_t i;

	for (i = 0; i < v.n && i < sizeof(long); i++)
		x = (long)((unsigned long)x << 8 | v.p[i]);
	return x;
}

static void str(struct rd v, char *buf, size_t len)
{
	size_t n = v.n < len - 1 ? v.n : len - 1;

	memcpy(buf, v.p, n);
	buf[n] = '\0';
}

/* ---- writing BER ---- */

struct wr {
	uint8_t b[MAX_MSG];
	size_t n;
	int over;
};

static size_t open_tlv(struct wr *w, uint8_t tag)
{
	if (w->n + 2 > sizeof(w->b)) {
		w->over = 1;
		return w->n;
	}
	w->b[w->n++] = tag;
	w->b[w->n++] = 0;
	return w->n - 1;     /* where the length goes */
}

static void close_tlv(struct wr *w, size_t at)
{
	size_t len, k;

	if (w->over)
		return;
	len = w->n - at - 1;
	if (len < 0x80) {
		w->b[at] = (uint8_t)len;
		return;
	}
	k = len > 0xffff ? 3 : len > 0xff ? 2 : 1;
	if (w->n + k > sizeof(w->b)) {
		w->over = 1;
		return;
	}
	memmove(w->b + at + 1 + k, w->b + at + 1, len);
	w->b[at] = (uint8_t)(0x80 | k);
	for (; k; k--, len >>= 8)
		w->b[at + k] = (uint8_t)len;
	w->n += w->b[at] & 0x7f;
}

static void put(struct wr *w, uint8_t tag, const void *v, size_t len)
{
	size_t at = open_tlv(w, tag);

	if (w->over || w->n + len > sizeof(w->b)) {
		w->over = 1;
		return;
	}
	memcpy(w->b + w->n, v, len);
	w->n += len;
	close_tlv(w, at);
}

/* A non-negative INTEGER or ENUMERATED, shortest form (X.690 8.3.2). */
static void put_int(struct wr *w, uint8_t tag, long x)
{
	uint8_t b[sizeof(long) + 1];
	size_t n = 0, i;

	do {
		b[n++] = (uint8_t)x;
		x >>= 8;
	} while (x && n < sizeof(long));
	if (b[n - 1] & 0x80)
		b[n++] = 0;
	for (i = 0; i < n / 2; i++) {
		uint8_t t = b[i];

		b[i] = b[n - 1 - i];
		b[n - 1 - i] = t;
	}
	put(w, tag, b, n);
}

static void put_str(struct wr *w, const char *s)
{
	put(w, 0x04, s, strlen(s));
}

/* LDAPResult (RFC 4511 4.1.9) as op. */
static void result(struct wr *w, long id, uint8_t op, int code, const char *diag)
{
	size_t msg = open_tlv(w, 0x30), r;

	put_int(w, 0x02, id);
	r = open_tlv(w, op);
	put_int(w, 0x0a, code);
	put_str(w, "");
	put_str(w, diag);
	close_tlv(w, r);
	close_tlv(w, msg);
}

/* SearchResultEntry (RFC 4511 4.5.2): [APPLICATION 4] */
/* An attribute with one string value. */
static void put_attr(struct wr *w, const char *name, const char *value)
{
	size_t a = open_tlv(w, 0x30), vals;

	put_str(w, name);
	vals = open_tlv(w, 0x31);
	put_str(w, value);
	close_tlv(w, vals);
	close_tlv(w, a);
}

static size_t entry_open(struct wr *w, long id, const char *dn, size_t *op, size_t *attrs)
{
	size_t msg = open_tlv(w, 0x30);

	put_int(w, 0x02, id);
	*op = open_tlv(w, 0x64);
	put_str(w, dn);
	*attrs = open_tlv(w, 0x30);
	return msg;
}

static void entry_close(struct wr *w, size_t msg, size_t op, size_t attrs)
{
	close_tlv(w, attrs);
	close_tlv(w, op);
	close_tlv(w, msg);
}

/* ---- the connection ---- */

struct wreq {
	uv_write_t req;
	uv_buf_t buf;
	uint8_t data[];
};

static void on_written(uv_write_t *req, int status)
{
	(void)status;
	free(req->data);
}

static void send_raw(struct conn *c, const void *b, size_t n)
{
	struct wreq *q;

	if (c->closing || !n || !(q = malloc(sizeof(*q) + n)))
		return;
	memcpy(q->data, b, n);
	q->buf = uv_buf_init((char *)q->data, (unsigned)n);
	q->req.data = q;
	if (uv_write(&q->req, (uv_stream_t *)&c->h, &q->buf, 1, on_written) < 0)
		free(q);
}

/* What OpenSSL has written into the memory BIO, onto the wire. */
static void flush_tls(struct conn *c)
{
	uint8_t b[4096];
	int n;

	while (c->wbio && (n = BIO_read(c->wbio, b, sizeof(b))) > 0)
		send_raw(c, b, (size_t)n);
}

static void send_wr(struct conn *c, const struct wr *w)
{
	if (w->over || c->closing)
		return;
	if (c->ssl && SSL_is_init_finished(c->ssl)) {
		SSL_write(c->ssl, w->b, (int)w->n);
		flush_tls(c);
		return;
	}
	send_raw(c, w->b, w->n);
}

/* TLS from now on, as the server side. 0 or -1. */
static int tls_on(struct conn *c)
{
	if (!(c->ssl = SSL_new(c->m->ctx)) || !(c->rbio = BIO_new(BIO_s_mem())) ||
	    !(c->wbio = BIO_new(BIO_s_mem()))) {
		BIO_free(c->rbio);
		c->rbio = NULL;
		return -1;
	}
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_accept_state(c->ssl);
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	struct mock_ldap *m = h->data;

	if (h != (uv_handle_t *)&m->server && h != (uv_handle_t *)&m->server_tls) {
		struct conn *c = (struct conn *)h;    /* its handle comes first */

		SSL_free(c->ssl);
		free(c);
	}
	if (--m->handles == 0 && m->stopping) {
		SSL_CTX_free(m->ctx);
		free(m);
	}
}

static void conn_close(struct conn *c)
{
	struct conn **pp;

	if (c->closing)
		return;
	c->closing = 1;
	for (pp = &c->m->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->h.data = c->m;
	uv_close((uv_handle_t *)&c->h, on_closed);
}

static void on_bind(struct conn *c, long id, struct rd op)
{
	struct mock_ldap *m = c->m;
	struct rd ver, name, auth;
	uint8_t t1, t2, t3;
	char dn[256], pw[256];
	int code = 49;       /* invalidCredentials */
	struct wr *w = calloc(1, sizeof(*w));

	if (!w)
		return;
	m->seen.binds++;
	c->bound = 0;        /* anonymous until it succeeds (RFC 4513 4) */
	if (tlv(&op, &t1, &ver) || tlv(&op, &t2, &name) || tlv(&op, &t3, &auth) || t3 != 0x80) {
		result(w, id, 0x61, 2, "protocolError");
	} else {
		str(name, dn, sizeof(dn));
		str(auth, pw, sizeof(pw));
		snprintf(m->seen.last_bind, sizeof(m->seen.last_bind), "%s", dn);
		m->seen.tls_binds += c->ssl != NULL;
		m->seen.clear_pw_binds += !c->ssl && auth.n > 0;
		if (!*dn && !*pw)
			code = m->o.anon_bind_refused ? 53 : 0;
		else if (!c->ssl && m->o.strong_auth)
			code = 8;      /* strongerAuthRequired (RFC 4513 6.3.1) */
		else if (!strcmp(dn, "alice@corp.example"))
			code = !m->o.upn_ok ? 34 : strcmp(pw, "secret") ? 49 : 0;
		else if (!strcasecmp(dn, MOCK_LDAP_USER_DN))
			code = strcmp(pw, "secret") ? 49 : 0;
		c->bound = code == 0 && *dn;
		/* Samba's words for the strong-auth refusal */
		result(w, id, 0x61, code, code == 8 ? "BindSimple: Transport encryption required." :
		       code ? "refused by the mock" : "");
	}
	send_wr(c, w);
	free(w);
}

/* The user's DN search: note the filter, find alice. */
static int user_search(struct mock_ldap *m, struct rd filter, uint8_t ftag)
{
	struct mock_ldap_seen *s = &m->seen;
	struct rd item, attr, val;
	uint8_t t;
	int alice = 0;

	s->filter_is_or_of_eq = ftag == 0xa1;
	s->n_eq = 0;
	while (ftag == 0xa1 && filter.n) {
		if (tlv(&filter, &t, &item) || t != 0xa3 || tlv(&item, &t, &attr) ||
		    tlv(&item, &t, &val)) {
			s->filter_is_or_of_eq = 0;
			break;
		}
		if (s->n_eq < 8) {
			str(attr, s->eq_attr[s->n_eq], sizeof(s->eq_attr[0]));
			str(val, s->eq_value[s->n_eq], sizeof(s->eq_value[0]));
			if (!strcmp(s->eq_value[s->n_eq], "alice") ||
			    !strcmp(s->eq_value[s->n_eq], "alice@corp.example"))
				alice = 1;
			s->n_eq++;
		}
	}
	return alice;
}

static void on_search(struct conn *c, long id, struct rd op)
{
	struct mock_ldap *m = c->m;
	struct rd base, f[5], filter;
	uint8_t t, ftag;
	char b[256], ca_base[300], enroll_base[300], domain[200], dn[400];
	size_t i, k, msg, rop, attrs, a, vals;
	struct wr *w = calloc(1, sizeof(*w));

	if (!w)
		return;
	m->seen.searches++;
	if (tlv(&op, &t, &base) || tlv(&op, &t, &f[0]) || tlv(&op, &t, &f[1]) ||
	    tlv(&op, &t, &f[2]) || tlv(&op, &t, &f[3]) || tlv(&op, &t, &f[4]) ||
	    tlv(&op, &ftag, &filter)) {
		result(w, id, 0x65, 2, "protocolError");
		goto out;
	}
	str(base, b, sizeof(b));
	snprintf(domain, sizeof(domain), "%s", m->o.domain_dn ? m->o.domain_dn : "DC=corp,DC=example");
	snprintf(ca_base, sizeof(ca_base), "CN=Certification Authorities,CN=Public Key "
		 "Services,CN=Services,CN=Configuration,%s", domain);
	snprintf(enroll_base, sizeof(enroll_base), "CN=Enrollment Services,CN=Public Key "
		 "Services,CN=Services,CN=Configuration,%s", domain);
	if (!strcasecmp(b, enroll_base)) {
		struct rd fa = filter, attr, val;
		char an[64] = "", av[64] = "";

		if (ftag == 0xa3 && !tlv(&fa, &t, &attr) && !tlv(&fa, &t, &val)) {
			str(attr, an, sizeof(an));
			str(val, av, sizeof(av));
		}
		m->seen.enroll_search_ok = integer(f[0]) == 1 && !strcasecmp(an, "objectClass") &&
					   !strcasecmp(av, "pKIEnrollmentService");
	}
	if (!c->bound && m->o.anon_read_refused) {
		result(w, id, 0x65, 50, "anonymous reads are refused by the mock");
	} else if (!strcasecmp(b, domain)) {
		if (user_search(m, filter, ftag)) {
			msg = entry_open(w, id, MOCK_LDAP_USER_DN, &rop, &attrs);
			entry_close(w, msg, rop, attrs);
		}
		result(w, id, 0x65, 0, "");
	} else if (!strcasecmp(b, ca_base)) {
		size_t len = m->o.cert_len ? m->o.cert_len : 100;
		uint8_t *v = malloc(len);

		if (m->o.n_certs && v) {
			snprintf(dn, sizeof(dn), "cn=corp-ROOT-CA,%s", ca_base);
			msg = entry_open(w, id, dn, &rop, &attrs);
			put_attr(w, "cn", "corp-ROOT-CA");   /* an attribute to be ignored */
			a = open_tlv(w, 0x30);
			put_str(w, m->o.attr ? m->o.attr : "cACertificate;binary");
			vals = open_tlv(w, 0x31);
			for (i = 0; i < m->o.n_certs; i++) {
				for (k = 0; k < len; k++)
					v[k] = (uint8_t)(i + 1);
				put(w, 0x04, v, len);
			}
			close_tlv(w, vals);
			close_tlv(w, a);
			entry_close(w, msg, rop, attrs);
		}
		free(v);
		result(w, id, 0x65, 0, "");
	} else if (!strcasecmp(b, enroll_base) && m->o.enroll_silent) {
		goto out;                     /* never answered */
	} else if (!strcasecmp(b, enroll_base) && m->o.enroll_host) {
		const char *hosts[2] = { m->o.enroll_host, m->o.enroll_host2 };
		static const char *const cns[2] = { "corp-ROOT-CA", "corp-OTHER-CA" };
		for (i = 0; i < 2 && hosts[i]; i++) {
			snprintf(dn, sizeof(dn), "CN=%s,%s", cns[i], enroll_base);
			msg = entry_open(w, id, dn, &rop, &attrs);
			put_attr(w, "cn", cns[i]);
			put_attr(w, "dNSHostName", hosts[i]);
			entry_close(w, msg, rop, attrs);
		}
		result(w, id, 0x65, 0, "");
	} else {
		result(w, id, 0x65, 32, "noSuchObject");
	}
out:
	send_wr(c, w);
	free(w);
}

/* ExtendedRequest (RFC 4511 4.12): only StartTLS (4.14) is known. The
 * response goes out in clear; TLS starts after it. */
static void on_extended(struct conn *c, long id, struct rd op)
{
	static const char oid[] = "1.3.6.1.4.1.1466.20037";
	struct mock_ldap *m = c->m;
	struct rd name;
	uint8_t t;
	size_t msg, r;
	int known, code;
	struct wr *w = calloc(1, sizeof(*w));

	if (!w)
		return;
	known = !tlv(&op, &t, &name) && t == 0x80 && name.n == sizeof(oid) - 1 &&
		!memcmp(name.p, oid, name.n);
	m->seen.starttls += known;
	/* protocolError for an unknown request or a directory without TLS;
	 * operationsError for StartTLS inside TLS (4.14.1) */
	code = !known || m->o.starttls_refused ? 2 : c->ssl ? 1 : 0;
	msg = open_tlv(w, 0x30);
	put_int(w, 0x02, id);
	r = open_tlv(w, 0x78);
	put_int(w, 0x0a, code);
	put_str(w, "");
	put_str(w, code == 2 ? "unsupported extended operation" : "");
	if (known)
		put(w, 0x8a, oid, sizeof(oid) - 1);
	close_tlv(w, r);
	close_tlv(w, msg);
	send_wr(c, w);
	free(w);
	if (code == 0 && m->o.starttls_broken)
		conn_close(c);
	else if (code == 0 && tls_on(c) < 0)
		conn_close(c);
}

/* One LDAPMessage (RFC 4511 4.1.1). */
static void message(struct conn *c, struct rd msg)
{
	struct rd id, op;
	uint8_t t, optag;

	if (tlv(&msg, &t, &id) || t != 0x02 || tlv(&msg, &optag, &op)) {
		conn_close(c);
		return;
	}
	if (c->m->o.silent) {
		c->m->seen.binds += optag == 0x60;
		c->m->seen.searches += optag == 0x63;
		c->m->seen.starttls += optag == 0x77;
		return;
	}
	switch (optag) {
	case 0x60: on_bind(c, integer(id), op); break;
	case 0x63:
		if (c->m->o.hangup_on_search)
			conn_close(c);
		else
			on_search(c, integer(id), op);
		break;
	case 0x42: c->m->seen.unbinds++; conn_close(c); break;
	case 0x77: on_extended(c, integer(id), op); break;
	default: break;        /* abandon and the rest: no answer */
	}
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *c = (struct conn *)h;

	(void)hint;
	if (c->ssl)
		*buf = uv_buf_init((char *)c->raw, sizeof(c->raw));
	else
		*buf = uv_buf_init((char *)c->in + c->n, (unsigned)(sizeof(c->in) - c->n));
}

static void messages(struct conn *c);

/* Records in: the handshake, then the LDAP bytes they carry. */
static void tls_pump(struct conn *c)
{
	int r;

	if (!SSL_is_init_finished(c->ssl)) {
		r = SSL_do_handshake(c->ssl);
		flush_tls(c);
		if (r != 1) {
			if (SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ)
				conn_close(c);
			ERR_clear_error();
			return;
		}
		c->m->seen.handshakes++;
	}
	while (c->n < sizeof(c->in) &&
	       (r = SSL_read(c->ssl, c->in + c->n, (int)(sizeof(c->in) - c->n))) > 0)
		c->n += (size_t)r;
	ERR_clear_error();
	flush_tls(c);
	messages(c);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = (struct conn *)s;

	if (nread < 0) {
		conn_close(c);
		return;
	}
	if (c->ssl) {
		BIO_write(c->rbio, buf->base, (int)nread);
		tls_pump(c);
		return;
	}
	c->n += (size_t)nread;
	messages(c);
	/* StartTLS came with more behind it: that is the ClientHello */
	if (c->ssl && !c->closing && c->n) {
		BIO_write(c->rbio, c->in, (int)c->n);
		c->n = 0;
		tls_pump(c);
	}
}

/* The whole LDAPMessages in c->in. */
static void messages(struct conn *c)
{
	struct rd all, msg;
	uint8_t t;
	size_t used;
	int had_tls = c->ssl != NULL;

	for (;;) {
		all.p = c->in;
		all.n = c->n;
		if (tlv(&all, &t, &msg)) {
			if (c->n > MAX_MSG)
				conn_close(c);      /* too big: not ours to take */
			return;
		}
		used = c->n - all.n;
		if (t == 0x30)
			message(c, msg);
		if (c->closing)
			return;
		memmove(c->in, c->in + used, c->n - used);
		c->n -= used;
		if (!had_tls && c->ssl)
			return;        /* what follows StartTLS is TLS */
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct mock_ldap *m = server->data;
	int ldaps = server == (uv_stream_t *)&m->server_tls;
	struct conn *c;

	if (status < 0 || !(c = calloc(1, sizeof(*c))))
		return;
	c->m = m;
	uv_tcp_init(m->loop, &c->h);
	m->handles++;
	if (uv_accept(server, (uv_stream_t *)&c->h) < 0) {
		c->closing = 1;
		c->h.data = m;
		uv_close((uv_handle_t *)&c->h, on_closed);
		return;
	}
	m->seen.connections++;
	if (ldaps) {
		m->seen.ldaps_connections++;
		if (tls_on(c) < 0) {
			conn_close(c);
			return;
		}
	}
	c->next = m->conns;
	m->conns = c;
	uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read);
}

/* A server context with a fresh self-signed P-256 certificate for
 * dc01.corp.example. */
static SSL_CTX *server_ctx(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	int ok = k && x && ctx;

	if (ok) {
		X509_set_version(x, 2);
		ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
		X509_gmtime_adj(X509_getm_notBefore(x), -3600);
		X509_gmtime_adj(X509_getm_notAfter(x), 86400);
		n = X509_get_subject_name(x);
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					   (const unsigned char *)"dc01.corp.example", -1, -1, 0);
		X509_set_issuer_name(x, n);
		ok = X509_set_pubkey(x, k) && X509_sign(x, k, EVP_sha256()) &&
		     SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, k) == 1;
	}
	X509_free(x);
	EVP_PKEY_free(k);
	if (!ok) {
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

static int listen_on(struct mock_ldap *m, uv_tcp_t *h, unsigned *port)
{
	struct sockaddr_in sa;
	struct sockaddr_storage ss;
	int len = sizeof(ss), rc;

	uv_ip4_addr("127.0.0.1", 0, &sa);
	if ((rc = uv_tcp_init(m->loop, h)) < 0)
		return rc;
	h->data = m;
	m->handles++;
	if ((rc = uv_tcp_bind(h, (const struct sockaddr *)&sa, 0)) < 0 ||
	    (rc = uv_listen((uv_stream_t *)h, 128, on_connection)) < 0 ||
	    (rc = uv_tcp_getsockname(h, (struct sockaddr *)&ss, &len)) < 0)
		return rc;
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

unsigned mock_ldap_ldaps_port(const struct mock_ldap *m)
{
	return m->ldaps_port;
}

int mock_ldap_start(uv_loop_t *loop, const struct mock_ldap_opts *o,
		    struct mock_ldap **out, unsigned *port)
{
	struct mock_ldap *m = calloc(1, sizeof(*m));
	int rc;

	if (!m)
		return UV_ENOMEM;
	m->loop = loop;
	m->o = *o;
	if (!(m->ctx = server_ctx())) {
		free(m);
		return UV_ENOMEM;
	}
	if ((rc = listen_on(m, &m->server, port)) < 0 && m->handles == 0) {
		SSL_CTX_free(m->ctx);
		free(m);
		return rc;
	}
	if (rc == 0 && o->ldaps) {
		m->has_tls_server = 1;
		rc = listen_on(m, &m->server_tls, &m->ldaps_port);
		if (rc < 0 && m->handles == 1)
			m->has_tls_server = 0;     /* its init failed: nothing to close */
	}
	if (rc < 0) {
		mock_ldap_stop(m);
		return rc;
	}
	*out = m;
	return 0;
}

const struct mock_ldap_seen *mock_ldap_seen(const struct mock_ldap *m)
{
	return &m->seen;
}

void mock_ldap_stop(struct mock_ldap *m)
{
	if (!m)
		return;
	m->stopping = 1;
	while (m->conns)
		conn_close(m->conns);
	uv_close((uv_handle_t *)&m->server, on_closed);
	if (m->has_tls_server)
		uv_close((uv_handle_t *)&m->server_tls, on_closed);
}

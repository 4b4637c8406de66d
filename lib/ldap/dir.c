/* CA certificates from the directory, on the caller's loop with libldap's
 * asynchronous API. See dir.h, and docs/engine.md for the order of binds. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <ldap.h>

#include "core/nopipe.h"
#include "ldap/dir.h"
#include "dns/dns.h"
#include "ldap/layer.h"
#include "ldap/gssapi.h"
#include "ldap/sasl.h"
#include "tls/fd.h"

/* One state per request sent, or per wait of the transport. */
enum st {
	ST_START,       /* waiting for the loop's first turn */
	ST_CONNECT,     /* the TCP connect */
	ST_STARTTLS,    /* the StartTLS extended request (RFC 4511 4.14) */
	ST_HANDSHAKE,   /* the TLS handshake, StartTLS's or LDAPS's */
	ST_BIND_SASL,   /* a round of the SASL GSS-SPNEGO bind */
	ST_BIND_USER,   /* bind as user@domain */
	ST_FIND_DN,     /* anonymous search for the user's DN */
	ST_BIND_DN,     /* bind as that DN */
	ST_BIND_ANON,   /* an explicit anonymous bind */
	ST_READ_CA,     /* the search for cACertificate */
	ST_READ_ENROLL, /* the search for the enterprise CAs' hosts */
	ST_DONE,
};
static const char *const st_names[] = {
	"start", "connect", "starttls", "tls-handshake", "bind-sasl", "bind-user", "find-dn",
	"bind-dn",
	"bind-anonymous", "read-ca", "read-enrollment", "done",
};
_Static_assert(sizeof(st_names) / sizeof(st_names[0]) == ST_DONE + 1,
	       "a name for every state");

/* How the session is carried, tried in this order with a password
 * (docs/engine.md, "Directory bind"): a SASL bind that signs and seals on
 * the plain port (when asked: a domain member speaking NTLM), StartTLS on
 * the plain port, LDAPS, then the plain port in clear (anonymous, or
 * --ldap-plain-bind). */
enum way { WAY_SASL, WAY_STARTTLS, WAY_LDAPS, WAY_CLEAR };
static const char *const way_names[] = { "SASL", "StartTLS", "LDAPS", "clear" };
_Static_assert(sizeof(way_names) / sizeof(way_names[0]) == WAY_CLEAR + 1,
	       "a name for every way");

/* A bind method. start sends the first BindRequest as who (NULL:
 * anonymous). answer reads a BindResponse: LDAP_SUCCESS, the result code of
 * the refusal (the server's diagnostic message copied into diag), or
 * LDAP_SASL_BIND_IN_PROGRESS with the next round sent as *msgid: SASL
 * mechanisms take several rounds (RFC 4511 4.2, 4.2.2), simple bind one.
 * Issue 10 adds GSSAPI / GSS-SPNEGO here. */
struct bind_method {
	const char *name;
	int (*start)(LDAP *ld, const char *who, const char *password, int *msgid);
	int (*answer)(LDAP *ld, LDAPMessage *res, const char *who, const char *password,
		      int *msgid, char *diag, size_t dlen);
};

struct dir_req {
	uv_loop_t *loop;
	uv_timer_t timer;            /* the first turn, then each phase's bound */
	uv_poll_t *poll;             /* this connection's descriptor (one per
				      * connection: a closing one may still hold
				      * the old descriptor's number) */
	int handles;                 /* still to close before the free */
	int fd;
	int connected;               /* the TCP connect is known to be over */
	LDAP *ld;
	struct tls_fd *tls;          /* the session under libldap, or NULL */
	unsigned char *tls_out;      /* what it has not yet written of a message */
	size_t tls_out_len, tls_out_off;
	int tls_on;                  /* ... pushed into libldap's Sockbuf */
	enum way way;
	enum st st;
	int msgid;                   /* the request in flight; -1 before it is sent */
	const struct bind_method *method;
	const char *password;        /* borrowed until the callback or cancel */
	char *user_dn;               /* from ST_FIND_DN (ldap_get_dn) */
	int sys_errno;               /* errno just after the last request was sent */
	int refused;                 /* the bind as the user was refused */
	int plain_bind;              /* --ldap-plain-bind */
	int enrollment;              /* dir_opts.enrollment */
	char ca_detail[512];         /* no cACertificate: why, while the CAs' hosts
				      * are read */
	int sasl_try;                /* a SASL GSS-SPNEGO bind first */
	struct dir_gssapi *gss;      /* Kerberos (SASL GSSAPI), or NULL; freed
				      * after the unbind (its layer is under it) */
	int krb;                     /* the SASL bind under way is Kerberos's */
	char krb_client[256];        /* the client principal, for the report */
	char no_krb[300];            /* why the Kerberos bind was not had */
	struct sasl_ntlm *sasl;      /* its state; the security layer's too */
	int sasl_on;                 /* the layer is under libldap */
	struct berval sasl_out;      /* the next BindRequest's credentials */
	int sasl_rounds;             /* of this connection's SASL bind */
	char no_sasl[300];           /* why the SASL bind was not had */
	char dc_name[256];
	void *tls_ctx;               /* dir_opts.tls_ctx (borrowed) */
	struct ntlm_crypto *ntlm_crypto; /* dir_opts.ntlm_crypto (borrowed) */
	char refusal[200];           /* why (the last refusal) */
	char no_tls[400];            /* why StartTLS and LDAPS were not had */
	char host[48], url[80], domain_dn[256], user[256], upn[512];
	unsigned port, ldaps_port;
	unsigned timeout_ms;
	dir_cb *cb;
	void *arg;
	uint64_t t0;
	struct dir_result r;
};

void dir_domain_dn(const char *domain, char *buf, size_t len)
{
	const char *p = domain;
	size_t off = 0;

	buf[0] = '\0';
	while (*p && off < len) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		off += (size_t)snprintf(buf + off, len - off, "%sDC=%.*s", off ? "," : "",
					(int)n, p);
		p += n + (dot ? 1 : 0);
	}
}

/* ---- simple bind (RFC 4511 4.2, RFC 4513 5.1) ---- */

static int simple_start(LDAP *ld, const char *who, const char *pw, int *msgid)
{
	struct berval cred;

	cred.bv_val = (char *)(pw ? pw : "");
	cred.bv_len = pw ? strlen(pw) : 0;
	return ldap_sasl_bind(ld, who, LDAP_SASL_SIMPLE, &cred, NULL, NULL, msgid);
}

static int simple_answer(LDAP *ld, LDAPMessage *res, const char *who, const char *pw,
			 int *msgid, char *diag, size_t dlen)
{
	char *msg = NULL;
	int err = LDAP_OTHER, rc;

	(void)who;
	(void)pw;
	(void)msgid;
	rc = ldap_parse_result(ld, res, &err, NULL, &msg, NULL, NULL, 0);
	if (msg && *msg)
		snprintf(diag, dlen, " (%s)", msg);
	ldap_memfree(msg);
	return rc == LDAP_SUCCESS ? err : rc;
}

static const struct bind_method simple_bind = { "simple", simple_start, simple_answer };

/* ---- TLS under libldap ----
 *
 * libldap 2.5 (Debian 12: 2.5.13) cannot handshake without waiting:
 * ldap_install_tls() and ldap_start_tls_s() end in ldap_int_tls_start(),
 * which with LDAP_OPT_CONNECT_ASYNC loops on ldap_int_poll() until the
 * handshake is over or LDAP_OPT_NETWORK_TIMEOUT has passed (tls2.c; only
 * 2.7 returns LDAP_X_CONNECTING there, ITS#8047). So the StartTLS request
 * goes out with libldap's asynchronous ldap_extended_operation(), the
 * handshake is tls/fd.h's, one step per uv_poll event, and the session is
 * then pushed into libldap's Sockbuf as a layer of its own (lber.h's
 * Sockbuf_IO, as libldap's own TLS and SASL layers are): every later
 * request and answer goes through it. */

/* Write what the session holds of the last message. 0 when all of it
 * went, -1 (errno; EAGAIN: not now). */
static int tls_flush(struct dir_req *q)
{
	while (q->tls_out && q->tls_out_off < q->tls_out_len) {
		ssize_t n = tls_fd_write(q->tls, q->tls_out + q->tls_out_off,
					 q->tls_out_len - q->tls_out_off);

		if (n <= 0) {
			if (n == 0)
				errno = EPIPE;
			return -1;
		}
		q->tls_out_off += (size_t)n;
	}
	free(q->tls_out);
	q->tls_out = NULL;
	return 0;
}

static int sb_ctrl(Sockbuf_IO_Desc *d, int opt, void *arg)
{
	struct dir_req *q = d->sbiod_pvt;

	/* decrypted bytes wait in the session: the socket may be quiet */
	if (opt == LBER_SB_OPT_DATA_READY && q && q->tls && tls_fd_pending(q->tls) > 0)
		return 1;
	if (opt == LAYER_OPT_FLUSH && q && q->tls_out) {
		int rc = tls_flush(q);

		/* a session that waits to read goes on when an answer
		 * arrives (sb_read flushes first): nothing to watch
		 * writable for */
		if (rc < 0 && layer_later(errno) &&
		    tls_fd_wants_read(q->tls))
			return 0;
		return layer_flush_answer(d, rc, opt, arg);
	}
	return LBER_SBIOD_CTRL_NEXT(d, opt, arg);
}

static ber_slen_t sb_read(Sockbuf_IO_Desc *d, void *buf, ber_len_t len)
{
	struct dir_req *q = d->sbiod_pvt;

	if (!q || !q->tls) {
		errno = EBADF;
		return -1;
	}
	/* the request this answers may still be here in part */
	if (tls_flush(q) < 0 && !layer_later(errno))
		return -1;
	return tls_fd_read(q->tls, buf, len);
}

/* A message is the session's once it is given: what SSL_write does not
 * take at once (a full socket) is kept and goes out before the next write
 * or read, and when the loop sees the socket writable (LAYER_OPT_FLUSH),
 * so libldap never holds a request half written (it would retry only in
 * its own poll, which dir.c does not run). EAGAIN only while an earlier
 * message still waits, before any of the new one is taken. */
static ber_slen_t sb_write(Sockbuf_IO_Desc *d, void *buf, ber_len_t len)
{
	struct dir_req *q = d->sbiod_pvt;
	ssize_t n;

	if (!q || !q->tls) {
		errno = EBADF;
		return -1;
	}
	if (tls_flush(q) < 0)
		return -1;
	n = tls_fd_write(q->tls, buf, len);
	if (n < 0 && !layer_later(errno))
		return -1;
	if (n < 0)
		n = 0;
	if ((size_t)n < len) {
		/* OpenSSL wants the same bytes again (the session is made
		 * with SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER: a copy will do) */
		if (!(q->tls_out = malloc(len - (size_t)n))) {
			errno = ENOMEM;
			return -1;
		}
		memcpy(q->tls_out, (const unsigned char *)buf + n, len - (size_t)n);
		q->tls_out_len = len - (size_t)n;
		q->tls_out_off = 0;
	}
	return (ber_slen_t)len;
}

static Sockbuf_IO tls_layer = {
	.sbi_setup = layer_setup,
	.sbi_remove = layer_remove,
	.sbi_ctrl = sb_ctrl,
	.sbi_read = sb_read,
	.sbi_write = sb_write,
	.sbi_close = layer_close,
};

/* ---- the end of a request ---- */

static void on_closed(uv_handle_t *h)
{
	struct dir_req *q = h->data;
	size_t i;

	if (h != (uv_handle_t *)&q->timer)
		free(h);                  /* a connection's poll */
	if (--q->handles > 0)
		return;
	for (i = 0; i < q->r.n; i++)
		free(q->r.der[i]);
	ldap_memfree(q->user_dn);
	free(q);
}

/* Close the connection: the poll first (libuv forgets the descriptor
 * then, before its number can be reused), then unbind (which closes the
 * descriptor, the unbind request going through the TLS layer), then the
 * TLS session. */
static void drop_conn(struct dir_req *q)
{
	struct nopipe g;

	uv_timer_stop(&q->timer);
	if (q->poll) {
		uv_close((uv_handle_t *)q->poll, on_closed);
		q->poll = NULL;
	}
	if (q->ld) {
		nopipe_on(&g);
		ldap_unbind_ext(q->ld, NULL, NULL);
		nopipe_off(&g);
		q->ld = NULL;
	}
	tls_fd_free(q->tls);
	q->tls = NULL;
	q->tls_on = 0;
	free(q->tls_out);
	q->tls_out = NULL;
	sasl_ntlm_free(q->sasl);
	q->sasl = NULL;
	q->sasl_on = 0;
	q->fd = -1;
	q->connected = 0;
	q->msgid = -1;
}

static void teardown(struct dir_req *q)
{
	q->st = ST_DONE;
	drop_conn(q);
	/* now, not at the last close: the ccache under it is the caller's */
	dir_gssapi_free(q->gss);
	q->gss = NULL;
	uv_close((uv_handle_t *)&q->timer, on_closed);
}

static void finish(struct dir_req *q)
{
	q->st = ST_DONE;     /* dir_cancel() from the callback does nothing */
	uv_timer_stop(&q->timer);
	if (q->poll)
		uv_poll_stop(q->poll);
	q->r.ms = (double)(uv_hrtime() - q->t0) / 1e6;
	if (q->no_sasl[0] && q->r.bind[0]) {
		size_t off = strlen(q->r.bind);

		snprintf(q->r.bind + off, sizeof(q->r.bind) - off, "; first %s", q->no_sasl);
	}
	if (q->no_krb[0] && q->r.bind[0]) {
		size_t off = strlen(q->r.bind);

		snprintf(q->r.bind + off, sizeof(q->r.bind) - off, "; first %s", q->no_krb);
	}
	q->cb(&q->r, q->arg);
	teardown(q);
}

__attribute__((format(printf, 3, 4)))
static void fail(struct dir_req *q, enum pb_cause cause, const char *fmt, ...)
{
	va_list ap;
	char why[sizeof(q->r.detail)];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (q->st == ST_READ_ENROLL) {
		/* the enterprise CAs are best-effort: whatever ends their
		 * search (no answer, the connection lost) is a note, and the
		 * certificates read before stand */
		snprintf(q->r.enroll_note, sizeof(q->r.enroll_note), "%s", why);
		if (q->r.n == 0) {
			cause = PB_CAUSE_LDAP_NO_CA_CERTIFICATES;
			snprintf(why, sizeof(why), "%s", q->ca_detail);
		} else {
			cause = PB_CAUSE_NONE;
		}
	}
	q->r.cause = cause;
	snprintf(q->r.detail, sizeof(q->r.detail), "%s", cause ? why : "");
	finish(q);
}

/* phoneboot's own failure: no network cause. */
static void fail_own(struct dir_req *q, enum pb_err err, const char *what)
{
	q->r.err = err;
	snprintf(q->r.detail, sizeof(q->r.detail), "%s: %s", what, pb_strerror(err));
	finish(q);
}

/* libldap could not send or read: the connection is gone, or we are out
 * of memory. */
static void fail_ldap(struct dir_req *q, int rc, const char *doing)
{
	if (rc == LDAP_NO_MEMORY)
		fail_own(q, PB_ERR_NOMEM, doing);
	else if (rc == LDAP_PARAM_ERROR || rc == LDAP_FILTER_ERROR || rc == LDAP_ENCODING_ERROR)
		fail_own(q, PB_ERR_INTERNAL, doing);
	else
		fail(q, PB_CAUSE_LDAP_UNREACHABLE, "%s: %s: %s", q->url, doing,
		     ldap_err2string(rc));
}

/* "; StartTLS: ..." after what the attempts without TLS said, if any */
static const char *no_tls_note(const struct dir_req *q, char *buf, size_t len)
{
	if (q->no_tls[0])
		snprintf(buf, len, " (no TLS: %s)", q->no_tls);
	else
		buf[0] = '\0';
	return buf;
}

/* ---- sending ---- */

static const char *phase(const struct dir_req *q)
{
	switch (q->st) {
	case ST_BIND_SASL: case ST_BIND_USER: case ST_BIND_DN: case ST_BIND_ANON: return "bind";
	case ST_FIND_DN: case ST_READ_CA: case ST_READ_ENROLL: return "search";
	case ST_STARTTLS: return "StartTLS request";
	case ST_HANDSHAKE: return "TLS handshake";
	case ST_START: case ST_CONNECT: case ST_DONE: break;
	}
	return st_names[q->st];
}

/* The server-side time limit of a search (RFC 4511 4.5.1.5): the bound. */
static struct timeval time_limit(const struct dir_req *q)
{
	struct timeval tv = { (time_t)((q->timeout_ms + 999) / 1000), 0 };

	return tv;
}

/* The user's DN: RFC 4515 filter, the values escaped (3: a '*', '(' or ')'
 * in a name is data, not filter syntax). */
static int find_dn_start(struct dir_req *q)
{
	struct berval in, upn = { 0, NULL }, user = { 0, NULL };
	char *attrs[] = { (char *)LDAP_NO_ATTRS, NULL };   /* "1.1": RFC 4511 4.5.1.8 */
	struct timeval tl = time_limit(q);
	char *filter = NULL;
	size_t len;
	int rc = LDAP_NO_MEMORY;

	in.bv_val = q->upn;
	in.bv_len = strlen(q->upn);
	if (ldap_bv2escaped_filter_value(&in, &upn))
		goto out;
	in.bv_val = q->user;
	in.bv_len = strlen(q->user);
	if (ldap_bv2escaped_filter_value(&in, &user))
		goto out;
	len = 2 * upn.bv_len + 2 * user.bv_len + 80;
	if (!(filter = malloc(len)))
		goto out;
	snprintf(filter, len, "(|(userPrincipalName=%s)(mail=%s)(sAMAccountName=%s)(uid=%s))",
		 upn.bv_val, upn.bv_val, user.bv_val, user.bv_val);
	rc = ldap_search_ext(q->ld, q->domain_dn, LDAP_SCOPE_SUBTREE, filter, attrs, 0,
			     NULL, NULL, &tl, 2, &q->msgid);
out:
	free(filter);
	ldap_memfree(upn.bv_val);
	ldap_memfree(user.bv_val);
	return rc;
}

static int read_ca_start(struct dir_req *q)
{
	char *attrs[] = { (char *)"cACertificate", (char *)"cACertificate;binary", NULL };
	struct timeval tl = time_limit(q);

	return ldap_search_ext(q->ld, q->r.base, LDAP_SCOPE_SUBTREE,
			       "(objectClass=certificationAuthority)", attrs, 0, NULL, NULL,
			       &tl, 50, &q->msgid);
}

/* AD CS registers an enterprise CA as a pKIEnrollmentService object
 * under CN=Enrollment Services (MS-CSRA 3.1.1.4.1, MS-WCCE 1.3.2.1.1) with
 * its host's dNSHostName. */
static int read_enroll_start(struct dir_req *q)
{
	char *attrs[] = { (char *)"cn", (char *)"dNSHostName", NULL };
	char base[400];
	struct timeval tl = time_limit(q);

	snprintf(base, sizeof(base), "CN=Enrollment Services,CN=Public Key Services,CN=Services,"
		 "CN=Configuration,%s", q->domain_dn);
	return ldap_search_ext(q->ld, base, LDAP_SCOPE_ONELEVEL, "(objectClass=pKIEnrollmentService)",
			       attrs, 0, NULL, NULL, &tl, 20, &q->msgid);
}

/* The password leaves only inside TLS, or in clear when the caller said
 * so; the warning is set before it is sent, whatever the answer. */
static int bind_start(struct dir_req *q, const char *who)
{
	if (!q->tls_on) {
		if (!q->plain_bind)
			return LDAP_LOCAL_ERROR;     /* never reached: see first_bind */
		snprintf(q->r.warning, sizeof(q->r.warning), "the password was sent to %s "
			 "in clear text (--ldap-plain-bind): no StartTLS, no LDAPS%s%s",
			 q->url, q->no_tls[0] ? ": " : "", q->no_tls);
	}
	return q->method->start(q->ld, who, q->password, &q->msgid);
}

/* Send the request of the current state. */
static int send_req(struct dir_req *q)
{
	struct nopipe g;
	int rc = LDAP_OTHER;

	nopipe_on(&g);
	switch (q->st) {
	/* RFC 4511 4.14.1: an ExtendedRequest with the StartTLS OID */
	case ST_STARTTLS:
		rc = ldap_extended_operation(q->ld, LDAP_EXOP_START_TLS, NULL, NULL, NULL,
					     &q->msgid);
		break;
	/* RFC 4513 5.2: a SASL bind; the name is in the credentials */
	case ST_BIND_SASL:
		rc = ldap_sasl_bind(q->ld, NULL, q->krb ? "GSSAPI" : "GSS-SPNEGO", &q->sasl_out,
				    NULL, NULL, &q->msgid);
		break;
	case ST_BIND_USER: rc = bind_start(q, q->upn); break;
	case ST_FIND_DN: rc = find_dn_start(q); break;
	case ST_BIND_DN: rc = bind_start(q, q->user_dn); break;
	/* an explicit anonymous bind (RFC 4513 5.1.1), so that a directory
	 * that refuses them says so */
	case ST_BIND_ANON: rc = simple_bind.start(q->ld, NULL, NULL, &q->msgid); break;
	case ST_READ_CA: rc = read_ca_start(q); break;
	case ST_READ_ENROLL: rc = read_enroll_start(q); break;
	case ST_START: case ST_CONNECT: case ST_HANDSHAKE: case ST_DONE: break;
	}
	q->sys_errno = errno;
	nopipe_off(&g);
	return rc;
}

static void on_poll(uv_poll_t *h, int status, int events);
static void on_timer(uv_timer_t *t);

/* Watch the connection's descriptor for events. */
static int poll_on(struct dir_req *q, int events)
{
	int fl;

	if (!q->poll) {
		if (ldap_get_option(q->ld, LDAP_OPT_DESC, &q->fd) != LDAP_OPT_SUCCESS || q->fd < 0)
			return -1;
		if (!(q->poll = malloc(sizeof(*q->poll))))
			return -1;
		if (uv_poll_init_socket(q->loop, q->poll, q->fd) < 0) {
			free(q->poll);
			q->poll = NULL;
			return -1;
		}
		q->poll->data = q;
		q->handles++;
	}
	/* libldap's poll of a finished connect sets the socket blocking
	 * again (os-ip.c, ldap_int_poll); a read of a half-arrived message
	 * must not block the loop */
	if (q->connected && (fl = fcntl(q->fd, F_GETFL)) >= 0 && !(fl & O_NONBLOCK))
		fcntl(q->fd, F_SETFL, fl | O_NONBLOCK);
	return uv_poll_start(q->poll, events, on_poll) < 0 ? -1 : 0;
}

/* A security layer keeps what the socket did not take of a request (it
 * took the message whole, layer.h): it goes out as the socket becomes
 * writable, and the answer is watched for meanwhile. 1 when watching, 0
 * when the request failed (reported). */
static int watch_answer(struct dir_req *q)
{
	Sockbuf *sb = NULL;
	int left = 0;

	if (ldap_get_option(q->ld, LDAP_OPT_SOCKBUF, &sb) == LDAP_OPT_SUCCESS && sb)
		left = ber_sockbuf_ctrl(sb, LAYER_OPT_FLUSH, NULL);
	if (left < 0) {
		fail(q, PB_CAUSE_LDAP_UNREACHABLE, "%s: sending the %s: %s", q->url, phase(q),
		     strerror(errno));
		return 0;
	}
	if (poll_on(q, UV_READABLE | (left > 0 ? UV_WRITABLE : 0)) < 0) {
		fail_own(q, PB_ERR_INTERNAL, "watching the LDAP connection");
		return 0;
	}
	return 1;
}

/* Bound the phase now under way. */
static void bound(struct dir_req *q)
{
	uv_timer_start(&q->timer, on_timer, q->timeout_ms, 0);
}

/* Enter a state: send its request and wait for the answer. */
static void go(struct dir_req *q, enum st next)
{
	int rc;

	q->st = next;
	q->msgid = -1;
	rc = send_req(q);
	if (rc != LDAP_SUCCESS) {
		fail_ldap(q, rc, "sending the request");
		return;
	}
	if (!watch_answer(q))
		return;
	bound(q);
}

static void open_conn(struct dir_req *q, enum way way);

/* What the attempt with TLS met, kept for the report; then the next way. */
__attribute__((format(printf, 2, 3)))
static void no_tls(struct dir_req *q, const char *fmt, ...)
{
	size_t off = strlen(q->no_tls);
	va_list ap;

	if (off && off < sizeof(q->no_tls) - 2)
		off += (size_t)snprintf(q->no_tls + off, sizeof(q->no_tls) - off, "; ");
	va_start(ap, fmt);
	if (off < sizeof(q->no_tls))
		vsnprintf(q->no_tls + off, sizeof(q->no_tls) - off, fmt, ap);
	va_end(ap);
	drop_conn(q);
	open_conn(q, q->way == WAY_STARTTLS ? WAY_LDAPS : WAY_CLEAR);
}

/* What the SASL bind met, kept for the report; then StartTLS. */
__attribute__((format(printf, 2, 3)))
static void no_sasl(struct dir_req *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->no_sasl, sizeof(q->no_sasl), fmt, ap);
	va_end(ap);
	drop_conn(q);
	open_conn(q, WAY_STARTTLS);
}

/* What the Kerberos bind met, kept for the report; then GSS-SPNEGO with
 * NTLM where the device speaks it, else StartTLS. */
__attribute__((format(printf, 2, 3)))
static void no_krb(struct dir_req *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->no_krb, sizeof(q->no_krb), fmt, ap);
	va_end(ap);
	q->krb = 0;
	drop_conn(q);
	open_conn(q, !q->password || !*q->password ? WAY_CLEAR
		  : q->sasl_try ? WAY_SASL : WAY_STARTTLS);
}

/* Kerberos: SASL GSSAPI (ldap/gssapi.h), signed; no password crosses. */
static void krb_round(struct dir_req *q, const struct berval *in, int done)
{
	char err[300];
	int rc = dir_gssapi_step(q->gss, in, &q->sasl_out, err, sizeof(err));

	if (rc == 0 && !done) {
		rc = -1;            /* over on our side, not on the directory's */
		snprintf(err, sizeof(err), "the directory has not accepted the bind");
	}
	if (rc == 1 && done) {
		rc = -1;
		snprintf(err, sizeof(err), "the directory accepted the bind before the "
			 "security layer was agreed");
	}
	if (rc == 1) {
		go(q, ST_BIND_SASL);
		return;
	}
	if (rc < 0) {
		no_krb(q, "SASL GSSAPI (Kerberos) as %s: %s", q->krb_client, err);
		return;
	}
	if (dir_gssapi_install(q->gss, q->ld) < 0) {
		fail_own(q, PB_ERR_INTERNAL, "putting the SASL layer under libldap");
		return;
	}
	q->sasl_on = 1;
	snprintf(q->r.bind, sizeof(q->r.bind), "SASL GSSAPI (Kerberos) bind as %s, %s; no "
		 "password sent", q->krb_client, dir_gssapi_protection(q->gss));
	go(q, ST_READ_CA);
}

/* The SASL bind's next round, from the server's credentials (NULL: the
 * first of a connection; an empty berval when an answer carries none).
 * done: the directory's answer was success (not saslBindInProgress). */
#define MAX_SASL_ROUNDS 8
static void sasl_round(struct dir_req *q, const struct berval *in, int done)
{
	char err[300];
	int rc;

	q->sasl_rounds = in ? q->sasl_rounds + 1 : 0;
	if (q->sasl_rounds > MAX_SASL_ROUNDS) {
		if (q->krb)
			no_krb(q, "SASL GSSAPI (Kerberos): more than %d rounds", MAX_SASL_ROUNDS);
		else
			no_sasl(q, "GSS-SPNEGO (NTLM): more than %d rounds", MAX_SASL_ROUNDS);
		return;
	}
	if (q->krb) {
		krb_round(q, in, done);
		return;
	}
	if (!q->sasl && sasl_ntlm_new(q->user, q->upn + strlen(q->user) + 1, q->password,
				      q->dc_name[0] ? q->dc_name : q->host, q->ntlm_crypto,
				      &q->sasl, err, sizeof(err)) < 0) {
		no_sasl(q, "GSS-SPNEGO (NTLM): %s", err);
		return;
	}
	rc = sasl_ntlm_step(q->sasl, in, &q->sasl_out, err, sizeof(err));
	if (rc == 0 && !done) {
		rc = -1;
		snprintf(err, sizeof(err), "the directory has not accepted the bind");
	}
	if (rc == 1 && done) {
		rc = -1;
		snprintf(err, sizeof(err), "the directory accepted the bind before NTLM was done");
	}
	if (rc == 1) {
		go(q, ST_BIND_SASL);
		return;
	}
	if (rc < 0) {
		no_sasl(q, "GSS-SPNEGO (NTLM) as %s: %s", q->upn, err);
		return;
	}
	if (sasl_ntlm_install(q->sasl, q->ld) < 0) {
		fail_own(q, PB_ERR_INTERNAL, "putting the SASL layer under libldap");
		return;
	}
	q->sasl_on = 1;
	snprintf(q->r.bind, sizeof(q->r.bind), "GSS-SPNEGO (NTLM) bind as %s, %s", q->upn,
		 sasl_ntlm_protection(q->sasl));
	go(q, ST_READ_CA);
}

static void sasl_answer(struct dir_req *q, LDAPMessage *res)
{
	struct berval *cred = NULL;
	char *msg = NULL;
	int err = LDAP_OTHER;

	if (ldap_parse_result(q->ld, res, &err, NULL, &msg, NULL, NULL, 0) != LDAP_SUCCESS)
		err = LDAP_OTHER;
	if (err == LDAP_SUCCESS || err == LDAP_SASL_BIND_IN_PROGRESS)
		ldap_parse_sasl_bind_result(q->ld, res, &cred, 0);
	ldap_msgfree(res);
	if (err == LDAP_SUCCESS || err == LDAP_SASL_BIND_IN_PROGRESS) {
		struct berval none = { 0, NULL };

		ldap_memfree(msg);
		/* serverSaslCreds are optional (RFC 4511 4.2.2): none is an
		 * empty token, never a new start */
		sasl_round(q, cred ? cred : &none, err == LDAP_SUCCESS);
		ber_bvfree(cred);
		return;
	}
	/* refused: RFC 4511 4.2.2's resultCode and AD's words */
	if (q->krb)
		no_krb(q, "SASL GSSAPI (Kerberos) as %s refused by %s: %s%s%s%s", q->krb_client,
		       q->url, ldap_err2string(err), msg && *msg ? " (" : "", msg && *msg ? msg : "",
		       msg && *msg ? ")" : "");
	else
		no_sasl(q, "GSS-SPNEGO (NTLM) as %s refused by %s: %s%s%s%s", q->upn, q->url,
		ldap_err2string(err), msg && *msg ? " (" : "", msg && *msg ? msg : "",
		msg && *msg ? ")" : "");
	ldap_memfree(msg);
}

/* The first request once the session is as safe as it will get. */
static void first_bind(struct dir_req *q)
{
	int pw = q->password && *q->password;

	if (pw && (q->tls_on || q->plain_bind))
		go(q, ST_BIND_USER);
	else
		go(q, ST_BIND_ANON);   /* no password, or no TLS and no leave */
}

/* The TLS session is up: under libldap it goes, and the certificate is
 * recorded. It is not verified: the phone has no trust for the DC's
 * certificate before it has installed the root this very exchange
 * downloads (a chicken-and-egg every such device has); so the session
 * hides the password from a passive listener, and the report shows which
 * certificate it was given (subject, issuer, SHA-256) for a person to
 * check. */
static void tls_up(struct dir_req *q)
{
	Sockbuf *sb = NULL;

	if (ldap_get_option(q->ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS || !sb ||
	    ber_sockbuf_add_io(sb, &tls_layer, LBER_SBIOD_LEVEL_TRANSPORT, q) < 0) {
		fail_own(q, PB_ERR_INTERNAL, "putting TLS under libldap");
		return;
	}
	q->tls_on = 1;
	snprintf(q->r.tls, sizeof(q->r.tls), "%s, %s", way_names[q->way], tls_fd_version(q->tls));
	q->r.have_dc_cert = tls_fd_peer(q->tls, &q->r.dc_cert) == 0;
	first_bind(q);
}

static void handshake(struct dir_req *q)
{
	enum tls_fd_step s = tls_fd_handshake(q->tls);

	switch (s) {
	case TLS_FD_DONE:
		tls_up(q);
		return;
	case TLS_FD_WANT_READ:
	case TLS_FD_WANT_WRITE:
		if (poll_on(q, s == TLS_FD_WANT_READ ? UV_READABLE : UV_WRITABLE) < 0)
			fail_own(q, PB_ERR_INTERNAL, "watching the LDAP connection");
		return;
	case TLS_FD_FAILED:
		break;
	}
	no_tls(q, "%s %s: the TLS handshake failed: %s", way_names[q->way], q->url,
	       tls_fd_detail(q->tls));
}

/* RFC 4511 4.14.2: after a successful StartTLS response the client
 * starts the handshake; for LDAPS it starts at once (RFC 8314's
 * implicit TLS, as Active Directory's port 636). Bounded as a whole. */
static void handshake_start(struct dir_req *q)
{
	enum pb_err rc;

	q->st = ST_HANDSHAKE;
	q->msgid = -1;
	if ((rc = tls_fd_new_ctx(q->tls_ctx, q->fd, NULL, &q->tls)) != PB_OK) {
		fail_own(q, rc, "starting TLS");
		return;
	}
	bound(q);
	handshake(q);
}

/* The TCP connect is over: the session's first step. */
static void connected(struct dir_req *q)
{
	q->connected = 1;
	switch (q->way) {
	case WAY_SASL: sasl_round(q, NULL, 0); return;
	case WAY_STARTTLS: go(q, ST_STARTTLS); return;
	case WAY_LDAPS: handshake_start(q); return;
	case WAY_CLEAR: first_bind(q); return;
	}
}

/* No TCP connection: the DC is unreachable, unless this was LDAPS, which
 * a directory need not offer. */
static void no_conn(struct dir_req *q, const char *why)
{
	char note[420];

	if (q->way == WAY_LDAPS) {
		no_tls(q, "LDAPS %s: %s", q->url, why);
		return;
	}
	fail(q, PB_CAUSE_LDAP_UNREACHABLE, "%s: %s%s", q->url, why,
	     no_tls_note(q, note, sizeof(note)));
}

/* Connect for a way: a new libldap handle, the connect started with
 * ldap_connect() (non-blocking with LDAP_OPT_CONNECT_ASYNC) and nothing
 * sent before it is over, so no request can go out before the TLS. */
static int set_options(LDAP *ld, unsigned timeout_ms);

static void open_conn(struct dir_req *q, enum way way)
{
	unsigned port = way == WAY_LDAPS ? q->ldaps_port : q->port;
	int v6 = strchr(q->host, ':') != NULL, rc, saved;
	char url[80];
	struct nopipe g;

	q->way = way;
	q->st = ST_CONNECT;
	q->connected = 0;
	/* libldap is always given ldap://: the TLS is ours */
	snprintf(url, sizeof(url), v6 ? "ldap://[%s]:%u" : "ldap://%s:%u", q->host, port);
	snprintf(q->url, sizeof(q->url), v6 ? "%s://[%s]:%u" : "%s://%s:%u",
		 way == WAY_LDAPS ? "ldaps" : "ldap", q->host, port);
	if (ldap_initialize(&q->ld, url) != LDAP_SUCCESS) {
		q->ld = NULL;
		fail_own(q, PB_ERR_NOMEM, "starting libldap");
		return;
	}
	if (set_options(q->ld, q->timeout_ms) < 0) {
		fail_own(q, PB_ERR_INTERNAL, "setting libldap's options");
		return;
	}
	nopipe_on(&g);
	errno = 0;
	rc = ldap_connect(q->ld);
	saved = errno;
	nopipe_off(&g);
	if (rc != LDAP_SUCCESS) {
		/* refused at once (loopback): libldap says only "Can't
		 * contact LDAP server"; errno has the reason */
		no_conn(q, saved == ECONNREFUSED ? uv_strerror(-ECONNREFUSED)
						 : ldap_err2string(LDAP_SERVER_DOWN));
		return;
	}
	if (poll_on(q, UV_WRITABLE) < 0) {
		fail_own(q, PB_ERR_INTERNAL, "watching the LDAP connection");
		return;
	}
	bound(q);
}

/* ---- answers ---- */

/* Attribute name "cACertificate", any case, options (";binary") ignored
 * (RFC 4512 2.5: descriptors are case-insensitive; RFC 4522 for ;binary). */
static int is_ca_attr(const char *a)
{
	size_t n = strcspn(a, ";");

	return n == 13 && !strncasecmp(a, "cACertificate", 13);
}

static int take_certs(struct dir_req *q, LDAPMessage *res)
{
	LDAPMessage *e;

	for (e = ldap_first_entry(q->ld, res); e && q->r.n < DIR_MAX_CERTS;
	     e = ldap_next_entry(q->ld, e)) {
		BerElement *ber = NULL;
		char *a, *dn = ldap_get_dn(q->ld, e);

		for (a = ldap_first_attribute(q->ld, e, &ber); a;
		     a = ldap_next_attribute(q->ld, e, ber)) {
			struct berval **vals;
			int i;

			if (is_ca_attr(a) && (vals = ldap_get_values_len(q->ld, e, a))) {
				for (i = 0; vals[i] && q->r.n < DIR_MAX_CERTS; i++) {
					unsigned char *d = malloc(vals[i]->bv_len ? vals[i]->bv_len : 1);

					if (!d) {
						ldap_value_free_len(vals);
						ldap_memfree(a);
						ber_free(ber, 0);
						ldap_memfree(dn);
						return -1;
					}
					memcpy(d, vals[i]->bv_val, vals[i]->bv_len);
					q->r.der[q->r.n] = d;
					q->r.der_len[q->r.n] = vals[i]->bv_len;
					snprintf(q->r.entry[q->r.n], sizeof(q->r.entry[0]), "%s",
						 dn ? dn : "");
					q->r.n++;
				}
				ldap_value_free_len(vals);
			}
			ldap_memfree(a);
		}
		ber_free(ber, 0);
		ldap_memfree(dn);
	}
	return 0;
}

static void read_ca_answer(struct dir_req *q, LDAPMessage *res)
{
	char *msg = NULL, note[420];
	int err = LDAP_OTHER;

	if (ldap_parse_result(q->ld, res, &err, NULL, &msg, NULL, NULL, 0) != LDAP_SUCCESS)
		err = LDAP_OTHER;
	if (err != LDAP_SUCCESS && err != LDAP_NO_SUCH_OBJECT && err != LDAP_SIZELIMIT_EXCEEDED) {
		/* the directory answered and refused the read: as anonymous,
		 * it wants a bind that worked (Active Directory answers
		 * operationsError, "a successful bind must be completed") */
		if (q->refused)
			fail(q, PB_CAUSE_LDAP_BIND_FAILED, "%s: the bind as %s was refused: %s; "
			     "reading anonymously was refused too: %s", q->url, q->upn,
			     q->refusal, ldap_err2string(err));
		else if (!strncmp(q->r.bind, "anonymous", 9))
			fail(q, PB_CAUSE_LDAP_BIND_FAILED, "%s: reading anonymously was refused: "
			     "%s%s%s%s%s", q->url, ldap_err2string(err), msg && *msg ? " (" : "",
			     msg && *msg ? msg : "", msg && *msg ? ")" : "",
			     no_tls_note(q, note, sizeof(note)));
		else
			fail(q, PB_CAUSE_LDAP_NO_CA_CERTIFICATES, "%s: the search under %s was "
			     "refused: %s", q->url, q->r.base, ldap_err2string(err));
		ldap_memfree(msg);
		return;
	}
	ldap_memfree(msg);
	if (take_certs(q, res) < 0) {
		fail_own(q, PB_ERR_NOMEM, "copying a certificate");
		return;
	}
	if (q->r.n == 0)
		snprintf(q->ca_detail, sizeof(q->ca_detail), "no cACertificate under %s", q->r.base);
	if (q->enrollment) {
		go(q, ST_READ_ENROLL);
		return;
	}
	if (q->r.n == 0) {
		fail(q, PB_CAUSE_LDAP_NO_CA_CERTIFICATES, "%s", q->ca_detail);
		return;
	}
	finish(q);
}

/* The first value of attribute a of entry e into buf ("" when none). */
static void first_value(struct dir_req *q, LDAPMessage *e, const char *a, char *buf, size_t len)
{
	struct berval **v = ldap_get_values_len(q->ld, e, a);

	buf[0] = '\0';
	if (v && v[0]) {
		size_t n = v[0]->bv_len < len ? v[0]->bv_len : len - 1;

		memcpy(buf, v[0]->bv_val, n);
		buf[n] = '\0';
		if (strlen(buf) != n)           /* a NUL inside: not a name */
			buf[0] = '\0';
	}
	ldap_value_free_len(v);
}

/* The enterprise CAs: best-effort, a refusal or none is a note. */
static void read_enroll_answer(struct dir_req *q, LDAPMessage *res)
{
	LDAPMessage *e;
	int err = LDAP_OTHER, bad = 0;

	if (ldap_parse_result(q->ld, res, &err, NULL, NULL, NULL, NULL, 0) != LDAP_SUCCESS)
		err = LDAP_OTHER;
	for (e = ldap_first_entry(q->ld, res); e && q->r.n_enroll < DIR_MAX_ENROLL;
	     e = ldap_next_entry(q->ld, e)) {
		char *host = q->r.enroll_host[q->r.n_enroll];

		first_value(q, e, "dNSHostName", host, sizeof(q->r.enroll_host[0]));
		first_value(q, e, "cn", q->r.enroll_ca[q->r.n_enroll], sizeof(q->r.enroll_ca[0]));
		/* a name from the network: a host name, or nothing */
		if (dns_host_name_ok(host))
			q->r.n_enroll++;
		else if (host[0])
			bad++;
	}
	if (!q->r.n_enroll)
		snprintf(q->r.enroll_note, sizeof(q->r.enroll_note), "%s",
			 bad ? "the enterprise CA's dNSHostName is no host name"
			 : err == LDAP_SUCCESS || err == LDAP_NO_SUCH_OBJECT
			 ? "no enterprise CA (pKIEnrollmentService) in the directory"
			 : ldap_err2string(err));
	q->st = ST_DONE;             /* the search is over: a failure is the CAs' */
	if (q->r.n == 0) {
		fail(q, PB_CAUSE_LDAP_NO_CA_CERTIFICATES, "%s", q->ca_detail);
		return;
	}
	finish(q);
}

/* "StartTLS, " or "" */
static const char *inside(const struct dir_req *q, char *buf, size_t len)
{
	if (q->tls_on)
		snprintf(buf, len, "%s, ", way_names[q->way]);
	else
		buf[0] = '\0';
	return buf;
}

/* The bind as the user was refused: read anonymously. After a failed bind
 * the session is anonymous (RFC 4513 4), so no bind is sent. */
static void read_anonymously(struct dir_req *q)
{
	char in[16];

	q->refused = 1;
	snprintf(q->r.bind, sizeof(q->r.bind), "%sanonymous (the bind as %s was refused: %s)",
		 inside(q, in, sizeof(in)), q->upn, q->refusal);
	go(q, ST_READ_CA);
}

static void refused(struct dir_req *q, int rc, const char *diag)
{
	snprintf(q->refusal, sizeof(q->refusal), "%s%s", ldap_err2string(rc), diag);
}

static void bind_answer(struct dir_req *q, LDAPMessage *res)
{
	const char *who = q->st == ST_BIND_USER ? q->upn : q->user_dn;
	char diag[160] = "";
	int rc;

	rc = q->method->answer(q->ld, res, who, q->password, &q->msgid, diag, sizeof(diag));
	ldap_msgfree(res);
	if (rc == LDAP_SASL_BIND_IN_PROGRESS) {
		bound(q);
		return;
	}
	if (rc == LDAP_SUCCESS) {
		if (q->tls_on)
			snprintf(q->r.bind, sizeof(q->r.bind), "%s, %s bind as %s",
				 way_names[q->way], q->method->name, who);
		else
			snprintf(q->r.bind, sizeof(q->r.bind), "%s bind in clear text as %s "
				 "(--ldap-plain-bind)", q->method->name, who);
		go(q, ST_READ_CA);
		return;
	}
	/* any result other than success is a refusal (RFC 4511 4.2.2),
	 * its reason in the server's diagnosticMessage (AD: "Strong(er)
	 * authentication required" in clear). Active Directory takes the
	 * UPN as the name; a directory that needs a DN (OpenLDAP) refuses
	 * it: look the DN up. */
	refused(q, rc, diag);
	if (q->st == ST_BIND_USER)
		go(q, ST_FIND_DN);
	else
		read_anonymously(q);
}

static void starttls_answer(struct dir_req *q, LDAPMessage *res)
{
	char *msg = NULL;
	int err = LDAP_OTHER;

	if (ldap_parse_result(q->ld, res, &err, NULL, &msg, NULL, NULL, 0) != LDAP_SUCCESS)
		err = LDAP_OTHER;
	ldap_msgfree(res);
	if (err == LDAP_SUCCESS) {
		ldap_memfree(msg);
		handshake_start(q);
		return;
	}
	/* RFC 4511 4.14.2: protocolError where StartTLS is not known,
	 * unavailable where TLS is not configured */
	{
		char why[200];

		snprintf(why, sizeof(why), "%s%s%s%s", ldap_err2string(err), msg && *msg ? " (" : "",
			 msg && *msg ? msg : "", msg && *msg ? ")" : "");
		ldap_memfree(msg);
		no_tls(q, "StartTLS refused by %s: %s", q->url, why);
	}
}

/* One answer to the request in flight; res is ours to free. */
static void answer(struct dir_req *q, LDAPMessage *res)
{
	char diag[160] = "", note[420], in[16];
	LDAPMessage *e;
	int rc;

	switch (q->st) {
	case ST_STARTTLS:
		starttls_answer(q, res);
		return;
	case ST_BIND_SASL:
		sasl_answer(q, res);
		return;
	case ST_BIND_USER:
	case ST_BIND_DN:
		bind_answer(q, res);
		return;
	case ST_FIND_DN:
		if ((e = ldap_first_entry(q->ld, res)))
			q->user_dn = ldap_get_dn(q->ld, e);
		ldap_msgfree(res);
		if (q->user_dn)
			go(q, ST_BIND_DN);
		else
			read_anonymously(q);   /* no such user, or the search was refused */
		return;
	case ST_BIND_ANON:
		rc = simple_bind.answer(q->ld, res, NULL, NULL, &q->msgid, diag, sizeof(diag));
		ldap_msgfree(res);
		if (rc != LDAP_SUCCESS) {
			fail(q, PB_CAUSE_LDAP_BIND_FAILED, "%s: the anonymous bind was refused: %s%s%s",
			     q->url, ldap_err2string(rc), diag, no_tls_note(q, note, sizeof(note)));
			return;
		}
		if (q->password && *q->password && !q->tls_on)
			snprintf(q->r.bind, sizeof(q->r.bind), "anonymous, in clear text (no bind as "
				 "%s without TLS: %s)", q->upn, q->no_tls);
		else
			snprintf(q->r.bind, sizeof(q->r.bind), "%sanonymous", inside(q, in, sizeof(in)));
		go(q, ST_READ_CA);
		return;
	case ST_READ_CA:
		read_ca_answer(q, res);
		ldap_msgfree(res);
		return;
	case ST_READ_ENROLL:
		read_enroll_answer(q, res);
		ldap_msgfree(res);
		return;
	case ST_START:
	case ST_CONNECT:
	case ST_HANDSHAKE:
	case ST_DONE:
		break;
	}
	ldap_msgfree(res);
}

static int data_ready(struct dir_req *q)
{
	Sockbuf *sb = NULL;

	return ldap_get_option(q->ld, LDAP_OPT_SOCKBUF, &sb) == LDAP_OPT_SUCCESS && sb &&
	       ber_sockbuf_ctrl(sb, LBER_SB_OPT_DATA_READY, NULL) > 0;
}

/* Read what has arrived. ldap_result() with a zero timeout reads at most a
 * message or so per call and never waits; a search's entries are kept
 * inside libldap until its SearchResultDone (LDAP_MSG_ALL). The poll is
 * level-triggered, so what stays in the socket brings us back; what
 * libldap or the TLS session has buffered is read here. */
static void drain(struct dir_req *q)
{
	struct timeval zero = { 0, 0 };
	struct nopipe g;
	LDAPMessage *res;
	int rc, err;

	while (q->ld && q->msgid >= 0 && q->st != ST_DONE && q->st != ST_CONNECT &&
	       q->st != ST_HANDSHAKE) {
		res = NULL;
		nopipe_on(&g);
		rc = ldap_result(q->ld, q->msgid, LDAP_MSG_ALL, &zero, &res);
		nopipe_off(&g);
		if (rc < 0) {
			char doing[64];

			err = LDAP_SERVER_DOWN;
			ldap_get_option(q->ld, LDAP_OPT_RESULT_CODE, &err);
			snprintf(doing, sizeof(doing), "the connection was lost during the %s",
				 phase(q));
			fail_ldap(q, err, doing);
			return;
		}
		if (rc > 0) {
			answer(q, res);
			continue;
		}
		if (!data_ready(q))
			return;
	}
}

/* The socket became writable, or failed: the TCP connect is over. */
static void on_connect(struct dir_req *q, int status)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (!err && status < 0)
		err = -status;
	if (err) {
		/* ECONNREFUSED: nothing listens (RFC 793's RST) */
		no_conn(q, uv_strerror(-err));
		return;
	}
	connected(q);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct dir_req *q = h->data;

	if (q->st == ST_DONE || h != q->poll)
		return;
	switch (q->st) {
	case ST_CONNECT:
		on_connect(q, status);
		return;
	case ST_HANDSHAKE:
		if (status < 0)
			no_tls(q, "%s %s: the TLS handshake failed: %s", way_names[q->way], q->url,
			       uv_strerror(status));
		else
			handshake(q);
		return;
	default:
		break;
	}
	if (status < 0) {
		fail(q, PB_CAUSE_LDAP_UNREACHABLE, "%s: %s", q->url, uv_strerror(status));
		return;
	}
	if ((events & UV_WRITABLE) && !watch_answer(q))
		return;
	if (events & UV_READABLE)
		drain(q);
}

static void on_timer(uv_timer_t *t)
{
	struct dir_req *q = t->data;
	char note[420];

	switch (q->st) {
	case ST_DONE:
		return;
	case ST_START:
		open_conn(q, q->krb ? WAY_SASL : !q->password || !*q->password ? WAY_CLEAR
			     : q->sasl_try ? WAY_SASL : WAY_STARTTLS);
		return;
	case ST_CONNECT:
		if (q->way == WAY_LDAPS) {
			no_tls(q, "LDAPS %s: no TCP connection within %u ms", q->url,
			       q->timeout_ms);
			return;
		}
		fail(q, PB_CAUSE_LDAP_TIMEOUT, "%s: no TCP connection within %u ms%s", q->url,
		     q->timeout_ms, no_tls_note(q, note, sizeof(note)));
		return;
	case ST_HANDSHAKE:
		no_tls(q, "%s %s: no TLS handshake within %u ms", way_names[q->way], q->url,
		       q->timeout_ms);
		return;
	default:
		fail(q, PB_CAUSE_LDAP_TIMEOUT, "%s: no answer to the %s within %u ms", q->url,
		     phase(q), q->timeout_ms);
		return;
	}
}

/* ---- the API ---- */

static int set_options(LDAP *ld, unsigned timeout_ms)
{
	int v3 = LDAP_VERSION3;
	/* libldap makes the socket non-blocking before its connect only when
	 * a network timeout is set (os-ip.c, ldap_pvt_connect); our timer is
	 * the bound that counts */
	struct timeval net = { (time_t)(timeout_ms / 1000 + 1), 0 };

	return ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_OPT_SUCCESS ||
	       ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
	       ldap_set_option(ld, LDAP_OPT_CONNECT_ASYNC, LDAP_OPT_ON) != LDAP_OPT_SUCCESS ||
	       ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &net) != LDAP_OPT_SUCCESS ? -1 : 0;
}

enum pb_err dir_fetch_roots(uv_loop_t *loop, const char *host, unsigned port,
			    const char *domain, const char *user,
			    const char *password, const struct dir_opts *o,
			    unsigned timeout_ms, dir_cb *cb, void *arg,
			    struct dir_req **out)
{
	struct dir_req *q = NULL;
	unsigned char addr[16];
	unsigned ldaps = o && o->ldaps_port ? o->ldaps_port : 636;
	enum pb_err rc = PB_ERR_USAGE;
	int v6;

	if (!loop || !host || !domain || !cb || port == 0 || port > 65535 || ldaps > 65535 ||
	    strlen(domain) >= 200 || (user && strlen(user) >= 256) || strlen(host) >= 48)
		goto out;
	v6 = inet_pton(AF_INET6, host, addr) == 1;
	if (!v6 && inet_pton(AF_INET, host, addr) != 1)
		goto out;                    /* a name: see dir.h */
	rc = PB_ERR_NOMEM;
	if (!(q = calloc(1, sizeof(*q))))
		goto out;
	q->loop = loop;
	q->fd = -1;
	q->msgid = -1;
	q->st = ST_START;
	q->method = &simple_bind;
	q->password = password;
	q->plain_bind = o && o->plain_bind;
	q->enrollment = o && o->enrollment;
	q->sasl_try = o && o->sasl_ntlm;
	if (o && o->krb_cc && o->krb_service) {
		char why[200];

		rc = PB_ERR_NOMEM;
		snprintf(q->krb_client, sizeof(q->krb_client), "%s",
			 o->krb_client ? o->krb_client : "");
		if (!(q->gss = dir_gssapi_new(o->krb_cc, o->krb_service, why, sizeof(why))))
			snprintf(q->no_krb, sizeof(q->no_krb), "SASL GSSAPI (Kerberos): %s", why);
		q->krb = q->gss != NULL;
	}
	snprintf(q->dc_name, sizeof(q->dc_name), "%s", o && o->dc_name ? o->dc_name : "");
	q->tls_ctx = o ? o->tls_ctx : NULL;
	q->ntlm_crypto = o ? o->ntlm_crypto : NULL;
	q->port = port;
	q->ldaps_port = ldaps;
	q->timeout_ms = timeout_ms ? timeout_ms : 5000;
	q->cb = cb;
	q->arg = arg;
	q->t0 = uv_hrtime();
	snprintf(q->host, sizeof(q->host), "%s", host);
	snprintf(q->url, sizeof(q->url), v6 ? "ldap://[%s]:%u" : "ldap://%s:%u", host, port);
	snprintf(q->user, sizeof(q->user), "%s", user ? user : "");
	snprintf(q->upn, sizeof(q->upn), "%s@%s", q->user, domain);
	dir_domain_dn(domain, q->domain_dn, sizeof(q->domain_dn));
	rc = PB_ERR_USAGE;           /* a domain of many short labels */
	if ((size_t)snprintf(q->r.base, sizeof(q->r.base),
			     "CN=Certification Authorities,CN=Public Key Services,CN=Services,"
			     "CN=Configuration,%s", q->domain_dn) >= sizeof(q->r.base))
		goto out;
	rc = PB_ERR_INTERNAL;
	if (uv_timer_init(loop, &q->timer) < 0)
		goto out;
	/* the connect starts on the loop's next turn: the callback never
	 * runs inside this call */
	q->timer.data = q;
	q->handles = 1;
	uv_timer_start(&q->timer, on_timer, 0, 0);
	if (out)
		*out = q;
	q = NULL;
	rc = PB_OK;
out:
	if (q)
		dir_gssapi_free(q->gss);
	free(q);
	return rc;
}

void dir_cancel(struct dir_req *q)
{
	if (!q || q->st == ST_DONE)
		return;
	teardown(q);
}

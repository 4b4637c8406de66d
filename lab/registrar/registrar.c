/* sipae-registrar: the lab's SIP registrar that verifies MS-SIPAE (NTLM
 * through gss-ntlmssp and Samba's winbind; Kerberos through MIT GSS-API
 * with a keytab of its own). One process, one poll loop,
 * TLS listeners (pool, edge) each with its own certificate chain and
 * authentication target. Everything is bounded: connections, message
 * sizes, handshake and idle time.
 *
 *   sipae-registrar [--realm R] [--domain D] [--version 2|3|4]
 *                   [--schemes NTLM,Kerberos,TLS-DSK] [--bad-rspauth]
 *                   [--redirect URI] [--sts-uri URI] [--no-reason-warning]
 *                   [--max-expires S] [--plugin gssntlmssp.so] [--keytab FILE]
 *                   [--client-ca PEM]
 *                   --listen ADDR:PORT,chain=PEM,key=PEM,target=FQDN[,tls12]
 *                            [,schemes=NTLM+Kerberos+TLS-DSK][,bad-rspauth][,redirect=URI]
 *                   [--listen ...]
 *
 * The options before a --listen are its defaults; those inside it are its
 * own (a scenario changes the pool and leaves the edge as it is).
 * TLS 1.0 to 1.2, as OCS 2007 R2 on Windows Server 2008 (no TLS 1.3);
 * ",tls12" refuses anything older than 1.2. Kerberos is offered only with
 * --keytab (its principals are the ones it accepts: sip/<target>); the
 * keytab is read once, at start. TLS-DSK is verified only with --client-ca
 * (the CA of the client certificates; it must come before the --listen
 * options). Logs one line per request on
 * stderr. SIGTERM/SIGINT end it. */
#include "gssntlm.h"
#include "gsskrb.h"
#include "sipae.h"
#include "sipmsg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_LISTEN 8
#define MAX_CONN 128
#define HANDSHAKE_SECS 10
#define IDLE_SECS 300
#define IN_CAP (SIP_MAX_HEAD + SIP_MAX_BODY)
#define OUT_CAP 65536

struct listener {
	int fd;
	SSL_CTX *ctx;
	char name[64], target[256];
	struct sipae_config cfg;    /* the global one, with this listener's changes */
	char redirect[256];
};

struct conn {
	int fd;
	SSL *ssl;
	struct listener *l;
	int open;                   /* handshake done */
	time_t deadline;
	char peer[64];
	char in[IN_CAP];
	size_t inlen;
	char out[OUT_CAP];
	size_t outlen, outoff;
	int closing;
};

static const char *client_ca;   /* --client-ca: TLS-DSK's certificates come from it */
static struct listener ls[MAX_LISTEN];
static int nls;
static struct conn *cs[MAX_CONN];
static volatile sig_atomic_t stop;
static struct sipae_config cfg = {
	.realm = "SIP Communications Service",
	.domain = "corp.example",
	.version = 4,
	.schemes = SCHEME_NTLM | SCHEME_KERBEROS,
	.reason_warning = 1,
	.sts_uri = "https://pool.corp.example/CertProv/CertProvisioningService.svc",
	.max_expires = 3600,
};

__attribute__((format(printf, 1, 2)))
static void logf_(const char *fmt, ...)
{
	va_list ap;
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%H:%M:%S", &tm);
	fprintf(stderr, "%s ", ts);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* NTLM,Kerberos,TLS-DSK (or with +): the mask, 0 when wrong */
static unsigned parse_schemes(const char *s)
{
	char buf[128], *save = NULL, *t;
	unsigned v = 0;
	if (strlen(s) >= sizeof buf)
		return 0;
	memcpy(buf, s, strlen(s) + 1);
	for (t = strtok_r(buf, ",+", &save); t; t = strtok_r(NULL, ",+", &save)) {
		if (strcasecmp(t, "NTLM") == 0) v |= SCHEME_NTLM;
		else if (strcasecmp(t, "Kerberos") == 0) v |= SCHEME_KERBEROS;
		else if (strcasecmp(t, "TLS-DSK") == 0) v |= SCHEME_TLSDSK;
		else return 0;
	}
	return v;
}

/* TLS-DSK's handshake (inside SIP): this listener's certificate, TLS 1.0
 * to 1.2 ([MS-SIPAE] 3.1), a client certificate of the CertProv CA
 * required */
static SSL_CTX *tlsdsk_ctx(const char *chain, const char *key)
{
	SSL_CTX *x = SSL_CTX_new(TLS_server_method());
	STACK_OF(X509_NAME) *names;

	if (x == NULL)
		return NULL;
	SSL_CTX_set_security_level(x, 0);
	SSL_CTX_set_min_proto_version(x, TLS1_VERSION);
	SSL_CTX_set_max_proto_version(x, TLS1_2_VERSION);
	SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(x, SSL_OP_NO_TICKET);
	if (SSL_CTX_set_cipher_list(x, "DEFAULT:@SECLEVEL=0") != 1 ||
	    SSL_CTX_use_certificate_chain_file(x, chain) != 1 ||
	    SSL_CTX_use_PrivateKey_file(x, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(x, client_ca, NULL) != 1 ||
	    (names = SSL_load_client_CA_file(client_ca)) == NULL) {
		SSL_CTX_free(x);
		return NULL;
	}
	SSL_CTX_set_client_CA_list(x, names);
	SSL_CTX_set_verify(x, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return x;
}

static int add_listener(const char *spec)
{
	char buf[1024], *save = NULL, *tok, *addr, *colon;
	const char *chain = NULL, *key = NULL, *target = NULL, *schemes = NULL, *redirect = NULL;
	int badrsp = 0;
	int tls12 = 0, one = 1;
	struct sockaddr_in sa;
	struct listener *l;
	long port;
	char *endp;

	if (nls == MAX_LISTEN || strlen(spec) >= sizeof buf)
		return -1;
	memcpy(buf, spec, strlen(spec) + 1);
	addr = strtok_r(buf, ",", &save);
	while ((tok = strtok_r(NULL, ",", &save)) != NULL) {
		if (strncmp(tok, "chain=", 6) == 0) chain = tok + 6;
		else if (strncmp(tok, "key=", 4) == 0) key = tok + 4;
		else if (strncmp(tok, "target=", 7) == 0) target = tok + 7;
		else if (strcmp(tok, "tls12") == 0) tls12 = 1;
		else if (strncmp(tok, "schemes=", 8) == 0) schemes = tok + 8;
		else if (strncmp(tok, "redirect=", 9) == 0) redirect = tok + 9;
		else if (strcmp(tok, "bad-rspauth") == 0) badrsp = 1;
		else return -1;
	}
	if (addr == NULL || chain == NULL || key == NULL || target == NULL ||
	    (colon = strrchr(addr, ':')) == NULL)
		return -1;
	*colon = '\0';
	port = strtol(colon + 1, &endp, 10);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	if (*endp || port <= 0 || port > 65535 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -1;
	sa.sin_port = htons((uint16_t)port);
	l = &ls[nls];
	snprintf(l->name, sizeof l->name, "%s:%ld", addr, port);
	snprintf(l->target, sizeof l->target, "%s", target);
	l->cfg = cfg;
	if (badrsp)
		l->cfg.bad_rspauth = 1;
	if (redirect != NULL) {
		snprintf(l->redirect, sizeof l->redirect, "%s", redirect);
		l->cfg.redirect = l->redirect;
	}
	if (schemes != NULL && (l->cfg.schemes = parse_schemes(schemes)) == 0)
		return -1;
	l->ctx = SSL_CTX_new(TLS_server_method());
	if (l->ctx == NULL)
		return -1;
	/* level 0 before loading: the edge's chain is SHA-1 (lab/lab's
	 * OPENSSL_CONF note for Kamailio: REPORT 9.1), and TLS 1.0 signs its
	 * handshake with MD5+SHA-1 */
	SSL_CTX_set_security_level(l->ctx, tls12 ? 2 : 0);
	SSL_CTX_set_min_proto_version(l->ctx, tls12 ? TLS1_2_VERSION : TLS1_VERSION);
	SSL_CTX_set_max_proto_version(l->ctx, TLS1_2_VERSION);
	if (SSL_CTX_set_cipher_list(l->ctx, tls12 ? "DEFAULT:@SECLEVEL=2" : "DEFAULT:@SECLEVEL=0") != 1 ||
	    SSL_CTX_use_certificate_chain_file(l->ctx, chain) != 1 ||
	    SSL_CTX_use_PrivateKey_file(l->ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(l->ctx) != 1) {
		ERR_print_errors_fp(stderr);
		return -1;
	}
	SSL_CTX_set_session_cache_mode(l->ctx, SSL_SESS_CACHE_OFF);
	if (client_ca != NULL && (l->cfg.tlsdsk_ctx = tlsdsk_ctx(chain, key)) == NULL) {
		ERR_print_errors_fp(stderr);
		return -1;
	}
	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -1;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l->fd, 64) < 0) {
		fprintf(stderr, "sipae-registrar: %s: %s\n", l->name, strerror(errno));
		return -1;
	}
	nls++;
	return 0;
}

static void conn_close(int i)
{
	struct conn *c = cs[i];
	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		if (c->open)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	close(c->fd);
	free(c);
	cs[i] = NULL;
}

static void accept_on(struct listener *l)
{
	struct sockaddr_in peer;
	socklen_t plen = sizeof peer;
	int fd = accept4(l->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int slot = -1;
	struct conn *c;
	char ip[INET_ADDRSTRLEN];

	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CONN && slot < 0; i++)
		if (cs[i] == NULL)
			slot = i;
	if (slot < 0 || (c = calloc(1, sizeof *c)) == NULL) {
		close(fd);      /* full: bounded */
		return;
	}
	c->fd = fd;
	c->l = l;
	c->deadline = time(NULL) + HANDSHAKE_SECS;
	inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
	snprintf(c->peer, sizeof c->peer, "%s:%u", ip, ntohs(peer.sin_port));
	c->ssl = SSL_new(l->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1) {
		cs[slot] = c;
		conn_close(slot);
		return;
	}
	SSL_set_accept_state(c->ssl);
	cs[slot] = c;
}

/* write what is pending; -1 on a dead connection */
static int flush(struct conn *c)
{
	while (c->outoff < c->outlen) {
		int k = SSL_write(c->ssl, c->out + c->outoff, (int)(c->outlen - c->outoff));
		if (k <= 0) {
			int e = SSL_get_error(c->ssl, k);
			return (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) ? 0 : -1;
		}
		c->outoff += (size_t)k;
	}
	c->outoff = c->outlen = 0;
	return 0;
}

static void handle_messages(struct conn *c)
{
	for (;;) {
		struct sip_msg m;
		char sum[700], tmp[OUT_CAP];
		struct sbuf out;
		size_t skip = 0;
		int r;

		/* RFC 5626 4.4.1 keep-alives (CRLF) between messages */
		while (skip < c->inlen && (c->in[skip] == '\r' || c->in[skip] == '\n'))
			skip++;
		if (skip) {
			memmove(c->in, c->in + skip, c->inlen - skip);
			c->inlen -= skip;
		}
		if (c->inlen == 0)
			return;
		r = sip_parse(c->in, c->inlen, &m);
		if (r == 0)
			return;
		if (r < 0) {
			logf_("%s %s: not SIP or over a bound; closing", c->l->name, c->peer);
			c->closing = 1;
			return;
		}
		sb_init(&out, tmp, sizeof tmp);
		if (sipae_handle(&c->l->cfg, c->l->target, &m, &out, sum, sizeof sum) && !out.overflow) {
			if (c->outlen + out.n > OUT_CAP) {
				c->closing = 1;
				return;
			}
			memcpy(c->out + c->outlen, out.b, out.n);
			c->outlen += out.n;
		}
		logf_("%s %s: %.*s %.*s -> %s", c->l->name, c->peer,
		      m.request ? (int)m.method.n : 8, m.request ? m.method.p : "response",
		      m.request ? (int)(m.uri.n > 80 ? 80 : m.uri.n) : 0, m.request ? m.uri.p : "", sum);
		memmove(c->in, c->in + m.size, c->inlen - m.size);
		c->inlen -= m.size;
	}
}

static void service(int i)
{
	struct conn *c = cs[i];
	if (!c->open) {
		int k = SSL_accept(c->ssl);
		if (k != 1) {
			int e = SSL_get_error(c->ssl, k);
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
				unsigned long err = ERR_get_error();
				logf_("%s %s: TLS handshake failed: %s", c->l->name, c->peer,
				      err ? ERR_reason_error_string(err) : "connection closed");
				ERR_clear_error();
				conn_close(i);
			}
			return;
		}
		c->open = 1;
		c->deadline = time(NULL) + IDLE_SECS;
		logf_("%s %s: TLS %s %s", c->l->name, c->peer, SSL_get_version(c->ssl),
		      SSL_get_cipher_name(c->ssl));
	}
	for (;;) {
		int k;
		if (c->inlen == IN_CAP) {
			logf_("%s %s: message over %d bytes; closing", c->l->name, c->peer, IN_CAP);
			conn_close(i);
			return;
		}
		k = SSL_read(c->ssl, c->in + c->inlen, (int)(IN_CAP - c->inlen));
		if (k <= 0) {
			int e = SSL_get_error(c->ssl, k);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				break;
			ERR_clear_error();
			conn_close(i);
			return;
		}
		c->inlen += (size_t)k;
		c->deadline = time(NULL) + IDLE_SECS;
		handle_messages(c);
		if (c->closing)
			break;
	}
	if (flush(c) < 0 || (c->closing && c->outlen == 0))
		conn_close(i);
}

static int usage(void)
{
	fprintf(stderr, "usage: sipae-registrar [--realm R] [--domain D] [--version 2|3|4]\n"
		"  [--schemes NTLM,Kerberos,TLS-DSK] [--bad-rspauth] [--redirect URI] [--sts-uri URI]\n"
		"  [--no-reason-warning] [--max-expires S] [--plugin PATH] [--keytab FILE] [--client-ca PEM]\n"
		"  --listen ADDR:PORT,chain=PEM,key=PEM,target=FQDN[,tls12][,schemes=A+B][,bad-rspauth][,redirect=URI] ...\n"
		"  (options before a --listen are its defaults)\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *plugin = NULL, *keytab = NULL;
	char err[512];
	time_t last_expire = 0;

	signal(SIGPIPE, SIG_IGN);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--bad-rspauth") == 0) { cfg.bad_rspauth = 1; continue; }
		if (strcmp(a, "--no-reason-warning") == 0) { cfg.reason_warning = 0; continue; }
		if (v == NULL)
			return usage();
		i++;
		if (strcmp(a, "--listen") == 0) {
			if (add_listener(v) < 0) {
				fprintf(stderr, "sipae-registrar: cannot listen as '%s'\n", v);
				return 1;
			}
		} else if (strcmp(a, "--realm") == 0) cfg.realm = v;
		else if (strcmp(a, "--domain") == 0) cfg.domain = v;
		else if (strcmp(a, "--redirect") == 0) cfg.redirect = v;
		else if (strcmp(a, "--sts-uri") == 0) cfg.sts_uri = v;
		else if (strcmp(a, "--plugin") == 0) plugin = v;
		else if (strcmp(a, "--keytab") == 0) keytab = v;
		else if (strcmp(a, "--client-ca") == 0) {
			/* each --listen makes its TLS-DSK context as it is read */
			if (nls > 0) {
				fprintf(stderr, "sipae-registrar: --client-ca must come before the --listen options\n");
				return usage();
			}
			client_ca = v;
		}
		else if (strcmp(a, "--version") == 0) {
			if (strlen(v) != 1 || v[0] < '2' || v[0] > '4')
				return usage();
			cfg.version = v[0] - '0';
		} else if (strcmp(a, "--max-expires") == 0) {
			char *e;
			long n = strtol(v, &e, 10);
			if (*e || n < 60 || n > 86400)
				return usage();
			cfg.max_expires = (int)n;
		} else if (strcmp(a, "--schemes") == 0) {
			if ((cfg.schemes = parse_schemes(v)) == 0)
				return usage();
		} else
			return usage();
	}
	if (nls == 0)
		return usage();
	if (ntlm_load(plugin, err, sizeof err) < 0) {
		fprintf(stderr, "sipae-registrar: gss-ntlmssp: %s\n", err);
		return 1;
	}
	if (keytab != NULL && krb_load(keytab, err, sizeof err) < 0) {
		fprintf(stderr, "sipae-registrar: Kerberos keytab %s: %s\n", keytab, err);
		return 1;
	}
	if (keytab == NULL)
		logf_("sipae-registrar: no --keytab: Kerberos is neither offered nor accepted");
	{
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	for (int i = 0; i < nls; i++)
		logf_("sipae-registrar: %s target %s, version %d, realm \"%s\"%s%s%s", ls[i].name, ls[i].target,
		      ls[i].cfg.version, ls[i].cfg.realm, ls[i].cfg.bad_rspauth ? ", bad rspauth" : "",
		      ls[i].cfg.redirect ? ", redirecting to " : "", ls[i].cfg.redirect ? ls[i].cfg.redirect : "");
	while (!stop) {
		struct pollfd pf[MAX_LISTEN + MAX_CONN];
		int map[MAX_LISTEN + MAX_CONN], n = 0;
		time_t now;
		for (int i = 0; i < nls; i++) {
			pf[n] = (struct pollfd){ .fd = ls[i].fd, .events = POLLIN };
			map[n++] = -1 - i;
		}
		for (int i = 0; i < MAX_CONN; i++)
			if (cs[i] != NULL) {
				pf[n] = (struct pollfd){ .fd = cs[i]->fd, .events = POLLIN };
				if (cs[i]->outlen > 0 || (!cs[i]->open && SSL_want_write(cs[i]->ssl)))
					pf[n].events |= POLLOUT;
				map[n++] = i;
			}
		if (poll(pf, (nfds_t)n, 1000) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < n; k++) {
			if (!pf[k].revents)
				continue;
			if (map[k] < 0)
				accept_on(&ls[-1 - map[k]]);
			else if (cs[map[k]] != NULL)
				service(map[k]);
		}
		now = time(NULL);
		for (int i = 0; i < MAX_CONN; i++)
			if (cs[i] != NULL && now > cs[i]->deadline) {
				logf_("%s %s: %s; closing", cs[i]->l->name, cs[i]->peer,
				      cs[i]->open ? "idle" : "TLS handshake timed out");
				conn_close(i);
			}
		if (now != last_expire) {
			sipae_expire();
			last_expire = now;
		}
	}
	for (int i = 0; i < MAX_CONN; i++)
		conn_close(i);
	logf_("sipae-registrar: stopped");
	return 0;
}

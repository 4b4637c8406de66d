/* The in-process HTTP(S) server of httpd.h. Its request reading is its
 * own (request line, headers to the empty line, Content-Length body). */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "httpd.h"

#define MAX_CONNS 8

struct conn {
	uv_poll_t poll;
	int fd, used, tls_done;
	SSL *ssl;
	struct httpd *s;
	char in[8192];
	size_t n;
};

struct httpd {
	uv_poll_t lpoll;
	int lfd;
	SSL_CTX *ctx;
	struct httpd_conf conf;
	unsigned short port;
	unsigned requests;
	int handles, stopping;
	char path[256], body[4096], authz[8192];
	char *out_body, *out_ct, *out_auth;   /* HTTPD_BODY's, copied */
	struct conn conns[MAX_CONNS];
};

static const char update_xml[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Response>\n <Update>\n"
	"  <BaseUrl>http://ucupdates-r2.test.example/DeviceUpdateFiles_Int/UCPhone/</BaseUrl>\n"
	"  <Version>4.0.7577.4463</Version>\n"
	"  <File>CPE/CPE.nbt</File>\n  <File>CPE/CPE.cat</File>\n </Update>\n</Response>\n";
static const char noupdate_xml[] = "<Response><NoUpdate/></Response>";

static void maybe_free(struct httpd *s)
{
	if (s->stopping && s->handles == 0) {
		SSL_CTX_free(s->ctx);
		free(s->out_body);
		free(s->out_ct);
		free(s->out_auth);
		free(s);
	}
}

static void on_conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	struct httpd *s = c->s;

	SSL_free(c->ssl);
	c->ssl = NULL;
	close(c->fd);
	c->used = 0;
	s->handles--;
	maybe_free(s);
}

static void conn_close(struct conn *c)
{
	if (uv_is_closing((uv_handle_t *)&c->poll))
		return;
	uv_poll_stop(&c->poll);
	uv_close((uv_handle_t *)&c->poll, on_conn_closed);
}

static void put(struct conn *c, const char *buf, size_t len)
{
	if (c->ssl)
		SSL_write(c->ssl, buf, (int)len);
	else if (send(c->fd, buf, len, MSG_NOSIGNAL) < 0)
		return;
}

static void answer(struct conn *c)
{
	struct httpd *s = c->s;
	char head[1024];
	const char *body = "", *ct = "text/xml", *auth = NULL;
	int status = 200, n;

	switch (s->conf.mode) {
	case HTTPD_UPDATE: body = update_xml; break;
	case HTTPD_NO_UPDATE: body = noupdate_xml; break;
	case HTTPD_STATUS: status = s->conf.status; break;
	case HTTPD_GARBAGE: body = "hello, phone"; break;
	case HTTPD_CLOSE: break;
	case HTTPD_SILENT: return;
	case HTTPD_BODY:
		status = s->conf.status ? s->conf.status : 200;
		body = s->out_body ? s->out_body : "";
		ct = s->out_ct ? s->out_ct : "text/plain";
		auth = s->out_auth;
		break;
	}
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		     "%s%s%sContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
		     status == 200 ? "OK" : "Error", ct, auth ? "WWW-Authenticate: " : "",
		     auth ? auth : "", auth ? "\r\n" : "", strlen(body));
	put(c, head, (size_t)n);
	put(c, body, strlen(body));
	if (c->ssl)
		SSL_shutdown(c->ssl);
	conn_close(c);
}

/* A whole request in c->in? Then record it and answer. */
static void consider(struct conn *c)
{
	struct httpd *s = c->s;
	char *end, *cl, *sp;
	size_t hl, want = 0, i;

	c->in[c->n] = '\0';
	if (!(end = strstr(c->in, "\r\n\r\n")))
		return;
	hl = (size_t)(end - c->in) + 4;
	if ((cl = strcasestr(c->in, "\r\nContent-Length:")) && cl < end)
		for (cl += 17; *cl == ' '; cl++)
			;
	for (; cl && cl < end && *cl >= '0' && *cl <= '9'; cl++)
		want = want * 10 + (size_t)(*cl - '0');
	if (c->n < hl + want)
		return;
	s->requests++;
	sp = strchr(c->in, ' ');
	for (i = 0; sp && sp[1 + i] && sp[1 + i] != ' ' && i < sizeof(s->path) - 1; i++)
		s->path[i] = sp[1 + i];
	s->path[i] = '\0';
	i = want < sizeof(s->body) - 1 ? want : sizeof(s->body) - 1;
	memcpy(s->body, c->in + hl, i);
	s->body[i] = '\0';
	s->authz[0] = '\0';
	if ((sp = strcasestr(c->in, "\r\nAuthorization:")) && sp < end) {
		for (sp += 16; *sp == ' '; sp++)
			;
		for (i = 0; sp[i] != '\r' && i < sizeof(s->authz) - 1; i++)
			s->authz[i] = sp[i];
		s->authz[i] = '\0';
	}
	answer(c);
}

static void on_conn(uv_poll_t *p, int status, int events)
{
	struct conn *c = p->data;
	ssize_t n;

	(void)events;
	if (status < 0) {
		conn_close(c);
		return;
	}
	if (c->ssl && !c->tls_done) {
		int rc = SSL_accept(c->ssl);

		if (rc == 1) {
			c->tls_done = 1;
		} else {
			int e = SSL_get_error(c->ssl, rc);

			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				uv_poll_start(&c->poll, e == SSL_ERROR_WANT_READ ? UV_READABLE
					      : UV_WRITABLE, on_conn);
				return;
			}
			ERR_clear_error();
			conn_close(c);      /* the client refused us */
			return;
		}
		uv_poll_start(&c->poll, UV_READABLE, on_conn);
	}
	if (c->n >= sizeof(c->in) - 1) {
		conn_close(c);
		return;
	}
	if (c->ssl) {
		n = SSL_read(c->ssl, c->in + c->n, (int)(sizeof(c->in) - 1 - c->n));
		if (n <= 0) {
			int e = SSL_get_error(c->ssl, (int)n);

			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				conn_close(c);
			ERR_clear_error();
			return;
		}
	} else {
		n = recv(c->fd, c->in + c->n, sizeof(c->in) - 1 - c->n, 0);
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				conn_close(c);
			return;
		}
	}
	c->n += (size_t)n;
	consider(c);
}

static void on_listen(uv_poll_t *p, int status, int events)
{
	struct httpd *s = p->data;
	struct conn *c = NULL;
	int fd, i;

	(void)events;
	if (status < 0 || (fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
		return;
	for (i = 0; i < MAX_CONNS; i++)
		if (!s->conns[i].used) {
			c = &s->conns[i];
			break;
		}
	if (!c || s->conf.mode == HTTPD_CLOSE) {
		close(fd);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->s = s;
	c->used = 1;
	if (s->ctx) {
		c->ssl = SSL_new(s->ctx);
		SSL_set_fd(c->ssl, fd);
	}
	uv_poll_init_socket(p->loop, &c->poll, fd);
	c->poll.data = c;
	s->handles++;
	uv_poll_start(&c->poll, UV_READABLE, on_conn);
}

static void on_listen_closed(uv_handle_t *h)
{
	struct httpd *s = h->data;

	close(s->lfd);
	s->handles--;
	maybe_free(s);
}

int httpd_start(uv_loop_t *loop, const struct httpd_conf *conf, struct httpd **out)
{
	struct httpd *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	if (!s)
		return -ENOMEM;
	s->conf = *conf;
	if (conf->cert_pem) {
		if (!(s->ctx = SSL_CTX_new(TLS_server_method())))
			goto fail;
		SSL_CTX_set_security_level(s->ctx, 0);
		SSL_CTX_set_cipher_list(s->ctx, "ALL:@SECLEVEL=0");
		SSL_CTX_set_min_proto_version(s->ctx, TLS1_VERSION);
		if (SSL_CTX_use_certificate_chain_file(s->ctx, conf->cert_pem) != 1 ||
		    SSL_CTX_use_PrivateKey_file(s->ctx, conf->key_pem, SSL_FILETYPE_PEM) != 1)
			goto fail;
		if (conf->chain_pem) {
			BIO *b = BIO_new_file(conf->chain_pem, "r");
			X509 *x;

			while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
				SSL_CTX_add_extra_chain_cert(s->ctx, x);
			BIO_free(b);
			ERR_clear_error();
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(conf->port);
	if (conf->addr && inet_pton(AF_INET, conf->addr, &sa.sin_addr) != 1)
		goto fail;
	if ((conf->body && !(s->out_body = strdup(conf->body))) ||
	    (conf->content_type && !(s->out_ct = strdup(conf->content_type))) ||
	    (conf->www_authenticate && !(s->out_auth = strdup(conf->www_authenticate))))
		goto fail;
	if ((s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	/* a fixed port, bound again by the next test */
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s->lfd, 16) < 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&sa, &len) < 0) {
		close(s->lfd);
		goto fail;
	}
	s->port = ntohs(sa.sin_port);
	uv_poll_init_socket(loop, &s->lpoll, s->lfd);
	s->lpoll.data = s;
	s->handles = 1;
	uv_poll_start(&s->lpoll, UV_READABLE, on_listen);
	*out = s;
	return 0;
fail:
	ERR_clear_error();
	SSL_CTX_free(s->ctx);
	free(s->out_body);
	free(s->out_ct);
	free(s->out_auth);
	free(s);
	return -EINVAL;
}

unsigned short httpd_port(const struct httpd *s) { return s->port; }
unsigned httpd_requests(const struct httpd *s) { return s->requests; }
const char *httpd_last_path(const struct httpd *s) { return s->path; }
const char *httpd_last_body(const struct httpd *s) { return s->body; }
const char *httpd_last_authorization(const struct httpd *s) { return s->authz; }

void httpd_stop(struct httpd *s)
{
	int i;

	if (!s)
		return;
	s->stopping = 1;
	for (i = 0; i < MAX_CONNS; i++)
		if (s->conns[i].used)
			conn_close(&s->conns[i]);
	uv_poll_stop(&s->lpoll);
	uv_close((uv_handle_t *)&s->lpoll, on_listen_closed);
}

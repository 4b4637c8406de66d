/* libcurl's multi interface on the libuv loop: see http.h. One multi
 * handle per request keeps the lifetimes simple (a boot makes one or two
 * requests); the sockets libcurl opens are watched with uv_poll. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http/http.h"
#include "tls/hook.h"

#define MAX_SOCKS 8

struct sock {
	uv_poll_t poll;
	curl_socket_t fd;
	struct http_req *r;
	int used;
	int spent;                  /* closed or closing: never reused */
};

struct http_req {
	uv_loop_t *loop;
	CURLM *multi;
	CURL *easy;
	struct curl_slist *resolve, *headers;
	uv_timer_t timer;
	struct sock socks[MAX_SOCKS];
	int handles;                /* open uv handles */
	int done, stopped, kicked;
	http_cb *cb;
	void *arg;
	struct tls_hook *tls;
	uint64_t t0;
	char *body;                 /* what the request sends (copied) */
	char *in;                   /* the answer's body */
	size_t in_len, in_cap;
	int too_large;
	char errbuf[CURL_ERROR_SIZE];
	char url[600];
	struct http_result res;
};

static void on_closed(uv_handle_t *h)
{
	struct http_req *r = h->data;

	if (--r->handles == 0 && r->stopped) {
		free(r->in);
		free(r->body);
		free(r);
	}
}

static void check_done(struct http_req *r);

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct sock *s = p->data;
	struct http_req *r = s->r;
	int flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(r->multi, s->fd, flags, &running);
	check_done(r);
}

static void on_timer(uv_timer_t *t)
{
	struct http_req *r = t->data;
	int running;

	r->kicked = 1;
	curl_multi_socket_action(r->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(r);
}

static int timer_cb(CURLM *m, long ms, void *userp)
{
	struct http_req *r = userp;

	(void)m;
	if (r->stopped)
		return 0;
	if (ms < 0)
		uv_timer_stop(&r->timer);
	else
		uv_timer_start(&r->timer, on_timer, (uint64_t)ms, 0);
	return 0;
}

static void sock_close(struct sock *s)
{
	struct http_req *r = s->r;

	if (!s->used)
		return;
	s->used = 0;
	s->spent = 1;
	s->poll.data = r;
	uv_close((uv_handle_t *)&s->poll, on_closed);
}

static int socket_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct http_req *r = userp;
	struct sock *s = socketp;
	int ev = 0, i;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			uv_poll_stop(&s->poll);
			sock_close(s);
			curl_multi_assign(r->multi, fd, NULL);
		}
		return 0;
	}
	if (r->stopped)
		return 0;
	if (!s) {
		/* a slot whose handle was closed is never reused */
		for (i = 0; i < MAX_SOCKS && (r->socks[i].used || r->socks[i].spent); i++)
			;
		if (i == MAX_SOCKS)
			return -1;
		s = &r->socks[i];
		memset(s, 0, sizeof(*s));
		s->fd = fd;
		s->r = r;
		if (uv_poll_init_socket(r->loop, &s->poll, fd) < 0)
			return -1;
		s->used = 1;
		s->poll.data = s;
		r->handles++;
		curl_multi_assign(r->multi, fd, s);
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= UV_READABLE;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= UV_WRITABLE;
	uv_poll_start(&s->poll, ev, on_poll);
	return 0;
}

static size_t on_write(char *p, size_t size, size_t n, void *userp)
{
	struct http_req *r = userp;
	size_t len = size * n;

	if (r->in_len + len > HTTP_MAX_BODY) {
		r->too_large = 1;
		return 0;           /* aborts the transfer */
	}
	if (r->in_len + len + 1 > r->in_cap) {
		size_t cap = r->in_len + len + 1 + 1024;
		char *grown = realloc(r->in, cap);

		if (!grown)
			return 0;
		r->in = grown;
		r->in_cap = cap;
	}
	memcpy(r->in + r->in_len, p, len);
	r->in_len += len;
	r->in[r->in_len] = '\0';
	return len;
}

/* The first WWW-Authenticate of the final answer (libcurl hands every
 * header line of every answer here, one by one; an interim answer's are
 * dropped when the next status line comes). */
static size_t on_header(char *p, size_t size, size_t n, void *userp)
{
	struct http_req *r = userp;
	size_t len = size * n, k = sizeof("WWW-Authenticate:") - 1;
	char *a = r->res.authenticate;

	if (len >= 5 && !strncmp(p, "HTTP/", 5))
		a[0] = '\0';
	else if (!a[0] && len > k && !strncasecmp(p, "WWW-Authenticate:", k)) {
		p += k;
		len -= k;
		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' '))
			len--;
		if (len >= sizeof(r->res.authenticate))
			len = sizeof(r->res.authenticate) - 1;
		memcpy(a, p, len);
		a[len] = '\0';
	}
	return size * n;
}

static CURLcode on_ssl_ctx(CURL *e, void *ssl_ctx, void *userp)
{
	struct http_req *r = userp;

	(void)e;
	return tls_hook_ctx(ssl_ctx, r->tls) == 0 ? CURLE_OK : CURLE_SSL_CIPHER;
}

static void outcome_of(struct http_req *r, CURLcode rc)
{
	struct http_result *o = &r->res;
	const char *why = r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
	char *ct = NULL;

	switch (rc) {
	case CURLE_OK:
		o->outcome = HTTP_ANSWERED;
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &o->status);
		if (curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
			snprintf(o->content_type, sizeof(o->content_type), "%s", ct);
		snprintf(o->detail, sizeof(o->detail), "HTTP %ld", o->status);
		return;
	case CURLE_COULDNT_CONNECT:
		o->outcome = HTTP_REFUSED;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		o->outcome = HTTP_TIMEOUT;
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CERTPROBLEM:
		o->outcome = HTTP_TLS;
		break;
	default:
		o->outcome = HTTP_BROKEN;
		if (r->too_large)
			why = "the answer is larger than 64 KiB";
		break;
	}
	snprintf(o->detail, sizeof(o->detail), "%s", why);
}

static void check_done(struct http_req *r)
{
	CURLMsg *m;
	int left;

	while (!r->done && (m = curl_multi_info_read(r->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		r->done = 1;
		uv_timer_stop(&r->timer);
		outcome_of(r, m->data.result);
		r->res.body = r->in ? r->in : "";
		r->res.body_len = r->in_len;
		r->res.ms = (double)(uv_hrtime() - r->t0) / 1e6;
		if (!r->stopped)
			r->cb(&r->res, r->arg);
		return;             /* r may be stopped now: touch nothing */
	}
}

/* The first kick: curl_multi_add_handle asked for a zero timeout; it is
 * run from the loop so that no callback happens inside http_start. */
enum pb_err http_start(uv_loop_t *loop, const struct http_request *rq, http_cb *cb, void *arg,
		       struct http_req **out, char *err, size_t errlen)
{
	struct http_req *r = calloc(1, sizeof(*r));
	char resolve[400], host_hdr[300];
	const char *url_host;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return PB_ERR_NOMEM;
	}
	r->loop = loop;
	r->cb = cb;
	r->arg = arg;
	r->tls = rq->tls;
	r->t0 = uv_hrtime();
	/* without SNI the URL names the address: libcurl sends no
	 * server_name for an IP literal (RFC 6066 section 3), and Host:
	 * still names the service */
	url_host = rq->https && !rq->sni ? rq->addr : rq->host;
	snprintf(r->url, sizeof(r->url), "%s://%s:%u%s", rq->https ? "https" : "http", url_host,
		 rq->port, rq->path);
	snprintf(resolve, sizeof(resolve), "%s:%u:%s", rq->host, rq->port, rq->addr);
	snprintf(host_hdr, sizeof(host_hdr), "Host: %s", rq->host);
	uv_timer_init(loop, &r->timer);
	r->timer.data = r;
	r->handles = 1;
	if (!(r->multi = curl_multi_init()) || !(r->easy = curl_easy_init()) ||
	    !(r->resolve = curl_slist_append(NULL, resolve)) ||
	    !(r->headers = curl_slist_append(NULL, host_hdr)) ||
	    (rq->content_type && !(r->headers = curl_slist_append(r->headers,
							  rq->content_type))) ||
	    (rq->authorization && !(r->headers = curl_slist_append(r->headers,
							   rq->authorization))) ||
	    (rq->body_len && !(r->body = malloc(rq->body_len)))) {
		snprintf(err, errlen, "out of memory");
		http_stop(r);
		return PB_ERR_NOMEM;
	}
	if (rq->body_len)
		memcpy(r->body, rq->body, rq->body_len);
	curl_easy_setopt(r->easy, CURLOPT_URL, r->url);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->easy, CURLOPT_RESOLVE, r->resolve);
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(r->easy, CURLOPT_PROXY, "");           /* no proxy from the env */
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)rq->timeout_ms);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, 2L * rq->timeout_ms);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "phoneboot");
	curl_easy_setopt(r->easy, CURLOPT_FORBID_REUSE, 1L);
	if (rq->method && !strcmp(rq->method, "POST")) {
		curl_easy_setopt(r->easy, CURLOPT_POST, 1L);
		curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE, (long)rq->body_len);
	}
	if (rq->https) {
		/* the device judges the chain (tls/hook.c) during the
		 * handshake; libcurl's own checks and CA bundle stay out */
		curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(r->easy, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(r->easy, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(r->easy, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
		curl_easy_setopt(r->easy, CURLOPT_SSL_CTX_DATA, r);
		curl_easy_setopt(r->easy, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	}
	curl_multi_setopt(r->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(r->multi, CURLMOPT_SOCKETDATA, r);
	curl_multi_setopt(r->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(r->multi, CURLMOPT_TIMERDATA, r);
	if (curl_multi_add_handle(r->multi, r->easy) != CURLM_OK) {
		snprintf(err, errlen, "libcurl refused the request");
		http_stop(r);
		return PB_ERR_INTERNAL;
	}
	*out = r;
	return PB_OK;
}

void http_stop(struct http_req *r)
{
	struct curl_slist *h;
	int i;

	if (!r || r->stopped)
		return;
	r->stopped = 1;
	r->done = 1;
	if (r->multi && r->easy)
		curl_multi_remove_handle(r->multi, r->easy);
	curl_easy_cleanup(r->easy);
	curl_multi_cleanup(r->multi);
	curl_slist_free_all(r->resolve);
	/* an Authorization header is a credential: wiped before it goes */
	for (h = r->headers; h; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(r->headers);
	r->easy = NULL;
	r->multi = NULL;
	for (i = 0; i < MAX_SOCKS; i++)
		if (r->socks[i].used) {
			uv_poll_stop(&r->socks[i].poll);
			sock_close(&r->socks[i]);
		}
	uv_timer_stop(&r->timer);
	uv_close((uv_handle_t *)&r->timer, on_closed);
}

/* One message to a KDC over UDP or TCP, on the loop. See kdc.h. */
#include "krb/kdc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kdc_req {
	enum kdc_proto proto;
	union {
		uv_handle_t h;
		uv_udp_t udp;
		uv_tcp_t tcp;
	} s;
	uv_timer_t timer;
	uv_connect_t conn;
	uv_write_t wr;
	uv_udp_send_t send;
	int open;                   /* handles not yet closed */
	int done;                   /* the callback ran, or was cancelled */
	kdc_cb *cb;
	void *arg;
	uint8_t *out;               /* what is sent (TCP: with its prefix) */
	size_t out_len;
	uint8_t *in;                /* what came back */
	size_t in_len, in_cap;
};

const char *kdc_proto_str(enum kdc_proto p)
{
	switch (p) {
	case KDC_UDP: return "udp";
	case KDC_TCP: return "tcp";
	}
	return "?";
}

int kdc_tcp_frame(const uint8_t *buf, size_t len, size_t *off, size_t *msglen)
{
	uint32_t n;

	if (!buf || len < 4)
		return 0;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if ((n & 0x80000000u) || n > KDC_MAX_REPLY || n == 0)
		return -1;
	if (len - 4 < n)
		return 0;
	*off = 4;
	*msglen = n;
	return 1;
}

static void on_closed(uv_handle_t *h)
{
	struct kdc_req *q = h->data;

	if (--q->open > 0)
		return;
	free(q->out);
	free(q->in);
	free(q);
}

static void close_all(struct kdc_req *q)
{
	if (q->proto == KDC_UDP)
		uv_udp_recv_stop(&q->s.udp);
	else
		uv_read_stop((uv_stream_t *)&q->s.tcp);
	uv_timer_stop(&q->timer);
	if (!uv_is_closing(&q->s.h))
		uv_close(&q->s.h, on_closed);
	if (!uv_is_closing((uv_handle_t *)&q->timer))
		uv_close((uv_handle_t *)&q->timer, on_closed);
}

static void finish(struct kdc_req *q, enum kdc_outcome oc, const uint8_t *reply, size_t len,
		   const char *detail)
{
	if (q->done)
		return;
	q->done = 1;
	q->cb(oc, reply, len, detail, q->arg);
	close_all(q);
}

static enum kdc_outcome outcome_of(int err)
{
	switch (err) {
	case UV_ECONNREFUSED:
		return KDC_REFUSED;
	case UV_ENOMEM:
	case UV_ENOBUFS:
		return KDC_NOMEM;
	default:
		return KDC_UNREACHABLE;
	}
}

static void fail_uv(struct kdc_req *q, int err)
{
	finish(q, outcome_of(err), NULL, 0, err == UV_ECONNREFUSED ? "connection refused"
	       : uv_strerror(err));
}

static void on_timeout(uv_timer_t *t)
{
	finish(t->data, KDC_TIMEOUT, NULL, 0, "no reply within the timeout");
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct kdc_req *q = h->data;
	size_t want = q->proto == KDC_UDP ? KDC_MAX_REPLY : 4096;

	(void)hint;
	if (q->proto == KDC_UDP) {
		q->in_len = 0;
	}
	if (q->in_cap - q->in_len < want) {
		size_t cap = q->in_len + want;
		uint8_t *p;

		if (cap > KDC_MAX_REPLY + 4 + 4096 || !(p = realloc(q->in, cap))) {
			buf->base = NULL;
			buf->len = 0;
			return;
		}
		q->in = p;
		q->in_cap = cap;
	}
	buf->base = (char *)q->in + q->in_len;
	buf->len = q->in_cap - q->in_len;
}

static void on_udp(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
		   unsigned flags)
{
	struct kdc_req *q = u->data;

	(void)buf;
	(void)from;
	if (n == UV_ENOBUFS) {
		finish(q, KDC_NOMEM, NULL, 0, "out of memory for the reply");
		return;
	}
	if (n < 0) {
		fail_uv(q, (int)n);
		return;
	}
	if (n == 0 || (flags & UV_UDP_PARTIAL))
		return;                 /* nothing, or a truncated datagram: keep waiting */
	finish(q, KDC_REPLY, q->in, (size_t)n, "reply");
}

static void on_tcp(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct kdc_req *q = s->data;
	size_t off, len;
	int rc;

	(void)buf;
	if (n == UV_ENOBUFS) {
		finish(q, KDC_BAD_REPLY, NULL, 0, "the reply is larger than phoneboot accepts");
		return;
	}
	if (n == UV_EOF) {
		finish(q, KDC_UNREACHABLE, NULL, 0, "the KDC closed the connection without "
		       "a whole reply");
		return;
	}
	if (n < 0) {
		fail_uv(q, (int)n);
		return;
	}
	q->in_len += (size_t)n;
	rc = kdc_tcp_frame(q->in, q->in_len, &off, &len);
	if (rc < 0)
		finish(q, KDC_BAD_REPLY, NULL, 0, "the reply's length prefix is invalid");
	else if (rc > 0)
		finish(q, KDC_REPLY, q->in + off, len, "reply");
}

static void on_written(uv_write_t *w, int status)
{
	struct kdc_req *q = w->data;

	if (status < 0 && status != UV_ECANCELED)
		fail_uv(q, status);
}

static void on_connect(uv_connect_t *c, int status)
{
	struct kdc_req *q = c->data;
	uv_buf_t b = uv_buf_init((char *)q->out, (unsigned)q->out_len);
	int rc;

	if (status == UV_ECANCELED || q->done)
		return;
	if (status < 0) {
		fail_uv(q, status);
		return;
	}
	q->wr.data = q;
	if ((rc = uv_write(&q->wr, (uv_stream_t *)&q->s.tcp, &b, 1, on_written)) < 0 ||
	    (rc = uv_read_start((uv_stream_t *)&q->s.tcp, on_alloc, on_tcp)) < 0)
		fail_uv(q, rc);
}

static void on_sent(uv_udp_send_t *s, int status)
{
	struct kdc_req *q = s->data;

	if (status < 0 && status != UV_ECANCELED)
		fail_uv(q, status);
}

/* An error before any callback could run is reported from the loop, as
 * every other outcome: through the timer, at once. */
static void on_early(uv_timer_t *t)
{
	struct kdc_req *q = t->data;

	finish(q, q->in_len == (size_t)-1 ? KDC_NOMEM : KDC_UNREACHABLE, NULL, 0,
	       "the socket could not be opened");
}

struct kdc_req *kdc_send(uv_loop_t *loop, const char *addr, unsigned port,
			 enum kdc_proto proto, const uint8_t *msg, size_t len,
			 unsigned timeout_ms, kdc_cb *cb, void *arg)
{
	struct kdc_req *q = NULL;
	struct sockaddr_storage sa;
	int rc;

	memset(&sa, 0, sizeof(sa));
	if (uv_ip4_addr(addr, (int)port, (struct sockaddr_in *)&sa) != 0 &&
	    uv_ip6_addr(addr, (int)port, (struct sockaddr_in6 *)&sa) != 0)
		return NULL;
	if (!msg || !len || len > 0x7fffffffu || !(q = calloc(1, sizeof(*q))))
		return NULL;
	q->proto = proto;
	q->cb = cb;
	q->arg = arg;
	q->out_len = len + (proto == KDC_TCP ? 4 : 0);
	if (!(q->out = malloc(q->out_len))) {
		free(q);
		return NULL;
	}
	if (proto == KDC_TCP) {
		q->out[0] = (uint8_t)(len >> 24);
		q->out[1] = (uint8_t)(len >> 16);
		q->out[2] = (uint8_t)(len >> 8);
		q->out[3] = (uint8_t)len;
	}
	memcpy(q->out + (proto == KDC_TCP ? 4 : 0), msg, len);
	uv_timer_init(loop, &q->timer);
	q->timer.data = q;
	q->open = 2;
	if (proto == KDC_UDP) {
		uv_udp_init(loop, &q->s.udp);
		q->s.udp.data = q;
		q->send.data = q;
		{
			uv_buf_t b = uv_buf_init((char *)q->out, (unsigned)q->out_len);

			if ((rc = uv_udp_connect(&q->s.udp, (const struct sockaddr *)&sa)) < 0 ||
			    (rc = uv_udp_recv_start(&q->s.udp, on_alloc, on_udp)) < 0 ||
			    (rc = uv_udp_send(&q->send, &q->s.udp, &b, 1, NULL, on_sent)) < 0)
				goto early;
		}
	} else {
		uv_tcp_init(loop, &q->s.tcp);
		q->s.tcp.data = q;
		q->conn.data = q;
		if ((rc = uv_tcp_connect(&q->conn, &q->s.tcp, (const struct sockaddr *)&sa,
					 on_connect)) < 0)
			goto early;
	}
	uv_timer_start(&q->timer, on_timeout, timeout_ms ? timeout_ms : 3000, 0);
	return q;
early:
	if (rc == UV_ENOMEM)
		q->in_len = (size_t)-1;
	uv_timer_start(&q->timer, on_early, 0, 0);
	return q;
}

void kdc_cancel(struct kdc_req *q)
{
	if (!q || q->done)
		return;
	q->done = 1;
	close_all(q);
}

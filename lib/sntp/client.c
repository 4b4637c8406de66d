/* The SNTP client on the libuv loop: one connected UDP socket, one
 * request, one bounded wait. RFC 4330 section 10 asks a client not to
 * poll a server more often than every 15 s: a boot sends one request to
 * a server and, without an answer, asks the next one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rd.h"
#include "sntp/sntp.h"

struct sntp_query {
	uv_udp_t udp;
	uv_timer_t timer;
	sntp_cb *cb;
	void *arg;
	int done, stopped, handles;
	uint64_t t1;                /* our transmit timestamp */
	uint64_t hr0;
	unsigned timeout_ms, strays;
	struct sntp_result res;     /* filled before the callback */
	uint8_t in[512];
};

static uint64_t now_ts(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return sntp_ts_from_unix((int64_t)ts.tv_sec, ts.tv_nsec);
}

static void on_closed(uv_handle_t *h)
{
	struct sntp_query *q = h->data;

	if (--q->handles == 0)
		free(q);
}

static void finish(struct sntp_query *q)
{
	if (q->done)
		return;
	q->done = 1;
	uv_udp_recv_stop(&q->udp);
	uv_timer_stop(&q->timer);
	q->res.ms = (double)(uv_hrtime() - q->hr0) / 1e6;
	if (!q->stopped)
		q->cb(&q->res, q->arg);
}

static void fail(struct sntp_query *q, enum pb_cause cause, const char *what, const char *why)
{
	q->res.cause = cause;
	snprintf(q->res.detail, sizeof(q->res.detail), "%s%s", what, why);
	finish(q);
}

static void on_timer(uv_timer_t *t)
{
	struct sntp_query *q = t->data;
	char why[64];

	if (q->res.cause) {         /* a failure found in sntp_start */
		finish(q);
		return;
	}
	snprintf(why, sizeof(why), "%u ms%s", q->timeout_ms,
		 q->strays ? " (only stray or malformed datagrams)" : "");
	fail(q, PB_CAUSE_NTP_UNREACHABLE, "no answer within ", why);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct sntp_query *q = h->data;

	(void)hint;
	*buf = uv_buf_init((char *)q->in, sizeof(q->in));
}

static const char *verdict_text(const struct sntp_reply *r, enum sntp_verdict v, char *buf,
				size_t len)
{
	switch (v) {
	case SNTP_OK:
		snprintf(buf, len, "ok");
		break;
	case SNTP_KISS:
		snprintf(buf, len, "stratum 0: kiss-o'-death \"%s\" (RFC 4330 section 8)%s",
			 r->refid_text, r->li == 3 ? ", leap indicator 3 (not synchronized)" : "");
		break;
	case SNTP_ALARM:
		snprintf(buf, len, "leap indicator 3: the server's clock is not synchronized "
			 "(stratum %u)", r->stratum);
		break;
	case SNTP_UNSYNC:
		snprintf(buf, len, "stratum %u: the server's clock is not synchronized", r->stratum);
		break;
	case SNTP_NO_TIME:
		snprintf(buf, len, "the reply carries no transmit timestamp");
		break;
	}
	return buf;
}

static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
		    unsigned flags)
{
	struct sntp_query *q = u->data;
	struct sntp_reply rep;
	char err[128], text[160];
	uint64_t t4 = now_ts();

	(void)buf;
	(void)flags;
	if (q->done)
		return;
	if (n < 0) {
		/* a connected UDP socket reports ICMP port unreachable as
		 * ECONNREFUSED on the next read */
		fail(q, PB_CAUSE_NTP_UNREACHABLE, "", n == UV_ECONNREFUSED ?
		     "port unreachable (ICMP): no NTP server there" : uv_strerror((int)n));
		return;
	}
	if (n == 0 && !from)
		return;             /* nothing more to read */
	if (sntp_parse(q->in, (size_t)n, q->t1, &rep, err, sizeof(err)) < 0) {
		q->strays++;        /* not our reply: keep waiting */
		return;
	}
	q->res.answered = 1;
	q->res.reply = rep;
	q->res.verdict = sntp_judge(&rep);
	sntp_offset(q->t1, rep.recv, rep.xmit, t4, &q->res.offset, &q->res.delay);
	q->res.server_time = sntp_ts_to_unix(t4) + q->res.offset;
	if (q->res.verdict != SNTP_OK) {
		fail(q, PB_CAUSE_NTP_UNSYNCHRONIZED, "",
		     verdict_text(&rep, q->res.verdict, text, sizeof(text)));
		return;
	}
	snprintf(q->res.detail, sizeof(q->res.detail), "stratum %u, reference %s", rep.stratum,
		 rep.refid_text);
	finish(q);
}

/* "ip" or "ip:port" into an IPv4 address; 0 or -1. */
static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	struct rd r = rd_init(s, strlen(s));
	struct span host = rd_take_until(&r, ":");
	unsigned long port = 123;
	char h[64];

	if (rd_take_char(&r, ':')) {
		struct span p = rd_take_until(&r, "");

		if (!span_to_uint(p, 65535, &port) || port == 0)
			return -1;
	}
	if (host.len == 0 || host.len >= sizeof(h))
		return -1;
	memcpy(h, host.p, host.len);
	h[host.len] = '\0';
	return uv_ip4_addr(h, (int)port, sa) == 0 ? 0 : -1;
}

enum pb_err sntp_start(uv_loop_t *loop, const char *addr, unsigned timeout_ms, sntp_cb *cb,
		       void *arg, struct sntp_query **out, char *err, size_t errlen)
{
	struct sntp_query *q;
	struct sockaddr_in sa;
	uint8_t pkt[SNTP_PACKET_LEN];
	uv_buf_t b;
	int rc;

	if (parse_addr(addr, &sa) < 0) {
		snprintf(err, errlen, "'%s' is not an IPv4 address[:port]", addr);
		return PB_ERR_USAGE;
	}
	if (!(q = calloc(1, sizeof(*q)))) {
		snprintf(err, errlen, "out of memory");
		return PB_ERR_NOMEM;
	}
	q->cb = cb;
	q->arg = arg;
	q->timeout_ms = timeout_ms ? timeout_ms : 2000;
	q->hr0 = uv_hrtime();
	if ((rc = uv_udp_init(loop, &q->udp)) < 0) {
		snprintf(err, errlen, "udp: %s", uv_strerror(rc));
		free(q);
		return PB_ERR_INTERNAL;
	}
	uv_timer_init(loop, &q->timer);
	q->udp.data = q->timer.data = q;
	q->handles = 2;
	if ((rc = uv_udp_connect(&q->udp, (const struct sockaddr *)&sa)) < 0 ||
	    (rc = uv_udp_recv_start(&q->udp, on_alloc, on_recv)) < 0) {
		/* a network the device cannot reach: reported from the loop */
		q->res.cause = PB_CAUSE_NTP_UNREACHABLE;
		snprintf(q->res.detail, sizeof(q->res.detail), "%s", uv_strerror(rc));
		uv_timer_start(&q->timer, on_timer, 0, 0);
		*out = q;
		return PB_OK;
	}
	q->t1 = now_ts();
	sntp_build(pkt, sizeof(pkt), q->t1);
	b = uv_buf_init((char *)pkt, sizeof(pkt));
	if ((rc = uv_udp_try_send(&q->udp, &b, 1, NULL)) < 0) {
		q->res.cause = PB_CAUSE_NTP_UNREACHABLE;
		snprintf(q->res.detail, sizeof(q->res.detail), "send: %s", uv_strerror(rc));
		uv_timer_start(&q->timer, on_timer, 0, 0);
		*out = q;
		return PB_OK;
	}
	uv_timer_start(&q->timer, on_timer, q->timeout_ms, 0);
	*out = q;
	return PB_OK;
}

void sntp_stop(struct sntp_query *q)
{
	if (!q || q->stopped)
		return;
	q->stopped = 1;
	q->done = 1;
	uv_close((uv_handle_t *)&q->udp, on_closed);
	uv_close((uv_handle_t *)&q->timer, on_closed);
}

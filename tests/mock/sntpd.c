/* The in-process SNTP server of sntpd.h: RFC 4330 section 5, server side
 * ("copies the Transmit Timestamp of the request into the Originate
 * Timestamp", sets mode 4 and its own timestamps). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sntpd.h"

struct sntpd {
	uv_udp_t udp;
	struct sntpd_conf conf;
	unsigned short port;
	unsigned requests;
	uint8_t buf[512];
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_ts(uint8_t *p, int64_t sec, long nsec)
{
	put32(p, (uint32_t)((uint64_t)sec + 2208988800ULL));
	put32(p + 4, (uint32_t)(((uint64_t)nsec << 32) / 1000000000ULL));
}

void sntpd_reply(const struct sntpd_conf *conf, const uint8_t *req, int64_t sec, long nsec,
		 uint8_t out[48])
{
	unsigned li = 0, stratum = 2;
	const char *kiss = conf->kiss ? conf->kiss : "DENY";

	memset(out, 0, 48);
	if (conf->mode == SNTPD_ALARM) {
		li = 3;
		stratum = 3;
	} else if (conf->mode == SNTPD_KISS) {
		stratum = 0;
	} else if (conf->mode == SNTPD_STRATUM16) {
		stratum = 16;
	}
	out[0] = (uint8_t)(li << 6 | 4 << 3 | 4);
	out[1] = (uint8_t)stratum;
	out[2] = 6;                     /* poll 2^6 s */
	out[3] = (uint8_t)(int8_t)-20;  /* precision ~1 us */
	put32(out + 4, 0x00000100);     /* root delay */
	put32(out + 8, 0x00000200);     /* root dispersion */
	if (stratum == 0)
		memcpy(out + 12, kiss, 4);
	else
		memcpy(out + 12, "\x7f\x7f\x01\x00", 4);
	put_ts(out + 16, sec - 30, 0);  /* reference: last set 30 s ago */
	memcpy(out + 24, req + 40, 8);  /* originate = the request's transmit */
	put_ts(out + 32, sec, nsec);    /* receive */
	put_ts(out + 40, sec, nsec);    /* transmit */
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct sntpd *s = h->data;

	(void)hint;
	*buf = uv_buf_init((char *)s->buf, sizeof(s->buf));
}

static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
		    unsigned flags)
{
	struct sntpd *s = u->data;
	struct timespec ts;
	uint8_t out[48];
	uv_buf_t b;

	(void)buf;
	(void)flags;
	if (n < 48 || !from)
		return;
	s->requests++;
	if (s->conf.mode == SNTPD_SILENT || (s->buf[0] & 7) != 3)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (s->conf.mode == SNTPD_STRAY_FIRST) {
		struct sntpd_conf ok = s->conf;
		uint8_t stray[48];

		ok.mode = SNTPD_OK;
		sntpd_reply(&ok, s->buf, (int64_t)ts.tv_sec + s->conf.skew_s, ts.tv_nsec, stray);
		stray[31] ^= 0x55;      /* not the originate the client sent */
		b = uv_buf_init((char *)stray, sizeof(stray));
		uv_udp_try_send(u, &b, 1, from);
		sntpd_reply(&ok, s->buf, (int64_t)ts.tv_sec + s->conf.skew_s, ts.tv_nsec, out);
	} else {
		sntpd_reply(&s->conf, s->buf, (int64_t)ts.tv_sec + s->conf.skew_s, ts.tv_nsec, out);
	}
	b = uv_buf_init((char *)out, sizeof(out));
	uv_udp_try_send(u, &b, 1, from);
}

int sntpd_start(uv_loop_t *loop, const struct sntpd_conf *conf, struct sntpd **out)
{
	struct sntpd *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa;
	struct sockaddr_storage got;
	int len = sizeof(got), rc;

	if (!s)
		return UV_ENOMEM;
	s->conf = *conf;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	if ((rc = uv_udp_init(loop, &s->udp)) < 0) {
		free(s);
		return rc;
	}
	s->udp.data = s;
	if ((rc = uv_udp_bind(&s->udp, (const struct sockaddr *)&sa, 0)) < 0 ||
	    (rc = uv_udp_getsockname(&s->udp, (struct sockaddr *)&got, &len)) < 0 ||
	    (rc = uv_udp_recv_start(&s->udp, on_alloc, on_recv)) < 0) {
		uv_close((uv_handle_t *)&s->udp, on_closed);
		return rc;
	}
	s->port = ntohs(((struct sockaddr_in *)&got)->sin_port);
	*out = s;
	return 0;
}

unsigned short sntpd_port(const struct sntpd *s) { return s->port; }
unsigned sntpd_requests(const struct sntpd *s) { return s->requests; }

void sntpd_stop(struct sntpd *s)
{
	if (s)
		uv_close((uv_handle_t *)&s->udp, on_closed);
}

/* In-process DNS responder for tests. See dnsd.h. Packets are read and
 * written through two small bounds-checked cursors; no read or write goes
 * past the datagram. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dnsd.h"

#define UDP_MAX 512          /* RFC 1035 4.2.1: UDP messages are 512 bytes at most */
#define HDR_LEN 12           /* RFC 1035 4.1.1 */
#define TYPE_A 1             /* RFC 1035 3.2.2 */
#define TYPE_SRV 33          /* RFC 2782 */
#define CLASS_IN 1           /* RFC 1035 3.2.4 */
#define TTL 60

struct dnsd {
	uv_udp_t udp;
	const struct dnsd_rule *rules;
	size_t n_rules;
	unsigned queries;
	unsigned short port;
	unsigned char in[65536];
};

/* ---- reading: a cursor that fails instead of running past the end ---- */

struct rd {
	const unsigned char *p;
	size_t len, off;
	int bad;
};

static unsigned get8(struct rd *r)
{
	if (r->bad || r->off + 1 > r->len) {
		r->bad = 1;
		return 0;
	}
	return r->p[r->off++];
}

static unsigned get16(struct rd *r)
{
	unsigned hi = get8(r);

	return (hi << 8) | get8(r);
}

/* QNAME (RFC 1035 4.1.2): labels of 1-63 octets (3.1), ending with the
 * root label; compression (4.1.4) has no place in a question with nothing
 * before it, so a pointer makes the query malformed. Text out, dotted. */
static void get_name(struct rd *r, char *out, size_t outlen)
{
	size_t o = 0;
	unsigned n, i;

	out[0] = '\0';
	while (!r->bad && (n = get8(r)) != 0) {
		if (n > 63 || o + n + 2 > outlen) {
			r->bad = 1;
			break;
		}
		if (o)
			out[o++] = '.';
		for (i = 0; i < n; i++)
			out[o++] = (char)get8(r);
		out[o] = '\0';
	}
}

/* ---- writing: a cursor over a fixed buffer; overflow is remembered ---- */

struct wr {
	unsigned char *p;
	size_t cap, off;
	int full;
};

static void put8(struct wr *w, unsigned v)
{
	if (w->full || w->off + 1 > w->cap) {
		w->full = 1;
		return;
	}
	w->p[w->off++] = (unsigned char)v;
}

static void put16(struct wr *w, unsigned v)
{
	put8(w, (v >> 8) & 0xff);
	put8(w, v & 0xff);
}

static void put32(struct wr *w, unsigned long v)
{
	put16(w, (unsigned)(v >> 16) & 0xffff);
	put16(w, (unsigned)v & 0xffff);
}

static void put_bytes(struct wr *w, const void *b, size_t n)
{
	if (w->full || w->off + n > w->cap) {
		w->full = 1;
		return;
	}
	memcpy(w->p + w->off, b, n);
	w->off += n;
}

/* A name uncompressed, as SRV targets must be (RFC 2782 "Target"). A label
 * longer than 63 octets or an empty label is a test's mistake: written
 * as the root name would hide it, so the write fails instead. */
static void put_name(struct wr *w, const char *name)
{
	const char *p = name;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n > 63) {
			w->full = 1;
			return;
		}
		put8(w, (unsigned)n);
		put_bytes(w, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	put8(w, 0);
}

/* ---- answering ---- */

static const struct dnsd_rule *match(const struct dnsd *s, const char *name,
				     unsigned type)
{
	size_t i;

	for (i = 0; i < s->n_rules; i++) {
		const struct dnsd_rule *u = &s->rules[i];
		unsigned t = 0;

		if (u->type)
			t = !strcasecmp(u->type, "SRV") ? TYPE_SRV
			  : !strcasecmp(u->type, "A") ? TYPE_A : 0xffff;
		if ((!u->name || !strcasecmp(u->name, name)) && (!u->type || t == type))
			return u;
	}
	return NULL;
}

/* One resource record (RFC 1035 4.1.3), its owner the question's name by
 * a pointer to offset 12 (4.1.4). */
static void put_rr(struct wr *w, unsigned type, const struct dnsd_rr *rr)
{
	size_t len_at, start;
	struct in_addr ia;

	put16(w, 0xc000 | HDR_LEN);
	put16(w, type);
	put16(w, CLASS_IN);
	put32(w, TTL);
	len_at = w->off;
	put16(w, 0);                 /* RDLENGTH, filled in below */
	start = w->off;
	if (type == TYPE_A) {        /* RFC 1035 3.4.1 */
		if (!rr->addr || inet_pton(AF_INET, rr->addr, &ia) != 1) {
			w->full = 1;
			return;
		}
		put_bytes(w, &ia.s_addr, 4);
	} else {                     /* RFC 2782 */
		put16(w, rr->priority);
		put16(w, rr->weight);
		put16(w, rr->port);
		put_name(w, rr->target ? rr->target : "");
	}
	if (!w->full) {
		w->p[len_at] = (unsigned char)((w->off - start) >> 8);
		w->p[len_at + 1] = (unsigned char)((w->off - start) & 0xff);
	}
}

/* Header (RFC 1035 4.1.1): the query's ID, opcode and RD echoed; QR and
 * AA set; RA clear (this server does not recurse). */
static void put_header(struct wr *w, unsigned id, unsigned flags, int tc,
		       enum dnsd_rcode rcode, unsigned qd, unsigned an)
{
	unsigned f = 0x8000 | 0x0400 | (flags & 0x7900) | ((unsigned)rcode & 0xf);

	if (tc)
		f |= 0x0200;
	w->off = 0;
	w->full = 0;
	put16(w, id);
	put16(w, f);
	put16(w, qd);
	put16(w, an);
	put16(w, 0);
	put16(w, 0);
}

/* Build the answer to one query into out; returns its length, or 0 to
 * stay silent. */
static size_t answer(const struct dnsd *s, const unsigned char *q, size_t qlen,
		     unsigned char *out)
{
	struct rd r = { q, qlen, 0, 0 };
	struct wr w = { out, UDP_MAX, 0, 0 };
	const struct dnsd_rule *u;
	unsigned id, flags, qd, type, klass;
	size_t qstart, qend, i;
	char name[256];

	id = get16(&r);
	flags = get16(&r);
	qd = get16(&r);
	get16(&r);
	get16(&r);
	get16(&r);
	if (r.bad || (flags & 0x8000))    /* too short to answer, or a response */
		return 0;
	if (((flags >> 11) & 0xf) != 0) { /* only standard queries (OPCODE 0) */
		put_header(&w, id, flags, 0, DNSD_NOTIMP, 0, 0);
		return w.off;
	}
	qstart = r.off;
	get_name(&r, name, sizeof(name));
	type = get16(&r);
	klass = get16(&r);
	qend = r.off;
	if (r.bad || qd != 1 || klass != CLASS_IN) {
		put_header(&w, id, flags, 0, DNSD_FORMERR, 0, 0);
		return w.off;
	}
	u = match(s, name, type);
	if (u && u->drop)
		return 0;
	if (!u || u->rcode != DNSD_NOERROR) {
		put_header(&w, id, flags, 0, u ? u->rcode : DNSD_REFUSED, 1, 0);
		put_bytes(&w, q + qstart, qend - qstart);
		return w.off;
	}
	put_header(&w, id, flags, 0, DNSD_NOERROR, 1, (unsigned)u->n_rr);
	put_bytes(&w, q + qstart, qend - qstart);
	for (i = 0; i < u->n_rr; i++)
		put_rr(&w, type, &u->rr[i]);
	if (w.full) {                 /* RFC 1035 4.2.1: truncate, set TC */
		put_header(&w, id, flags, 1, DNSD_NOERROR, 1, 0);
		put_bytes(&w, q + qstart, qend - qstart);
	}
	return w.full ? 0 : w.off;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct dnsd *s = h->data;

	(void)suggested;
	*buf = uv_buf_init((char *)s->in, sizeof(s->in));
}

static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf,
		    const struct sockaddr *from, unsigned flags)
{
	struct dnsd *s = u->data;
	unsigned char out[UDP_MAX];
	uv_buf_t b;
	size_t len;

	if (n < 0 || !from || (flags & UV_UDP_PARTIAL))
		return;
	if (n == 0)
		return;              /* an empty datagram is no query */
	s->queries++;
	len = answer(s, (const unsigned char *)buf->base, (size_t)n, out);
	if (len == 0)
		return;
	b = uv_buf_init((char *)out, (unsigned)len);
	/* Lost if the socket buffer is full, as UDP may be. */
	(void)uv_udp_try_send(u, &b, 1, from);
}

int dnsd_start(uv_loop_t *loop, const struct dnsd_rule *rules, size_t n,
	       struct dnsd **out)
{
	struct sockaddr_in sa;
	struct sockaddr_storage bound;
	int len = (int)sizeof(bound), rc;
	struct dnsd *s = calloc(1, sizeof(*s));

	if (!s)
		return UV_ENOMEM;
	memset(&bound, 0, sizeof(bound));
	s->rules = rules;
	s->n_rules = n;
	rc = uv_udp_init(loop, &s->udp);
	if (rc < 0) {
		free(s);
		return rc;
	}
	s->udp.data = s;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	rc = uv_udp_bind(&s->udp, (const struct sockaddr *)&sa, 0);
	if (rc == 0)
		rc = uv_udp_getsockname(&s->udp, (struct sockaddr *)&bound, &len);
	if (rc == 0)
		rc = uv_udp_recv_start(&s->udp, on_alloc, on_recv);
	if (rc != 0) {
		dnsd_stop(s);
		return rc;
	}
	s->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
	*out = s;
	return 0;
}

unsigned short dnsd_port(const struct dnsd *s)
{
	return s->port;
}

unsigned dnsd_queries(const struct dnsd *s)
{
	return s->queries;
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void dnsd_stop(struct dnsd *s)
{
	if (s)
		uv_close((uv_handle_t *)&s->udp, on_closed);
}

int dnsd_closed_port(unsigned short *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rc = 0;

	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		rc = -errno;
	else
		*port = ntohs(sa.sin_port);
	close(fd);
	return rc;
}

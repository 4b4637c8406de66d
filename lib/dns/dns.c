/* c-ares on libuv. See dns.h.
 *
 * c-ares 1.18 (Debian 12), measured against tests/mock/dnsd.c: without
 * ARES_FLAG_NOCHECKRESP it drops SERVFAIL, NOTIMP and REFUSED answers,
 * tries the server again (or the next one) and then ends the query with
 * ARES_ECONNREFUSED, the status it starts every query with, so a server
 * that answers REFUSED looks like one that is not there; it also doubles
 * the timeout on each round. So each server gets a channel of its own
 * with NOCHECKRESP and one try, and the rounds over the servers are made
 * here: every answer reaches on_answer with its rcode and the server that
 * sent it. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>

#include "dns/dns.h"

#define MAX_SOCKS (4 * DNS_MAX_SERVERS)   /* a UDP and a TCP socket per server, twice over */
#define ROUNDS 2
#define C_IN 1                            /* RFC 1035 3.2.4 */
#define T_A 1                             /* RFC 1035 3.2.2 */
#define T_SRV 33                          /* RFC 2782 */

/* RFC 1035 4.1.1 RCODE values this file acts on */
enum { NOERROR = 0, NXDOMAIN = 3, REFUSED = 5 };

struct server {
	struct dns *d;
	ares_channel ch;
	char name[64];                /* "ip" or "ip:port" */
};

enum { W_FREE, W_USED, W_CLOSING };

struct watch {
	uv_poll_t poll;
	ares_socket_t fd;
	struct server *sv;
	int state;
};

struct dns {
	uv_loop_t *loop;
	struct server sv[DNS_MAX_SERVERS];
	size_t n;
	unsigned timeout_ms;
	uv_timer_t timer;             /* c-ares' timeouts */
	uv_timer_t later;             /* delivers finished queries */
	struct watch w[MAX_SOCKS];
	struct dns_query *done, *done_tail;
	int closing, open_handles;
};

/* A query is in c-ares' hands (IN_FLIGHT: c-ares will call on_answer),
 * finished and waiting on d->done for the loop (DONE), or in its
 * callback (CALLING). */
enum { IN_FLIGHT, DONE, CALLING };

/* What the last try of a server met, for the timeout's detail. */
enum { NOTHING, SILENT, UNREACHABLE };

struct dns_query {
	struct dns *d;
	dns_cb *cb;                   /* NULL once cancelled */
	void *arg;
	struct dns_query *next;       /* on d->done */
	int state;
	unsigned short type;
	unsigned tries;               /* tries started: round * n + server */
	size_t cur;                   /* the server of the try in flight */
	unsigned skip;                /* servers that answered with an error */
	unsigned char met[DNS_MAX_SERVERS];
	uint64_t t0;
	struct dns_result r;
	char name[256];
};

/* RFC 1035 4.1.1; 6-10 from RFC 2136 2.2 */
static const char *rcode_str(int rc)
{
	static const char *const s[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
		"NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" };

	return rc >= 0 && (size_t)rc < sizeof(s) / sizeof(s[0]) ? s[rc] : "an unknown RCODE";
}

/* ---- c-ares on the loop ---- */

static void on_timer(uv_timer_t *t);

static void arm_timer(struct dns *d)
{
	struct timeval tv;
	uint64_t ms, best = UINT64_MAX;
	size_t i;

	if (d->closing)
		return;
	for (i = 0; i < d->n; i++) {
		const struct timeval *tp = ares_timeout(d->sv[i].ch, NULL, &tv);
		if (!tp)
			continue;
		ms = (uint64_t)tp->tv_sec * 1000 + (uint64_t)tp->tv_usec / 1000 + 1;
		if (ms < best)
			best = ms;
	}
	if (best != UINT64_MAX)
		uv_timer_start(&d->timer, on_timer, best, 0);
	else
		uv_timer_stop(&d->timer);
}

static void on_timer(uv_timer_t *t)
{
	struct dns *d = t->data;
	size_t i;

	for (i = 0; i < d->n && !d->closing; i++)
		ares_process_fd(d->sv[i].ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	arm_timer(d);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct watch *w = h->data;
	struct dns *d = w->sv->d;
	ares_socket_t rd = ARES_SOCKET_BAD, wr = ARES_SOCKET_BAD;

	if (status < 0 || (events & UV_READABLE))
		rd = w->fd;
	if (status < 0 || (events & UV_WRITABLE))
		wr = w->fd;
	ares_process_fd(w->sv->ch, rd, wr);
	arm_timer(d);
}

static void handle_closed(struct dns *d)
{
	if (--d->open_handles == 0)
		free(d);
}

static void on_watch_closed(uv_handle_t *h)
{
	struct watch *w = h->data;
	struct dns *d = w->sv->d;

	w->state = W_FREE;
	handle_closed(d);
}

static void on_timer_closed(uv_handle_t *h)
{
	handle_closed(h->data);
}

static void unwatch(struct watch *w)
{
	w->state = W_CLOSING;
	uv_poll_stop(&w->poll);
	w->sv->d->open_handles++;
	uv_close((uv_handle_t *)&w->poll, on_watch_closed);
}

/* c-ares opens, watches and closes its sockets through this. */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct server *sv = data;
	struct dns *d = sv->d;
	struct watch *w = NULL;
	int i, ev = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);

	for (i = 0; i < MAX_SOCKS && !w; i++)
		if (d->w[i].state == W_USED && d->w[i].fd == fd)
			w = &d->w[i];
	if (!ev) {
		if (w)
			unwatch(w);
		return;
	}
	if (!w) {
		for (i = 0; i < MAX_SOCKS && !w; i++)
			if (d->w[i].state == W_FREE)
				w = &d->w[i];
		/* No slot (more sockets than 2 per server) or no watch: the try
		 * meets silence and times out; c-ares closes the socket. */
		if (!w || uv_poll_init_socket(d->loop, &w->poll, fd) < 0)
			return;
		w->state = W_USED;
		w->fd = fd;
		w->sv = sv;
		w->poll.data = w;
	}
	if (uv_poll_start(&w->poll, ev, on_poll) < 0)
		unwatch(w);
}

/* ---- finishing: results reach their users from the loop only ---- */

static void on_later(uv_timer_t *t)
{
	struct dns *d = t->data;
	struct dns_query *q;

	/* Queries finished by a callback join the list behind; a callback
	 * that frees d empties it. */
	while ((q = d->done) != NULL) {
		d->done = q->next;
		if (!d->done)
			d->done_tail = NULL;
		q->state = CALLING;
		q->cb(&q->r, q->arg);
		free(q);
	}
}

static void finish(struct dns_query *q)
{
	struct dns *d = q->d;

	q->r.ms = (double)(uv_hrtime() - q->t0) / 1e6;
	q->state = DONE;
	q->next = NULL;
	if (d->done_tail)
		d->done_tail->next = q;
	else
		d->done = q;
	d->done_tail = q;
	if (!uv_is_active((uv_handle_t *)&d->later))
		uv_timer_start(&d->later, on_later, 0, 0);
}

static void unlink_done(struct dns *d, struct dns_query *q)
{
	struct dns_query **pp, *prev = NULL;

	for (pp = &d->done; *pp; prev = *pp, pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			if (d->done_tail == q)
				d->done_tail = prev;
			return;
		}
}

static const char *type_str(const struct dns_query *q)
{
	return q->type == T_SRV ? "SRV" : "A";
}

static void own_failure(struct dns_query *q, enum pb_err err, const char *what)
{
	q->r.err = err;
	q->r.cause = PB_CAUSE_NONE;
	snprintf(q->r.detail, sizeof(q->r.detail), "%s %s: %s", type_str(q), q->name, what);
	finish(q);
}

/* No server gave a usable answer: the first error answer, if any server
 * answered, else a timeout naming what each server met. */
static void all_tried(struct dns_query *q)
{
	struct dns *d = q->d;
	size_t i, off;

	if (q->r.rcode >= 0) {
		finish(q);
		return;
	}
	q->r.cause = PB_CAUSE_DNS_TIMEOUT;
	off = (size_t)snprintf(q->r.detail, sizeof(q->r.detail), "%s %s: no answer from",
			       type_str(q), q->name);
	for (i = 0; i < d->n && off < sizeof(q->r.detail); i++)
		off += (size_t)snprintf(q->r.detail + off, sizeof(q->r.detail) - off,
			"%s %s (%s)", i ? "," : "", d->sv[i].name,
			q->met[i] == UNREACHABLE ? "port unreachable"
			: q->met[i] == SILENT ? "silent" : "not asked");
	if (off < sizeof(q->r.detail))
		snprintf(q->r.detail + off, sizeof(q->r.detail) - off,
			 "; %u tries of %u ms", q->tries, d->timeout_ms);
	finish(q);
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen);

/* The next try: the next server of this round that has not answered with
 * an error, then the next round. */
static void next_try(struct dns_query *q)
{
	struct dns *d = q->d;

	while (q->tries < ROUNDS * d->n) {
		size_t s = q->tries++ % d->n;
		if (q->skip & (1u << s))
			continue;
		q->cur = s;
		q->state = IN_FLIGHT;
		/* may call on_answer before it returns: q is not touched after */
		ares_query(d->sv[s].ch, q->name, C_IN, q->type, on_answer, q);
		return;
	}
	all_tried(q);
}

static unsigned det_rnd(void)
{
	return (unsigned)rand();
}

void dns_srv_order(struct dns_srv *s, size_t n, unsigned (*rnd)(void))
{
	size_t i, j;

	/* priority ascending (insertion sort; n <= 16) */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && s[j].priority < s[j - 1].priority; j--) {
			struct dns_srv t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	/* within a priority: RFC 2782 weighted selection, zero weights first */
	for (i = 0; i < n;) {
		size_t end = i, k;

		while (end < n && s[end].priority == s[i].priority)
			end++;
		for (k = i; k < end; k++) {
			unsigned long sum = 0, pick, run = 0;
			size_t m;

			for (m = k; m < end; m++) {   /* zero weights to the front */
				if (s[m].weight == 0 && m != k) {
					struct dns_srv t = s[m];
					memmove(&s[k + 1], &s[k], (m - k) * sizeof(*s));
					s[k] = t;
				}
			}
			for (m = k; m < end; m++)
				sum += s[m].weight;
			pick = sum ? rnd() % (sum + 1) : 0;
			for (m = k; m < end; m++) {
				run += s[m].weight;
				if (run >= pick)
					break;
			}
			if (m == end)
				m = end - 1;
			if (m != k) {
				struct dns_srv t = s[m];
				memmove(&s[k + 1], &s[k], (m - k) * sizeof(*s));
				s[k] = t;
			}
		}
		i = end;
	}
}


static void read_srv(struct dns_query *q, const unsigned char *abuf, int alen)
{
	struct dns_result *r = &q->r;
	struct ares_srv_reply *srv = NULL, *p;
	int st = ares_parse_srv_reply(abuf, alen, &srv);

	if (st == ARES_ENOMEM) {
		own_failure(q, PB_ERR_NOMEM, "out of memory reading the answer");
		return;
	}
	for (p = srv; p && r->n_srv < sizeof(r->srv) / sizeof(r->srv[0]); p = p->next) {
		struct dns_srv *s = &r->srv[r->n_srv++];

		snprintf(s->target, sizeof(s->target), "%s", p->host);
		s->port = p->port;
		s->priority = p->priority;
		s->weight = p->weight;
	}
	ares_free_data(srv);
	if (r->n_srv == 0) {
		r->cause = PB_CAUSE_DNS_NO_RECORDS;
		snprintf(r->detail, sizeof(r->detail), "SRV %s: %s answered NOERROR %s", q->name,
			 r->server, st == ARES_SUCCESS || st == ARES_ENODATA
			 ? "without SRV records" : "with an unreadable answer");
	} else if (r->n_srv == 1 && (!r->srv[0].target[0] || !strcmp(r->srv[0].target, "."))) {
		/* RFC 2782: a sole record with target "." means the service is
		 * decidedly not available at this domain */
		r->n_srv = 0;
		r->cause = PB_CAUSE_DNS_NO_RECORDS;
		snprintf(r->detail, sizeof(r->detail), "SRV %s: %s answered that the service "
			 "is not offered (target \".\")", q->name, r->server);
	} else {
		dns_srv_order(r->srv, r->n_srv, det_rnd);
	}
	finish(q);
}

static void read_a(struct dns_query *q, const unsigned char *abuf, int alen)
{
	struct dns_result *r = &q->r;
	struct ares_addrttl at[sizeof(r->addr) / sizeof(r->addr[0])];
	int n = (int)(sizeof(at) / sizeof(at[0])), i;
	int st = ares_parse_a_reply(abuf, alen, NULL, at, &n);

	if (st == ARES_ENOMEM) {
		own_failure(q, PB_ERR_NOMEM, "out of memory reading the answer");
		return;
	}
	for (i = 0; st == ARES_SUCCESS && i < n; i++)
		inet_ntop(AF_INET, &at[i].ipaddr, r->addr[r->n_addr++], sizeof(r->addr[0]));
	if (r->n_addr == 0) {
		r->cause = PB_CAUSE_DNS_NO_RECORDS;
		snprintf(r->detail, sizeof(r->detail), "A %s: %s answered NOERROR %s", q->name,
			 r->server, st == ARES_SUCCESS || st == ARES_ENODATA
			 ? "without an address" : "with an unreadable answer");
	}
	finish(q);
}

/* An answer from server q->cur (RFC 1035 4.1.1 header: RCODE is the low 4
 * bits of octet 3). */
static void answered(struct dns_query *q, const unsigned char *abuf, int alen)
{
	struct dns *d = q->d;
	struct dns_result *r = &q->r;
	int rcode = abuf[3] & 0xf;

	if (rcode == NOERROR || rcode == NXDOMAIN) {
		/* the answer the device acts on: it replaces an earlier error */
		r->rcode = rcode;
		snprintf(r->server, sizeof(r->server), "%s", d->sv[q->cur].name);
		r->detail[0] = '\0';
		r->cause = PB_CAUSE_NONE;
		if (rcode == NXDOMAIN) {
			r->cause = PB_CAUSE_DNS_NXDOMAIN;
			snprintf(r->detail, sizeof(r->detail), "%s %s: %s answered NXDOMAIN "
				 "(no such name)", type_str(q), q->name, r->server);
			finish(q);
		} else if (q->type == T_SRV) {
			read_srv(q, abuf, alen);
		} else {
			read_a(q, abuf, alen);
		}
		return;
	}
	/* SERVFAIL, REFUSED, FORMERR, NOTIMP, ...: RFC 1035 7.3, a server
	 * error: drop this server for this query and ask the next. The first
	 * such answer is the one reported if no server does better. */
	if (r->rcode < 0) {
		r->rcode = rcode;
		r->cause = rcode == REFUSED ? PB_CAUSE_DNS_REFUSED : PB_CAUSE_DNS_SERVFAIL;
		snprintf(r->server, sizeof(r->server), "%s", d->sv[q->cur].name);
		snprintf(r->detail, sizeof(r->detail), "%s %s: %s answered %s", type_str(q),
			 q->name, r->server, rcode_str(rcode));
	}
	q->skip |= 1u << q->cur;
	next_try(q);
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_query *q = arg;
	char what[200];

	(void)timeouts;
	/* dns_free (c-ares is being destroyed) or dns_cancel: nobody to tell */
	if (status == ARES_EDESTRUCTION || !q->cb) {
		free(q);
		return;
	}
	/* With NOCHECKRESP every answer arrives here with its packet, whatever
	 * status ares_query made of its rcode. */
	if (abuf && alen >= 12) {
		answered(q, abuf, alen);
		return;
	}
	switch (status) {
	case ARES_ETIMEOUT:
		q->met[q->cur] = SILENT;
		next_try(q);
		return;
	case ARES_ECONNREFUSED:     /* ICMP port unreachable, or no socket */
		q->met[q->cur] = UNREACHABLE;
		next_try(q);
		return;
	case ARES_ENOMEM:
		own_failure(q, PB_ERR_NOMEM, "out of memory");
		return;
	case ARES_EBADNAME:
		own_failure(q, PB_ERR_USAGE, "not a name DNS can carry (RFC 1035 2.3.4)");
		return;
	default:
		snprintf(what, sizeof(what), "c-ares: %s", ares_strerror(status));
		own_failure(q, PB_ERR_INTERNAL, what);
		return;
	}
}

/* ---- the API ---- */

/* "ip" for port 53, else "ip:port" ("[ip]:port" for IPv6). */
static void server_name(const struct ares_addr_port_node *a, char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	int port = a->udp_port ? a->udp_port : 53;

	inet_ntop(a->family, a->family == AF_INET6 ? (const void *)&a->addr.addr6
		  : (const void *)&a->addr.addr4, ip, sizeof(ip));
	if (port == 53)
		snprintf(out, outlen, "%s", ip);
	else
		snprintf(out, outlen, a->family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, port);
}

#define DNS_RCVBUF (8 << 20)

static enum pb_err open_server(struct dns *d, struct server *sv, const char *text,
			       char *err, size_t errlen)
{
	struct ares_options o;
	struct ares_addr_port_node *got = NULL;
	int r;

	memset(&o, 0, sizeof(o));
	/* NOCHECKRESP: every rcode reaches on_answer (see the top) */
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP;
	o.timeout = (int)d->timeout_ms;
	o.tries = 1;
	o.lookups = (char *)"b";
	o.sock_state_cb = sock_state;
	o.sock_state_cb_data = sv;
	/* one socket carries the answers of every phone of a fleet that
	 * shares this resolver: with thousands in flight and the loop busy
	 * with handshakes, the default buffer (about 200 KiB, a few hundred
	 * datagrams) overflowed and the kernel dropped answers, each a
	 * phone's dns-timeout. The kernel caps it at net.core.rmem_max. */
	o.socket_receive_buffer_size = DNS_RCVBUF;
	sv->d = d;
	r = ares_init_options(&sv->ch, &o, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS |
			      ARES_OPT_TRIES | ARES_OPT_LOOKUPS | ARES_OPT_SOCK_STATE_CB |
			      ARES_OPT_SOCK_RCVBUF);
	if (r != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(r));
		sv->ch = NULL;
		return r == ARES_ENOMEM ? PB_ERR_NOMEM : PB_ERR_INTERNAL;
	}
	/* only this server: never the system's resolver */
	if (strchr(text, ',') || ares_set_servers_ports_csv(sv->ch, text) != ARES_SUCCESS ||
	    ares_get_servers_ports(sv->ch, &got) != ARES_SUCCESS || !got || got->next) {
		snprintf(err, errlen, "DNS server '%s': expected IP[:PORT]", text);
		ares_free_data(got);
		return PB_ERR_USAGE;
	}
	server_name(got, sv->name, sizeof(sv->name));
	ares_free_data(got);
	return PB_OK;
}

enum pb_err dns_new(uv_loop_t *loop, const char *const *servers, size_t n,
		    unsigned timeout_ms, struct dns **out, char *err, size_t errlen)
{
	struct dns *d;
	enum pb_err rc = PB_OK;
	size_t i;

	if (n == 0 || n > DNS_MAX_SERVERS) {
		snprintf(err, errlen, n ? "more than %d DNS servers" : "no DNS server given",
			 DNS_MAX_SERVERS);
		return PB_ERR_USAGE;
	}
	if (!(d = calloc(1, sizeof(*d)))) {
		snprintf(err, errlen, "out of memory");
		return PB_ERR_NOMEM;
	}
	d->loop = loop;
	d->timeout_ms = timeout_ms ? timeout_ms : 2000;
	for (i = 0; i < n && rc == PB_OK; i++) {
		rc = open_server(d, &d->sv[i], servers[i], err, errlen);
		if (d->sv[i].ch)
			d->n = i + 1;
	}
	if (rc != PB_OK) {
		for (i = 0; i < d->n; i++)
			ares_destroy(d->sv[i].ch);   /* no socket is open yet */
		free(d);
		return rc;
	}
	uv_timer_init(loop, &d->timer);
	uv_timer_init(loop, &d->later);
	d->timer.data = d->later.data = d;
	d->open_handles = 2;
	*out = d;
	return PB_OK;
}

void dns_free(struct dns *d)
{
	struct dns_query *q;
	size_t i;

	if (!d || d->closing)
		return;
	d->closing = 1;
	/* c-ares calls on_answer with ARES_EDESTRUCTION for each query in
	 * flight (freed there) and sock_state for each socket it closes */
	for (i = 0; i < d->n; i++)
		ares_destroy(d->sv[i].ch);
	while ((q = d->done) != NULL) {
		d->done = q->next;
		free(q);
	}
	d->done_tail = NULL;
	for (i = 0; i < MAX_SOCKS; i++)
		if (d->w[i].state == W_USED)
			unwatch(&d->w[i]);
	uv_close((uv_handle_t *)&d->timer, on_timer_closed);
	uv_close((uv_handle_t *)&d->later, on_timer_closed);
}

struct dns_query *dns_query(struct dns *d, const char *name, const char *type,
			    dns_cb *cb, void *arg)
{
	struct dns_query *q;

	if (d->closing || !(q = calloc(1, sizeof(*q))))
		return NULL;
	q->d = d;
	q->cb = cb;
	q->arg = arg;
	q->type = !strcmp(type, "SRV") ? T_SRV : T_A;
	q->t0 = uv_hrtime();
	q->r.rcode = -1;
	if (strlen(name) >= sizeof(q->name)) {
		/* RFC 1035 2.3.4: 255 octets at most */
		snprintf(q->name, sizeof(q->name), "%.200s...", name);
		own_failure(q, PB_ERR_USAGE, "not a name DNS can carry (RFC 1035 2.3.4)");
		return q;
	}
	snprintf(q->name, sizeof(q->name), "%s", name);
	next_try(q);
	arm_timer(d);
	return q;
}

void dns_cancel(struct dns_query *q)
{
	if (!q)
		return;
	switch (q->state) {
	case IN_FLIGHT:             /* on_answer frees it */
		q->cb = NULL;
		break;
	case DONE:
		unlink_done(q->d, q);
		free(q);
		break;
	case CALLING:
		break;
	}
}

int dns_host_name_ok(const char *name)
{
	size_t n = strlen(name), label = 0, i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i <= n; i++) {
		char c = name[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || name[i - 1] == '-')
				return 0;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   (c == '-' && label > 0)) {
			label++;
		} else {
			return 0;
		}
	}
	return 1;
}

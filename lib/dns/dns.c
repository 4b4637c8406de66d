/* c-ares on libuv. See dns.h. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>

#include "dns/dns.h"

#define MAX_SOCKS 16

struct watch {
	uv_poll_t poll;
	ares_socket_t fd;
	struct dns *d;
	int used;
};

struct dns {
	uv_loop_t *loop;
	ares_channel ch;
	uv_timer_t timer;
	struct watch w[MAX_SOCKS];
	int closing, open_handles;
};

struct query {
	struct dns *d;
	dns_cb *cb;
	void *arg;
	int srv;
	uint64_t t0;
	char name[256];
};

static void on_timer(uv_timer_t *t);

static void arm_timer(struct dns *d)
{
	struct timeval tv, *tp;

	if (d->closing)
		return;
	tp = ares_timeout(d->ch, NULL, &tv);
	if (tp)
		uv_timer_start(&d->timer, on_timer,
			       (uint64_t)tp->tv_sec * 1000 + (uint64_t)tp->tv_usec / 1000 + 1, 0);
	else
		uv_timer_stop(&d->timer);
}

static void on_timer(uv_timer_t *t)
{
	struct dns *d = t->data;

	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	arm_timer(d);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct watch *w = h->data;
	struct dns *d = w->d;
	ares_socket_t rd = ARES_SOCKET_BAD, wr = ARES_SOCKET_BAD;

	if (status < 0 || (events & UV_READABLE))
		rd = w->fd;
	if (status < 0 || (events & UV_WRITABLE))
		wr = w->fd;
	ares_process_fd(d->ch, rd, wr);
	arm_timer(d);
}

static void on_closed(uv_handle_t *h)
{
	struct dns *d = h->data;

	if (h->type == UV_POLL)
		d = ((struct watch *)h->data)->d;
	if (--d->open_handles == 0)
		free(d);
}

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns *d = data;
	struct watch *w = NULL;
	int i, ev = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);

	for (i = 0; i < MAX_SOCKS; i++)
		if (d->w[i].used && d->w[i].fd == fd)
			w = &d->w[i];
	if (!ev) {
		if (w) {
			w->used = 0;
			uv_poll_stop(&w->poll);
			d->open_handles++;
			uv_close((uv_handle_t *)&w->poll, on_closed);
		}
		return;
	}
	if (!w) {
		for (i = 0; i < MAX_SOCKS && !w; i++)
			if (!d->w[i].used && !uv_is_active((uv_handle_t *)&d->w[i].poll) &&
			    !uv_is_closing((uv_handle_t *)&d->w[i].poll))
				w = &d->w[i];
		if (!w || uv_poll_init_socket(d->loop, &w->poll, fd) < 0)
			return;   /* more than MAX_SOCKS: the query times out */
		w->used = 1;
		w->fd = fd;
		w->d = d;
		w->poll.data = w;
	}
	uv_poll_start(&w->poll, ev, on_poll);
}

enum pb_err dns_new(uv_loop_t *loop, const char *const *servers, size_t n,
		    unsigned timeout_ms, struct dns **out, char *err, size_t errlen)
{
	struct ares_options o;
	struct dns *d;
	char csv[1024] = "";
	size_t i, off = 0;
	int r;

	if (n == 0) {
		snprintf(err, errlen, "no DNS server given");
		return PB_ERR_USAGE;
	}
	if (!(d = calloc(1, sizeof(*d))))
		return PB_ERR_NOMEM;
	memset(&o, 0, sizeof(o));
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	o.timeout = (int)(timeout_ms ? timeout_ms : 2000);
	o.tries = 2;
	o.lookups = (char *)"b";
	o.sock_state_cb = sock_state;
	o.sock_state_cb_data = d;
	r = ares_init_options(&d->ch, &o, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS |
			      ARES_OPT_TRIES | ARES_OPT_LOOKUPS | ARES_OPT_SOCK_STATE_CB);
	if (r != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(r));
		free(d);
		return PB_ERR_INTERNAL;
	}
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(csv + off, sizeof(csv) - off, "%s%s",
					i ? "," : "", servers[i]);
	/* only these servers: never the system's resolver */
	r = ares_set_servers_ports_csv(d->ch, csv);
	if (r != ARES_SUCCESS) {
		snprintf(err, errlen, "DNS server list '%s': expected IP[:PORT],...", csv);
		ares_destroy(d->ch);
		free(d);
		return PB_ERR_USAGE;
	}
	d->loop = loop;
	uv_timer_init(loop, &d->timer);
	d->timer.data = d;
	d->open_handles = 1;
	*out = d;
	return PB_OK;
}

void dns_free(struct dns *d)
{
	if (!d || d->closing)
		return;
	d->closing = 1;
	ares_destroy(d->ch);        /* callbacks run with ARES_EDESTRUCTION */
	uv_close((uv_handle_t *)&d->timer, on_closed);
}

static enum pb_cause cause_of(int status)
{
	switch (status) {
	case ARES_ENOTFOUND: return PB_CAUSE_DNS_NXDOMAIN;
	case ARES_ENODATA: return PB_CAUSE_DNS_NO_RECORDS;
	case ARES_EREFUSED: return PB_CAUSE_DNS_REFUSED;
	case ARES_ESERVFAIL: return PB_CAUSE_DNS_SERVFAIL;
	case ARES_ETIMEOUT:
	case ARES_ECONNREFUSED: return PB_CAUSE_DNS_TIMEOUT;
	default: return PB_CAUSE_DNS_SERVFAIL;
	}
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

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;
	struct dns_result r;

	(void)timeouts;
	memset(&r, 0, sizeof(r));
	r.ms = (double)(uv_hrtime() - q->t0) / 1e6;
	if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
		free(q);
		return;         /* the boot is gone: no callback */
	}
	if (status != ARES_SUCCESS) {
		r.cause = cause_of(status);
		snprintf(r.detail, sizeof(r.detail), "%s %s: %s", q->srv ? "SRV" : "A",
			 q->name, status == ARES_ECONNREFUSED
			 ? "no DNS server answers (port unreachable)" : ares_strerror(status));
	} else if (q->srv) {
		struct ares_srv_reply *srv = NULL, *p;

		if (ares_parse_srv_reply(abuf, alen, &srv) != ARES_SUCCESS) {
			r.cause = PB_CAUSE_DNS_NO_RECORDS;
			snprintf(r.detail, sizeof(r.detail), "SRV %s: no SRV record", q->name);
		}
		for (p = srv; p && r.n_srv < 16; p = p->next) {
			struct dns_srv *s = &r.srv[r.n_srv++];
			snprintf(s->target, sizeof(s->target), "%s", p->host);
			s->port = p->port;
			s->priority = p->priority;
			s->weight = p->weight;
		}
		ares_free_data(srv);
		dns_srv_order(r.srv, r.n_srv, det_rnd);
		if (!r.cause && r.n_srv == 0) {
			r.cause = PB_CAUSE_DNS_NO_RECORDS;
			snprintf(r.detail, sizeof(r.detail), "SRV %s: no SRV record", q->name);
		}
	} else {
		struct hostent *he = NULL;
		int i;

		if (ares_parse_a_reply(abuf, alen, &he, NULL, NULL) == ARES_SUCCESS && he) {
			for (i = 0; he->h_addr_list[i] && r.n_addr < 8; i++)
				inet_ntop(AF_INET, he->h_addr_list[i], r.addr[r.n_addr++], 64);
			ares_free_hostent(he);
		}
		if (r.n_addr == 0) {
			r.cause = PB_CAUSE_DNS_NO_RECORDS;
			snprintf(r.detail, sizeof(r.detail), "A %s: no address", q->name);
		}
	}
	q->cb(&r, q->arg);
	free(q);
}

void dns_query(struct dns *d, const char *name, const char *type, dns_cb *cb,
	       void *arg)
{
	struct query *q = calloc(1, sizeof(*q));

	if (!q) {
		struct dns_result r;
		memset(&r, 0, sizeof(r));
		r.cause = PB_CAUSE_DNS_SERVFAIL;
		snprintf(r.detail, sizeof(r.detail), "out of memory");
		cb(&r, arg);
		return;
	}
	q->d = d;
	q->cb = cb;
	q->arg = arg;
	q->srv = !strcmp(type, "SRV");
	q->t0 = uv_hrtime();
	snprintf(q->name, sizeof(q->name), "%s", name);
	/* class IN = 1; type A = 1, SRV = 33 (RFC 1035, RFC 2782) */
	ares_query(d->ch, name, 1, q->srv ? 33 : 1, on_answer, q);
	arm_timer(d);
}

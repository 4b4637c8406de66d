/* lib/dns against tests/mock/dnsd on 127.0.0.1: every outcome a DNS server
 * can give (records, NOERROR without records, NXDOMAIN, SERVFAIL, REFUSED,
 * silence, port unreachable) reported as what it is, with the server that
 * answered; several servers; cancellation; dns_free with queries pending.
 * Every loop run is bounded in iterations and time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "dns/dns.h"
#include "../mock/dnsd.h"
#include "../mock/loop.h"

#define TIMEOUT_MS 200u

/* ---- one query's outcome ---- */

struct got {
	int calls;
	int in_query;               /* set while dns_query runs */
	int during_query;           /* a callback ran inside dns_query */
	struct dns_result r;
	struct dns *free_me;        /* dns_free this from the callback */
};

static void on_result(const struct dns_result *r, void *arg)
{
	struct got *g = arg;

	g->calls++;
	if (g->in_query)
		g->during_query = 1;
	g->r = *r;
	if (g->free_me)
		dns_free(g->free_me);
}

static struct dns_query *ask(struct dns *d, const char *name, const char *type,
			     struct got *g)
{
	struct dns_query *q;

	g->in_query = 1;
	q = dns_query(d, name, type, on_result, g);
	g->in_query = 0;
	return q;
}

static struct dns *resolver(uv_loop_t *loop, const unsigned short *ports, size_t n)
{
	char text[DNS_MAX_SERVERS][32], err[128];
	const char *servers[DNS_MAX_SERVERS];
	struct dns *d = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(text[i], sizeof(text[i]), "127.0.0.1:%u", ports[i]);
		servers[i] = text[i];
	}
	assert_int_equal(dns_new(loop, servers, n, TIMEOUT_MS, &d, err, sizeof(err)), PB_OK);
	return d;
}

/* One server with these rules, one query; the result in *g. */
static void one_query(const struct dnsd_rule *rules, size_t n, const char *name,
		      const char *type, struct got *g, char *server, size_t serverlen,
		      unsigned *queries)
{
	uv_loop_t loop;
	struct dnsd *s;
	struct dns *d;
	unsigned short port;

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(dnsd_start(&loop, rules, n, &s), 0);
	port = dnsd_port(s);
	snprintf(server, serverlen, "127.0.0.1:%u", port);
	d = resolver(&loop, &port, 1);
	memset(g, 0, sizeof(*g));
	assert_non_null(ask(d, name, type, g));
	loop_run_until(&loop, &g->calls, 5 * TIMEOUT_MS);
	*queries = dnsd_queries(s);
	dns_free(d);
	dnsd_stop(s);
	assert_int_equal(loop_drain(&loop), 0);
	assert_int_equal(g->calls, 1);
	assert_false(g->during_query);
}

/* ---- answers ---- */

static const char SIP[] = "_sip._tls.corp.example";

static void srv_records(void **st)
{
	static const struct dnsd_rr rr[] = {
		{ NULL, 20, 0, 5061, "b.corp.example" },
		{ NULL, 10, 0, 5062, "a.corp.example" },
	};
	static const struct dnsd_rule rules[] = {
		{ SIP, "SRV", 0, DNSD_NOERROR, rr, 2 },
	};
	struct got g;
	char server[64];
	unsigned n;

	(void)st;
	one_query(rules, 1, SIP, "SRV", &g, server, sizeof(server), &n);
	assert_int_equal(g.r.err, PB_OK);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_int_equal(g.r.rcode, 0);
	assert_string_equal(g.r.server, server);
	assert_int_equal(g.r.n_srv, 2);
	assert_string_equal(g.r.srv[0].target, "a.corp.example");   /* priority 10 first */
	assert_int_equal(g.r.srv[0].port, 5062);
	assert_string_equal(g.r.srv[1].target, "b.corp.example");
	assert_int_equal(n, 1);
}

static void a_records(void **st)
{
	static const struct dnsd_rr rr[] = { { "192.0.2.10", 0, 0, 0, NULL },
					     { "192.0.2.11", 0, 0, 0, NULL } };
	static const struct dnsd_rule rules[] = {
		{ "SIP.corp.example", "A", 0, DNSD_NOERROR, rr, 2 },   /* case differs */
	};
	struct got g;
	char server[64];
	unsigned n;

	(void)st;
	one_query(rules, 1, "sip.corp.example", "A", &g, server, sizeof(server), &n);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_string_equal(g.r.server, server);
	assert_int_equal(g.r.n_addr, 2);
	assert_string_equal(g.r.addr[0], "192.0.2.10");
	assert_string_equal(g.r.addr[1], "192.0.2.11");
	assert_true(g.r.ms >= 0 && g.r.ms < TIMEOUT_MS);
}

/* ---- each rcode as what it is (RFC 1035 4.1.1) ---- */

struct rcase {
	enum dnsd_rcode rcode;
	const char *type;
	enum pb_cause cause;
	const char *says;            /* the end of the detail */
};

static void rcode_case(const struct rcase *c)
{
	static const struct dnsd_rr srv = { NULL, 0, 0, 5061, "sip.corp.example" };
	struct dnsd_rule rules[] = {
		{ SIP, NULL, 0, c->rcode, NULL, 0 },
		/* records of the other type: NOERROR-empty must not see them */
		{ SIP, "SRV", 0, DNSD_NOERROR, &srv, 1 },
	};
	struct got g;
	char server[64], want[256];
	unsigned n;

	one_query(rules, 2, SIP, c->type, &g, server, sizeof(server), &n);
	assert_int_equal(g.r.err, PB_OK);
	assert_int_equal(g.r.cause, c->cause);
	assert_int_equal(g.r.rcode, (int)c->rcode);
	assert_string_equal(g.r.server, server);
	snprintf(want, sizeof(want), "%s %s: %s %s", c->type, SIP, server, c->says);
	assert_string_equal(g.r.detail, want);
	assert_int_equal(g.r.n_srv + g.r.n_addr, 0);
	/* one server: the error answer is final, not asked again */
	assert_int_equal(n, 1);
	assert_true(g.r.ms < TIMEOUT_MS);
}

static void refused(void **st)
{
	static const struct rcase c = { DNSD_REFUSED, "SRV", PB_CAUSE_DNS_REFUSED,
					"answered REFUSED" };
	(void)st;
	rcode_case(&c);
}

static void servfail(void **st)
{
	static const struct rcase c = { DNSD_SERVFAIL, "SRV", PB_CAUSE_DNS_SERVFAIL,
					"answered SERVFAIL" };
	(void)st;
	rcode_case(&c);
}

static void notimp(void **st)
{
	static const struct rcase c = { DNSD_NOTIMP, "A", PB_CAUSE_DNS_SERVFAIL,
					"answered NOTIMP" };
	(void)st;
	rcode_case(&c);
}

static void nxdomain(void **st)
{
	static const struct rcase c = { DNSD_NXDOMAIN, "SRV", PB_CAUSE_DNS_NXDOMAIN,
					"answered NXDOMAIN (no such name)" };
	(void)st;
	rcode_case(&c);
}

static void no_srv_records(void **st)
{
	static const struct rcase c = { DNSD_NOERROR, "SRV", PB_CAUSE_DNS_NO_RECORDS,
					"answered NOERROR without SRV records" };
	(void)st;
	rcode_case(&c);
}

static void no_a_records(void **st)
{
	static const struct rcase c = { DNSD_NOERROR, "A", PB_CAUSE_DNS_NO_RECORDS,
					"answered NOERROR without an address" };
	(void)st;
	rcode_case(&c);
}

/* RFC 2782: a sole target "." says the service is not offered */
static void srv_dot(void **st)
{
	static const struct dnsd_rr rr = { NULL, 0, 0, 0, "" };
	static const struct dnsd_rule rules[] = { { SIP, "SRV", 0, DNSD_NOERROR, &rr, 1 } };
	struct got g;
	char server[64];
	unsigned n;

	(void)st;
	one_query(rules, 1, SIP, "SRV", &g, server, sizeof(server), &n);
	assert_int_equal(g.r.cause, PB_CAUSE_DNS_NO_RECORDS);
	assert_int_equal(g.r.n_srv, 0);
	assert_non_null(strstr(g.r.detail, "not offered"));
}

/* ---- no answer: silence, port unreachable ---- */

static void silence(void **st)
{
	static const struct dnsd_rule rules[] = { { NULL, NULL, 1, DNSD_NOERROR, NULL, 0 } };
	struct got g;
	char server[64], want[256];
	unsigned n;

	(void)st;
	one_query(rules, 1, SIP, "SRV", &g, server, sizeof(server), &n);
	assert_int_equal(g.r.cause, PB_CAUSE_DNS_TIMEOUT);
	assert_string_equal(g.r.server, "");
	assert_int_equal(g.r.rcode, -1);
	snprintf(want, sizeof(want), "SRV %s: no answer from %s (silent); 2 tries of %u ms",
		 SIP, server, TIMEOUT_MS);
	assert_string_equal(g.r.detail, want);
	assert_int_equal(n, 2);
	/* 2 tries of 200 ms, not c-ares' doubling (200 + 400) */
	assert_true(g.r.ms >= 2 * TIMEOUT_MS - 10 && g.r.ms < 3 * TIMEOUT_MS);
}

static void port_unreachable(void **st)
{
	uv_loop_t loop;
	struct dns *d;
	struct got g = { 0 };
	unsigned short port;
	char want[256];

	(void)st;
	assert_int_equal(dnsd_closed_port(&port), 0);
	assert_int_equal(uv_loop_init(&loop), 0);
	d = resolver(&loop, &port, 1);
	assert_non_null(ask(d, SIP, "SRV", &g));
	loop_run_until(&loop, &g.calls, 5 * TIMEOUT_MS);
	dns_free(d);
	assert_int_equal(loop_drain(&loop), 0);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.r.cause, PB_CAUSE_DNS_TIMEOUT);
	assert_string_equal(g.r.server, "");
	snprintf(want, sizeof(want), "SRV %s: no answer from 127.0.0.1:%u (port unreachable); "
		 "2 tries of %u ms", SIP, port, TIMEOUT_MS);
	assert_string_equal(g.r.detail, want);
	assert_true(g.r.ms < TIMEOUT_MS);   /* ICMP, no waiting */
}

/* ---- several servers ---- */

struct pair {
	uv_loop_t loop;
	struct dnsd *s[2];
	struct dns *d;
	char name[2][64];
};

static void pair_start(struct pair *p, const struct dnsd_rule *r0, size_t n0,
		       const struct dnsd_rule *r1, size_t n1)
{
	unsigned short ports[2];

	assert_int_equal(uv_loop_init(&p->loop), 0);
	assert_int_equal(dnsd_start(&p->loop, r0, n0, &p->s[0]), 0);
	assert_int_equal(dnsd_start(&p->loop, r1, n1, &p->s[1]), 0);
	ports[0] = dnsd_port(p->s[0]);
	ports[1] = dnsd_port(p->s[1]);
	snprintf(p->name[0], sizeof(p->name[0]), "127.0.0.1:%u", ports[0]);
	snprintf(p->name[1], sizeof(p->name[1]), "127.0.0.1:%u", ports[1]);
	p->d = resolver(&p->loop, ports, 2);
}

static void pair_stop(struct pair *p)
{
	dns_free(p->d);
	dnsd_stop(p->s[0]);
	dnsd_stop(p->s[1]);
	assert_int_equal(loop_drain(&p->loop), 0);
}

static const struct dnsd_rule REFUSE[] = { { NULL, NULL, 0, DNSD_REFUSED, NULL, 0 } };
static const struct dnsd_rule SERVFAIL[] = { { NULL, NULL, 0, DNSD_SERVFAIL, NULL, 0 } };
static const struct dnsd_rule DROP[] = { { NULL, NULL, 1, DNSD_NOERROR, NULL, 0 } };
static const struct dnsd_rule NX[] = { { NULL, NULL, 0, DNSD_NXDOMAIN, NULL, 0 } };
static const struct dnsd_rr A1 = { "192.0.2.1", 0, 0, 0, NULL };
static const struct dnsd_rule ANSWER_A[] = { { NULL, "A", 0, DNSD_NOERROR, &A1, 1 } };

/* RFC 1035 7.3: a server error sends the query to the next server */
static void refused_then_answer(void **st)
{
	struct pair p;
	struct got g = { 0 };

	(void)st;
	pair_start(&p, REFUSE, 1, ANSWER_A, 1);
	assert_non_null(ask(p.d, "sip.corp.example", "A", &g));
	loop_run_until(&p.loop, &g.calls, 5 * TIMEOUT_MS);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_string_equal(g.r.server, p.name[1]);
	assert_string_equal(g.r.detail, "");
	assert_string_equal(g.r.addr[0], "192.0.2.1");
	assert_int_equal(dnsd_queries(p.s[0]), 1);
	assert_int_equal(dnsd_queries(p.s[1]), 1);
	pair_stop(&p);
}

/* the first error answer wins over a later silence; the erring server is
 * not asked again in the second round */
static void servfail_then_silence(void **st)
{
	struct pair p;
	struct got g = { 0 };
	char want[256];

	(void)st;
	pair_start(&p, SERVFAIL, 1, DROP, 1);
	assert_non_null(ask(p.d, SIP, "SRV", &g));
	loop_run_until(&p.loop, &g.calls, 10 * TIMEOUT_MS);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.r.cause, PB_CAUSE_DNS_SERVFAIL);
	assert_string_equal(g.r.server, p.name[0]);
	snprintf(want, sizeof(want), "SRV %s: %s answered SERVFAIL", SIP, p.name[0]);
	assert_string_equal(g.r.detail, want);
	assert_int_equal(dnsd_queries(p.s[0]), 1);
	assert_int_equal(dnsd_queries(p.s[1]), 2);
	assert_true(g.r.ms < 3 * TIMEOUT_MS);
	pair_stop(&p);
}

static void silence_then_nxdomain(void **st)
{
	struct pair p;
	struct got g = { 0 };

	(void)st;
	pair_start(&p, DROP, 1, NX, 1);
	assert_non_null(ask(p.d, SIP, "SRV", &g));
	loop_run_until(&p.loop, &g.calls, 10 * TIMEOUT_MS);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.r.cause, PB_CAUSE_DNS_NXDOMAIN);
	assert_string_equal(g.r.server, p.name[1]);
	assert_true(g.r.ms >= TIMEOUT_MS - 10 && g.r.ms < 2 * TIMEOUT_MS);
	pair_stop(&p);
}

static void both_refuse(void **st)
{
	struct pair p;
	struct got g = { 0 };
	char want[256];

	(void)st;
	pair_start(&p, REFUSE, 1, SERVFAIL, 1);
	assert_non_null(ask(p.d, SIP, "SRV", &g));
	loop_run_until(&p.loop, &g.calls, 5 * TIMEOUT_MS);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.r.cause, PB_CAUSE_DNS_REFUSED);       /* the first */
	snprintf(want, sizeof(want), "SRV %s: %s answered REFUSED", SIP, p.name[0]);
	assert_string_equal(g.r.detail, want);
	assert_int_equal(dnsd_queries(p.s[0]) + dnsd_queries(p.s[1]), 2);
	pair_stop(&p);
}

/* ---- cancellation and freeing ---- */

static void cancel_in_flight(void **st)
{
	struct pair p;
	struct got g = { 0 }, h = { 0 };
	struct dns_query *q;

	(void)st;
	pair_start(&p, ANSWER_A, 1, ANSWER_A, 1);
	q = ask(p.d, "a.corp.example", "A", &g);
	assert_non_null(q);
	assert_non_null(ask(p.d, "b.corp.example", "A", &h));
	dns_cancel(q);
	loop_run_until(&p.loop, &h.calls, 5 * TIMEOUT_MS);
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.r.cause, PB_CAUSE_NONE);
	/* the cancelled one was asked and answered, but nobody is told */
	loop_run_until(&p.loop, &g.calls, 50);
	assert_int_equal(dnsd_queries(p.s[0]), 2);
	assert_int_equal(g.calls, 0);
	pair_stop(&p);
	assert_int_equal(g.calls, 0);
}

/* a name DNS cannot carry fails at once; the failure comes from the loop */
static void immediate_failure_deferred(void **st)
{
	struct pair p;
	struct got g = { 0 }, h = { 0 }, k = { 0 };
	char label[80], longname[300];

	(void)st;
	memset(label, 'x', 70);                 /* RFC 1035 2.3.4: labels of 63 */
	label[70] = '\0';
	memset(longname, 'y', 299);
	longname[299] = '\0';
	pair_start(&p, ANSWER_A, 1, ANSWER_A, 1);
	assert_non_null(ask(p.d, label, "A", &g));
	assert_non_null(ask(p.d, longname, "A", &h));
	dns_cancel(ask(p.d, label, "A", &k));
	assert_int_equal(g.calls + h.calls, 0);
	loop_run_until(&p.loop, &h.calls, 5 * TIMEOUT_MS);
	assert_int_equal(g.calls, 1);
	assert_int_equal(h.calls, 1);
	assert_int_equal(k.calls, 0);
	assert_false(g.during_query || h.during_query);
	assert_int_equal(g.r.err, PB_ERR_USAGE);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_int_equal(h.r.err, PB_ERR_USAGE);
	assert_int_equal(dnsd_queries(p.s[0]) + dnsd_queries(p.s[1]), 0);
	pair_stop(&p);
}

/* dns_free with queries in flight and finished-but-undelivered: no callback */
static void free_pending(void **st)
{
	struct pair p;
	struct got g = { 0 }, h = { 0 }, k = { 0 };
	char longname[300];

	(void)st;
	memset(longname, 'y', 299);
	longname[299] = '\0';
	pair_start(&p, DROP, 1, DROP, 1);
	assert_non_null(ask(p.d, SIP, "SRV", &g));
	assert_non_null(ask(p.d, "a.corp.example", "A", &h));
	loop_run_until(&p.loop, &g.calls, 50);       /* in flight, unanswered */
	assert_non_null(ask(p.d, longname, "A", &k));   /* waiting for the loop */
	dns_free(p.d);
	p.d = NULL;
	pair_stop(&p);
	assert_int_equal(g.calls + h.calls + k.calls, 0);
}

/* one user frees the resolver from its callback; the other's query ends
 * silently, and nothing is touched after the free */
static void free_from_callback(void **st)
{
	struct pair p;
	struct got g = { 0 }, h = { 0 };

	(void)st;
	pair_start(&p, ANSWER_A, 1, DROP, 1);
	g.free_me = p.d;
	assert_non_null(ask(p.d, "a.corp.example", "A", &g));
	/* refused by the first server, unanswered by the second: pending */
	assert_non_null(ask(p.d, SIP, "SRV", &h));
	loop_run_until(&p.loop, &g.calls, 5 * TIMEOUT_MS);
	assert_int_equal(g.calls, 1);
	loop_run_until(&p.loop, &h.calls, 50);
	assert_int_equal(h.calls, 0);
	p.d = NULL;
	pair_stop(&p);
}

static struct dns_query *self;

static void cancel_self(const struct dns_result *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	dns_cancel(self);            /* does nothing: the query is ending */
}

static void cancel_inside_callback(void **st)
{
	struct pair p;
	int n_calls = 0;

	(void)st;
	pair_start(&p, ANSWER_A, 1, ANSWER_A, 1);
	self = dns_query(p.d, "a.corp.example", "A", cancel_self, &n_calls);
	assert_non_null(self);
	loop_run_until(&p.loop, &n_calls, 5 * TIMEOUT_MS);
	assert_int_equal(n_calls, 1);
	pair_stop(&p);
}

/* ---- one resolver, many users ---- */

#define MANY 40

/* Queries in turn: each opens and closes c-ares' socket, so a watch slot
 * must be reusable once its close has run. */
static void many_in_turn(void **st)
{
	struct pair p;
	struct got g;
	unsigned i, ok = 0;

	(void)st;
	pair_start(&p, ANSWER_A, 1, ANSWER_A, 1);
	for (i = 0; i < MANY; i++) {
		memset(&g, 0, sizeof(g));
		assert_non_null(ask(p.d, "a.corp.example", "A", &g));
		loop_run_until(&p.loop, &g.calls, 5 * TIMEOUT_MS);
		ok += g.calls == 1 && g.r.cause == PB_CAUSE_NONE;
	}
	assert_int_equal(ok, MANY);
	pair_stop(&p);
}

static unsigned calls(const struct got *g, size_t n)
{
	unsigned c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		c += (unsigned)g[i].calls;
	return c;
}

/* Queries at once, every other one cancelled. */
static void many_at_once(void **st)
{
	struct pair p;
	struct got g[MANY];
	struct dns_query *q[MANY];
	unsigned i;
	int never = 0;

	(void)st;
	memset(g, 0, sizeof(g));
	pair_start(&p, ANSWER_A, 1, ANSWER_A, 1);
	for (i = 0; i < MANY; i++)
		assert_non_null(q[i] = ask(p.d, "a.corp.example", "A", &g[i]));
	for (i = 0; i < MANY; i += 2)
		dns_cancel(q[i]);
	for (i = 0; i < 50 && calls(g, MANY) < MANY / 2; i++)
		loop_run_until(&p.loop, &never, 20);
	loop_run_until(&p.loop, &never, 20);        /* room for a stray callback */
	for (i = 0; i < MANY; i++) {
		assert_int_equal(g[i].calls, i % 2);
		if (i % 2)
			assert_string_equal(g[i].r.addr[0], "192.0.2.1");
	}
	pair_stop(&p);
}

/* ---- the mock itself: malformed queries ---- */

static void dnsd_malformed(void **st)
{
	static const unsigned char shortq[5] = { 1, 2, 0, 0, 0 };
	/* ID 0x0102, opcode 2 (STATUS, RFC 1035 4.1.1) */
	static const unsigned char status[12] = { 1, 2, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	/* two questions, the first cut short */
	static const unsigned char twoq[17] = { 1, 2, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 1 };
	uv_loop_t loop;
	struct dnsd *s;
	struct sockaddr_in to;
	unsigned char in[512];
	int fd, done = 0;
	ssize_t n;

	(void)st;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(dnsd_start(&loop, REFUSE, 1, &s), 0);
	uv_ip4_addr("127.0.0.1", dnsd_port(s), &to);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);

	assert_int_equal(send(fd, shortq, sizeof(shortq), 0), (ssize_t)sizeof(shortq));
	loop_run_until(&loop, &done, 30);
	assert_int_equal(dnsd_queries(s), 1);
	assert_int_equal(recv(fd, in, sizeof(in), 0), -1);     /* no answer */

	assert_int_equal(send(fd, status, sizeof(status), 0), (ssize_t)sizeof(status));
	loop_run_until(&loop, &done, 30);
	n = recv(fd, in, sizeof(in), 0);
	assert_int_equal(n, 12);
	assert_int_equal(in[3] & 0xf, DNSD_NOTIMP);
	assert_int_equal(in[2] & 0x80, 0x80);                 /* QR */

	assert_int_equal(send(fd, twoq, sizeof(twoq), 0), (ssize_t)sizeof(twoq));
	loop_run_until(&loop, &done, 30);
	n = recv(fd, in, sizeof(in), 0);
	assert_int_equal(n, 12);
	assert_int_equal(in[3] & 0xf, DNSD_FORMERR);
	assert_int_equal(dnsd_queries(s), 3);

	close(fd);
	dnsd_stop(s);
	assert_int_equal(loop_drain(&loop), 0);
}

/* ---- dns_new ---- */

static void new_errors(void **st)
{
	uv_loop_t loop;
	struct dns *d = NULL;
	char err[128];
	const char *bad[] = { "nonsense" }, *two[] = { "127.0.0.1,127.0.0.2" };
	const char *nine[] = { "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1",
			       "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1" };

	(void)st;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(dns_new(&loop, bad, 0, 0, &d, err, sizeof(err)), PB_ERR_USAGE);
	assert_int_equal(dns_new(&loop, bad, 1, 0, &d, err, sizeof(err)), PB_ERR_USAGE);
	assert_string_equal(err, "DNS server 'nonsense': expected IP[:PORT]");
	assert_int_equal(dns_new(&loop, two, 1, 0, &d, err, sizeof(err)), PB_ERR_USAGE);
	assert_int_equal(dns_new(&loop, nine, 9, 0, &d, err, sizeof(err)), PB_ERR_USAGE);
	assert_null(d);
	assert_int_equal(dns_new(&loop, nine, 8, 0, &d, err, sizeof(err)), PB_OK);
	dns_free(d);
	dns_free(NULL);
	dns_cancel(NULL);
	assert_int_equal(loop_drain(&loop), 0);
}

/* names from the network, before a query: LDH labels of 1-63, 253 in all */
static void host_names(void **st)
{
	char long_label[80], long_name[300];

	(void)st;
	assert_true(dns_host_name_ok("ca.corp.example"));
	assert_true(dns_host_name_ok("dc01"));
	assert_true(dns_host_name_ok("x-1.a-b.example"));
	assert_false(dns_host_name_ok(""));
	assert_false(dns_host_name_ok("ca.corp.example."));
	assert_false(dns_host_name_ok(".corp.example"));
	assert_false(dns_host_name_ok("ca..example"));
	assert_false(dns_host_name_ok("-ca.example"));
	assert_false(dns_host_name_ok("ca-.example"));
	assert_false(dns_host_name_ok("ca.corp.example\r\nX-Evil: 1"));
	assert_false(dns_host_name_ok("ca corp.example"));
	assert_false(dns_host_name_ok("*.corp.example"));
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	assert_false(dns_host_name_ok(long_label));
	long_label[63] = '\0';
	assert_true(dns_host_name_ok(long_label));
	memset(long_name, 'a', 254);
	for (size_t i = 50; i < 254; i += 50)
		long_name[i] = '.';
	long_name[254] = '\0';
	assert_false(dns_host_name_ok(long_name));
	long_name[253] = '\0';
	assert_true(dns_host_name_ok(long_name));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(srv_records),
		cmocka_unit_test(host_names),
		cmocka_unit_test(a_records),
		cmocka_unit_test(refused),
		cmocka_unit_test(servfail),
		cmocka_unit_test(notimp),
		cmocka_unit_test(nxdomain),
		cmocka_unit_test(no_srv_records),
		cmocka_unit_test(no_a_records),
		cmocka_unit_test(srv_dot),
		cmocka_unit_test(silence),
		cmocka_unit_test(port_unreachable),
		cmocka_unit_test(refused_then_answer),
		cmocka_unit_test(servfail_then_silence),
		cmocka_unit_test(silence_then_nxdomain),
		cmocka_unit_test(both_refuse),
		cmocka_unit_test(cancel_in_flight),
		cmocka_unit_test(immediate_failure_deferred),
		cmocka_unit_test(free_pending),
		cmocka_unit_test(free_from_callback),
		cmocka_unit_test(cancel_inside_callback),
		cmocka_unit_test(many_in_turn),
		cmocka_unit_test(many_at_once),
		cmocka_unit_test(dnsd_malformed),
		cmocka_unit_test(new_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Step `time`: the device's clock, by SNTP (RFC 4330 client mode), from
 * the servers the device would ask, in its order (docs/time.md):
 *
 *   1. the lease's NTP servers, DHCP option 42 (RFC 2132 8.3); third-party
 *      phone manuals give option 42 (AudioCodes 400HD), for the CX700 this
 *      is unverified (facts.md 1a-2);
 *   2. SRV _ntp._udp.<SIP domain>, through the device's DNS: the
 *      "Communicator 14 / Lync 2010 Phone Edition" NTP topic
 *      (c8af0c49-3f06-40fa-a8e2-4888bf99a2cc) says the phone looks the
 *      record up, and "if that is missing it uses time.windows.com"; the
 *      OCS 2007 R2 topic (808cd0c1) and the Polycom CX700 deployment guide
 *      say only that the phone requires NTP;
 *   3. time.windows.com, resolved through the device's DNS only (flows
 *      ocpe and lpe; a generic SIP phone's default server is its vendor's
 *      and is not modelled). In the lab and the tests the name does not
 *      resolve, so the step fails fast and nothing leaves the machine.
 *
 * One request per server (RFC 4330 section 10: no fast polling), at most
 * MAX_ASKED servers, each wait bounded by the boot's timeout. The first
 * usable answer sets the clock. Without one the device keeps the clock it
 * booted with (the profile's time.boot_clock), and the step fails with
 * ntp-unsynchronized when a server answered without a usable time, else
 * ntp-unreachable. The step is best-effort: certificates are then judged
 * at the device's clock, and the diagnosis traces a validity failure back
 * here. --time (o->time_set) sets the clock whatever NTP says. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/isotime.h"
#include "dns/dns.h"
#include "engine/engine.h"
#include "sntp/sntp.h"

#define MAX_ASKED 8
#define MAX_SRV 4
static const char fallback[] = "time.windows.com";

enum phase { PH_OPT42, PH_SRV, PH_SRV_TARGETS, PH_FALLBACK, PH_END };

struct ctx {
	struct dev_query *q;
	struct sntp_query *sq;
	enum phase ph;
	size_t i;
	char srv_name[MAX_SRV][256];
	unsigned short srv_port[MAX_SRV];
	size_t n_srv;
	char via[300];              /* how the server being asked was found */
	char server[340];           /* "name:port (addr)" being asked */
	char peer[96];              /* "ntp addr:port" */
	unsigned asked;
	json_t *tried, *lookups;
	enum pb_cause cause;        /* unsynchronized wins over unreachable */
	char detail[256];
};

static void next(struct step_run *r);

/* The host's clock, the reference the device's is measured against. */
static time_t reference(const struct step_run *r)
{
	return r->o->time_set || !r->o->now ? time(NULL) : r->o->now;
}

static void set_clock(struct step_run *r, time_t clock, const char *source)
{
	struct device *d = r->dev;
	char iso[32];
	time_t ref = reference(r);

	if (r->o->time_set) {
		clock = r->o->now;
		source = "--time";
	}
	d->clock = clock;
	d->clock_set = 1;
	iso_time_str(clock, iso, sizeof(iso));
	step_fact(r, "device_clock", json_string(iso));
	step_fact(r, "clock_source", json_string(source));
	iso_time_str(ref, iso, sizeof(iso));
	step_fact(r, "reference_clock", json_string(iso));
	step_fact(r, "clock_error_s", json_integer((json_int_t)(clock - ref)));
}

static void finish(struct step_run *r)
{
	struct ctx *c = r->ctx;

	step_fact(r, "servers_tried", c->tried);
	step_fact(r, "lookups", c->lookups);
	c->tried = c->lookups = NULL;
}

static void lookup(struct step_run *r, const char *q, const struct dns_result *res)
{
	struct ctx *c = r->ctx;

	if (c->lookups)
		json_array_append_new(c->lookups, json_pack("{s:s,s:s}", "query", q, "result",
			res->cause ? pb_cause_str(res->cause) : "ok"));
}

/* No usable time: the device keeps the clock it booted with. */
static void give_up(struct step_run *r)
{
	struct ctx *c = r->ctx;
	const struct pb_profile *p = r->o->profile;
	char src[200], iso[32];

	if (p->boot_clock_fixed) {
		iso_time_str(p->boot_clock, iso, sizeof(iso));
		snprintf(src, sizeof(src), "firmware boot clock (profile time.boot_clock = %s, %s)",
			 iso, pb_confidence_str(pb_profile_confidence(p, "time.boot_clock")));
	} else {
		snprintf(src, sizeof(src), "firmware boot clock (profile time.boot_clock = host, %s)",
			 pb_confidence_str(pb_profile_confidence(p, "time.boot_clock")));
	}
	set_clock(r, p->boot_clock_fixed ? p->boot_clock : reference(r), src);
	finish(r);
	if (!c->asked) {
		snprintf(c->detail, sizeof(c->detail), "no NTP server found: no DHCP option 42, "
			 "no SRV _ntp._udp.%s%s", r->o->domain, r->o->profile->flow == PB_FLOW_SIP ?
			 "" : ", and time.windows.com does not resolve");
		c->cause = PB_CAUSE_NTP_UNREACHABLE;
	}
	step_done(r, c->cause ? c->cause : PB_CAUSE_NTP_UNREACHABLE, c->detail, NULL);
}

static void on_ntp(const struct sntp_result *res, void *arg)
{
	struct step_run *r = arg;
	struct ctx *c = r->ctx;
	json_t *t;
	char iso[32];

	sntp_stop(c->sq);
	c->sq = NULL;
	t = json_pack("{s:s,s:s,s:s,s:s}", "server", c->server, "via", c->via, "result",
		      res->cause ? pb_cause_str(res->cause) : "ok", "detail", res->detail);
	if (t && res->answered) {
		json_object_set_new(t, "stratum", json_integer(res->reply.stratum));
		json_object_set_new(t, "leap_indicator", json_integer(res->reply.li));
		json_object_set_new(t, "reference_id", json_string(res->reply.refid_text));
	}
	if (c->tried && t)
		json_array_append_new(c->tried, t);
	else
		json_decref(t);
	if (res->cause) {
		step_exchange(r, c->peer, 0, 1, "%s", res->answered ? res->detail : "no answer");
		/* the first unsynchronized answer wins over any silence */
		if (!c->cause || (res->cause == PB_CAUSE_NTP_UNSYNCHRONIZED &&
				  c->cause != PB_CAUSE_NTP_UNSYNCHRONIZED)) {
			c->cause = res->cause;
			snprintf(c->detail, sizeof(c->detail), "%s: %s", c->server, res->detail);
		}
		next(r);
		return;
	}
	step_exchange(r, c->peer, 0, 0, "NTP reply: stratum %u, LI %u, ref %s",
		      res->reply.stratum, res->reply.li, res->reply.refid_text);
	step_peer(r, "%s", c->peer);
	step_fact(r, "server", json_string(c->server));
	step_fact(r, "via", json_string(c->via));
	step_fact(r, "stratum", json_integer(res->reply.stratum));
	step_fact(r, "leap_indicator", json_integer(res->reply.li));
	step_fact(r, "version", json_integer(res->reply.vn));
	step_fact(r, "reference_id", json_string(res->reply.refid_text));
	step_factf(r, "offset_ms", "%.3f", res->offset * 1000);
	step_factf(r, "round_trip_ms", "%.3f", res->delay * 1000);
	iso_time_str((time_t)res->server_time, iso, sizeof(iso));
	step_fact(r, "server_time", json_string(iso));
	{
		char src[400];

		snprintf(src, sizeof(src), "ntp %s", c->server);
		set_clock(r, (time_t)res->server_time, src);
	}
	finish(r);
	step_done(r, PB_CAUSE_NONE, NULL, NULL);
}

/* Ask one server: addr is an IPv4 address. */
static void ask(struct step_run *r, const char *name, const char *addr, unsigned port)
{
	struct ctx *c = r->ctx;
	char target[96], err[160];

	c->asked++;
	if (strcmp(name, addr))
		snprintf(c->server, sizeof(c->server), "%s:%u (%s)", name, port, addr);
	else
		snprintf(c->server, sizeof(c->server), "%s:%u", addr, port);
	snprintf(target, sizeof(target), "%s:%u", addr, port);
	snprintf(c->peer, sizeof(c->peer), "ntp %s", target);
	step_exchange(r, c->peer, 1, 0, "NTP request (v4, mode 3)");
	if (sntp_start(r->loop, target, r->timeout_ms, on_ntp, r, &c->sq, err,
		       sizeof(err)) != PB_OK) {
		if (c->tried)
			json_array_append_new(c->tried, json_pack("{s:s,s:s,s:s,s:s}", "server",
				c->server, "via", c->via, "result", "ntp-unreachable", "detail", err));
		if (!c->cause) {
			c->cause = PB_CAUSE_NTP_UNREACHABLE;
			snprintf(c->detail, sizeof(c->detail), "%s: %s", c->server, err);
		}
		next(r);
	}
}

static void on_a(struct step_run *r, const struct dns_result *res)
{
	struct ctx *c = r->ctx;
	char q[300];

	c->q = NULL;
	snprintf(q, sizeof(q), "A %s", c->ph == PH_END ? fallback : c->srv_name[c->i - 1]);
	lookup(r, q, res);
	if (res->cause) {
		next(r);
		return;
	}
	if (c->ph == PH_END)        /* the fallback's address */
		ask(r, fallback, res->addr[0], 123);
	else
		ask(r, c->srv_name[c->i - 1], res->addr[0], c->srv_port[c->i - 1]);
}

static void on_srv(struct step_run *r, const struct dns_result *res)
{
	struct ctx *c = r->ctx;
	char q[300];
	size_t i;

	c->q = NULL;
	snprintf(q, sizeof(q), "SRV _ntp._udp.%s", r->o->domain);
	lookup(r, q, res);
	step_fact(r, "srv_records", dev_srv_json(res));
	for (i = 0; !res->cause && i < res->n_srv && c->n_srv < MAX_SRV; i++) {
		if (!strcmp(res->srv[i].target, "."))
			continue;   /* RFC 2782: "." means the service is not offered */
		snprintf(c->srv_name[c->n_srv], sizeof(c->srv_name[0]), "%s", res->srv[i].target);
		c->srv_port[c->n_srv++] = res->srv[i].port ? res->srv[i].port : 123;
	}
	next(r);
}

static void query(struct step_run *r, const char *name, const char *type, dev_dns_cb *cb)
{
	struct ctx *c = r->ctx;

	if (dev_dns(r, &c->q, name, type, cb) < 0)
		step_internal(r, PB_ERR_NOMEM, "out of memory for a DNS query");
}

/* The next server in the device's order, or the end. Every branch either
 * waits (a query, a request) or ends the step, so this never loops. */
static void next(struct step_run *r)
{
	struct ctx *c = r->ctx;
	struct device *d = r->dev;
	char name[300];
	struct in_addr ia;

	if (c->asked >= MAX_ASKED) {
		give_up(r);
		return;
	}
	switch (c->ph) {
	case PH_OPT42:
		if (c->i < d->n_ntp) {
			snprintf(c->via, sizeof(c->via), "DHCP option 42");
			c->i++;
			ask(r, d->ntp[c->i - 1], d->ntp[c->i - 1], 123);
			return;
		}
		c->ph = PH_SRV;
		/* fall through */
	case PH_SRV:
		c->ph = PH_SRV_TARGETS;
		c->i = 0;
		snprintf(name, sizeof(name), "_ntp._udp.%s", r->o->domain);
		query(r, name, "SRV", on_srv);
		return;
	case PH_SRV_TARGETS:
		if (c->i < c->n_srv) {
			snprintf(c->via, sizeof(c->via), "SRV _ntp._udp.%s", r->o->domain);
			c->i++;
			if (inet_pton(AF_INET, c->srv_name[c->i - 1], &ia) == 1)
				ask(r, c->srv_name[c->i - 1], c->srv_name[c->i - 1],
				    c->srv_port[c->i - 1]);
			else
				query(r, c->srv_name[c->i - 1], "A", on_a);
			return;
		}
		c->ph = r->o->profile->flow == PB_FLOW_SIP ? PH_END : PH_FALLBACK;
		if (c->ph == PH_END) {
			give_up(r);
			return;
		}
		/* fall through */
	case PH_FALLBACK:
		c->ph = PH_END;
		snprintf(c->via, sizeof(c->via), "fallback %s (Lync Phone Edition NTP topic)",
			 fallback);
		query(r, fallback, "A", on_a);
		return;
	case PH_END:
		give_up(r);
		return;
	}
}

static void start(struct step_run *r)
{
	struct ctx *c = r->ctx;

	c->tried = json_array();
	c->lookups = json_array();
	if (!c->tried || !c->lookups) {
		step_internal(r, PB_ERR_NOMEM, "out of memory");
		return;
	}
	step_fact(r, "order", json_string(r->o->profile->flow == PB_FLOW_SIP ?
		"DHCP option 42, SRV _ntp._udp.<domain>" :
		"DHCP option 42, SRV _ntp._udp.<domain>, time.windows.com"));
	if (r->o->time_set)
		step_fact(r, "note", json_string("--time sets the device's clock; NTP is asked "
						 "as the device would, its answer not used"));
	next(r);
}

static void cancel(struct step_run *r)
{
	struct ctx *c = r->ctx;

	dev_dns_cancel(&c->q);
	c->q = NULL;
	sntp_stop(c->sq);
	c->sq = NULL;
	json_decref(c->tried);
	json_decref(c->lookups);
	c->tried = c->lookups = NULL;
}

const struct step_ops step_time = {
	.id = PB_STEP_TIME,
	.ctx_size = sizeof(struct ctx),
	.start = start,
	.cancel = cancel,
};

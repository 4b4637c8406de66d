/* Step `locate-pool`: the SIP servers, in the flow's lookup order. The
 * first lookup that answers gives the servers to try, in order (every SRV
 * target, or every address of a name); connect tries the next when one
 * fails. The plain-TCP records are not tried: the emulation speaks TLS. */
#include <stdio.h>
#include <string.h>

#include "dns/dns.h"
#include "engine/engine.h"

#define MAX_LOOKUPS 12

struct lookup {
	char name[300];
	int srv;                    /* SRV lookup, else A */
	unsigned short port;        /* for A lookups */
};

struct ctx {
	struct lookup lk[MAX_LOOKUPS];
	size_t n, li;
	json_t *lookups;
	enum pb_cause cause;        /* the first failure's */
	char detail[200];
	struct dev_query *q;
};

static void add(struct ctx *c, int srv, unsigned short port, const char *prefix,
		const char *domain)
{
	struct lookup *l;

	if (c->n == MAX_LOOKUPS)
		return;
	l = &c->lk[c->n++];
	l->srv = srv;
	l->port = port;
	snprintf(l->name, sizeof(l->name), "%s%s", prefix, domain);
}

static void plan(struct step_run *r)
{
	struct ctx *c = r->ctx;
	const char *d = r->o->domain;

	switch (r->o->profile->flow) {
	case PB_FLOW_LPE:
		/* Lync Phone Edition (MS doc gg398713, facts.md 1b-6): internal
		 * SRV (TLS), then the DHCP option 120 server, then external */
		add(c, 1, 0, "_sipinternaltls._tcp.", d);
		if (r->dev->sip120[0])
			add(c, 0, 5061, "", r->dev->sip120);
		add(c, 1, 0, "_sip._tls.", d);
		break;
	case PB_FLOW_OCPE:
		/* OCS 2007 R2 order (MS doc a22cf815, facts.md 1a-5) */
		add(c, 1, 0, "_sipinternaltls._tcp.", d);
		add(c, 1, 0, "_sip._tls.", d);
		add(c, 0, 5061, "sipinternal.", d);
		add(c, 0, 443, "sipinternal.", d);
		add(c, 0, 5061, "sip.", d);
		add(c, 0, 443, "sip.", d);
		add(c, 0, 5061, "sipexternal.", d);
		add(c, 0, 443, "sipexternal.", d);
		break;
	case PB_FLOW_SIP:
		/* RFC 3263 4.1 without NAPTR: SRV for TLS, then the domain's
		 * address on 5061; sip.<domain> is the phone vendors' habit */
		add(c, 1, 0, "_sips._tcp.", d);
		add(c, 1, 0, "_sip._tls.", d);
		add(c, 0, 5061, "", d);
		add(c, 0, 5061, "sip.", d);
		break;
	}
}

static void next(struct step_run *r);

static void log_lookup(struct ctx *c, const char *type, const char *name, json_t *answer)
{
	if (c->lookups)
		json_array_append_new(c->lookups, json_pack("{s:s,s:s,s:o}", "query", type,
							    "name", name, "answer", answer));
	else
		json_decref(answer);
}

static void failed(struct step_run *r, const struct dns_result *res)
{
	struct ctx *c = r->ctx;

	if (!c->cause) {
		c->cause = res->cause;
		snprintf(c->detail, sizeof(c->detail), "%s", res->detail);
	}
	/* a server that does not answer at all would make every other
	 * lookup wait as long: stop */
	if (res->cause == PB_CAUSE_DNS_TIMEOUT)
		c->li = c->n;
	next(r);
}

static void found(struct step_run *r)
{
	struct ctx *c = r->ctx;
	struct device *d = r->dev;
	const struct target *t = &d->targets[0];

	step_fact(r, "lookups", c->lookups);
	c->lookups = NULL;
	step_factf(r, "pool", "%s:%u (%s)", t->name, t->port, t->addr);
	if (d->n_targets > 1) {
		json_t *more = json_array();
		size_t i;

		for (i = 1; more && i < d->n_targets; i++)
			json_array_append_new(more, json_sprintf("%s:%u", d->targets[i].name,
								 d->targets[i].port));
		step_fact(r, "then", more);
	}
	d->ti = 0;
	d->have |= HAVE_POOL;
	step_done(r, PB_CAUSE_NONE, NULL, NULL);
}

static void on_a(struct step_run *r, const struct dns_result *res)
{
	struct ctx *c = r->ctx;
	struct device *d = r->dev;
	const struct lookup *l = &c->lk[c->li - 1];
	size_t i;

	c->q = NULL;
	log_lookup(c, "A", d->n_targets ? d->targets[0].name : l->name,
		   res->cause ? json_string(pb_cause_str(res->cause)) : json_string(res->addr[0]));
	if (d->n_targets) {
		/* the first SRV target's address */
		if (res->cause) {
			/* that target cannot be reached: the next one may */
			memmove(&d->targets[0], &d->targets[1], (d->n_targets - 1) * sizeof(d->targets[0]));
			if (--d->n_targets) {
				if (dev_dns(r, &c->q, d->targets[0].name, "A", on_a) < 0)
					step_internal(r, PB_ERR_NOMEM, "out of memory for a DNS query");
				return;
			}
			failed(r, res);
			return;
		}
		snprintf(d->targets[0].addr, sizeof(d->targets[0].addr), "%s", res->addr[0]);
		found(r);
		return;
	}
	if (res->cause) {
		failed(r, res);
		return;
	}
	for (i = 0; i < res->n_addr && d->n_targets < DEV_MAX_TARGETS; i++) {
		struct target *t = &d->targets[d->n_targets++];

		snprintf(t->name, sizeof(t->name), "%s", l->name);
		t->port = l->port;
		snprintf(t->addr, sizeof(t->addr), "%s", res->addr[i]);
	}
	found(r);
}

static void on_srv(struct step_run *r, const struct dns_result *res)
{
	struct ctx *c = r->ctx;
	struct device *d = r->dev;
	size_t i;

	c->q = NULL;
	log_lookup(c, "SRV", c->lk[c->li - 1].name,
		   res->cause ? json_string(pb_cause_str(res->cause)) : dev_srv_json(res));
	if (res->cause) {
		failed(r, res);
		return;
	}
	/* every target, in RFC 2782 order (dns_srv_order) */
	for (i = 0; i < res->n_srv && d->n_targets < DEV_MAX_TARGETS; i++) {
		struct target *t = &d->targets[d->n_targets++];

		snprintf(t->name, sizeof(t->name), "%s", res->srv[i].target);
		t->port = res->srv[i].port;
		t->addr[0] = '\0';
	}
	if (dev_dns(r, &c->q, d->targets[0].name, "A", on_a) < 0)
		step_internal(r, PB_ERR_NOMEM, "out of memory for a DNS query");
}

static void next(struct step_run *r)
{
	struct ctx *c = r->ctx;
	const struct lookup *l;

	if (c->li >= c->n) {
		step_fact(r, "lookups", c->lookups);
		c->lookups = NULL;
		step_done(r, c->cause ? c->cause : PB_CAUSE_DNS_NO_RECORDS,
			  c->cause == PB_CAUSE_DNS_TIMEOUT
			  ? "no DNS server answered; further lookups were not tried"
			  : "no record leads to a SIP server", NULL);
		return;
	}
	l = &c->lk[c->li++];
	r->dev->n_targets = 0;
	if (dev_dns(r, &c->q, l->name, l->srv ? "SRV" : "A", l->srv ? on_srv : on_a) < 0)
		step_internal(r, PB_ERR_NOMEM, "out of memory for a DNS query");
}

static void start(struct step_run *r)
{
	struct ctx *c = r->ctx;

	plan(r);
	dev_dns_peer(r);
	if (!(c->lookups = json_array())) {
		step_internal(r, PB_ERR_NOMEM, "out of memory");
		return;
	}
	next(r);
}

static void cancel(struct step_run *r)
{
	struct ctx *c = r->ctx;

	dev_dns_cancel(&c->q);
	c->q = NULL;
	json_decref(c->lookups);
	c->lookups = NULL;
}

const struct step_ops step_locate_pool = {
	.id = PB_STEP_LOCATE_POOL,
	.ctx_size = sizeof(struct ctx),
	.start = start,
	.cancel = cancel,
};

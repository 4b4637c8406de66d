/* Step `locate-dc`: SRV _ldap._tcp.dc._msdcs.<domain> ([MS-ADTS] 6.3.6.1,
 * the DC locator's record), then the DC's address. */
#include <stdio.h>
#include <string.h>

#include "dns/dns.h"
#include "engine/engine.h"

struct ctx {
	struct dev_query *q;
};

static void query(struct step_run *r, const char *name, const char *type, dev_dns_cb *cb)
{
	struct ctx *c = r->ctx;

	if (dev_dns(r, &c->q, name, type, cb) < 0)
		step_internal(r, PB_ERR_NOMEM, "out of memory for a DNS query");
}

static void on_a(struct step_run *r, const struct dns_result *res)
{
	struct device *d = r->dev;

	((struct ctx *)r->ctx)->q = NULL;
	if (res->cause) {
		step_done(r, res->cause, res->detail, NULL);
		return;
	}
	snprintf(d->dc_addr, sizeof(d->dc_addr), "%s", res->addr[0]);
	step_factf(r, "dc", "%s:%u (%s)", d->dc_name, d->dc_port, d->dc_addr);
	d->have |= HAVE_DC;
	step_done(r, PB_CAUSE_NONE, NULL, NULL);
}

static void on_srv(struct step_run *r, const struct dns_result *res)
{
	struct device *d = r->dev;

	((struct ctx *)r->ctx)->q = NULL;
	step_fact(r, "records", dev_srv_json(res));
	if (res->cause) {
		step_done(r, res->cause, res->detail, NULL);
		return;
	}
	snprintf(d->dc_name, sizeof(d->dc_name), "%s", res->srv[0].target);
	d->dc_port = res->srv[0].port;
	query(r, d->dc_name, "A", on_a);
}

static void start(struct step_run *r)
{
	json_t *servers = json_array();
	char name[300];
	size_t i;

	snprintf(name, sizeof(name), "_ldap._tcp.dc._msdcs.%s", r->o->domain);
	step_factf(r, "query", "SRV %s", name);
	for (i = 0; servers && i < r->dev->n_dns; i++)
		json_array_append_new(servers, json_string(r->dev->dns[i]));
	step_fact(r, "dns_servers", servers);
	dev_dns_peer(r);
	query(r, name, "SRV", on_srv);
}

static void cancel(struct step_run *r)
{
	struct ctx *c = r->ctx;

	dev_dns_cancel(&c->q);
	c->q = NULL;
}

const struct step_ops step_locate_dc = {
	.id = PB_STEP_LOCATE_DC,
	.ctx_size = sizeof(struct ctx),
	.start = start,
	.cancel = cancel,
};

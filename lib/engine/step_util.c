/* What steps share that is not the engine's to decide: DNS through the
 * device's resolver (traced, cancellable), and the report's shapes of SRV
 * records, certificates and "also" lists. It uses the step interface
 * (boot.c); boot.c does not use it, so the engine files have no circle:
 * boot.c -> flow.c, record.c, device.c, engine.c; step_util.c -> boot.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/jx.h"
#include "dns/dns.h"
#include "engine/engine.h"
#include "tls/tls.h"

/* ---- DNS for the steps: traced, cancellable ---- */

struct dev_query {
	struct step_run *r;
	struct dev_query **slot;
	dev_dns_cb *cb;
	dev_dns_arg_cb *acb;
	void *arg;
	struct dns_query *q;
	char name[256], type[8], server[64];
};

static void on_answer(const struct dns_result *res, void *arg)
{
	struct dev_query *q = arg;
	struct step_run *r = q->r;
	dev_dns_cb *cb = q->cb;
	dev_dns_arg_cb *acb = q->acb;
	void *carg = q->arg;
	char peer[96];

	*q->slot = NULL;
	if (res->err) {
		/* phoneboot's own failure (out of memory, a name DNS
		 * cannot carry): never a network cause */
		step_trace(r, "%s %s -> %s", q->type, q->name, res->detail);
		free(q);
		step_internal(r, res->err, res->detail);
		return;
	}
	snprintf(peer, sizeof(peer), "dns %s", res->server[0] ? res->server : q->server);
	if (res->cause)
		step_exchange(r, peer, 0, 1, "%s %s: %s", q->type, q->name,
			      res->rcode >= 0 ? pb_cause_str(res->cause) : "no answer");
	else if (res->n_srv)
		step_exchange(r, peer, 0, 0, "%s %s: %u %u %u %s%s", q->type, q->name,
			      res->srv[0].priority, res->srv[0].weight, res->srv[0].port,
			      res->srv[0].target, res->n_srv > 1 ? " ..." : "");
	else
		step_exchange(r, peer, 0, 0, "%s %s: %s%s", q->type, q->name,
			      res->n_addr ? res->addr[0] : "?", res->n_addr > 1 ? " ..." : "");
	free(q);
	if (acb)
		acb(r, res, carg);
	else
		cb(r, res);
}

int dev_dns(struct step_run *r, struct dev_query **slot, const char *name,
	    const char *type, dev_dns_cb *cb)
{
	struct dev_query *q = calloc(1, sizeof(*q));

	if (!q)
		return -1;
	q->r = r;
	q->slot = slot;
	q->cb = cb;
	snprintf(q->name, sizeof(q->name), "%s", name);
	snprintf(q->type, sizeof(q->type), "%s", type);
	snprintf(q->server, sizeof(q->server), "%s", r->dev->n_dns ? r->dev->dns[0] : "-");
	{
		char peer[96];

		snprintf(peer, sizeof(peer), "dns %s", q->server);
		step_exchange(r, peer, 1, 0, "%s %s?", type, name);
	}
	q->q = dns_query(r->dev->resolver, name, type, on_answer, q);
	if (!q->q) {
		free(q);
		return -1;
	}
	*slot = q;
	return 0;
}

int dev_dns_arg(struct step_run *r, struct dev_query **slot, const char *name,
		const char *type, dev_dns_arg_cb *cb, void *arg)
{
	if (dev_dns(r, slot, name, type, NULL) < 0)
		return -1;
	(*slot)->acb = cb;
	(*slot)->arg = arg;
	return 0;
}

void dev_dns_cancel(struct dev_query **slot)
{
	struct dev_query *q = *slot;

	if (!q)
		return;
	*slot = NULL;
	dns_cancel(q->q);
	free(q);
}

void dev_dns_peer(struct step_run *r)
{
	char peer[160] = "";
	size_t i, off = 0;

	for (i = 0; i < r->dev->n_dns && off < sizeof(peer); i++)
		off += (size_t)snprintf(peer + off, sizeof(peer) - off, "%s%s", i ? "," : "",
					r->dev->dns[i]);
	step_peer(r, "dns %s", peer);
}

time_t dev_clock(const struct step_run *r)
{
	return r->dev->clock_set ? r->dev->clock : r->o->now;
}

json_t *dev_srv_json(const struct dns_result *res)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < res->n_srv; i++)
		a = jx_push(a, json_sprintf("%u %u %u %s", res->srv[i].priority,
					    res->srv[i].weight, res->srv[i].port,
					    res->srv[i].target));
	return a;
}

json_t *dev_cert_json(const struct pb_cert_info *in)
{
	char key[48];

	if (in->curve[0])
		snprintf(key, sizeof(key), "%s %s", in->key_type, in->curve);
	else
		snprintf(key, sizeof(key), "%s-%u", in->key_type, in->key_bits);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "role", pb_cert_role_str(in->role),
			 "subject", in->subject, "signature", in->sig_alg, "key", key,
			 "not_after", in->not_after, "sha256", in->sha256);
}

json_t *dev_also_add(json_t *also, enum pb_cause c, enum pb_cause primary)
{
	const char *name = pb_cause_str(c);
	json_t *v;
	size_t i;

	if (!also || c == primary)
		return also;
	json_array_foreach(also, i, v)
		if (!strcmp(json_string_value(v), name))
			return also;
	return jx_push(also, json_string(name));
}

/* The order a device checks a chain: trust, then its limits, then the
 * name. The finding that ranks first is the one a phone would report. */
int dev_cert_rank(enum pb_cause c)
{
	switch (c) {
	case PB_CAUSE_CERT_UNTRUSTED_ROOT:
	case PB_CAUSE_CERT_CHAIN_INCOMPLETE:
		return 0;
	case PB_CAUSE_CERT_NAME_MISMATCH:
	case PB_CAUSE_CERT_WILDCARD_UNSUPPORTED:
		return 2;
	default:
		return 1;
	}
}

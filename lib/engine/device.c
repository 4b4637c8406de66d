/* What the device has learned, and the DNS it asks through. See device.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "engine/engine.h"
#include "tls/tls.h"

enum pb_err device_cycle(struct device *d, const struct pb_trust *builtin)
{
	struct dns *resolver = d->resolver;
	char dns[DEV_MAX_DNS][64];
	size_t n = d->n_dns;
	uint8_t mac[6];
	int configured = d->configured;
	char sip120[256];

	memcpy(dns, d->dns, sizeof(dns));
	memcpy(mac, d->mac, sizeof(mac));
	snprintf(sip120, sizeof(sip120), "%s", d->sip120);
	device_clear(d);
	/* what outlives a cycle: the network the phone was given, its MAC */
	memset(d, 0, sizeof(*d));
	d->resolver = resolver;
	memcpy(d->dns, dns, sizeof(dns));
	d->n_dns = n;
	for (size_t i = 0; i < n; i++)
		d->dns_p[i] = d->dns[i];
	memcpy(d->mac, mac, sizeof(mac));
	d->configured = configured;
	snprintf(d->sip120, sizeof(d->sip120), "%s", sip120);
	if (resolver)
		d->have |= HAVE_DNS;
	if (pb_trust_new(&d->trust) != PB_OK)
		return PB_ERR_NOMEM;
	if (builtin && pb_trust_add_trust(d->trust, builtin) != PB_OK)
		return PB_ERR_NOMEM;
	return PB_OK;
}

void device_clear(struct device *d)
{
	size_t i;

	device_drop_tls(d);
	pb_chain_free(d->peer_chain);
	d->peer_chain = NULL;
	for (i = 0; i < d->n_roots; i++)
		free(d->root_der[i]);
	d->n_roots = 0;
	for (i = 0; i < d->n_rejected; i++)
		pb_chain_free(d->rejected[i]);
	d->n_rejected = 0;
	pb_trust_free(d->trust);
	d->trust = NULL;
}

void device_set_dns(struct device *d, const char *const *servers, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < DEV_MAX_DNS; i++) {
		snprintf(d->dns[i], sizeof(d->dns[i]), "%s", servers[i]);
		d->dns_p[i] = d->dns[i];
	}
	d->n_dns = i;
	d->have |= HAVE_DNS;
}

/* FNV-1a over "profile|user@domain", first octet 02: locally administered
 * (RFC 7042 2.1), the same for the same phone every run. */
void device_stable_mac(const struct pb_logon_opts *o, uint8_t mac[6])
{
	char s[600];
	uint64_t h = 1469598103934665603ULL;
	int n = snprintf(s, sizeof(s), "%s|%s@%s", o->profile->id, o->user, o->domain);
	size_t i;

	for (i = 0; n > 0 && i < (size_t)n && i < sizeof(s) - 1; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	mac[0] = 0x02;
	for (i = 1; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * (i - 1)));
}

static void deaf(struct tls_conn *c, enum tls_event ev, void *arg)
{
	(void)c;
	(void)ev;
	(void)arg;
}

void device_park_tls(struct device *d)
{
	if (d->tls)
		tls_set_cb(d->tls, deaf, NULL);
}

void device_drop_tls(struct device *d)
{
	tls_close(d->tls);
	d->tls = NULL;
	d->have &= ~(unsigned)(HAVE_TLS | HAVE_AUTH);
}

/* ---- DNS for the steps: traced, cancellable ---- */

struct dev_query {
	struct step_run *r;
	struct dev_query **slot;
	dev_dns_cb *cb;
	struct dns_query *q;
	char name[256], type[8], server[64];
};

static void on_answer(const struct dns_result *res, void *arg)
{
	struct dev_query *q = arg;
	struct step_run *r = q->r;
	dev_dns_cb *cb = q->cb;
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
		json_array_append_new(a, json_sprintf("%u %u %u %s", res->srv[i].priority,
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

void dev_also_add(json_t *also, enum pb_cause c, enum pb_cause primary)
{
	const char *name = pb_cause_str(c);
	json_t *v;
	size_t i;

	if (!also || c == primary)
		return;
	json_array_foreach(also, i, v)
		if (!strcmp(json_string_value(v), name))
			return;
	json_array_append_new(also, json_string(name));
}

/* Step `dhcp`: the phone's network settings from a lease (RFC 2131),
 * every option decoded as a fact (docs/dhcp.md). The DNS servers of the
 * lease become the device's; option 120 is kept for the lpe flow. */
#include <stdio.h>
#include <string.h>

#include "core/jx.h"
#include "dhcp/dhcp.h"
#include "engine/engine.h"

struct ctx {
	struct dhcp_client *client;
};

static json_t *list(const char *a, size_t stride, size_t n)
{
	json_t *j = json_array();
	size_t i;

	for (i = 0; j && i < n; i++)
		j = jx_push(j, json_string(a + i * stride));
	return j;
}

#define LIST(arr, n) list((const char *)(arr), sizeof((arr)[0]), (n))

/* Every option of the lease, decoded. */
static json_t *lease_json(const struct dhcp_lease *l)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:o,s:i,s:o}",
		"address", l->yiaddr, "server", l->server_id, "subnet_mask", l->subnet,
		"routers", LIST(l->routers, l->n_routers), "dns_servers", LIST(l->dns, l->n_dns),
		"hostname", l->hostname, "domain", l->domain, "ntp_servers", LIST(l->ntp, l->n_ntp),
		"lease_seconds", (int)l->lease_time, "domain_search", LIST(l->search, l->n_search));

	/* NULL once out of memory: the fact records it */
	if (l->sip_enc >= 0)
		j = jx_set(j, "sip_servers", json_pack("{s:s,s:o}", "encoding",
			l->sip_enc == 0 ? "names (RFC 3361 enc 0)" : "addresses (RFC 3361 enc 1)",
			"servers", LIST(l->sip, l->n_sip)));
	else
		j = jx_set(j, "sip_servers", json_null());
	if (l->has_43) {
		json_t *o = json_pack("{s:s}", "hex", l->opt43_hex);

		if (l->ms_uc)
			o = jx_set(o, "ms_uc_client", json_pack("{s:s,s:s,s:s,s:s,s:s}",
				"uc_identifier", l->uc_identifier, "url_scheme", l->uc_scheme,
				"web_server_fqdn", l->uc_fqdn, "web_server_port", l->uc_port,
				"cert_prov_path", l->uc_path));
		if (l->voice_vlan > 0)
			o = jx_set(o, "voice_vlan", json_integer(l->voice_vlan));
		else if (l->voice_vlan < 0)
			o = jx_set(o, "voice_vlan_invalid", json_string(l->uc_vlan));
		j = jx_set(j, "vendor_specific_43", o);
	}
	if (l->vendor_class[0])
		j = jx_set(j, "vendor_class_60", json_string(l->vendor_class));
	if (l->tftp_server[0])
		j = jx_set(j, "tftp_server_66", json_string(l->tftp_server));
	if (l->n_tftp150)
		j = jx_set(j, "tftp_servers_150", LIST(l->tftp150, l->n_tftp150));
	return j;
}

static const uint8_t default_prl[] = { 1, 3, 6, 12, 15, 42, 119, 120 };

/* Did the device ask for option code (its profile's option 55)? */
static int asked(const struct pb_profile *p, uint8_t code)
{
	const uint8_t *prl = p->n_dhcp_request ? p->dhcp_request : default_prl;
	size_t i, n = p->n_dhcp_request ? p->n_dhcp_request : sizeof(default_prl);

	for (i = 0; i < n; i++)
		if (prl[i] == code)
			return 1;
	return 0;
}

/* Option 43's sub-option 10, the voice VLAN (gg398088). The UC phones
 * follow it: the OCPE release notes have the phone "store the VLAN ID and
 * immediately release the address lease", then ask again with its frames
 * tagged. phoneboot does not move: it says so, since every later step
 * then speaks for the phone only if that VLAN is served alike. */
static void voice_vlan_note(struct step_run *r, const struct dhcp_lease *l, json_t **notes)
{
	enum pb_flow flow = r->o->profile->flow;
	char buf[400];

	if (l->voice_vlan < 0) {
		snprintf(buf, sizeof(buf), "option 43 sub-option 10 is no VLAN ID (1-4094): "
			 "\"%s\"; the phone cannot follow it", l->uc_vlan);
	} else if (l->voice_vlan > 0 && (flow == PB_FLOW_OCPE || flow == PB_FLOW_LPE)) {
		step_fact(r, "voice_vlan", json_integer(l->voice_vlan));
		snprintf(buf, sizeof(buf), "option 43 names voice VLAN %d: the phone releases "
			 "this lease and asks again on VLAN %d; phoneboot stays on %s, so the "
			 "steps below are the phone's only if VLAN %d is served alike",
			 l->voice_vlan, l->voice_vlan, r->o->dhcp_iface, l->voice_vlan);
	} else if (l->voice_vlan > 0) {
		snprintf(buf, sizeof(buf), "option 43 names voice VLAN %d, Microsoft's UC "
			 "phones' setting; this firmware is not known to follow it", l->voice_vlan);
	} else {
		return;
	}
	*notes = jx_push(*notes, json_string(buf));
}

static void on_lease(const struct dhcp_result *res, void *arg)
{
	struct step_run *r = arg;
	struct ctx *c = r->ctx;
	struct device *d = r->dev;
	const struct dhcp_lease *l = &res->ack;
	const char *servers[DHCP_MAX_LIST];
	json_t *notes;
	char err[200];
	size_t i;
	enum pb_err rc;

	dhcp_stop(c->client);        /* done: its handles close on the loop */
	c->client = NULL;
	step_fact(r, "discovers", json_integer(res->discovers));
	step_fact(r, "requests", json_integer(res->requests));
	if (res->got_offer)
		step_fact(r, "offer", json_pack("{s:s,s:s}", "address", res->offer.yiaddr,
						"server", res->offer.server_id));
	if (res->got_offer)
		step_exchange(r, "dhcp", 0, 0, "DHCPOFFER %s", res->offer.yiaddr);
	if (res->cause) {
		step_exchange(r, "dhcp", 0, 1, "%s", res->cause == PB_CAUSE_DHCP_NAK ? "DHCPNAK"
			      : "no answer");
		step_done(r, res->cause, res->detail, NULL);
		return;
	}
	step_peer(r, "%s", l->server_id);
	if (res->requests)
		step_exchange(r, "dhcp", 1, 0, "DHCPREQUEST %s", l->yiaddr);
	step_exchange(r, "dhcp", 0, 0, "DHCPACK %s from %s", l->yiaddr, l->server_id);
	step_fact(r, "lease", lease_json(l));
	notes = json_array();
	/* what the device asked for and did not get; a device that never
	 * asks for option 120 (the CX700) is not told it is missing */
	if (l->sip_enc < 0 && asked(r->o->profile, 120))
		notes = jx_push(notes, json_string("the lease carries no option 120 "
						   "(SIP server)"));
	if (!l->has_43 && asked(r->o->profile, 43))
		notes = jx_push(notes, json_string("the lease carries no option 43"));
	voice_vlan_note(r, l, &notes);
	step_fact(r, "notes", notes);
	if (l->n_dns == 0) {
		step_done(r, PB_CAUSE_DHCP_NO_DNS, "the lease names no DNS server (option 6)", NULL);
		return;
	}
	if (r->o->dhcp_configure && !r->o->dhcp_inform) {
		if (dhcp_configure(r->o->dhcp_iface, l->yiaddr, l->subnet, err, sizeof(err)) < 0) {
			step_done(r, PB_CAUSE_DHCP_NO_OFFER, err, NULL);
			return;
		}
		d->configured = 1;
		step_factf(r, "configured", "%s/%s on %s (removed at the end)", l->yiaddr,
			   l->subnet, r->o->dhcp_iface);
	}
	for (i = 0; i < l->n_dns; i++)
		servers[i] = l->dns[i];
	engine_resolver_put(r->eng, d->resolver);
	d->resolver = NULL;
	rc = engine_resolver(r->eng, servers, l->n_dns, r->timeout_ms, &d->resolver, err,
			     sizeof(err));
	if (rc == PB_ERR_NOMEM) {
		step_internal(r, rc, err);
		return;
	}
	if (rc != PB_OK) {
		step_done(r, PB_CAUSE_DHCP_NO_DNS, err, NULL);
		return;
	}
	device_set_dns(d, servers, l->n_dns);
	snprintf(d->sip120, sizeof(d->sip120), "%s", l->n_sip ? l->sip[0] : "");
	memcpy(d->ntp, l->ntp, sizeof(d->ntp));     /* option 42, for the time step */
	d->n_ntp = l->n_ntp;
	step_done(r, PB_CAUSE_NONE, NULL, NULL);
}

static void start(struct step_run *r)
{
	const struct pb_profile *p = r->o->profile;
	struct ctx *c = r->ctx;
	struct dhcp_params dp;
	struct dhcp_port *port;
	json_t *prl = json_array();
	char err[200], mac[24];
	const uint8_t *m = r->dev->mac;
	size_t i;

	memset(&dp, 0, sizeof(dp));
	memcpy(dp.mac, m, 6);
	dp.vendor_class = p->dhcp_vendor_class;
	dp.prl = p->n_dhcp_request ? p->dhcp_request : default_prl;
	dp.n_prl = p->n_dhcp_request ? p->n_dhcp_request : sizeof(default_prl);
	dp.inform = r->o->dhcp_inform;
	/* RFC 2131 4.1 retransmits over a minute; a bounded wait here */
	dp.timeout_ms = r->timeout_ms * 3;
	for (i = 0; prl && i < dp.n_prl; i++)
		prl = jx_push(prl, json_integer(dp.prl[i]));
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		 m[4], m[5]);
	step_factf(r, "interface", "%s", r->o->dhcp_iface);
	step_fact(r, "client_mac", json_string(mac));
	step_fact(r, "vendor_class", dp.vendor_class ? json_string(dp.vendor_class) : json_null());
	step_fact(r, "parameter_request_list", prl);
	step_fact(r, "exchange", json_string(dp.inform ? "INFORM/ACK" : "DISCOVER/OFFER/REQUEST/ACK"));
	port = engine_dhcp_port(r->eng, r->o->dhcp_iface, err, sizeof(err));
	if (!port || dhcp_start(port, &dp, on_lease, r, &c->client, err, sizeof(err)) != PB_OK) {
		step_done(r, PB_CAUSE_DHCP_NO_OFFER, err, NULL);
		return;
	}
	step_exchange(r, "dhcp", 1, 0, "%s from %s (xid %08x)", dp.inform ? "DHCPINFORM"
		      : "DHCPDISCOVER", mac, dhcp_client_xid(c->client));
}

static void cancel(struct step_run *r)
{
	struct ctx *c = r->ctx;

	dhcp_stop(c->client);
	c->client = NULL;
}

const struct step_ops step_dhcp = {
	.id = PB_STEP_DHCP,
	.ctx_size = sizeof(struct ctx),
	.start = start,
	.cancel = cancel,
};

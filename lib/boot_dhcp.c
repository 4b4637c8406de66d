/* The dhcp step of the boot: a lease, every option a fact (docs/dhcp.md). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "boot_int.h"

/* ---- dhcp: the phone's network settings (RFC 2131) ---- */

static json_t *list16(char a[][16], size_t n)
{
	json_t *j = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(j, json_string(a[i]));
	return j;
}

static json_t *list256(char a[][256], size_t n)
{
	json_t *j = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(j, json_string(a[i]));
	return j;
}

/* Every option of the lease, decoded. */
static json_t *lease_json(const struct dhcp_lease *l)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:o,s:i,s:o}",
		"address", l->yiaddr, "server", l->server_id, "subnet_mask", l->subnet,
		"routers", list16((char (*)[16])l->routers, l->n_routers),
		"dns_servers", list16((char (*)[16])l->dns, l->n_dns),
		"hostname", l->hostname, "domain", l->domain,
		"ntp_servers", list16((char (*)[16])l->ntp, l->n_ntp),
		"lease_seconds", (int)l->lease_time,
		"domain_search", list256((char (*)[256])l->search, l->n_search));
	if (l->sip_enc >= 0)
		json_object_set_new(j, "sip_servers", json_pack("{s:s,s:o}", "encoding",
			l->sip_enc == 0 ? "names (RFC 3361 enc 0)" : "addresses (RFC 3361 enc 1)",
			"servers", list256((char (*)[256])l->sip, l->n_sip)));
	else
		json_object_set_new(j, "sip_servers", json_null());
	if (l->has_43) {
		json_t *o = json_pack("{s:s}", "hex", l->opt43_hex);

		if (l->ms_uc)
			json_object_set_new(o, "ms_uc_client", json_pack("{s:s,s:s,s:s,s:s,s:s}",
				"uc_identifier", l->uc_identifier, "url_scheme", l->uc_scheme,
				"web_server_fqdn", l->uc_fqdn, "web_server_port", l->uc_port,
				"cert_prov_path", l->uc_path));
		json_object_set_new(j, "vendor_specific_43", o);
	}
	if (l->vendor_class[0])
		json_object_set_new(j, "vendor_class_60", json_string(l->vendor_class));
	if (l->tftp_server[0])
		json_object_set_new(j, "tftp_server_66", json_string(l->tftp_server));
	if (l->n_tftp150)
		json_object_set_new(j, "tftp_servers_150",
				    list16((char (*)[16])l->tftp150, l->n_tftp150));
	return j;
}

static void on_lease(const struct dhcp_result *r, void *arg)
{
	struct boot *b = arg;
	const struct dhcp_lease *l = &r->ack;
	json_t *notes = json_array();
	char err[160];
	size_t i;

	dhcp_stop(b->dhcp);        /* done: its handles close on the loop */
	b->dhcp = NULL;
	dhcp_port_close(b->dhcp_port);
	b->dhcp_port = NULL;
	step_fact(b, "discovers", json_integer(r->discovers));
	step_fact(b, "requests", json_integer(r->requests));
	if (r->got_offer)
		step_fact(b, "offer", json_pack("{s:s,s:s}", "address", r->offer.yiaddr,
					   "server", r->offer.server_id));
	if (r->cause) {
		json_decref(notes);
		step_fail(b, r->cause, r->detail, NULL);
		return;
	}
	step_fact(b, "lease", lease_json(l));
	if (l->sip_enc < 0)
		json_array_append_new(notes, json_string("the lease carries no option 120 "
							 "(SIP server)"));
	if (!l->has_43)
		json_array_append_new(notes, json_string("the lease carries no option 43"));
	step_fact(b, "notes", notes);
	if (l->n_dns == 0) {
		step_fail(b, PB_CAUSE_DHCP_NO_DNS, "the lease names no DNS server (option 6)", NULL);
		return;
	}
	if (b->o->dhcp_configure && !b->o->dhcp_inform) {
		if (dhcp_configure(b->o->dhcp_iface, l->yiaddr, l->subnet, err, sizeof(err)) < 0) {
			step_fail(b, PB_CAUSE_DHCP_NO_OFFER, err, NULL);
			return;
		}
		b->configured = 1;
		step_factf(b, "configured", "%s/%s on %s (removed at the end)", l->yiaddr,
		      l->subnet, b->o->dhcp_iface);
	}
	for (i = 0; i < l->n_dns; i++) {
		snprintf(b->lease_dns[i], sizeof(b->lease_dns[i]), "%s", l->dns[i]);
		b->lease_dns_p[i] = b->lease_dns[i];
	}
	dns_free(b->dns);
	b->dns = NULL;
	snprintf(b->sip120, sizeof(b->sip120), "%s", l->n_sip ? l->sip[0] : "");
	b->servers = b->lease_dns_p;
	b->n_servers = l->n_dns;
	if (dns_new(b->loop, b->lease_dns_p, l->n_dns, b->timeout_ms, &b->dns, err,
		    sizeof(err)) != PB_OK) {
		step_fail(b, PB_CAUSE_DHCP_NO_DNS, err, NULL);
		return;
	}
	step_end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
	s_locate_dc(b);
}

void s_dhcp(struct boot *b)
{
	static const uint8_t default_prl[] = { 1, 3, 6, 12, 15, 42, 119, 120 };
	const struct pb_profile *p = b->o->profile;
	struct dhcp_params dp;
	struct dhcp_client *c = NULL;
	json_t *prl = json_array();
	char err[200], mac[24];
	size_t i;

	step_begin(b, PB_STEP_DHCP);
	memset(&dp, 0, sizeof(dp));
	memcpy(dp.mac, b->mac, 6);
	dp.vendor_class = p->dhcp_vendor_class;
	dp.prl = p->n_dhcp_request ? p->dhcp_request : default_prl;
	dp.n_prl = p->n_dhcp_request ? p->n_dhcp_request : sizeof(default_prl);
	dp.inform = b->o->dhcp_inform;
	/* RFC 2131 4.1 retransmits over a minute; a bounded wait here */
	dp.timeout_ms = b->timeout_ms * 3;
	for (i = 0; i < dp.n_prl; i++)
		json_array_append_new(prl, json_integer(dp.prl[i]));
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", b->mac[0], b->mac[1],
		 b->mac[2], b->mac[3], b->mac[4], b->mac[5]);
	step_factf(b, "interface", "%s", b->o->dhcp_iface);
	step_fact(b, "client_mac", json_string(mac));
	step_fact(b, "vendor_class", dp.vendor_class ? json_string(dp.vendor_class) : json_null());
	step_fact(b, "parameter_request_list", prl);
	step_fact(b, "exchange", json_string(dp.inform ? "INFORM/ACK" : "DISCOVER/OFFER/REQUEST/ACK"));
	if (dhcp_port_open(b->loop, b->o->dhcp_iface, &b->dhcp_port, err, sizeof(err)) != PB_OK ||
	    dhcp_start(b->dhcp_port, &dp, on_lease, b, &c, err, sizeof(err)) != PB_OK) {
		dhcp_port_close(b->dhcp_port);
		b->dhcp_port = NULL;
		step_fail(b, PB_CAUSE_DHCP_NO_OFFER, err, NULL);
		return;
	}
	b->dhcp = c;
}

/* A stable locally administered MAC for this device and identity: FNV-1a
 * over "profile|user@domain", first octet 02 (RFC 7042 2.1). */
void stable_mac(const struct pb_logon_opts *o, uint8_t mac[6])
{
	char s[600];
	uint64_t h = 1469598103934665603ULL;
	size_t i, n = (size_t)snprintf(s, sizeof(s), "%s|%s@%s", o->profile->id, o->user, o->domain);

	for (i = 0; i < n && i < sizeof(s); i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	mac[0] = 0x02;
	for (i = 1; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * (i - 1)));
}


/* The sequencer: one emulated boot as cycles of steps (DESIGN.md section
 * 2), every step a non-blocking state on one libuv loop. It knows flows and
 * steps, not packet formats: dns/, ldap/, tls/, sip/ do the protocols.
 *
 * Best-effort steps (locate-dc, download-root, install-root) record their
 * failure and the boot goes on with the trust store it has; a failure in
 * locate-pool, connect, authenticate or register ends the cycle, and the
 * next cycle starts from the top, as the device does. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "boot.h"
#include "dhcp/dhcp.h"
#include "dns/dns.h"
#include "ldap/dir.h"
#include "sip/sip.h"
#include "tls/tls.h"

#define MAX_ROOTS DIR_MAX_CERTS
#define MAX_CANDS 12
#define MAX_REDIRECTS 3

struct cand {
	char name[300];
	int srv;                     /* SRV lookup, else A */
	unsigned short port;         /* for A lookups */
};

struct boot {
	uv_loop_t *loop;
	const struct pb_logon_opts *o;
	struct dns *dns;
	boot_done_cb *done;
	void *arg;
	unsigned cycle, attempts, timeout_ms;
	int use_dhcp, configured;
	struct dhcp_client *dhcp;
	uint8_t mac[6];
	char lease_dns[DHCP_MAX_LIST][24];
	const char *lease_dns_p[DHCP_MAX_LIST];

	json_t *steps, *last_steps, *cycle_log;
	enum pb_step step;
	uint64_t t0;
	json_t *facts;

	struct pb_trust *trust;      /* built-in roots + installed ones */
	unsigned char *root_der[MAX_ROOTS];
	size_t root_len[MAX_ROOTS], n_roots;
	struct pb_chain *rejected[MAX_ROOTS];
	size_t n_rejected;

	char dc_name[256], dc_addr[64];
	unsigned dc_port;

	struct cand cands[MAX_CANDS];
	size_t n_cands, ci;
	json_t *lookups;
	enum pb_cause lookup_cause;
	char lookup_detail[200];
	char pool_name[256], pool_addr[64];
	unsigned pool_port;

	struct tls_conn *tls;
	struct pb_chain *peer_chain;

	uv_timer_t timer;
	char local[80], call_id[64], tag[24];
	unsigned cseq, nc;
	int challenged, stale_retry, redirects;
	char scheme[24];

	enum pb_step fail_step, prev_step;
	enum pb_cause fail_cause, prev_cause;
	int prev_failed, signed_in;
	const char *outcome;
	char target[300];
};

static void s_dhcp(struct boot *b);
static void s_locate_dc(struct boot *b);
static void s_download(struct boot *b);
static void s_install(struct boot *b);
static void s_locate_pool(struct boot *b);
static void s_connect(struct boot *b);
static void s_authenticate(struct boot *b);
static void cycle_start(struct boot *b);
static void cycle_end(struct boot *b, int ok);

/* ---- the step record ---- */

static const char *screen(const struct boot *b, enum pb_step s)
{
	const char *t = b->o->profile->screen[s];

	return t ? t : pb_step_str(s);
}

static void begin(struct boot *b, enum pb_step s)
{
	b->step = s;
	b->t0 = uv_hrtime();
	b->facts = json_object();
}

static void fact(struct boot *b, const char *key, json_t *v)
{
	json_object_set_new(b->facts, key, v ? v : json_null());
}

static void factf(struct boot *b, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void factf(struct boot *b, const char *key, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fact(b, key, json_string(buf));
}

/* Close the current step: result "ok", "fail" or "skipped". */
static void end(struct boot *b, const char *result, enum pb_cause cause,
		const char *detail, json_t *also)
{
	json_t *e = json_pack("{s:s,s:s,s:s,s:f,s:o,s:o}", "step", pb_step_str(b->step),
			      "screen", screen(b, b->step), "result", result,
			      "ms", (double)(uv_hrtime() - b->t0) / 1e6,
			      "facts", b->facts ? b->facts : json_object(),
			      "cause", cause ? json_string(pb_cause_str(cause)) : json_null());
	if (detail && *detail)
		json_object_set_new(e, "detail", json_string(detail));
	if (also && json_array_size(also))
		json_object_set_new(e, "also", also);
	else
		json_decref(also);
	b->facts = NULL;
	json_array_append_new(b->steps, e);
}

static void skipped(struct boot *b, enum pb_step s, const char *why)
{
	begin(b, s);
	b->t0 = uv_hrtime();
	end(b, "skipped", PB_CAUSE_NONE, why, NULL);
}

/* A fatal failure: the cycle ends here. */
static void fail(struct boot *b, enum pb_cause cause, const char *detail, json_t *also)
{
	end(b, "fail", cause, detail, also);
	b->fail_step = b->step;
	b->fail_cause = cause;
	cycle_end(b, 0);
}

/* Add cause c to the "also" list unless it is the primary or already there. */
static void also_add(json_t *also, enum pb_cause c, enum pb_cause primary)
{
	const char *name = pb_cause_str(c);
	json_t *v;
	size_t i;

	if (c == primary)
		return;
	json_array_foreach(also, i, v)
		if (!strcmp(json_string_value(v), name))
			return;
	json_array_append_new(also, json_string(name));
}

static void rnd_hex(char *out, size_t bytes)
{
	unsigned char r[32];
	size_t i;

	if (bytes > sizeof(r))
		bytes = sizeof(r);
	if (uv_random(NULL, NULL, r, bytes, 0, NULL) != 0)
		for (i = 0; i < bytes; i++)
			r[i] = (unsigned char)rand();
	for (i = 0; i < bytes; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

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
	fact(b, "discovers", json_integer(r->discovers));
	fact(b, "requests", json_integer(r->requests));
	if (r->got_offer)
		fact(b, "offer", json_pack("{s:s,s:s}", "address", r->offer.yiaddr,
					   "server", r->offer.server_id));
	if (r->cause) {
		json_decref(notes);
		fail(b, r->cause, r->detail, NULL);
		return;
	}
	fact(b, "lease", lease_json(l));
	if (l->sip_enc < 0)
		json_array_append_new(notes, json_string("the lease carries no option 120 "
							 "(SIP server)"));
	if (!l->has_43)
		json_array_append_new(notes, json_string("the lease carries no option 43"));
	fact(b, "notes", notes);
	if (l->n_dns == 0) {
		fail(b, PB_CAUSE_DHCP_NO_DNS, "the lease names no DNS server (option 6)", NULL);
		return;
	}
	if (b->o->dhcp_configure && !b->o->dhcp_inform) {
		if (dhcp_configure(b->o->dhcp_iface, l->yiaddr, l->subnet, err, sizeof(err)) < 0) {
			fail(b, PB_CAUSE_DHCP_NO_OFFER, err, NULL);
			return;
		}
		b->configured = 1;
		factf(b, "configured", "%s/%s on %s (removed at the end)", l->yiaddr,
		      l->subnet, b->o->dhcp_iface);
	}
	for (i = 0; i < l->n_dns; i++) {
		snprintf(b->lease_dns[i], sizeof(b->lease_dns[i]), "%s", l->dns[i]);
		b->lease_dns_p[i] = b->lease_dns[i];
	}
	dns_free(b->dns);
	b->dns = NULL;
	if (dns_new(b->loop, b->lease_dns_p, l->n_dns, b->timeout_ms, &b->dns, err,
		    sizeof(err)) != PB_OK) {
		fail(b, PB_CAUSE_DHCP_NO_DNS, err, NULL);
		return;
	}
	end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
	s_locate_dc(b);
}

static void s_dhcp(struct boot *b)
{
	static const uint8_t default_prl[] = { 1, 3, 6, 12, 15, 42, 119, 120 };
	const struct pb_profile *p = b->o->profile;
	struct dhcp_params dp;
	struct dhcp_client *c = NULL;
	json_t *prl = json_array();
	char err[200], mac[24];
	size_t i;

	begin(b, PB_STEP_DHCP);
	memset(&dp, 0, sizeof(dp));
	dp.iface = b->o->dhcp_iface;
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
	factf(b, "interface", "%s", dp.iface);
	fact(b, "client_mac", json_string(mac));
	fact(b, "vendor_class", dp.vendor_class ? json_string(dp.vendor_class) : json_null());
	fact(b, "parameter_request_list", prl);
	fact(b, "exchange", json_string(dp.inform ? "INFORM/ACK" : "DISCOVER/OFFER/REQUEST/ACK"));
	if (dhcp_start(b->loop, &dp, on_lease, b, &c, err, sizeof(err)) != PB_OK) {
		fail(b, PB_CAUSE_DHCP_NO_OFFER, err, NULL);
		return;
	}
	b->dhcp = c;
}

/* A stable locally administered MAC for this device and identity: FNV-1a
 * over "profile|user@domain", first octet 02 (RFC 7042 2.1). */
static void stable_mac(const struct pb_logon_opts *o, uint8_t mac[6])
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

/* ---- locate-dc: SRV _ldap._tcp.dc._msdcs.<domain> (MS-ADTS 6.3.6.1) ---- */

static json_t *srv_json(const struct dns_result *r)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < r->n_srv; i++)
		json_array_append_new(a, json_sprintf("%u %u %u %s", r->srv[i].priority,
						      r->srv[i].weight, r->srv[i].port,
						      r->srv[i].target));
	return a;
}

/* locate-dc is best effort: record the failure, skip what needs the DC,
 * and go on with the trust store the device has. */
static void dc_failed(struct boot *b, enum pb_cause cause, const char *detail)
{
	end(b, "fail", cause, detail, NULL);
	skipped(b, PB_STEP_DOWNLOAD_ROOT, "no domain controller");
	skipped(b, PB_STEP_INSTALL_ROOT, "no certificate downloaded");
	s_locate_pool(b);
}

static void on_dc_a(const struct dns_result *r, void *arg)
{
	struct boot *b = arg;

	if (r->cause) {
		dc_failed(b, r->cause, r->detail);
		return;
	}
	snprintf(b->dc_addr, sizeof(b->dc_addr), "%s", r->addr[0]);
	factf(b, "dc", "%s:%u (%s)", b->dc_name, b->dc_port, b->dc_addr);
	end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
	s_download(b);
}

static void on_dc_srv(const struct dns_result *r, void *arg)
{
	struct boot *b = arg;

	fact(b, "records", srv_json(r));
	if (r->cause) {
		dc_failed(b, r->cause, r->detail);
		return;
	}
	snprintf(b->dc_name, sizeof(b->dc_name), "%s", r->srv[0].target);
	b->dc_port = r->srv[0].port;
	dns_query(b->dns, b->dc_name, "A", on_dc_a, b);
}

static void s_locate_dc(struct boot *b)
{
	char name[300];

	begin(b, PB_STEP_LOCATE_DC);
	snprintf(name, sizeof(name), "_ldap._tcp.dc._msdcs.%s", b->o->domain);
	factf(b, "query", "SRV %s", name);
	dns_query(b->dns, name, "SRV", on_dc_srv, b);
}

/* ---- download-root: cACertificate from the directory ---- */

static void on_roots(struct dir_result *r, void *arg)
{
	struct boot *b = arg;
	json_t *entries = json_array();
	size_t i;

	factf(b, "server", "ldap://%s:%u", b->dc_addr, b->dc_port);
	fact(b, "bind", json_string(r->bind[0] ? r->bind : "(none)"));
	fact(b, "base", json_string(r->base));
	for (i = 0; i < r->n && b->n_roots < MAX_ROOTS; i++) {
		json_array_append_new(entries, json_pack("{s:s,s:i}", "entry", r->entry[i],
							 "bytes", (int)r->der_len[i]));
		b->root_der[b->n_roots] = r->der[i];   /* taken over */
		b->root_len[b->n_roots++] = r->der_len[i];
		r->der[i] = NULL;
	}
	fact(b, "certificates", entries);
	if (r->cause) {
		end(b, "fail", r->cause, r->detail, NULL);
		skipped(b, PB_STEP_INSTALL_ROOT, "no certificate downloaded");
		s_locate_pool(b);
		return;
	}
	end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
	s_install(b);
}

static void s_download(struct boot *b)
{
	begin(b, PB_STEP_DOWNLOAD_ROOT);
	if (dir_fetch_roots(b->loop, b->dc_addr, b->dc_port, b->o->domain, b->o->user,
			    b->o->password, b->timeout_ms, on_roots, b) != PB_OK) {
		end(b, "fail", PB_CAUSE_LDAP_UNREACHABLE, "could not start the directory query", NULL);
		skipped(b, PB_STEP_INSTALL_ROOT, "no certificate downloaded");
		s_locate_pool(b);
	}
}

/* ---- install-root: each root judged by the profile ---- */

static json_t *cert_json(const struct pb_cert_info *in)
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

static void s_install(struct boot *b)
{
	struct pb_judge_opts jo = { b->o->now, NULL, 0 };
	json_t *roots = json_array(), *also = json_array();
	enum pb_cause first = PB_CAUSE_NONE;
	char detail[300] = "";
	size_t i, k, installed = 0;

	begin(b, PB_STEP_INSTALL_ROOT);
	for (i = 0; i < b->n_roots; i++) {
		const unsigned char *der = b->root_der[i];
		struct pb_chain *c = NULL;
		struct pb_verdict *v = NULL;
		json_t *e, *why;

		if (pb_chain_from_der_list(&der, &b->root_len[i], 1, NULL, &c) != PB_OK ||
		    pb_judge(c, b->o->profile, &jo, &v) != PB_OK) {
			pb_chain_free(c);
			continue;
		}
		e = cert_json(pb_chain_cert(c, 0));
		why = json_array();
		/* a root alone: its own chain is complete or it is no root */
		for (k = 0; k < v->n; k++) {
			json_array_append_new(why, json_pack("{s:s,s:s}", "cause",
				pb_cause_str(v->findings[k].cause), "text", v->findings[k].text));
			if (!first) {
				first = v->findings[k].cause;
				snprintf(detail, sizeof(detail), "%s", v->findings[k].text);
			} else {
				also_add(also, v->findings[k].cause, first);
			}
		}
		json_object_set_new(e, "installed", json_boolean(v->usable));
		json_object_set_new(e, "reasons", why);
		json_array_append_new(roots, e);
		if (v->usable) {
			pb_trust_add_der(b->trust, der, b->root_len[i]);
			installed++;
			pb_chain_free(c);
		} else if (b->n_rejected < MAX_ROOTS) {
			b->rejected[b->n_rejected++] = c;
		} else {
			pb_chain_free(c);
		}
		pb_verdict_free(v);
	}
	fact(b, "roots", roots);
	fact(b, "trust_store", json_integer((json_int_t)pb_trust_count(b->trust)));
	if (!installed) {
		end(b, "fail", first ? first : PB_CAUSE_CERT_MALFORMED,
		    first ? detail : "no downloaded certificate could be read", also);
	} else {
		json_decref(also);
		end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
	}
	s_locate_pool(b);
}

/* ---- locate-pool: the flow's lookup order ---- */

static void add_cand(struct boot *b, int srv, unsigned short port, const char *prefix,
		     const char *domain)
{
	struct cand *c;

	if (b->n_cands == MAX_CANDS)
		return;
	c = &b->cands[b->n_cands++];
	c->srv = srv;
	c->port = port;
	snprintf(c->name, sizeof(c->name), "%s%s", prefix, domain);
}

static void plan_lookups(struct boot *b)
{
	const char *d = b->o->domain;

	b->n_cands = 0;
	switch (b->o->profile->flow) {
	case PB_FLOW_OCPE:
	case PB_FLOW_LPE:
		/* OCS 2007 R2 order (MS doc a22cf815, facts.md 1a-5); the TCP
		 * record _sipinternal._tcp is not tried: the emulation speaks TLS */
		add_cand(b, 1, 0, "_sipinternaltls._tcp.", d);
		add_cand(b, 1, 0, "_sip._tls.", d);
		add_cand(b, 0, 5061, "sipinternal.", d);
		add_cand(b, 0, 443, "sipinternal.", d);
		add_cand(b, 0, 5061, "sip.", d);
		add_cand(b, 0, 443, "sip.", d);
		add_cand(b, 0, 5061, "sipexternal.", d);
		add_cand(b, 0, 443, "sipexternal.", d);
		break;
	case PB_FLOW_SIP:
		/* RFC 3263 4.1 without NAPTR: SRV for TLS, then the domain's
		 * address on 5061; sip.<domain> is the phone vendors' habit */
		add_cand(b, 1, 0, "_sips._tcp.", d);
		add_cand(b, 1, 0, "_sip._tls.", d);
		add_cand(b, 0, 5061, "", d);
		add_cand(b, 0, 5061, "sip.", d);
		break;
	}
}

static void next_lookup(struct boot *b);

/* One lookup of the flow's order failed: keep the first cause, and stop
 * when the server does not answer at all (every other lookup would wait
 * as long); else try the next. */
static void lookup_failed(struct boot *b, const struct dns_result *r)
{
	if (!b->lookup_cause) {
		b->lookup_cause = r->cause;
		snprintf(b->lookup_detail, sizeof(b->lookup_detail), "%s", r->detail);
	}
	if (r->cause == PB_CAUSE_DNS_TIMEOUT)
		b->ci = b->n_cands;
	next_lookup(b);
}

static void on_pool_a(const struct dns_result *r, void *arg)
{
	struct boot *b = arg;

	json_array_append_new(b->lookups, json_pack("{s:s,s:s,s:o}", "query",
		"A", "name", b->pool_name, "answer",
		r->cause ? json_string(pb_cause_str(r->cause)) : json_string(r->addr[0])));
	if (r->cause) {
		lookup_failed(b, r);
		return;
	}
	snprintf(b->pool_addr, sizeof(b->pool_addr), "%s", r->addr[0]);
	fact(b, "lookups", json_incref(b->lookups));
	factf(b, "pool", "%s:%u (%s)", b->pool_name, b->pool_port, b->pool_addr);
	snprintf(b->target, sizeof(b->target), "%s:%u", b->pool_name, b->pool_port);
	end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
	s_connect(b);
}

static void on_pool_srv(const struct dns_result *r, void *arg)
{
	struct boot *b = arg;
	const struct cand *c = &b->cands[b->ci - 1];

	json_array_append_new(b->lookups, json_pack("{s:s,s:s,s:o}", "query", "SRV",
		"name", c->name, "answer",
		r->cause ? json_string(pb_cause_str(r->cause)) : srv_json(r)));
	if (r->cause) {
		lookup_failed(b, r);
		return;
	}
	snprintf(b->pool_name, sizeof(b->pool_name), "%s", r->srv[0].target);
	b->pool_port = r->srv[0].port;
	dns_query(b->dns, b->pool_name, "A", on_pool_a, b);
}

static void next_lookup(struct boot *b)
{
	const struct cand *c;

	if (b->ci >= b->n_cands) {
		fact(b, "lookups", json_incref(b->lookups));
		fail(b, b->lookup_cause ? b->lookup_cause : PB_CAUSE_DNS_NO_RECORDS,
		     b->lookup_cause == PB_CAUSE_DNS_TIMEOUT
		     ? "no DNS server answered; further lookups were not tried"
		     : "no record leads to a SIP server", NULL);
		return;
	}
	c = &b->cands[b->ci++];
	if (c->srv) {
		dns_query(b->dns, c->name, "SRV", on_pool_srv, b);
	} else {
		snprintf(b->pool_name, sizeof(b->pool_name), "%s", c->name);
		b->pool_port = c->port;
		dns_query(b->dns, c->name, "A", on_pool_a, b);
	}
}

static void s_locate_pool(struct boot *b)
{
	begin(b, PB_STEP_LOCATE_POOL);
	plan_lookups(b);
	b->ci = 0;
	b->lookup_cause = PB_CAUSE_NONE;
	json_decref(b->lookups);
	b->lookups = json_array();
	next_lookup(b);
}

/* ---- connect: TCP, TLS as the device, then the device's judgement ---- */

static int cause_rank(enum pb_cause c)
{
	/* the order the device checks: trust, then its limits, then the name */
	switch (c) {
	case PB_CAUSE_CERT_UNTRUSTED_ROOT:
	case PB_CAUSE_CERT_CHAIN_INCOMPLETE: return 0;
	case PB_CAUSE_CERT_NAME_MISMATCH:
	case PB_CAUSE_CERT_WILDCARD_UNSUPPORTED: return 2;
	default: return 1;
	}
}

static void judge_peer(struct boot *b)
{
	struct pb_judge_opts jo = { b->o->now, b->pool_name, 1 };
	struct pb_verdict *v = NULL;
	json_t *chain = json_array(), *why = json_array(), *also = json_array();
	size_t i, best = 0;

	b->peer_chain = tls_peer_chain(b->tls, b->trust);
	if (!b->peer_chain) {
		fail(b, PB_CAUSE_TLS_HANDSHAKE_FAILED, "the server sent no certificate", NULL);
		return;
	}
	for (i = 0; i < pb_chain_len(b->peer_chain); i++)
		json_array_append_new(chain, cert_json(pb_chain_cert(b->peer_chain, i)));
	fact(b, "chain", chain);
	fact(b, "trusted_root", json_boolean(pb_chain_trusted(b->peer_chain)));
	if (pb_judge(b->peer_chain, b->o->profile, &jo, &v) != PB_OK) {
		fail(b, PB_CAUSE_CERT_MALFORMED, "out of memory", NULL);
		return;
	}
	for (i = 0; i < v->n; i++) {
		json_array_append_new(why, json_pack("{s:s,s:s}", "cause",
			pb_cause_str(v->findings[i].cause), "text", v->findings[i].text));
		if (cause_rank(v->findings[i].cause) < cause_rank(v->findings[best].cause))
			best = i;
	}
	fact(b, "findings", why);
	if (v->usable) {
		pb_verdict_free(v);
		json_decref(also);
		end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
		s_authenticate(b);
		return;
	}
	for (i = 0; i < v->n; i++)
		also_add(also, v->findings[i].cause, v->findings[best].cause);
	{
		enum pb_cause c = v->findings[best].cause;
		char text[256];

		snprintf(text, sizeof(text), "%s", v->findings[best].text);
		pb_verdict_free(v);
		fail(b, c, text, also);
	}
}

static void on_sip_event(struct tls_conn *c, enum tls_event ev, void *arg);

static void s_connect(struct boot *b)
{
	const struct pb_profile *p = b->o->profile;
	struct tls_params tp;
	struct sockaddr_in sa;

	begin(b, PB_STEP_CONNECT);
	factf(b, "server", "%s:%u (%s)", b->pool_name, b->pool_port, b->pool_addr);
	memset(&tp, 0, sizeof(tp));
	tp.versions = p->tls_versions;
	tp.ciphers = (const char *const *)p->ciphers;
	tp.n_ciphers = p->n_ciphers;
	tp.sigalgs = p->n_sigalgs ? (const char *const *)p->sigalgs : NULL;
	tp.n_sigalgs = p->n_sigalgs;
	tp.sni = p->sni ? b->pool_name : NULL;
	tp.timeout_ms = b->timeout_ms;
	fact(b, "sni", tp.sni ? json_string(tp.sni) : json_null());
	if (uv_ip4_addr(b->pool_addr, (int)b->pool_port, &sa) != 0) {
		fail(b, PB_CAUSE_TCP_UNREACHABLE, "not an IPv4 address", NULL);
		return;
	}
	if (tls_connect(b->loop, (struct sockaddr *)&sa, sizeof(sa), &tp, on_sip_event, b,
			&b->tls) != PB_OK) {
		fail(b, PB_CAUSE_TCP_UNREACHABLE, "could not open a socket", NULL);
		return;
	}
}

/* ---- authenticate and register: SIP REGISTER (RFC 3261 10) ---- */

static void on_sip_timeout(uv_timer_t *t)
{
	struct boot *b = t->data;

	fail(b, PB_CAUSE_SIP_TIMEOUT, "no SIP response within the timeout", NULL);
}

static void send_register(struct boot *b, const char *authorization)
{
	char msg[4096], branch[33];
	int n;

	rnd_hex(branch, 16);
	b->cseq++;
	n = snprintf(msg, sizeof(msg),
		     "REGISTER sip:%s SIP/2.0\r\n"
		     "Via: SIP/2.0/TLS %s;branch=z9hG4bK%s;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:%s@%s>;tag=%s\r\n"
		     "To: <sip:%s@%s>\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: %u REGISTER\r\n"
		     "Contact: <sip:%s@%s;transport=tls>\r\n"
		     "Expires: 3600\r\n"
		     "User-Agent: phoneboot/0.1.0 (%s)\r\n"
		     "%s%s%s"
		     "Content-Length: 0\r\n\r\n",
		     b->o->domain, b->local, branch, b->o->user, b->o->domain, b->tag,
		     b->o->user, b->o->domain, b->call_id, b->cseq, b->o->user, b->local,
		     b->o->profile->id,
		     authorization ? "Authorization: " : "",
		     authorization ? authorization : "", authorization ? "\r\n" : "");
	if (n > 0 && (size_t)n < sizeof(msg))
		tls_send(b->tls, msg, (size_t)n);
	explicit_bzero(msg, sizeof(msg));
	uv_timer_start(&b->timer, on_sip_timeout, b->timeout_ms * 2, 0);
}

static unsigned scheme_bit(const char *s)
{
	if (!strcasecmp(s, "Digest")) return PB_AUTH_DIGEST;
	if (!strcasecmp(s, "NTLM")) return PB_AUTH_NTLM;
	if (!strcasecmp(s, "Kerberos") || !strcasecmp(s, "Negotiate")) return PB_AUTH_KERBEROS;
	if (!strcasecmp(s, "TLS-DSK")) return PB_AUTH_TLS_DSK;
	return 0;
}

static void answer_challenge(struct boot *b, const struct sip_response *m)
{
	unsigned speaks = b->o->auth ? b->o->auth : b->o->profile->auth;
	const struct sip_challenge *ch = NULL;
	json_t *offered = json_array();
	char buf[1024], cnonce[33], speaks_s[96];
	size_t i;

	for (i = 0; i < m->n_ch; i++) {
		json_array_append_new(offered, json_string(m->ch[i].scheme));
		if (!ch && (scheme_bit(m->ch[i].scheme) & speaks))
			ch = &m->ch[i];
	}
	pb_auth_describe(speaks, speaks_s, sizeof(speaks_s));
	fact(b, "offered", offered);
	fact(b, "device_speaks", json_string(speaks_s));
	fact(b, "overridden", json_boolean(b->o->auth != 0));
	if (!ch) {
		snprintf(buf, sizeof(buf), "the registrar offers no scheme the device "
			 "speaks (%s)%s", speaks_s,
			 b->o->auth ? "" : "; --auth SCHEME overrides the profile");
		fail(b, PB_CAUSE_SIP_AUTH_SCHEME_UNSUPPORTED, buf, NULL);
		return;
	}
	fact(b, "scheme", json_string(ch->scheme));
	if (scheme_bit(ch->scheme) != PB_AUTH_DIGEST) {
		snprintf(buf, sizeof(buf), "the device would answer with %s, which "
			 "phoneboot does not speak yet", ch->scheme);
		fail(b, PB_CAUSE_SIP_AUTH_SCHEME_UNSUPPORTED, buf, NULL);
		return;
	}
	factf(b, "challenge", "realm=\"%s\" algorithm=%s qop=%s%s", ch->realm,
	      ch->algorithm, ch->qop_auth ? "auth" : "(none)", ch->stale ? " stale" : "");
	if (!b->o->password) {
		fail(b, PB_CAUSE_SIP_AUTH_FAILED, "no password was given", NULL);
		return;
	}
	rnd_hex(cnonce, 16);
	if (sip_digest_answer(ch, b->o->user, b->o->password, "REGISTER",
			      (snprintf(speaks_s, sizeof(speaks_s), "sip:%s", b->o->domain),
			       speaks_s), ++b->nc, cnonce, buf, sizeof(buf)) != 0) {
		snprintf(buf, sizeof(buf), "Digest algorithm %s is not supported", ch->algorithm);
		fail(b, PB_CAUSE_SIP_AUTH_SCHEME_UNSUPPORTED, buf, NULL);
		return;
	}
	snprintf(b->scheme, sizeof(b->scheme), "%s", ch->scheme);
	b->challenged = 1;
	send_register(b, buf);
	explicit_bzero(buf, sizeof(buf));
	if (b->step == PB_STEP_AUTHENTICATE) {
		end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
		begin(b, PB_STEP_REGISTER);
	}
}

/* Contact URI sip:[user@]host[:port][;params] -> host, port */
static int contact_target(const char *uri, char *host, size_t hl, unsigned *port)
{
	const char *p = uri, *end;
	size_t n;

	if (!strncasecmp(p, "sips:", 5))
		p += 5;
	else if (!strncasecmp(p, "sip:", 4))
		p += 4;
	else
		return -1;
	if (strchr(p, '@') && strchr(p, '@') < p + strcspn(p, ";>"))
		p = strchr(p, '@') + 1;
	n = strcspn(p, ":;>");
	if (n == 0 || n >= hl)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	*port = 5061;
	if (p[n] == ':') {
		char *e;
		unsigned long v = strtoul(p + n + 1, &e, 10);
		end = e;
		if (v == 0 || v > 65535 || (end && *end && !strchr(";>", *end)))
			return -1;
		*port = (unsigned)v;
	}
	return 0;
}

static void on_redirect_a(const struct dns_result *r, void *arg)
{
	struct boot *b = arg;

	if (r->cause) {
		fail(b, r->cause, r->detail, NULL);
		return;
	}
	snprintf(b->pool_addr, sizeof(b->pool_addr), "%s", r->addr[0]);
	snprintf(b->target, sizeof(b->target), "%s:%u", b->pool_name, b->pool_port);
	end(b, "ok", PB_CAUSE_NONE, "redirected", NULL);
	s_connect(b);
}

static void redirect(struct boot *b, const struct sip_response *m)
{
	char host[256];
	unsigned port;
	struct in_addr ia;

	factf(b, "redirect", "%d %s -> %s", m->code, m->reason, m->contact);
	if (++b->redirects > MAX_REDIRECTS) {
		fail(b, PB_CAUSE_SIP_REDIRECT_LOOP, "more than 3 redirections", NULL);
		return;
	}
	if (contact_target(m->contact, host, sizeof(host), &port) < 0) {
		fail(b, PB_CAUSE_SIP_BAD_RESPONSE, "a redirection without a usable Contact", NULL);
		return;
	}
	if (!strcasecmp(host, b->pool_name) && port == b->pool_port) {
		fail(b, PB_CAUSE_SIP_REDIRECT_LOOP, "redirected to the server itself", NULL);
		return;
	}
	tls_close(b->tls);
	b->tls = NULL;
	pb_chain_free(b->peer_chain);
	b->peer_chain = NULL;
	snprintf(b->pool_name, sizeof(b->pool_name), "%s", host);
	b->pool_port = port;
	b->challenged = 0;
	b->nc = 0;
	if (inet_pton(AF_INET, host, &ia) == 1) {
		struct dns_result r;

		memset(&r, 0, sizeof(r));
		snprintf(r.addr[0], sizeof(r.addr[0]), "%s", host);
		r.n_addr = 1;
		on_redirect_a(&r, b);
		return;
	}
	dns_query(b->dns, host, "A", on_redirect_a, b);
}

static void on_response(struct boot *b, const struct sip_response *m)
{
	char status[160];

	snprintf(status, sizeof(status), "SIP/2.0 %d %s", m->code, m->reason);
	if (m->code < 200)
		return;                 /* provisional: wait for the final answer */
	uv_timer_stop(&b->timer);
	json_object_set_new(b->facts, b->challenged ? "status" : "first_status",
			    json_string(status));
	if (m->server[0])
		fact(b, "server_header", json_string(m->server));
	switch (m->code) {
	case 200: {
		long exp = m->contact_expires >= 0 ? m->contact_expires : m->expires;

		if (b->step == PB_STEP_AUTHENTICATE) {
			/* no challenge: authenticated by the transport */
			fact(b, "scheme", json_string("none (no challenge)"));
			end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
			begin(b, PB_STEP_REGISTER);
			fact(b, "status", json_string(status));
		}
		fact(b, "expires", exp >= 0 ? json_integer(exp) : json_null());
		fact(b, "contact", json_string(m->contact));
		end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
		cycle_end(b, 1);
		return;
	}
	case 401:
	case 407:
		if (b->challenged) {
			size_t i;
			int stale = 0;

			for (i = 0; i < m->n_ch; i++)
				stale |= m->ch[i].stale;
			if (stale && !b->stale_retry++) {
				answer_challenge(b, m);
				return;
			}
			fail(b, PB_CAUSE_SIP_AUTH_FAILED, "the registrar challenged the "
			     "answer again: the credentials were refused", NULL);
			return;
		}
		answer_challenge(b, m);
		return;
	case 403:
		fail(b, b->challenged ? PB_CAUSE_SIP_AUTH_FAILED : PB_CAUSE_SIP_FORBIDDEN,
		     b->challenged ? "403 Forbidden after the Digest answer: the "
		     "credentials were refused" : "403 Forbidden without a challenge", NULL);
		return;
	case 404:
		fail(b, PB_CAUSE_SIP_NOT_FOUND, "404: the registrar does not know this user", NULL);
		return;
	case 301:
	case 302:
		redirect(b, m);
		return;
	default:
		fail(b, PB_CAUSE_SIP_BAD_RESPONSE, status, NULL);
	}
}

static void on_sip_event(struct tls_conn *c, enum tls_event ev, void *arg)
{
	struct boot *b = arg;
	const char *buf;
	size_t len;

	switch (ev) {
	case TLS_EV_READY:
		fact(b, "tls_version", json_string(tls_version(c)));
		fact(b, "cipher", json_string(tls_cipher(c)));
		factf(b, "handshake_ms", "%.1f", tls_handshake_ms(c));
		if (*tls_unavailable(c))
			fact(b, "suites_not_offered", json_string(tls_unavailable(c)));
		tls_local_addr(c, b->local, sizeof(b->local));
		judge_peer(b);
		return;
	case TLS_EV_FAILED:
		if (b->step == PB_STEP_CONNECT) {
			if (tls_alert(c) >= 0)
				fact(b, "alert", json_integer(tls_alert(c)));
			if (*tls_unavailable(c))
				fact(b, "suites_not_offered", json_string(tls_unavailable(c)));
			fail(b, tls_cause(c), tls_detail(c), NULL);
		} else {
			uv_timer_stop(&b->timer);
			fail(b, PB_CAUSE_SIP_BAD_RESPONSE, tls_detail(c), NULL);
		}
		return;
	case TLS_EV_CLOSED:
		uv_timer_stop(&b->timer);
		fail(b, PB_CAUSE_SIP_BAD_RESPONSE, "the server closed the connection", NULL);
		return;
	case TLS_EV_DATA:
		while ((buf = tls_inbuf(c, &len)) && len) {
			struct sip_response m;
			char err[128];
			int r = sip_parse_response(buf, len, &m, err, sizeof(err));

			if (r == 0)
				return;
			if (r < 0) {
				uv_timer_stop(&b->timer);
				fail(b, PB_CAUSE_SIP_BAD_RESPONSE, err, NULL);
				return;
			}
			tls_consume(c, m.len);
			if (m.cseq != b->cseq || strcmp(m.call_id, b->call_id))
				continue;      /* not ours (a stray retransmission) */
			on_response(b, &m);
			if (b->tls != c)
				return;        /* the cycle ended or moved on */
		}
		return;
	}
}

static void s_authenticate(struct boot *b)
{
	begin(b, PB_STEP_AUTHENTICATE);
	b->challenged = 0;
	b->stale_retry = 0;
	send_register(b, NULL);
}

/* ---- cycles ---- */

static void reset_cycle(struct boot *b)
{
	size_t i;

	tls_close(b->tls);
	b->tls = NULL;
	dhcp_stop(b->dhcp);
	b->dhcp = NULL;
	uv_timer_stop(&b->timer);
	pb_chain_free(b->peer_chain);
	b->peer_chain = NULL;
	for (i = 0; i < b->n_roots; i++)
		free(b->root_der[i]);
	b->n_roots = 0;
	for (i = 0; i < b->n_rejected; i++)
		pb_chain_free(b->rejected[i]);
	b->n_rejected = 0;
	pb_trust_free(b->trust);
	b->trust = NULL;
}

static void on_next_cycle(uv_timer_t *t)
{
	cycle_start(t->data);
}

static void cycle_end(struct boot *b, int ok)
{
	json_t *summary = json_array();
	size_t i;

	for (i = 0; i < json_array_size(b->steps); i++) {
		json_t *s = json_array_get(b->steps, i);
		json_array_append_new(summary, json_pack("{s:O,s:O,s:O}", "step",
			json_object_get(s, "step"), "result", json_object_get(s, "result"),
			"cause", json_object_get(s, "cause")));
	}
	json_array_append_new(b->cycle_log, summary);
	json_decref(b->last_steps);
	b->last_steps = b->steps;
	b->steps = NULL;
	if (ok) {
		b->signed_in = 1;
		b->outcome = "signed-in";
	} else if (b->prev_failed && b->prev_step == b->fail_step &&
		   b->prev_cause == b->fail_cause) {
		b->outcome = "loop";
	} else {
		b->outcome = "failed";
	}
	b->prev_failed = !ok;
	b->prev_step = b->fail_step;
	b->prev_cause = b->fail_cause;
	/* the chain and the rejected roots stay for the diagnosis until the
	 * next cycle starts; only the connection goes now */
	tls_close(b->tls);
	b->tls = NULL;
	uv_timer_stop(&b->timer);
	if (!ok && b->cycle < b->attempts) {
		/* the device starts again from the top, on the next loop turn */
		uv_timer_start(&b->timer, on_next_cycle, 0, 0);
		return;
	}
	b->done(b, b->arg);
}

static void cycle_start(struct boot *b)
{
	reset_cycle(b);
	b->cycle++;
	b->steps = json_array();
	b->cseq = 0;
	b->nc = 0;
	b->redirects = 0;
	b->target[0] = '\0';
	rnd_hex(b->call_id, 16);
	rnd_hex(b->tag, 8);
	pb_trust_new(&b->trust);
	pb_trust_add_trust(b->trust, b->o->device_roots);
	if (b->use_dhcp)
		s_dhcp(b);
	else
		s_locate_dc(b);
}

enum pb_err boot_start(uv_loop_t *loop, const struct pb_logon_opts *o,
		       const char *const *dns, size_t n_dns, int use_dhcp, boot_done_cb *done,
		       void *arg, struct boot **out, char *err, size_t errlen)
{
	struct boot *b = calloc(1, sizeof(*b));
	enum pb_err rc;

	if (!b)
		return PB_ERR_NOMEM;
	b->loop = loop;
	b->o = o;
	b->done = done;
	b->arg = arg;
	b->attempts = o->attempts ? o->attempts : 2;
	b->timeout_ms = o->timeout_ms ? o->timeout_ms : 2000;
	b->cycle_log = json_array();
	b->outcome = "failed";
	b->use_dhcp = use_dhcp;
	if (o->has_mac)
		memcpy(b->mac, o->mac, 6);
	else
		stable_mac(o, b->mac);
	/* with DHCP, the DNS servers come from each cycle's lease */
	rc = use_dhcp ? PB_OK : dns_new(loop, dns, n_dns, b->timeout_ms, &b->dns, err, errlen);
	if (rc != PB_OK) {
		json_decref(b->cycle_log);
		free(b);
		return rc;
	}
	uv_timer_init(loop, &b->timer);
	b->timer.data = b;
	*out = b;
	cycle_start(b);
	return PB_OK;
}

static void on_boot_closed(uv_handle_t *h)
{
	free(h->data);
}

void boot_free(struct boot *b)
{
	if (!b)
		return;
	reset_cycle(b);
	if (b->configured)
		dhcp_unconfigure(b->o->dhcp_iface);
	dns_free(b->dns);
	json_decref(b->steps);
	json_decref(b->last_steps);
	json_decref(b->cycle_log);
	json_decref(b->lookups);
	json_decref(b->facts);
	uv_close((uv_handle_t *)&b->timer, on_boot_closed);
}

const char *boot_outcome(const struct boot *b) { return b->outcome; }
unsigned boot_cycles(const struct boot *b) { return b->cycle; }
json_t *boot_steps(const struct boot *b) { return b->last_steps; }
json_t *boot_cycle_log(const struct boot *b) { return b->cycle_log; }
const char *boot_target(const struct boot *b) { return b->target; }
const struct pb_chain *boot_peer_chain(const struct boot *b) { return b->peer_chain; }
size_t boot_rejected_roots(const struct boot *b) { return b->n_rejected; }
const struct pb_chain *boot_rejected_root(const struct boot *b, size_t i)
{
	return i < b->n_rejected ? b->rejected[i] : NULL;
}

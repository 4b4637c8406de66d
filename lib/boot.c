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

#include "boot_int.h"


static void s_download(struct boot *b);
static void s_install(struct boot *b);
static void cycle_start(struct boot *b);

/* ---- the step record ---- */

static const char *screen(const struct boot *b, enum pb_step s)
{
	const char *t = b->o->profile->screen[s];

	return t ? t : pb_step_str(s);
}

void step_begin(struct boot *b, enum pb_step s)
{
	b->step = s;
	b->t0 = uv_hrtime();
	b->facts = json_object();
}

void step_fact(struct boot *b, const char *key, json_t *v)
{
	json_object_set_new(b->facts, key, v ? v : json_null());
}

void step_factf(struct boot *b, const char *key, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	step_fact(b, key, json_string(buf));
}

/* Close the current step: result "ok", "fail" or "skipped". */
void step_end(struct boot *b, const char *result, enum pb_cause cause,
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

void step_skipped(struct boot *b, enum pb_step s, const char *why)
{
	step_begin(b, s);
	b->t0 = uv_hrtime();
	step_end(b, "skipped", PB_CAUSE_NONE, why, NULL);
}

/* A fatal failure: the cycle ends here. */
void step_fail(struct boot *b, enum pb_cause cause, const char *detail, json_t *also)
{
	step_end(b, "fail", cause, detail, also);
	b->fail_step = b->step;
	b->fail_cause = cause;
	cycle_end(b, 0);
}

/* Add cause c to the "also" list unless it is the primary or already there. */
void also_add(json_t *also, enum pb_cause c, enum pb_cause primary)
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

void rnd_hex(char *out, size_t bytes)
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
	step_end(b, "fail", cause, detail, NULL);
	step_skipped(b, PB_STEP_DOWNLOAD_ROOT, "no domain controller");
	step_skipped(b, PB_STEP_INSTALL_ROOT, "no certificate downloaded");
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
	step_factf(b, "dc", "%s:%u (%s)", b->dc_name, b->dc_port, b->dc_addr);
	step_end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
	s_download(b);
}

static void on_dc_srv(const struct dns_result *r, void *arg)
{
	struct boot *b = arg;

	step_fact(b, "records", srv_json(r));
	if (r->cause) {
		dc_failed(b, r->cause, r->detail);
		return;
	}
	snprintf(b->dc_name, sizeof(b->dc_name), "%s", r->srv[0].target);
	b->dc_port = r->srv[0].port;
	dns_query(b->dns, b->dc_name, "A", on_dc_a, b);
}

void s_locate_dc(struct boot *b)
{
	char name[300];

	step_begin(b, PB_STEP_LOCATE_DC);
	snprintf(name, sizeof(name), "_ldap._tcp.dc._msdcs.%s", b->o->domain);
	step_factf(b, "query", "SRV %s", name);
	{
		json_t *srv = json_array();
		size_t i;

		for (i = 0; i < b->n_servers; i++)
			json_array_append_new(srv, json_string(b->servers[i]));
		step_fact(b, "dns_servers", srv);
	}
	dns_query(b->dns, name, "SRV", on_dc_srv, b);
}

/* ---- download-root: cACertificate from the directory ---- */

static void on_roots(struct dir_result *r, void *arg)
{
	struct boot *b = arg;
	json_t *entries = json_array();
	size_t i;

	step_factf(b, "server", "ldap://%s:%u", b->dc_addr, b->dc_port);
	step_fact(b, "bind", json_string(r->bind[0] ? r->bind : "(none)"));
	step_fact(b, "base", json_string(r->base));
	for (i = 0; i < r->n && b->n_roots < MAX_ROOTS; i++) {
		json_array_append_new(entries, json_pack("{s:s,s:i}", "entry", r->entry[i],
							 "bytes", (int)r->der_len[i]));
		b->root_der[b->n_roots] = r->der[i];   /* taken over */
		b->root_len[b->n_roots++] = r->der_len[i];
		r->der[i] = NULL;
	}
	step_fact(b, "certificates", entries);
	if (r->cause || r->err) {
		step_end(b, "fail", r->cause, r->detail, NULL);
		step_skipped(b, PB_STEP_INSTALL_ROOT, "no certificate downloaded");
		s_locate_pool(b);
		return;
	}
	step_end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
	s_install(b);
}

static void s_download(struct boot *b)
{
	step_begin(b, PB_STEP_DOWNLOAD_ROOT);
	if (dir_fetch_roots(b->loop, b->dc_addr, b->dc_port, b->o->domain, b->o->user,
			    b->o->password, b->timeout_ms, on_roots, b, NULL) != PB_OK) {
		step_end(b, "fail", PB_CAUSE_LDAP_UNREACHABLE, "could not start the directory query", NULL);
		step_skipped(b, PB_STEP_INSTALL_ROOT, "no certificate downloaded");
		s_locate_pool(b);
	}
}

/* ---- install-root: each root judged by the profile ---- */

json_t *cert_json(const struct pb_cert_info *in)
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

	step_begin(b, PB_STEP_INSTALL_ROOT);
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
	step_fact(b, "roots", roots);
	step_fact(b, "trust_store", json_integer((json_int_t)pb_trust_count(b->trust)));
	if (!installed) {
		step_end(b, "fail", first ? first : PB_CAUSE_CERT_MALFORMED,
		    first ? detail : "no downloaded certificate could be read", also);
	} else {
		json_decref(also);
		step_end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
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
	case PB_FLOW_LPE:
		/* Lync Phone Edition (MS doc gg398713, facts.md 1b-6): internal
		 * SRV (TLS), then the DHCP option 120 server, then external; the
		 * TCP variants are not tried: the emulation speaks TLS */
		add_cand(b, 1, 0, "_sipinternaltls._tcp.", d);
		if (b->sip120[0])
			add_cand(b, 0, 5061, "", b->sip120);
		add_cand(b, 1, 0, "_sip._tls.", d);
		break;
	case PB_FLOW_OCPE:
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
	step_fact(b, "lookups", json_incref(b->lookups));
	step_factf(b, "pool", "%s:%u (%s)", b->pool_name, b->pool_port, b->pool_addr);
	snprintf(b->target, sizeof(b->target), "%s:%u", b->pool_name, b->pool_port);
	step_end(b, "ok", PB_CAUSE_NONE, NULL, NULL);
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
		step_fact(b, "lookups", json_incref(b->lookups));
		step_fail(b, b->lookup_cause ? b->lookup_cause : PB_CAUSE_DNS_NO_RECORDS,
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

void s_locate_pool(struct boot *b)
{
	step_begin(b, PB_STEP_LOCATE_POOL);
	plan_lookups(b);
	b->ci = 0;
	b->lookup_cause = PB_CAUSE_NONE;
	json_decref(b->lookups);
	b->lookups = json_array();
	next_lookup(b);
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

void cycle_end(struct boot *b, int ok)
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
	b->servers = dns;
	b->n_servers = n_dns;
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

/* Step `device-update`: the update check a UC phone makes before it signs
 * in (docs/device-update.md). Best-effort: a failed check does not stop
 * the sign-in.
 *
 *   OCPE (CX700): A ucupdates-r2.<domain>, then HTTP POST
 *     /RequestHandler/ucdevice.upx (OCS 2007 R2 "DNS Requirements for
 *     Device Update Service"; Polycom CX700 deployment guide; facts.md
 *     1a-3: "If no user has ever signed in, the phone looks up
 *     ucupdates-r2.<DNS domain from DHCP>");
 *   LPE: the same name before sign-in, over HTTPS: the internal
 *     /RequestHandler/ucdevice.upx, then the external
 *     /RequestHandlerExt/ucdevice.upx (Lync Server 2013 "DNS
 *     requirements"; facts.md 1b-3).
 *
 * The domain is the SIP domain: OCPE takes the DNS domain of the lease
 * (option 15) and LPE the domain of the SIP SRV record, which are the SIP
 * domain in every deployment phoneboot models. HTTPS is judged by the
 * profile's limits and the device's trust store during the handshake
 * (tls/hook.c), as `connect` judges the pool; a refused chain is the
 * step's own certificate cause. The request body is built in one place,
 * lib/http/ucupdate.c. */
#include <stdio.h>
#include <string.h>

#include "dns/dns.h"
#include "engine/engine.h"
#include "http/http.h"
#include "http/ucupdate.h"
#include "tls/hook.h"

struct ctx {
	struct dev_query *q;
	struct http_req *h;
	struct tls_hook hook;
	char name[300], addr[64], peer[400], path[64];
	int attempt;                /* LPE: 0 internal, 1 external */
	char body[4096];
	size_t body_len;
	json_t *tried;
};

static void send_check(struct step_run *r);

static int https(const struct step_run *r)
{
	return r->o->profile->flow == PB_FLOW_LPE;
}

static void done(struct step_run *r, enum pb_cause cause, const char *detail, json_t *also)
{
	struct ctx *c = r->ctx;

	step_fact(r, "tried", c->tried);
	c->tried = NULL;
	step_done(r, cause, detail, also);
}

/* The device refused the server's chain: its findings, the first by the
 * device's order as the cause. */
static void refused(struct step_run *r)
{
	struct ctx *c = r->ctx;
	const struct pb_verdict *v = c->hook.verdict;
	json_t *cj = json_array(), *why = json_array(), *also = json_array();
	size_t i, best = 0;
	char text[256];

	for (i = 0; cj && i < pb_chain_len(c->hook.chain); i++)
		json_array_append_new(cj, dev_cert_json(pb_chain_cert(c->hook.chain, i)));
	step_fact(r, "chain", cj);
	for (i = 0; i < v->n; i++) {
		if (why)
			json_array_append_new(why, json_pack("{s:s,s:s}", "cause",
				pb_cause_str(v->findings[i].cause), "text", v->findings[i].text));
		if (dev_cert_rank(v->findings[i].cause) < dev_cert_rank(v->findings[best].cause))
			best = i;
	}
	step_fact(r, "findings", why);
	for (i = 0; i < v->n; i++)
		dev_also_add(also, v->findings[i].cause, v->findings[best].cause);
	snprintf(text, sizeof(text), "%s", v->findings[best].text);
	step_exchange(r, c->peer, 0, 1, "%s", pb_cause_str(v->findings[best].cause));
	done(r, v->findings[best].cause, text, also);
}

static void on_http(const struct http_result *res, void *arg)
{
	struct step_run *r = arg;
	struct ctx *c = r->ctx;
	struct ucupdate_offer offer;
	char err[160], detail[300];

	http_stop(c->h);
	c->h = NULL;
	if (c->tried)
		json_array_append_new(c->tried, json_pack("{s:s,s:s}", "request", c->peer,
							  "result", res->detail));
	if (res->outcome == HTTP_TLS && c->hook.judged && !c->hook.verdict->usable) {
		refused(r);
		return;
	}
	if (res->outcome != HTTP_ANSWERED || res->status == 404) {
		step_exchange(r, c->peer, 0, 1, "%s", res->detail);
		if (https(r) && c->attempt == 0) {
			c->attempt = 1;         /* the external web services */
			tls_hook_clear(&c->hook);
			send_check(r);
			return;
		}
		snprintf(detail, sizeof(detail), "%s: %s", c->peer, res->detail);
		done(r, res->outcome == HTTP_ANSWERED ? PB_CAUSE_DEVUPDATE_HTTP_STATUS
			: PB_CAUSE_DEVUPDATE_UNREACHABLE, detail, NULL);
		return;
	}
	step_exchange(r, c->peer, 0, res->status != 200, "HTTP %ld%s%s", res->status,
		      res->content_type[0] ? " " : "", res->content_type);
	step_fact(r, "status", json_integer(res->status));
	step_factf(r, "ms", "%.1f", res->ms);
	if (res->status != 200) {
		snprintf(detail, sizeof(detail), "%s answered HTTP %ld", c->peer, res->status);
		done(r, PB_CAUSE_DEVUPDATE_HTTP_STATUS, detail, NULL);
		return;
	}
	if (ucupdate_parse(res->body, res->body_len, &offer, err, sizeof(err)) < 0) {
		snprintf(detail, sizeof(detail), "the answer cannot be read: %s", err);
		done(r, PB_CAUSE_DEVUPDATE_HTTP_STATUS, detail, NULL);
		return;
	}
	if (offer.update) {
		json_t *files = json_array();
		size_t i;

		for (i = 0; files && i < offer.n_files; i++)
			json_array_append_new(files, json_string(offer.files[i]));
		step_fact(r, "update", json_pack("{s:b,s:s,s:s,s:o}", "offered", 1, "base_url",
						 offer.base_url, "version", offer.version,
						 "files", files));
	} else {
		step_fact(r, "update", json_pack("{s:b}", "offered", 0));
	}
	done(r, PB_CAUSE_NONE, NULL, NULL);
}

static void send_check(struct step_run *r)
{
	struct ctx *c = r->ctx;
	struct http_request rq;
	unsigned port = r->o->devupdate_port ? r->o->devupdate_port : https(r) ? 443 : 80;
	char err[200];

	snprintf(c->path, sizeof(c->path), "%s", c->attempt ? "/RequestHandlerExt/ucdevice.upx"
		 : "/RequestHandler/ucdevice.upx");
	snprintf(c->peer, sizeof(c->peer), "%s %s:%u%s", https(r) ? "https" : "http", c->name,
		 port, c->path);
	memset(&rq, 0, sizeof(rq));
	rq.https = https(r);
	rq.host = c->name;
	rq.addr = c->addr;
	rq.port = port;
	rq.path = c->path;
	rq.sni = r->o->profile->sni;
	rq.method = "POST";
	rq.content_type = "Content-Type: text/xml; charset=utf-8";
	rq.body = c->body;
	rq.body_len = c->body_len;
	rq.timeout_ms = r->timeout_ms;
	c->hook.profile = r->o->profile;
	c->hook.trust = r->dev->trust;
	if (!(c->hook.certs = engine_x509_cache(r->eng))) {
		step_internal(r, PB_ERR_NOMEM, "out of memory for the certificate cache");
		return;
	}
	c->hook.name = c->name;
	c->hook.now = dev_clock(r);
	rq.tls = &c->hook;
	step_fact(r, "url", json_sprintf("%s://%s:%u%s", https(r) ? "https" : "http", c->name,
					 port, c->path));
	step_peer(r, "%s:%u", c->addr, port);
	step_exchange(r, c->peer, 1, 0, "%sPOST %s (%zu bytes)", https(r) ? "TLS ClientHello, " : "",
		      c->path, c->body_len);
	if (http_start(r->loop, &rq, on_http, r, &c->h, err, sizeof(err)) != PB_OK)
		step_internal(r, PB_ERR_NOMEM, err);
}

/* What the device says of itself (lib/http/ucupdate.c builds the XML). */
static void build_body(struct step_run *r)
{
	struct ctx *c = r->ctx;
	const struct pb_profile *p = r->o->profile;
	const uint8_t *m = r->dev->mac;
	static const char *const names[] = { "firmware" };
	const char *versions[1] = { p->firmware };
	char mac[24], serial[32];
	struct ucupdate_device dv;

	snprintf(mac, sizeof(mac), "%02X-%02X-%02X-%02X-%02X-%02X", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	/* no serial number is known for an emulated phone: one made of
	 * its MAC, stable for the same phone */
	snprintf(serial, sizeof(serial), "PB%02X%02X%02X%02X%02X%02X", m[0], m[1], m[2], m[3],
		 m[4], m[5]);
	memset(&dv, 0, sizeof(dv));
	dv.device_type = "UCPhone";
	dv.mac = mac;
	dv.serial = serial;
	dv.vendor = p->vendor;
	dv.model = p->model;
	dv.revision = p->firmware;
	dv.locale = "ENU";
	dv.module_names = names;
	dv.module_versions = versions;
	dv.n_modules = 1;
	c->body_len = ucupdate_request(c->body, sizeof(c->body), &dv);
}

static void on_a(struct step_run *r, const struct dns_result *res)
{
	struct ctx *c = r->ctx;
	char detail[400];

	c->q = NULL;
	if (res->cause) {
		snprintf(detail, sizeof(detail), "no Device Update service: A %s: %s", c->name,
			 pb_cause_str(res->cause));
		done(r, PB_CAUSE_DEVUPDATE_NOT_FOUND, detail, NULL);
		return;
	}
	snprintf(c->addr, sizeof(c->addr), "%s", res->addr[0]);
	step_factf(r, "server", "%s (%s)", c->name, c->addr);
	build_body(r);
	if (!c->body_len) {
		step_internal(r, PB_ERR_INTERNAL, "the update request does not fit");
		return;
	}
	send_check(r);
}

static void start(struct step_run *r)
{
	struct ctx *c = r->ctx;

	if (!(c->tried = json_array())) {
		step_internal(r, PB_ERR_NOMEM, "out of memory");
		return;
	}
	snprintf(c->name, sizeof(c->name), "ucupdates-r2.%s", r->o->domain);
	step_factf(r, "query", "A %s", c->name);
	dev_dns_peer(r);
	if (dev_dns(r, &c->q, c->name, "A", on_a) < 0)
		step_internal(r, PB_ERR_NOMEM, "out of memory for a DNS query");
}

static void cancel(struct step_run *r)
{
	struct ctx *c = r->ctx;

	dev_dns_cancel(&c->q);
	c->q = NULL;
	http_stop(c->h);
	c->h = NULL;
	tls_hook_clear(&c->hook);
	json_decref(c->tried);
	c->tried = NULL;
}

const struct step_ops step_device_update = {
	.id = PB_STEP_DEVICE_UPDATE,
	.ctx_size = sizeof(struct ctx),
	.start = start,
	.cancel = cancel,
};

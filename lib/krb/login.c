/* The Kerberos sign-in of a boot: the KDC found as a domain member finds
 * it (SRV _kerberos._tcp, then _kerberos._udp, through the device's DNS
 * servers), the AS exchange with the password, the TGS exchange for the
 * registrar's service principal. krb5 builds and reads every message
 * (krb5_init_creds_step, krb5_tkt_creds_step); kdc.c carries them on the
 * loop, so nothing blocks. See krb.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/isotime.h"
#include "dns/dns.h"
#include "engine/engine.h"
#include "krb/kdc.h"
#include "krb/krb.h"

#define MAX_KDCS 4
/* AS: at most AS-REQ, PREAUTH_REQUIRED and the AS-REQ with a timestamp,
 * plus a retry over TCP; TGS: one, plus referrals. Bound both. */
#define MAX_MESSAGES 8

struct kdc_host {
	char name[256], addr[64];
	unsigned port;
};

enum phase { PH_SRV_TCP, PH_SRV_UDP, PH_ADDR, PH_AS, PH_TGS, PH_DONE };

struct krb_login {
	struct step_run *r;
	krb_login_cb *cb;
	void *arg;
	enum phase ph;
	krb5_context ctx;
	krb5_ccache cc;
	krb5_principal client, server;
	krb5_get_init_creds_opt *opt;
	krb5_init_creds_context icc;
	krb5_tkt_creds_context tcc;
	char realm[256], domain[256], client_s[512], service_s[512];
	int tgt;                    /* the AS exchange succeeded */
	int sync;                   /* inside krb_login_ticket: no callback */
	enum pb_cause sync_cause;
	int dead;                   /* the step ended with phoneboot's own failure */
	char sync_detail[600];
	struct kdc_host kdc[MAX_KDCS];
	size_t n_kdc, cur;
	enum kdc_proto proto;
	char srv_name[300];
	struct dev_query *q;
	struct kdc_req *req;
	krb5_data out;              /* the message under way (krb5's) */
	unsigned messages;
	char tried[400];
	unsigned char *last;        /* the last reply (malloc'd), to read a KRB-ERROR */
	size_t last_len;
};

static void step_krb(struct krb_login *l, const uint8_t *reply, size_t len);
static void next_kdc(struct krb_login *l);

static void over(struct krb_login *l, enum pb_cause cause, const char *detail)
{
	l->ph = PH_DONE;
	if (l->sync) {
		/* over before krb_login_ticket returned: it says so itself */
		l->sync_cause = cause;
		snprintf(l->sync_detail, sizeof(l->sync_detail), "%s", detail ? detail : "");
		return;
	}
	l->cb(l, cause, detail, l->arg);
}

static void internal(struct krb_login *l, const char *what, krb5_error_code code)
{
	char buf[300];
	const char *m = krb5_get_error_message(l->ctx, code);

	snprintf(buf, sizeof(buf), "%s: %s", what, m);
	krb5_free_error_message(l->ctx, m);
	l->ph = PH_DONE;
	l->dead = 1;

	step_internal(l->r, PB_ERR_INTERNAL, buf);
}

static void peer_of(const struct krb_login *l, char *buf, size_t len)
{
	const struct kdc_host *k = &l->kdc[l->cur];

	snprintf(buf, len, "kdc %s:%u/%s", k->addr, k->port, kdc_proto_str(l->proto));
}

/* ---- carrying one message ---- */

static void on_reply(enum kdc_outcome oc, const uint8_t *reply, size_t len, const char *detail,
		     void *arg)
{
	struct krb_login *l = arg;
	char peer[120], what[200];

	l->req = NULL;
	peer_of(l, peer, sizeof(peer));
	if (oc == KDC_NOMEM) {
		l->ph = PH_DONE;
		l->dead = 1;

		step_internal(l->r, PB_ERR_NOMEM, "out of memory carrying a KDC message");
		return;
	}
	if (oc != KDC_REPLY) {
		size_t off = strlen(l->tried);

		step_exchange(l->r, peer, 0, 1, "%s", detail);
		snprintf(l->tried + off, sizeof(l->tried) - off, "%s%s:%u/%s (%s)", off ? ", " : "",
			 l->kdc[l->cur].addr, l->kdc[l->cur].port, kdc_proto_str(l->proto), detail);
		l->cur++;
		next_kdc(l);
		return;
	}
	if (reply[0] == 0x7e) {
		krb5_error_code code;
		time_t st;
		char text[120];

		if (krb_read_error(l->ctx, reply, len, &code, &st, text, sizeof(text)) == 0) {
			const char *m = krb5_get_error_message(l->ctx, code);

			snprintf(what, sizeof(what), "KRB-ERROR %ld (%s)",
				 (long)(code - ERROR_TABLE_BASE_krb5), m);
			krb5_free_error_message(l->ctx, m);
		} else {
			snprintf(what, sizeof(what), "KRB-ERROR (does not decode)");
		}
		step_exchange(l->r, peer, 0, 0, "%s", what);
	} else {
		step_exchange(l->r, peer, 0, 0, "%s (%zu bytes)", krb_msg_name(reply, len), len);
	}
	free(l->last);
	l->last_len = 0;
	if (!(l->last = malloc(len))) {
		l->ph = PH_DONE;
		l->dead = 1;

		step_internal(l->r, PB_ERR_NOMEM, "out of memory keeping a KDC reply");
		return;
	}
	memcpy(l->last, reply, len);
	l->last_len = len;
	step_krb(l, l->last, l->last_len);
}

static void send_cur(struct krb_login *l)
{
	char peer[120];

	if (++l->messages > MAX_MESSAGES) {
		over(l, PB_CAUSE_KRB_KDC_REFUSED, "the KDC exchange did not end within "
		     "8 messages");
		return;
	}
	peer_of(l, peer, sizeof(peer));
	step_exchange(l->r, peer, 1, 0, "%s %s", krb_msg_name((const uint8_t *)l->out.data,
							      l->out.length),
		      l->ph == PH_AS ? l->client_s : l->service_s);
	l->req = kdc_send(l->r->loop, l->kdc[l->cur].addr, l->kdc[l->cur].port, l->proto,
			  (const uint8_t *)l->out.data, l->out.length, l->r->timeout_ms, on_reply, l);
	if (!l->req) {
		l->ph = PH_DONE;
		l->dead = 1;

		step_internal(l->r, PB_ERR_NOMEM, "out of memory sending a KDC message");
	}
}

/* The skew in words: both clocks, as the KDC's error and the device say;
 * or, when the KDC let the clock pass and its reply is what is too far off
 * (KRB5_KDCREP_SKEW, checked by krb5 on the device's side), the device's. */
static void skew_detail(struct krb_login *l, krb5_error_code code, char *buf, size_t len)
{
	krb5_error_code ec;
	krb5_timestamp now = 0;
	time_t st = 0;
	char dev[40] = "?", kdc[40] = "?";

	krb5_timeofday(l->ctx, &now);
	iso_time_str((time_t)(uint32_t)now, dev, sizeof(dev));
	step_fact(l->r, "device_clock", json_string(dev));
	if (code == KRB5_KDCREP_SKEW) {
		snprintf(buf, len, "the KDC's reply is dated more than 5 minutes from the device's "
			 "clock %s (KRB5_KDCREP_SKEW: the KDC allows a wider skew than the device)",
			 dev);
		return;
	}
	if (krb_read_error(l->ctx, l->last, l->last_len, &ec, &st, NULL, 0) == 0 && st)
		iso_time_str(st, kdc, sizeof(kdc));
	snprintf(buf, len, "the KDC refused the device's clock (KRB_AP_ERR_SKEW): the device's "
		 "clock %s, the KDC's %s, %lld s apart; Kerberos allows 300 s", dev, kdc,
		 st ? (long long)(uint32_t)now - (long long)st : 0LL);
	step_fact(l->r, "kdc_clock", json_string(kdc));
	if (st)
		step_fact(l->r, "clock_skew_s", json_integer((json_int_t)((long long)(uint32_t)now -
									 (long long)st)));
}

static void failed(struct krb_login *l, krb5_error_code code)
{
	enum pb_cause c = krb_cause_of(code, l->ph == PH_TGS);
	const char *m = krb5_get_error_message(l->ctx, code);
	char buf[600], text[120] = "";
	krb5_error_code kc;
	time_t st;

	krb_read_error(l->ctx, l->last, l->last_len, &kc, &st, text, sizeof(text));
	switch (c) {
	case PB_CAUSE_KRB_CLOCK_SKEW:
		skew_detail(l, code, buf, sizeof(buf));
		break;
	case PB_CAUSE_KRB_PREAUTH_FAILED:
		snprintf(buf, sizeof(buf), "the KDC refused the password of %s "
			 "(pre-authentication failed: %s)", l->client_s, m);
		break;
	case PB_CAUSE_KRB_PRINCIPAL_UNKNOWN:
		snprintf(buf, sizeof(buf), "the KDC does not know %s (KDC_ERR_C_PRINCIPAL_UNKNOWN)",
			 l->client_s);
		break;
	case PB_CAUSE_KRB_ACCOUNT_DISABLED:
		snprintf(buf, sizeof(buf), "the KDC refuses %s: the account is disabled or locked "
			 "out (KDC_ERR_CLIENT_REVOKED%s%s)", l->client_s, text[0] ? ": " : "", text);
		break;
	case PB_CAUSE_KRB_SPN_MISSING:
		snprintf(buf, sizeof(buf), "the KDC has no service principal %s "
			 "(KDC_ERR_S_PRINCIPAL_UNKNOWN): no account holds the SPN %.*s",
			 l->service_s, (int)strcspn(l->service_s, "@"), l->service_s);
		break;
	default:
		snprintf(buf, sizeof(buf), "the KDC refused the %s exchange for %s: %s%s%s",
			 l->ph == PH_TGS ? "TGS" : "AS", l->ph == PH_TGS ? l->service_s : l->client_s,
			 m, text[0] ? "; it says: " : "", text);
	}
	krb5_free_error_message(l->ctx, m);
	over(l, c, buf);
}

/* One turn of krb5's state machine: reply is the KDC's answer to the
 * last message (NULL on the first turn of an exchange). */
static void step_krb(struct krb_login *l, const uint8_t *reply, size_t len)
{
	krb5_data in, realm;
	unsigned int flags = 0;
	krb5_error_code code;

	in.magic = KV5M_DATA;
	in.length = (unsigned)len;
	in.data = (char *)reply;
	realm.data = NULL;
	realm.length = 0;
	krb5_free_data_contents(l->ctx, &l->out);
	if (l->ph == PH_AS)
		code = krb5_init_creds_step(l->ctx, l->icc, &in, &l->out, &realm, &flags);
	else
		code = krb5_tkt_creds_step(l->ctx, l->tcc, &in, &l->out, &realm, &flags);
	krb5_free_data_contents(l->ctx, &realm);
	if (code == KRB5KRB_ERR_RESPONSE_TOO_BIG && l->proto == KDC_UDP) {
		/* RFC 4120 7.2.1: the same request again, over TCP */
		step_trace(l->r, "KRB_ERR_RESPONSE_TOO_BIG: again over TCP");
		l->proto = KDC_TCP;
		if (!l->out.length) {
			over(l, PB_CAUSE_KRB_KDC_REFUSED, "the KDC's reply is too big for UDP and "
			     "krb5 gave no request to send again");
			return;
		}
		send_cur(l);
		return;
	}
	if (code) {
		failed(l, code);
		return;
	}
	if (flags & KRB5_INIT_CREDS_STEP_FLAG_CONTINUE) {
		send_cur(l);
		return;
	}
	if (l->ph == PH_AS) {
		krb5_creds in_creds;

		step_fact(l->r, "tgt", json_sprintf("krbtgt/%s@%s", l->realm, l->realm));
		l->tgt = 1;
		/* the TGT is in the ccache: krb5's copy of the password and
		 * the AS reply key go now, not with the cycle */
		krb5_init_creds_free(l->ctx, l->icc);
		l->icc = NULL;
		l->ph = PH_TGS;
		l->messages = 0;
		memset(&in_creds, 0, sizeof(in_creds));
		in_creds.client = l->client;
		in_creds.server = l->server;
		if ((code = krb5_tkt_creds_init(l->ctx, l->cc, &in_creds, 0, &l->tcc)) != 0) {
			internal(l, "krb5_tkt_creds_init", code);
			return;
		}
		step_krb(l, NULL, 0);
		return;
	}
	step_fact(l->r, "service_ticket", json_string(l->service_s));
	over(l, PB_CAUSE_NONE, NULL);
}

/* ---- finding the KDC ---- */

static void on_addr(struct step_run *r, const struct dns_result *res, void *arg);

/* The next KDC of the list, or the end: none answered. */
static void next_kdc(struct krb_login *l)
{
	struct in_addr ia;
	struct in6_addr i6;

	if (l->cur >= l->n_kdc) {
		char buf[600];

		snprintf(buf, sizeof(buf), "no KDC of %s answered (SRV %s): %s", l->realm,
			 l->srv_name, l->tried[0] ? l->tried : "none tried");
		over(l, PB_CAUSE_KRB_KDC_UNREACHABLE, buf);
		return;
	}
	if (l->kdc[l->cur].addr[0] || inet_pton(AF_INET, l->kdc[l->cur].name, &ia) == 1 ||
	    inet_pton(AF_INET6, l->kdc[l->cur].name, &i6) == 1) {
		struct kdc_host *k = &l->kdc[l->cur];

		if (!k->addr[0] && strlen(k->name) < sizeof(k->addr))
			memcpy(k->addr, k->name, strlen(k->name) + 1);
		step_factf(l->r, "kdc", "%s:%u/%s (%s)", l->kdc[l->cur].addr, l->kdc[l->cur].port,
			   kdc_proto_str(l->proto), l->kdc[l->cur].name);
		if (l->ph == PH_ADDR || l->ph == PH_SRV_TCP || l->ph == PH_SRV_UDP) {
			l->ph = PH_AS;
			step_krb(l, NULL, 0);
		} else {
			send_cur(l);        /* the same message to another KDC */
		}
		return;
	}
	if (dev_dns_arg(l->r, &l->q, l->kdc[l->cur].name, "A", on_addr, l) < 0) {
		l->ph = PH_DONE;
		l->dead = 1;

		step_internal(l->r, PB_ERR_NOMEM, "out of memory asking DNS");
	}
}

static void on_addr(struct step_run *r, const struct dns_result *res, void *arg)
{
	struct krb_login *l = arg;
	size_t off;

	(void)r;
	if (res->cause || !res->n_addr) {
		off = strlen(l->tried);
		snprintf(l->tried + off, sizeof(l->tried) - off, "%s%s (A: %s)", off ? ", " : "",
			 l->kdc[l->cur].name, pb_cause_str(res->cause ? res->cause
							    : PB_CAUSE_DNS_NO_RECORDS));
		l->cur++;
	} else {
		snprintf(l->kdc[l->cur].addr, sizeof(l->kdc[l->cur].addr), "%s", res->addr[0]);
	}
	next_kdc(l);
}

static void on_srv(struct step_run *r, const struct dns_result *res, void *arg)
{
	struct krb_login *l = arg;
	size_t i;

	(void)r;
	if (res->cause || !res->n_srv) {
		size_t off = strlen(l->tried);

		snprintf(l->tried + off, sizeof(l->tried) - off, "%sSRV %s: %s", off ? ", " : "",
			 l->srv_name, pb_cause_str(res->cause ? res->cause : PB_CAUSE_DNS_NO_RECORDS));
		if (l->ph == PH_SRV_TCP) {
			l->ph = PH_SRV_UDP;
			snprintf(l->srv_name, sizeof(l->srv_name), "_kerberos._udp.%s", l->domain);
			if (dev_dns_arg(l->r, &l->q, l->srv_name, "SRV", on_srv, l) < 0) {
				l->ph = PH_DONE;
				l->dead = 1;

				step_internal(l->r, PB_ERR_NOMEM, "out of memory asking DNS");
			}
			return;
		}
		{
			char buf[600];

			snprintf(buf, sizeof(buf), "no KDC for %s: %s", l->domain, l->tried);
			over(l, PB_CAUSE_KRB_KDC_UNREACHABLE, buf);
		}
		return;
	}
	step_fact(l->r, "kdc_srv", dev_srv_json(res));
	l->proto = l->ph == PH_SRV_TCP ? KDC_TCP : KDC_UDP;
	for (i = 0; i < res->n_srv && l->n_kdc < MAX_KDCS; i++) {
		if (!strcmp(res->srv[i].target, "."))
			continue;           /* RFC 2782: the service is not offered */
		snprintf(l->kdc[l->n_kdc].name, sizeof(l->kdc[l->n_kdc].name), "%s",
			 res->srv[i].target);
		l->kdc[l->n_kdc].port = res->srv[i].port;
		l->n_kdc++;
	}
	l->tried[0] = '\0';
	l->ph = PH_ADDR;
	next_kdc(l);
}

/* ---- the object ---- */

int krb_login_start(struct step_run *r, const char *user, const char *domain,
		    const char *password, const char *service, krb_login_cb *cb, void *arg,
		    struct krb_login **out, char *detail, size_t len)
{
	struct krb_login *l = calloc(1, sizeof(*l));
	krb5_error_code code;
	char *name = NULL;
	const char *what = "";

	if (!l) {
		snprintf(detail, len, "out of memory");
		return -1;
	}
	l->r = r;
	l->cb = cb;
	l->arg = arg;
	snprintf(l->domain, sizeof(l->domain), "%s", domain);
	if (krb_realm_of(domain, l->realm, sizeof(l->realm)) < 0) {
		snprintf(detail, len, "the domain %s cannot name a realm", domain);
		free(l);
		return -1;
	}
	if ((code = krb_context_new(l->realm, dev_clock(r), &l->ctx)) != 0) {
		snprintf(detail, len, "krb5 context: %s", error_message(code));
		free(l);
		return -1;
	}
	what = "the client principal";
	if ((code = krb5_build_principal(l->ctx, &l->client, (unsigned)strlen(l->realm), l->realm,
					 user, (char *)NULL)) != 0)
		goto fail;
	what = "the service principal";
	if ((code = krb5_parse_name_flags(l->ctx, service, KRB5_PRINCIPAL_PARSE_IGNORE_REALM,
					  &l->server)) != 0 ||
	    (code = krb5_set_principal_realm(l->ctx, l->server, l->realm)) != 0)
		goto fail;
	if (krb5_unparse_name(l->ctx, l->client, &name) == 0) {
		snprintf(l->client_s, sizeof(l->client_s), "%s", name);
		krb5_free_unparsed_name(l->ctx, name);
	}
	if (krb5_unparse_name(l->ctx, l->server, &name) == 0) {
		snprintf(l->service_s, sizeof(l->service_s), "%s", name);
		krb5_free_unparsed_name(l->ctx, name);
	}
	what = "the MEMORY ccache";
	if ((code = krb5_cc_new_unique(l->ctx, "MEMORY", NULL, &l->cc)) != 0 ||
	    (code = krb5_cc_initialize(l->ctx, l->cc, l->client)) != 0)
		goto fail;
	what = "the AS exchange";
	if ((code = krb5_get_init_creds_opt_alloc(l->ctx, &l->opt)) != 0 ||
	    (code = krb5_get_init_creds_opt_set_out_ccache(l->ctx, l->opt, l->cc)) != 0 ||
	    (code = krb5_init_creds_init(l->ctx, l->client, NULL, NULL, 0, l->opt, &l->icc)) != 0 ||
	    (code = krb5_init_creds_set_password(l->ctx, l->icc, password ? password : "")) != 0)
		goto fail;
	step_fact(r, "client_principal", json_string(l->client_s));
	step_fact(r, "service_principal", json_string(l->service_s));
	l->ph = PH_SRV_TCP;
	snprintf(l->srv_name, sizeof(l->srv_name), "_kerberos._tcp.%s", domain);
	if (dev_dns_arg(r, &l->q, l->srv_name, "SRV", on_srv, l) < 0) {
		snprintf(detail, len, "out of memory asking DNS");
		krb_login_free(l);
		return -1;
	}
	*out = l;
	return 0;
fail:
	snprintf(detail, len, "%s: %s", what, error_message(code));
	krb_login_free(l);
	return -1;
}

int krb_login_has_tgt(const struct krb_login *l)
{
	return l && l->tgt;
}

void krb_login_cancel(struct krb_login *l)
{
	if (!l)
		return;
	dev_dns_cancel(&l->q);
	kdc_cancel(l->req);
	l->req = NULL;
	if (l->ph != PH_DONE)
		l->ph = PH_DONE;
}

int krb_login_ticket(struct krb_login *l, struct step_run *r, const char *service,
		     krb_login_cb *cb, void *arg, enum pb_cause *cause, char *detail, size_t len)
{
	krb5_principal server = NULL;
	krb5_creds in_creds;
	krb5_error_code code;
	char *name = NULL;

	if (!l->tgt || l->ph != PH_DONE || l->n_kdc == 0 || l->cur >= l->n_kdc) {
		snprintf(detail, len, "no TGT to ask with");
		return -1;
	}
	if ((code = krb5_parse_name_flags(l->ctx, service, KRB5_PRINCIPAL_PARSE_IGNORE_REALM,
					  &server)) != 0 ||
	    (code = krb5_set_principal_realm(l->ctx, server, l->realm)) != 0) {
		snprintf(detail, len, "the service principal: %s", error_message(code));
		krb5_free_principal(l->ctx, server);
		return -1;
	}
	krb5_free_principal(l->ctx, l->server);
	l->server = server;
	if (krb5_unparse_name(l->ctx, l->server, &name) == 0) {
		snprintf(l->service_s, sizeof(l->service_s), "%s", name);
		krb5_free_unparsed_name(l->ctx, name);
	}
	krb5_tkt_creds_free(l->ctx, l->tcc);
	l->tcc = NULL;
	memset(&in_creds, 0, sizeof(in_creds));
	in_creds.client = l->client;
	in_creds.server = l->server;
	if ((code = krb5_tkt_creds_init(l->ctx, l->cc, &in_creds, 0, &l->tcc)) != 0) {
		snprintf(detail, len, "krb5_tkt_creds_init: %s", error_message(code));
		return -1;
	}
	l->r = r;
	l->cb = cb;
	l->arg = arg;
	l->ph = PH_TGS;
	l->messages = 0;
	step_fact(r, "client_principal", json_string(l->client_s));
	step_fact(r, "service_principal", json_string(l->service_s));
	step_factf(r, "tgt", "krbtgt/%s@%s (kept from the directory's exchange)", l->realm,
		   l->realm);
	step_factf(r, "kdc", "%s:%u/%s (%s)", l->kdc[l->cur].addr, l->kdc[l->cur].port,
		   kdc_proto_str(l->proto), l->kdc[l->cur].name);
	l->sync = 1;
	l->sync_cause = PB_CAUSE_NONE;
	l->sync_detail[0] = '\0';
	step_krb(l, NULL, 0);
	l->sync = 0;
	if (l->ph == PH_DONE) {
		if (l->dead)
			return -2;  /* the step has ended already */
		*cause = l->sync_cause;
		snprintf(detail, len, "%s", l->sync_detail);
		return 1;
	}
	return 0;
}

void krb_login_free(struct krb_login *l)
{
	if (!l)
		return;
	dev_dns_cancel(&l->q);
	kdc_cancel(l->req);
	if (l->ctx) {
		krb5_free_data_contents(l->ctx, &l->out);
		krb5_init_creds_free(l->ctx, l->icc);
		krb5_tkt_creds_free(l->ctx, l->tcc);
		krb5_get_init_creds_opt_free(l->ctx, l->opt);
		if (l->cc)
			krb5_cc_destroy(l->ctx, l->cc);
		krb5_free_principal(l->ctx, l->client);
		krb5_free_principal(l->ctx, l->server);
		krb5_free_context(l->ctx);
	}
	if (l->last)
		explicit_bzero(l->last, l->last_len);
	free(l->last);
	free(l);
}

krb5_context krb_login_context(const struct krb_login *l) { return l->ctx; }
krb5_ccache krb_login_ccache(const struct krb_login *l) { return l->cc; }
const char *krb_login_client(const struct krb_login *l) { return l->client_s; }
const char *krb_login_service(const struct krb_login *l) { return l->service_s; }

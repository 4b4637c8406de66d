/* Step `register` ("Signed in"): what the registrar's final answer binds
 * (RFC 3261 10.3): the expiry and the contact of a 200, or a redirection
 * to the home pool (301/302, as a Director answers; at most 3), which
 * sends the device back to connect with the new server. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/rd.h"
#include "engine/engine.h"

#define MAX_REDIRECTS 3

static bool is_port_char(int c)
{
	return c >= '0' && c <= '9';
}

/* Contact URI sip:[user@]host[:port][;params] -> host, port (5061 for
 * TLS when absent, RFC 3263 4.2). 0 or -1. */
static int contact_target(const char *uri, char *host, size_t hl, unsigned *port)
{
	struct rd r = rd_init(uri, strlen(uri));
	struct span scheme, hostport, h, p;
	unsigned long v;

	scheme = rd_take_until(&r, ":");
	if (!rd_take_char(&r, ':') || (!span_ieq(scheme, "sip") && !span_ieq(scheme, "sips")))
		return -1;
	hostport = rd_take_until(&r, ";>?");
	{
		struct rd u = rd_init(hostport.p, hostport.len);
		struct span user = rd_take_until(&u, "@");

		if (rd_take_char(&u, '@'))
			hostport = rd_take_until(&u, "");
		(void)user;
	}
	{
		struct rd hp = rd_init(hostport.p, hostport.len);

		h = rd_take_until(&hp, ":");
		*port = 5061;
		if (rd_take_char(&hp, ':')) {
			p = rd_take_while(&hp, is_port_char);
			if (!rd_eof(&hp) || !span_to_uint(p, 65535, &v) || v == 0)
				return -1;
			*port = (unsigned)v;
		}
	}
	if (h.len == 0 || h.len >= hl)
		return -1;
	memcpy(host, h.p, h.len);
	host[h.len] = '\0';
	return 0;
}

static void redirect(struct step_run *r)
{
	struct device *d = r->dev;
	struct target *t;
	char host[256];
	unsigned port;

	step_factf(r, "redirect", "%s -> %s", d->final.status + 8, d->final.contact);
	if (++d->redirects > MAX_REDIRECTS) {
		step_done(r, PB_CAUSE_SIP_REDIRECT_LOOP, "more than 3 redirections", NULL);
		return;
	}
	if (contact_target(d->final.contact, host, sizeof(host), &port) < 0) {
		step_done(r, PB_CAUSE_SIP_BAD_RESPONSE, "a redirection without a usable Contact", NULL);
		return;
	}
	t = &d->targets[d->ti];
	if (!strcasecmp(host, t->name) && port == t->port) {
		step_done(r, PB_CAUSE_SIP_REDIRECT_LOOP, "redirected to the server itself", NULL);
		return;
	}
	step_trace(r, "redirected to %s:%u", host, port);
	/* the new server is the only one to try; connect resolves it */
	device_drop_tls(d);
	pb_chain_free(d->peer_chain);
	d->peer_chain = NULL;
	memset(&d->targets[0], 0, sizeof(d->targets[0]));
	snprintf(d->targets[0].name, sizeof(d->targets[0].name), "%s", host);
	d->targets[0].port = (unsigned short)port;
	d->n_targets = 1;
	d->ti = 0;
	d->target[0] = '\0';
	d->have |= HAVE_POOL;
	step_done_goto(r, PB_STEP_CONNECT, "redirected");
}

static void start(struct step_run *r)
{
	struct device *d = r->dev;

	step_peer(r, "%s", d->target);
	step_fact(r, "status", json_string(d->final.status));
	if (d->final.code == 301 || d->final.code == 302) {
		redirect(r);
		return;
	}
	step_fact(r, "expires", d->final.expires >= 0 ? json_integer(d->final.expires) : json_null());
	step_fact(r, "contact", json_string(d->final.contact));
	d->have |= HAVE_REGISTERED;
	step_done(r, PB_CAUSE_NONE, NULL, NULL);
}

const struct step_ops step_register = {
	.id = PB_STEP_REGISTER,
	.ctx_size = 0,
	.start = start,
	.cancel = NULL,
};

/* What the boots of one loop share (DESIGN.md section 5): one resolver per
 * set of DNS servers, one TLS context per device profile (and key log),
 * one DHCP socket per interface. Held by the engine, not by a global, so
 * two engines on two loops share nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/dhcp.h"
#include "dns/dns.h"
#include "engine/boot_int.h"
#include "ntlm/ntlm.h"
#include "tls/fd.h"
#include "tls/tls.h"
#include "x509/cache.h"

/* Beyond this many resolvers nobody uses, the unused ones go: a fleet
 * whose phones get many different lease DNS servers stays bounded. */
#define KEEP_IDLE_RESOLVERS 16

struct resolver {
	struct resolver *next;
	char key[640];              /* "ip,ip|timeout" */
	struct dns *dns;
	unsigned refs;
};

struct tlsent {
	struct tlsent *next;
	const struct pb_profile *profile;
	char keylog[256];
	struct tls_ctx *ctx;
};

struct portent {
	struct portent *next;
	char iface[32];
	struct dhcp_port *port;
};

struct pb_engine {
	uv_loop_t *loop;
	uint64_t t0;
	unsigned boots;
	struct resolver *resolvers;
	struct tlsent *tls;
	struct portent *ports;
	struct x509_cache *certs;
	void *dir_tls;
	struct ntlm_crypto *ntlm;
};

enum pb_err pb_engine_new(uv_loop_t *loop, struct pb_engine **out)
{
	struct pb_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return PB_ERR_NOMEM;
	e->loop = loop;
	e->t0 = uv_hrtime();
	*out = e;
	return PB_OK;
}

void pb_engine_free(struct pb_engine *e)
{
	if (!e)
		return;
	while (e->resolvers) {
		struct resolver *r = e->resolvers;

		e->resolvers = r->next;
		dns_free(r->dns);
		free(r);
	}
	while (e->tls) {
		struct tlsent *t = e->tls;

		e->tls = t->next;
		tls_ctx_free(t->ctx);
		free(t);
	}
	while (e->ports) {
		struct portent *p = e->ports;

		e->ports = p->next;
		dhcp_port_close(p->port);
		free(p);
	}
	x509_cache_free(e->certs);
	tls_fd_ctx_free(e->dir_tls);
	ntlm_crypto_free(e->ntlm);
	free(e);
}

uv_loop_t *engine_loop(const struct pb_engine *e) { return e->loop; }

struct ntlm_crypto *engine_ntlm_crypto(struct pb_engine *e)
{
	if (!e->ntlm && ntlm_crypto_new(&e->ntlm) != NTLM_OK)
		e->ntlm = NULL;
	return e->ntlm;
}

void *engine_dir_tls_ctx(struct pb_engine *e)
{
	if (!e->dir_tls)
		e->dir_tls = tls_fd_ctx_new();
	return e->dir_tls;
}

struct x509_cache *engine_x509_cache(struct pb_engine *e)
{
	if (!e->certs)
		e->certs = x509_cache_new();
	return e->certs;
}
void engine_boot_added(struct pb_engine *e) { e->boots++; }
void engine_boot_removed(struct pb_engine *e) { e->boots--; }

double engine_ms(const struct pb_engine *e)
{
	return (double)(uv_hrtime() - e->t0) / 1e6;
}

static void drop_idle_resolvers(struct pb_engine *e)
{
	struct resolver **pp = &e->resolvers;
	unsigned idle = 0;

	for (struct resolver *r = e->resolvers; r; r = r->next)
		idle += r->refs == 0;
	while (*pp && idle > KEEP_IDLE_RESOLVERS) {
		struct resolver *r = *pp;

		if (r->refs) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		dns_free(r->dns);
		free(r);
		idle--;
	}
}

enum pb_err engine_resolver(struct pb_engine *e, const char *const *servers, size_t n,
			    unsigned timeout_ms, struct dns **out, char *err, size_t errlen)
{
	struct resolver *r;
	char key[640];
	size_t i, off = 0;
	enum pb_err rc;

	for (i = 0; i < n && off < sizeof(key); i++)
		off += (size_t)snprintf(key + off, sizeof(key) - off, "%s%s", i ? "," : "",
					servers[i]);
	if (off < sizeof(key))
		snprintf(key + off, sizeof(key) - off, "|%u", timeout_ms);
	for (r = e->resolvers; r; r = r->next)
		if (!strcmp(r->key, key)) {
			r->refs++;
			*out = r->dns;
			return PB_OK;
		}
	if (!(r = calloc(1, sizeof(*r)))) {
		snprintf(err, errlen, "out of memory");
		return PB_ERR_NOMEM;
	}
	if ((rc = dns_new(e->loop, servers, n, timeout_ms, &r->dns, err, errlen)) != PB_OK) {
		free(r);
		return rc;
	}
	snprintf(r->key, sizeof(r->key), "%s", key);
	r->refs = 1;
	r->next = e->resolvers;
	e->resolvers = r;
	drop_idle_resolvers(e);
	*out = r->dns;
	return PB_OK;
}

void engine_resolver_put(struct pb_engine *e, struct dns *d)
{
	struct resolver *r;

	for (r = e->resolvers; d && r; r = r->next)
		if (r->dns == d && r->refs) {
			r->refs--;
			break;
		}
	drop_idle_resolvers(e);
}

struct tls_ctx *engine_tls_ctx(struct pb_engine *e, const struct pb_profile *p,
			       const char *keylog_file, char *err, size_t errlen)
{
	const char *kl = keylog_file ? keylog_file : "";
	struct tls_params tp;
	struct tlsent *t;

	for (t = e->tls; t; t = t->next)
		if (t->profile == p && !strcmp(t->keylog, kl))
			return t->ctx;
	if (!(t = calloc(1, sizeof(*t)))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	tls_params_of(p, &tp);
	if (tls_ctx_new(&tp, *kl ? kl : NULL, &t->ctx, err, errlen) != PB_OK) {
		free(t);
		return NULL;
	}
	t->profile = p;
	snprintf(t->keylog, sizeof(t->keylog), "%s", kl);
	t->next = e->tls;
	e->tls = t;
	return t->ctx;
}

struct dhcp_port *engine_dhcp_port(struct pb_engine *e, const char *iface, char *err,
				   size_t errlen)
{
	struct portent *p;

	for (p = e->ports; p; p = p->next)
		if (!strcmp(p->iface, iface))
			return p->port;
	if (strlen(iface) >= sizeof(p->iface)) {
		snprintf(err, errlen, "interface name too long");
		return NULL;
	}
	if (!(p = calloc(1, sizeof(*p)))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (dhcp_port_open(e->loop, iface, &p->port, err, errlen) != PB_OK) {
		free(p);
		return NULL;
	}
	snprintf(p->iface, sizeof(p->iface), "%s", iface);
	p->next = e->ports;
	e->ports = p;
	return p->port;
}

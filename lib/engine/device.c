/* What the device has learned, and the DNS it asks through. See device.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/jx.h"
#include "dns/dns.h"
#include "engine/engine.h"
#include "krb/krb.h"
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

	device_drop_tls(d);          /* the association first: it uses krb's tickets */
	krb_login_free(d->krb);
	d->krb = NULL;
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
	if (d->sa) {
		if (d->sa_mech->clear)
			d->sa_mech->clear(d->sa);
		free(d->sa);
	}
	d->sa = NULL;
	d->sa_mech = NULL;
}

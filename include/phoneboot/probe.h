/* phoneboot: one TLS handshake to see the chain a server presents. */
#ifndef PHONEBOOT_PROBE_H
#define PHONEBOOT_PROBE_H

#include "phoneboot/cert.h"
#include "phoneboot/export.h"

struct pb_probe {
	enum pb_cause cause;        /* PB_CAUSE_NONE when the handshake completed */
	char detail[256];
	char address[64];           /* address connected to */
	char version[16], cipher[80];
	struct pb_chain *chain;     /* owned; NULL when none was seen */
	double ms;
};

/* Connect to host:port with a permissive TLS client (TLS 1.0-1.3, every
 * suite this OpenSSL has, no verification) sending sni when not NULL, and
 * fill out. Runs its own event loop; bounded by timeout_ms per phase.
 * PB_ERR_NETWORK with err when host does not resolve. Free with
 * pb_probe_clear(). */
PB_EXPORT enum pb_err pb_tls_probe(const char *host, const char *port, const char *sni,
			 unsigned timeout_ms, const struct pb_trust *trust,
			 struct pb_probe *out, char *err, size_t errlen);
PB_EXPORT void pb_probe_clear(struct pb_probe *p);

#endif

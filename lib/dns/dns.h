/* Internal: DNS queries through c-ares, on the libuv loop (c-ares' sockets
 * are watched with uv_poll; its timeouts with a uv_timer). */
#ifndef PB_DNS_H
#define PB_DNS_H

#include <stddef.h>

#include <uv.h>

#include "phoneboot/codes.h"

struct dns;

struct dns_srv {
	char target[256];
	unsigned short port, priority, weight;
};

struct dns_result {
	enum pb_cause cause;         /* PB_CAUSE_NONE on an answer with records */
	char detail[160];
	struct dns_srv srv[16];      /* SRV answers, in the order to try (RFC 2782) */
	size_t n_srv;
	char addr[8][64];            /* A answers, text */
	size_t n_addr;
	double ms;
};

typedef void dns_cb(const struct dns_result *r, void *arg);

/* servers: "ip[:port]" strings. Each query is bounded: timeout_ms per try,
 * 2 tries per server. */
enum pb_err dns_new(uv_loop_t *loop, const char *const *servers, size_t n,
		    unsigned timeout_ms, struct dns **out, char *err, size_t errlen);
void dns_free(struct dns *d);       /* async close; pending callbacks get ECANCELLED */
/* type: "SRV" or "A". The callback runs on the loop, once. */
void dns_query(struct dns *d, const char *name, const char *type, dns_cb *cb,
	       void *arg);
/* Sort SRV records by priority, then weighted random order (RFC 2782). */
void dns_srv_order(struct dns_srv *s, size_t n, unsigned (*rnd)(void));

#endif

/* Internal: DNS queries through c-ares, on the libuv loop (c-ares' sockets
 * are watched with uv_poll; its timeouts with a uv_timer).
 *
 * One struct dns serves any number of users on one loop (one resolver per
 * set of DNS servers); each query is a handle its user may cancel without
 * disturbing the others. */
#ifndef PB_DNS_H
#define PB_DNS_H

#include <stddef.h>

#include <uv.h>

#include "phoneboot/codes.h"

#define DNS_MAX_SERVERS 8

struct dns;
struct dns_query;

struct dns_srv {
	char target[256];
	unsigned short port, priority, weight;
};

struct dns_result {
	/* PB_OK, or phoneboot's own failure (PB_ERR_NOMEM; PB_ERR_USAGE for a
	 * name DNS cannot carry; PB_ERR_INTERNAL): then cause is
	 * PB_CAUSE_NONE, detail says what failed, and no network fault is
	 * implied. */
	enum pb_err err;
	/* PB_CAUSE_NONE on an answer with records; else PB_CAUSE_DNS_*:
	 * REFUSED, SERVFAIL (also FORMERR, NOTIMP and other error rcodes),
	 * NXDOMAIN, NO_RECORDS (NOERROR without the records asked), TIMEOUT
	 * (no server answered: silence or port unreachable). */
	enum pb_cause cause;
	/* "SRV _sip._tls.corp.example: 127.0.0.53 answered REFUSED" */
	char detail[256];
	/* The server whose answer this is, "ip" (port 53) or "ip:port";
	 * "" when no server answered. */
	char server[64];
	int rcode;                   /* RFC 1035 4.1.1 RCODE of that answer; -1: none */
	struct dns_srv srv[16];      /* SRV answers, in the order to try (RFC 2782) */
	size_t n_srv;
	char addr[8][64];            /* A answers, text */
	size_t n_addr;
	double ms;                   /* from dns_query to the answer */
};

/* r and everything in it are borrowed for the call. */
typedef void dns_cb(const struct dns_result *r, void *arg);

/* servers: "ip[:port]" strings, at most DNS_MAX_SERVERS. Only these servers
 * are asked, never the system's. A query asks the servers in order, in
 * rounds of 2, each try waiting timeout_ms (0: 2000) for an answer, so it
 * ends within 2 * n * timeout_ms. A server that answers with an error rcode
 * (SERVFAIL, REFUSED, ...) is not asked again and the next one is asked
 * (RFC 1035 7.3); NOERROR and NXDOMAIN end the query. When no server gives
 * a usable answer, the first error answer is reported, else a timeout.
 * *out is set only on success. */
enum pb_err dns_new(uv_loop_t *loop, const char *const *servers, size_t n,
		    unsigned timeout_ms, struct dns **out, char *err, size_t errlen);

/* Cancel every pending query (no callback runs) and close; the memory is
 * freed once the loop has run the closes. dns_free(NULL) is fine. May be
 * called from a dns_cb. */
void dns_free(struct dns *d);

/* Ask for name's records of type "SRV" or "A". The callback runs once, on
 * the loop, never inside dns_query (an immediate failure is delivered on
 * the next loop iteration). The handle is valid until the callback has been
 * called or dns_cancel: don't use it after either. Returns NULL, and the
 * callback never runs, when the handle cannot be allocated (out of memory)
 * or d is being freed. */
struct dns_query *dns_query(struct dns *d, const char *name, const char *type,
			    dns_cb *cb, void *arg);

/* The callback of q will not run; other queries on the same struct dns
 * carry on. q's memory is freed when c-ares has finished with it.
 * dns_cancel(NULL) is fine; cancelling from inside q's own callback does
 * nothing. */
void dns_cancel(struct dns_query *q);

/* Whether name is a host name DNS can look up as is: labels of 1 to 63
 * letters, digits and hyphens, not starting or ending with a hyphen,
 * dot-separated, 253 characters at most (RFC 1035 2.3.1 and 2.3.4, RFC
 * 1123 2.1), no trailing dot. For names that come from the network (a
 * directory's dNSHostName), before they reach a query or a Host: header. */
int dns_host_name_ok(const char *name);

/* Sort SRV records by priority, then weighted random order (RFC 2782). */
void dns_srv_order(struct dns_srv *s, size_t n, unsigned (*rnd)(void));

#endif

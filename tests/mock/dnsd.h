/* Test infrastructure: an in-process DNS responder on 127.0.0.1, on the
 * caller's libuv loop (as c-ares' and libre's tests run theirs), so a DNS
 * client can be driven through every outcome without root or a lab:
 * answers with SRV or A records, an empty answer, any rcode, or silence.
 * UDP only (RFC 1035 4.2.1); answers larger than 512 bytes are truncated
 * to the header and question with TC set. */
#ifndef PB_TESTS_DNSD_H
#define PB_TESTS_DNSD_H

#include <stddef.h>

#include <uv.h>

/* RFC 1035 4.1.1 response codes */
enum dnsd_rcode {
	DNSD_NOERROR = 0,
	DNSD_FORMERR = 1,
	DNSD_SERVFAIL = 2,
	DNSD_NXDOMAIN = 3,
	DNSD_NOTIMP = 4,
	DNSD_REFUSED = 5,
};

/* One record of an answer: an A record when the query asked for A
 * (addr, dotted quad), an SRV record when it asked for SRV (RFC 2782:
 * priority, weight, port, target). */
struct dnsd_rr {
	const char *addr;
	unsigned short priority, weight, port;
	const char *target;
};

/* A rule: for a query whose name (NULL: any name; compared without regard
 * to case, RFC 4343) and type ("A", "SRV"; NULL: any type) match, either
 * drop the query (silence) or answer with rcode and, with DNSD_NOERROR,
 * the records rr[0..n_rr) (n_rr == 0: NOERROR without records).
 * The first rule that matches answers; a query no rule matches gets
 * REFUSED. The table and the strings it points to are borrowed: they must
 * outlive the responder. */
struct dnsd_rule {
	const char *name;
	const char *type;
	int drop;
	enum dnsd_rcode rcode;
	const struct dnsd_rr *rr;
	size_t n_rr;
};

struct dnsd;

/* Bind 127.0.0.1 on an ephemeral UDP port and answer on loop. *out is set
 * only on success. Returns 0 or a negative libuv error code. */
int dnsd_start(uv_loop_t *loop, const struct dnsd_rule *rules, size_t n,
	       struct dnsd **out);
unsigned short dnsd_port(const struct dnsd *s);
/* Queries received so far, answered or dropped, well-formed or not. */
unsigned dnsd_queries(const struct dnsd *s);
/* Close the socket; the memory is freed when the loop runs the close.
 * dnsd_stop(NULL) does nothing. */
void dnsd_stop(struct dnsd *s);

/* A UDP port on 127.0.0.1 with no socket behind it (bound, then closed):
 * a query sent there meets ICMP port unreachable. Returns 0 or a negative
 * errno value. */
int dnsd_closed_port(unsigned short *port);

#endif

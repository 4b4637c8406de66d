/* Internal: one Kerberos message to one KDC and its reply, on the libuv
 * loop (RFC 4120 7.2.1 UDP, 7.2.2 TCP with its 4-byte length prefix).
 * Knows nothing of krb5: bytes out, bytes back, or why none came back.
 * The framing of a TCP reply (kdc_tcp_frame) is the only parser here;
 * tested in tests/unit/test_krb.c, fuzzed by tests/fuzz/fuzz_kdc.c. */
#ifndef PB_KRB_KDC_H
#define PB_KRB_KDC_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

/* The largest reply accepted (a ticket with a big PAC stays far below). */
#define KDC_MAX_REPLY (64 * 1024)

enum kdc_proto {
	KDC_UDP = 0,
	KDC_TCP = 1,
};

enum kdc_outcome {
	KDC_REPLY = 0,       /* reply/len hold the KDC's answer */
	KDC_TIMEOUT = 1,     /* nothing within the timeout */
	KDC_REFUSED = 2,     /* connection refused, or ICMP port unreachable */
	KDC_UNREACHABLE = 3, /* no route, network down, reset */
	KDC_BAD_REPLY = 4,   /* a TCP length prefix past KDC_MAX_REPLY */
	KDC_NOMEM = 5,       /* phoneboot's own failure */
};

struct kdc_req;
/* reply is borrowed for the call; detail says what happened, in a few
 * words ("connection refused"). The request is over when this runs. */
typedef void kdc_cb(enum kdc_outcome oc, const uint8_t *reply, size_t len,
		    const char *detail, void *arg);

/* Send msg (copied) to addr:port ("127.0.1.10", IPv4 or IPv6) and wait at
 * most timeout_ms for the reply. The callback runs once, from the loop,
 * never inside kdc_send. NULL when out of memory or addr is no address
 * (the callback then never runs). */
struct kdc_req *kdc_send(uv_loop_t *loop, const char *addr, unsigned port,
			 enum kdc_proto proto, const uint8_t *msg, size_t len,
			 unsigned timeout_ms, kdc_cb *cb, void *arg);
/* The callback will not run; the memory goes when libuv has closed the
 * handles. kdc_cancel(NULL) is fine. Not from inside the request's own
 * callback (it is over then). */
void kdc_cancel(struct kdc_req *q);

/* A TCP reply so far (buf, len bytes): 1 when a whole message is there
 * (*off and *msglen locate it), 0 when more bytes are needed, -1 when
 * the length prefix is past KDC_MAX_REPLY or has the reserved high bit
 * set (RFC 4120 7.2.2). */
int kdc_tcp_frame(const uint8_t *buf, size_t len, size_t *off, size_t *msglen);

const char *kdc_proto_str(enum kdc_proto p);

#endif

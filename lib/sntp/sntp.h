/* Internal: SNTP (RFC 4330, client mode) as a desk phone speaks it. The
 * packet is built and parsed here (ours: small, specified, fuzzed by
 * tests/fuzz/fuzz_sntp.c); the client runs on the libuv loop, one
 * datagram per server and a bounded wait (docs/time.md). */
#ifndef PB_SNTP_H
#define PB_SNTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <uv.h>

#include "phoneboot/codes.h"

/* RFC 4330 section 4: the header without authenticator is 48 octets. */
#define SNTP_PACKET_LEN 48
/* Seconds from the NTP era 0 epoch (1900-01-01) to the Unix epoch
 * (RFC 868; RFC 4330 section 3). */
#define SNTP_UNIX_OFFSET 2208988800ULL

/* RFC 4330 section 4, "Mode". */
enum sntp_mode { SNTP_MODE_CLIENT = 3, SNTP_MODE_SERVER = 4, SNTP_MODE_BROADCAST = 5 };

/* RFC 4330 section 5: the checks a client applies to a reply, and what
 * they say about the server. */
enum sntp_verdict {
	SNTP_OK = 0,
	SNTP_ALARM = 1,         /* leap indicator 3: clock not synchronized */
	SNTP_KISS = 2,          /* stratum 0: kiss-o'-death (section 8) */
	SNTP_UNSYNC = 3,        /* stratum 16 and above (RFC 5905 7.3: unsynchronized) */
	SNTP_NO_TIME = 4,       /* transmit timestamp zero */
};

struct sntp_reply {
	unsigned li, vn, mode;          /* leap indicator, version, mode */
	unsigned stratum;
	int poll, precision;            /* log2 seconds, signed */
	uint32_t root_delay, root_dispersion;   /* 16.16 fixed point seconds */
	uint8_t refid[4];
	char refid_text[16];            /* kiss code / "GPS" ASCII, or a dotted IPv4 */
	uint64_t ref, orig, recv, xmit; /* 32.32 NTP timestamps */
};

/* An NTP timestamp of a Unix time (seconds and nanoseconds), and back. */
uint64_t sntp_ts_from_unix(int64_t sec, long nsec);
double sntp_ts_to_unix(uint64_t ts);

/* Build a client request (RFC 4330 section 5: LI 0, VN 4, mode 3, every
 * field zero but the transmit timestamp, which the server copies into its
 * originate timestamp). Returns SNTP_PACKET_LEN, or 0 when cap is too
 * small. */
size_t sntp_build(uint8_t *buf, size_t cap, uint64_t xmit);

/* Parse a reply to the request whose transmit timestamp was sent_xmit:
 * 0, or -1 with why in err when it is not a well-formed server reply to
 * that request (too short, not mode 4, a version other than 1-4, or an
 * originate timestamp that is not ours: RFC 4330 section 5). Trailing
 * extension fields and an authenticator are ignored. */
int sntp_parse(const uint8_t *pkt, size_t len, uint64_t sent_xmit, struct sntp_reply *out,
	       char *err, size_t errlen);

/* What the reply says of the server's clock. */
enum sntp_verdict sntp_judge(const struct sntp_reply *r);

/* RFC 4330 section 5: the clock offset and round-trip delay from the four
 * timestamps, in seconds (t1 sent, t2 received by the server, t3 sent by
 * it, t4 received here). */
void sntp_offset(uint64_t t1, uint64_t t2, uint64_t t3, uint64_t t4, double *offset,
		 double *delay);

/* ---- the client ---- */

struct sntp_query;

struct sntp_result {
	enum pb_cause cause;            /* NONE: a usable time */
	enum sntp_verdict verdict;      /* with a reply */
	int answered;                   /* a reply was parsed */
	char detail[200];
	struct sntp_reply reply;
	double offset, delay;           /* seconds, when answered */
	double server_time;             /* Unix seconds at t4 by the server's clock */
	double ms;                      /* from the request to the end */
};

/* Borrowed for the call. */
typedef void sntp_cb(const struct sntp_result *r, void *arg);

/* Send one request to addr ("ip" on port 123, or "ip:port") and wait at
 * most timeout_ms for the reply; a datagram that is not the reply (a
 * stray, a malformed one) is dropped and the wait goes on. ICMP port
 * unreachable ends the wait at once (the socket is connected). cb runs
 * once, from the loop, never inside sntp_start. *out only on PB_OK;
 * every query is ended with sntp_stop(), after its callback too. */
enum pb_err sntp_start(uv_loop_t *loop, const char *addr, unsigned timeout_ms, sntp_cb *cb,
		       void *arg, struct sntp_query **out, char *err, size_t errlen);
/* No callback after this; the memory goes when the loop has closed the
 * handles. NULL is fine. */
void sntp_stop(struct sntp_query *q);

#endif

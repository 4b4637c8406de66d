/* Test infrastructure: an in-process SNTP server (RFC 4330 server mode)
 * on 127.0.0.1, on the caller's libuv loop, so the time step can be
 * driven through every outcome without root, a lab or the internet: a
 * synchronized answer (optionally with its clock off by skew seconds),
 * leap indicator 3, a kiss-o'-death, stratum 16, a reply that is not ours
 * (wrong originate timestamp, before the good one), or silence. */
#ifndef PB_TESTS_SNTPD_H
#define PB_TESTS_SNTPD_H

#include <stdint.h>

#include <uv.h>

enum sntpd_mode {
	SNTPD_OK = 0,           /* stratum 2, LI 0, refid 127.127.1.0 */
	SNTPD_ALARM = 1,        /* LI 3 (clock not synchronized), stratum 3 */
	SNTPD_KISS = 2,         /* stratum 0, kiss code (default "DENY") */
	SNTPD_STRATUM16 = 3,    /* stratum 16 */
	SNTPD_SILENT = 4,       /* reads, never answers */
	SNTPD_STRAY_FIRST = 5,  /* a reply with a wrong originate, then a good one */
};

struct sntpd_conf {
	enum sntpd_mode mode;
	int64_t skew_s;         /* the server's clock minus the host's */
	const char *kiss;       /* four ASCII characters, SNTPD_KISS */
};

struct sntpd;

/* Bind 127.0.0.1 on an ephemeral UDP port. *out only on success; 0 or a
 * negative libuv error. conf is copied (kiss must outlive the server). */
int sntpd_start(uv_loop_t *loop, const struct sntpd_conf *conf, struct sntpd **out);
unsigned short sntpd_port(const struct sntpd *s);
/* Requests received so far. */
unsigned sntpd_requests(const struct sntpd *s);
/* Close; the memory goes when the loop has run the close. NULL is fine. */
void sntpd_stop(struct sntpd *s);

/* A reply to the request req (48 octets or more) per conf, into out
 * (48 octets); with the clock t (Unix seconds, nanoseconds). Also used by
 * the unit tests to make known packets. */
void sntpd_reply(const struct sntpd_conf *conf, const uint8_t *req, int64_t sec, long nsec,
		 uint8_t out[48]);

#endif

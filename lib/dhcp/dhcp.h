/* Internal: DHCP (RFC 2131/2132) as a desk phone speaks it. Packets are
 * built and parsed here (ours: small, specified, fuzzed by
 * tests/fuzz/fuzz_dhcp.c); the client runs on the libuv loop. */
#ifndef PB_DHCP_H
#define PB_DHCP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "phoneboot/codes.h"

enum dhcp_type {
	DHCP_DISCOVER = 1, DHCP_OFFER = 2, DHCP_REQUEST = 3, DHCP_DECLINE = 4,
	DHCP_ACK = 5, DHCP_NAK = 6, DHCP_RELEASE = 7, DHCP_INFORM = 8,
};

#define DHCP_MAX_LIST 8

struct dhcp_lease {
	enum dhcp_type type;
	char yiaddr[16], server_id[16], subnet[16];
	char routers[DHCP_MAX_LIST][16];
	size_t n_routers;
	char dns[DHCP_MAX_LIST][16];               /* option 6 */
	size_t n_dns;
	char hostname[64];                          /* 12 */
	char domain[256];                           /* 15 */
	char ntp[DHCP_MAX_LIST][16];                /* 42 */
	size_t n_ntp;
	uint32_t lease_time;                        /* 51, 0 when absent */
	char vendor_class[64];                      /* 60 echoed */
	char tftp_server[256];                      /* 66 */
	char search[DHCP_MAX_LIST][256];            /* 119, RFC 3397 */
	size_t n_search;
	int sip_enc;                                /* 120, RFC 3361: -1 absent, 0 names, 1 addresses */
	char sip[DHCP_MAX_LIST][256];
	size_t n_sip;
	char tftp150[DHCP_MAX_LIST][16];            /* 150 (Cisco TFTP servers) */
	size_t n_tftp150;
	/* 43 for MS-UC-Client (MS doc gg412828): sub-options 1..5; and 10, the
	 * voice VLAN of MS-UC-Client and CPE-OCPHONE phones (gg398088) */
	int has_43, ms_uc;
	char uc_identifier[64], uc_scheme[16], uc_fqdn[256], uc_port[8], uc_path[256];
	char uc_vlan[16];                           /* sub-option 10 as sent */
	int voice_vlan;                             /* 1..4094, 0 absent, -1 not a VLAN ID */
	char opt43_hex[2 * 255 + 1];
	char message[128];                          /* 56 */
};

/* Build a client message; returns its length, 0 when cap is too small.
 * ciaddr/requested/server in network order (0 = absent). */
size_t dhcp_build(uint8_t *buf, size_t cap, enum dhcp_type type, uint32_t xid,
		  const uint8_t mac[6], const char *vendor_class,
		  const uint8_t *prl, size_t n_prl, uint32_t ciaddr,
		  uint32_t requested, uint32_t server, int broadcast);

/* Parse a server message meant for (xid, mac). 0 on success; -1 when it
 * is not ours or is malformed (why in err). */
int dhcp_parse(const uint8_t *pkt, size_t len, uint32_t xid, const uint8_t mac[6],
	       struct dhcp_lease *out, char *err, size_t errlen);

/* Decode a sequence of RFC 1035 names (compression pointers relative to
 * data, as RFC 3397 and RFC 3361 use them). Returns the count, -1 if
 * malformed. */
int dhcp_names(const uint8_t *data, size_t len, char out[][256], size_t max);

/* ---- the client ---- */

/* One UDP socket on 0.0.0.0:68 per (loop, interface), shared by every
 * client on that loop: a fleet of phones with distinct MACs runs through
 * it at once. A received BOOTREPLY goes to the one client whose xid and
 * chaddr it carries (RFC 2131 4.1: "the client uses 'xid' to match
 * incoming DHCP messages with pending requests"); the rest is dropped.
 * Keeping one port per (loop, interface) is the caller's bookkeeping.
 *
 * Lifetimes:
 *  - every client started is stopped once with dhcp_stop(), also after its
 *    callback ran and also after its port was closed; dhcp_stop() frees it;
 *  - dhcp_port_close() may come before or after the clients' dhcp_stop():
 *    the clients still attached are silenced (no transmission, no callback
 *    from then on) and stay valid until their dhcp_stop(); the port's memory
 *    goes when its socket is closed on the loop and its last client stopped;
 *  - no callback runs after dhcp_stop() or dhcp_port_close(), and none runs
 *    synchronously inside dhcp_start(). */
struct dhcp_port;
struct dhcp_client;

struct dhcp_port_stats {
	unsigned long received;         /* datagrams read from the socket */
	unsigned long delivered;        /* ... that moved a client on */
	unsigned long dropped;          /* not ours, malformed, or not expected now */
};

/* Bind 0.0.0.0:68 on iface (SO_BINDTODEVICE: needs root), broadcast
 * allowed; requests go to 255.255.255.255:67. *out only on PB_OK. */
enum pb_err dhcp_port_open(uv_loop_t *loop, const char *iface, struct dhcp_port **out,
			   char *err, size_t errlen);
/* The same over a datagram socket the caller made (tests: UDP on
 * 127.0.0.1, no root). The port owns fd from here on, and closes it also
 * on failure. Requests go to *to, or with send() when to is NULL (fd
 * connected). iface (may be NULL) is only read for DHCPINFORM's address. */
enum pb_err dhcp_port_open_fd(uv_loop_t *loop, int fd, const char *iface,
			      const struct sockaddr_in *to, struct dhcp_port **out,
			      char *err, size_t errlen);
/* Close the socket on the loop (asynchronously); NULL is fine. See the
 * lifetimes above. */
void dhcp_port_close(struct dhcp_port *port);
/* Hand one received datagram to the client it is for: 1 if a client took
 * it, 0 if dropped. The port's reader calls this; tests call it with
 * hand-built packets. A client's callback may run inside. */
int dhcp_port_dispatch(struct dhcp_port *port, const uint8_t *pkt, size_t len);
/* Borrowed; valid while the port is. */
const struct dhcp_port_stats *dhcp_port_stats(const struct dhcp_port *port);

struct dhcp_result {
	enum pb_cause cause;            /* PB_CAUSE_NONE with an ACK */
	char detail[200];
	struct dhcp_lease offer, ack;   /* what the server sent */
	int got_offer;
	unsigned discovers, requests;   /* transmissions, retries included */
	double ms;
};

/* r is borrowed: valid during the call. */
typedef void dhcp_cb(const struct dhcp_result *r, void *arg);

struct dhcp_params {
	uint8_t mac[6];                 /* chaddr; distinct per client on a port */
	const char *vendor_class;       /* option 60, or NULL; copied */
	const uint8_t *prl;             /* option 55; copied (up to 64) */
	size_t n_prl;
	int inform;                     /* DHCPINFORM from the port's interface address */
	unsigned timeout_ms;            /* the whole exchange; 0: 8000 */
};

/* Start an exchange through port with a fresh xid, unique on the port;
 * cb runs once, from the loop. *out only on PB_OK. */
enum pb_err dhcp_start(struct dhcp_port *port, const struct dhcp_params *p, dhcp_cb *cb,
		       void *arg, struct dhcp_client **out, char *err, size_t errlen);
/* Detach from the port and free (asynchronously); no callback after this.
 * NULL is fine. */
void dhcp_stop(struct dhcp_client *c);
/* The client's transaction id (traces, tests). */
uint32_t dhcp_client_xid(const struct dhcp_client *c);

/* Put addr/mask on iface (0, or -1 with err), and take it off again. */
int dhcp_configure(const char *iface, const char *addr, const char *mask,
		   char *err, size_t errlen);
void dhcp_unconfigure(const char *iface);

#endif

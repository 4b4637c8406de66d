/* Internal: what the emulated device has learned in this cycle. Steps
 * read and write it; their working state stays in their own context.
 * Reset at the start of every cycle (the phone starts again from the top),
 * except what the diagnosis reads (the pool's chain, the rejected roots),
 * which stays until then. */
#ifndef PB_DEVICE_H
#define PB_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "phoneboot/cert.h"
#include "phoneboot/codes.h"
#include "phoneboot/logon.h"
#include "dhcp/dhcp.h"
#include "ldap/dir.h"

#define DEV_MAX_DNS 8
#define DEV_MAX_ROOTS DIR_MAX_CERTS
#define DEV_MAX_TARGETS 16

/* Inputs a step may need from earlier steps (flow.c says which). */
enum dev_have {
	HAVE_DNS = 1 << 0,          /* DNS servers and their resolver */
	HAVE_DC = 1 << 1,           /* a domain controller's address */
	HAVE_ROOTS = 1 << 2,        /* certificates downloaded from it */
	HAVE_POOL = 1 << 3,         /* SIP servers to try */
	HAVE_TLS = 1 << 4,          /* a TLS connection the device trusts */
	HAVE_AUTH = 1 << 5,         /* the registrar's final answer to the
				       authenticated REGISTER */
	HAVE_REGISTERED = 1 << 6,   /* signed in */
};
#define HAVE_ALL 0x7f

/* A SIP server to try, in the order the flow's lookups gave. */
struct target {
	char name[256];
	unsigned short port;
	char addr[64];              /* "" until resolved */
};

struct tls_conn;
struct dns;
struct auth_mech;

struct device {
	unsigned have;              /* enum dev_have bits */

	/* network: the DNS servers in use (--dns, or the lease's) */
	char dns[DEV_MAX_DNS][64];
	const char *dns_p[DEV_MAX_DNS];
	size_t n_dns;
	struct dns *resolver;       /* from the engine, for dns[] */
	char sip120[256];           /* the lease's first option-120 server */
	char ntp[DHCP_MAX_LIST][16];/* the lease's NTP servers (option 42) */
	size_t n_ntp;
	uint8_t mac[6];
	int configured;             /* an address was put on the interface */

	/* the device's clock, set by the time step (NTP, the firmware's
	 * boot clock, or --time): certificates are judged at it */
	time_t clock;
	int clock_set;              /* 0: no time step ran (dev_clock: o->now) */

	/* the domain controller */
	char dc_name[256], dc_addr[64];
	unsigned dc_port;

	/* roots downloaded (DER, malloc'd), then judged */
	unsigned char *root_der[DEV_MAX_ROOTS];
	size_t root_len[DEV_MAX_ROOTS], n_roots;
	struct pb_trust *trust;     /* built-in roots + the installed ones */
	struct pb_chain *rejected[DEV_MAX_ROOTS];
	size_t n_rejected;

	/* the SIP servers, and the one in use */
	struct target targets[DEV_MAX_TARGETS];
	size_t n_targets, ti;
	char target[300];           /* "host:port" reached, or "" */

	/* the connection */
	struct tls_conn *tls;
	struct pb_chain *peer_chain; /* the first chain a connect judged */
	char local[80];             /* our end, for Via and Contact */

	/* SIP */
	char call_id[64], tag[24];
	unsigned cseq;
	unsigned redirects;
	char scheme[24];            /* the scheme that authenticated */
	/* the security association the authentication established, kept
	 * for later requests on the connection ([MS-SIPAE] 3.1: signed
	 * with it): the mechanism and its state, or NULL; dropped with the
	 * connection */
	const struct auth_mech *sa_mech;
	void *sa;
	/* the device's Kerberos credentials (lib/krb/): the TGT its
	 * directory step got, kept for the sign-in's service ticket (one AS
	 * exchange per cycle, as a domain member keeps its TGT); NULL when
	 * none. Freed by device_clear, after the association. */
	struct krb_login *krb;
	struct {
		int code;
		char status[160];
		char contact[256];
		long expires;       /* Contact ;expires or Expires, or -1 */
	} final;                    /* the registrar's final answer */
};

/* Start a cycle: forget what the last one learned (the connection, the
 * roots, the trust store...), keep the DNS servers given on the command
 * line. Returns PB_OK or PB_ERR_NOMEM. */
enum pb_err device_cycle(struct device *d, const struct pb_trust *builtin);
/* Free everything the device holds (not the resolver: the engine's). */
void device_clear(struct device *d);
/* The DNS servers in use (copied). */
void device_set_dns(struct device *d, const char *const *servers, size_t n);
/* A stable locally administered MAC for this device and identity. */
void device_stable_mac(const struct pb_logon_opts *o, uint8_t mac[6]);
/* Keep the connection open but deaf: events are ignored until the next
 * step takes it over (tls_set_cb). */
void device_park_tls(struct device *d);
/* Close the connection (and forget its security association). */
void device_drop_tls(struct device *d);

#endif
